"""An employer's action plan as a committee paper: PDF and XLSX, plus 'you said, we did'.

Plain data in (actions as dicts, the questionnaire's sections, the titles of the 2020 Standards an
action may answer), bytes out. Two numberings of the Standards meet in a plan: the return's
sections follow the health check's own (in the 2017 return, "Standard 4: Managing Risks and
Resources"), the staff survey's follow the 2020 Standards ("Standard 4: Wellbeing"). Every output
names each with its year (``standard_heading``, ``staff_title``), never a bare number.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from forms import Section

from . import sheets
from .report import RULE, SHADE, _styles, pdf_document, running_header

COLUMNS = ["Action", "Lead", "Start", "Due", "Outcome", "Evidence", "Latest progress", "Status"]
# The spreadsheet also carries the finding each action answers, and its dates as dates.
XLSX_COLUMNS = [
    "Standard",
    "2020 Standard",
    "Action",
    "Finding it answers",
    "Lead",
    "Start",
    "Due",
    "Outcome",
    "Evidence",
    "Latest progress",
    "Status",
]
RAG_COLOURS = {"Red": "#d4351c", "Amber": "#f47738", "Green": "#00703c", "Complete": "#505a5f"}


def standard_heading(section: Section, numbering: str) -> str:
    """A return's standard, named with the year of its numbering: "2017 Standard 4: Managing Risks
    and Resources" (``numbering``: the questionnaire's version, "2017.1", or its year)."""
    year = numbering.split(".", 1)[0]
    return f"{year} {section.heading}" if section.standard else section.heading


def staff_title(number: object, title: str) -> str:
    """A 2020 Standard as every output names it: "2020 Standard 4: Wellbeing"."""
    return f"2020 Standard {number}: {title}"


def _d(value: object) -> str:
    return value.strftime("%d/%m/%Y") if isinstance(value, date) else ""


def latest_progress(action: dict[str, Any]) -> str:
    if not action["updates"]:
        return ""
    last = action["updates"][-1]
    return f"{last['at']:%d/%m/%Y}: {last['text']}"


def row(action: dict[str, Any]) -> list[str]:
    return [
        action["description"],
        action.get("lead") or "",
        _d(action.get("starts_on")),
        _d(action.get("due_on")),
        action.get("outcome") or "",
        action.get("evidence") or "",
        latest_progress(action),
        action["status"],
    ]


def plan_xlsx(
    organisation: str,
    year: int,
    sections: Sequence[Section],
    actions: list[dict[str, Any]],
    numbering: str = "",
    staff_titles: dict[str, str] | None = None,
) -> bytes:
    """The plan as a workbook; ``staff_titles`` names the 2020 Standard each action answers, by id."""
    # openpyxl loads only when a workbook is read or written: the web processes never need it
    from openpyxl import Workbook  # 0.15 s to import: only when a workbook is written
    from openpyxl.styles import Alignment, Font, PatternFill

    staff_titles = staff_titles or {}
    book = Workbook()
    sheet = book.active
    sheet.title = "Action plan"
    sheets.append(sheet, [f"{organisation}: health check action plan {year}"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheets.append(sheet, XLSX_COLUMNS)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for section in sections:
        for action in [a for a in actions if a["section_id"] == section.id]:
            staff_standard = action.get("staff_standard")
            sheets.append(
                sheet,
                [
                    standard_heading(section, numbering or str(year)),
                    staff_titles.get(staff_standard, staff_standard) if staff_standard else "",
                    action["description"],
                    action.get("finding") or "",
                    action.get("lead") or "",
                    action.get("starts_on"),
                    action.get("due_on"),
                    action.get("outcome") or "",
                    action.get("evidence") or "",
                    latest_progress(action),
                    action["status"],
                ],
            )
            for at in (6, 7):  # Start and Due
                sheet.cell(row=sheet.max_row, column=at).number_format = "DD/MM/YYYY"
            status = sheet.cell(row=sheet.max_row, column=len(XLSX_COLUMNS))
            status.fill = PatternFill("solid", fgColor=RAG_COLOURS[action["status"]].lstrip("#"))
            status.font = Font(color="FFFFFF", bold=True)
    for column, width in zip("ABCDEFGHIJK", (28, 28, 40, 30, 18, 11, 11, 30, 30, 40, 10)):
        sheet.column_dimensions[column].width = width
    for line in sheet.iter_rows(min_row=3):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    history = book.create_sheet("History")
    sheets.append(history, ["Action", "When", "Who", "Status from", "Status to", "Progress or reason"])
    for action in actions:
        for update in action["updates"]:
            sheets.append(
                history,
                [
                    action["description"],
                    update["at"].strftime("%d/%m/%Y %H:%M"),
                    update["by"],
                    update["status_from"] or "",
                    update["status_to"] or "",
                    update["text"],
                ],
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def plan_pdf(
    organisation: str,
    year: int,
    sections: Sequence[Section],
    actions: list[dict[str, Any]],
    today: date,
    numbering: str = "",
    staff_titles: dict[str, str] | None = None,
) -> bytes:
    """The plan for committee: each standard's actions, the 2020 Standard an action answers under
    its description, then 'you said, we did'."""
    staff_titles = staff_titles or {}
    numbering = numbering or str(year)
    s = _styles()
    buffer = io.BytesIO()
    title = f"{organisation}: health check action plan {year}"
    doc = pdf_document(buffer, title, organisation, pagesize=landscape(A4), margins=(12, 12, 14, 12))
    counts = {status: sum(a["status"] == status for a in actions) for status in RAG_COLOURS}
    overdue = [a for a in actions if a.get("due_on") and a["due_on"] < today and a["status"] != "Complete"]
    story = [
        Paragraph(escape(title), s["h1"]),
        Paragraph(
            escape(
                f"As at {today:%d %B %Y}: {len(actions)} action{'' if len(actions) == 1 else 's'}. "
                + ", ".join(f"{n} {k}" for k, n in counts.items())
                + f". {len(overdue)} overdue."
            ),
            s["body"],
        ),
    ]
    widths = [58, 24, 21, 21, 36, 36, 56, 19]  # a date (01/04/2018) fits its column whole
    for section in sections:
        mine = [a for a in actions if a["section_id"] == section.id]
        if not mine:
            continue
        story.append(Paragraph(escape(standard_heading(section, numbering)), s["h2"]))
        data = [[Paragraph(c, s["cellbold"]) for c in COLUMNS]]
        for action in mine:
            cells = [Paragraph(escape(c or "–"), s["cell"]) for c in row(action)[:-1]]
            if action.get("staff_standard"):
                answers = staff_titles.get(action["staff_standard"], action["staff_standard"])
                cells[0] = Paragraph(
                    escape(action["description"]) + "<br/><i>Answers " + escape(answers) + "</i>", s["cell"]
                )
            if action in overdue:  # the due date, flagged in words as well as colour
                cells[3] = Paragraph(
                    escape(_d(action["due_on"])) + '<br/><font color="#d4351c"><b>Overdue</b></font>', s["cell"]
                )
            data.append(cells + [action["status"]])
        table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
        style = [
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
            ("BACKGROUND", (0, 0), (-1, 0), SHADE),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("FONT", (-1, 1), (-1, -1), "Helvetica-Bold", 8),
        ]
        for i, action in enumerate(mine, start=1):
            style += [
                ("BACKGROUND", (-1, i), (-1, i), colors.HexColor(RAG_COLOURS[action["status"]])),
                ("TEXTCOLOR", (-1, i), (-1, i), colors.white),
            ]
        table.setStyle(TableStyle(style))
        story.append(table)
    story += [Spacer(1, 6 * mm), Paragraph("You said, we did", s["h1"])]
    for line in you_said_we_did(sections, actions, numbering):
        story.append(Paragraph(escape(line), s["bullet"], bulletText="•"))
    page = running_header(f"{title}, as at {today:%d %B %Y}", landscape(A4), 12 * mm)
    doc.build(story, onFirstPage=page, onLaterPages=page)
    return buffer.getvalue()


def you_said_we_did(sections: Sequence[Section], actions: list[dict[str, Any]], numbering: str = "") -> list[str]:
    """One line per action: the finding it answers ('you said'), where one was recorded, the action
    and its latest progress ('we did'). An action with no finding says only what was done, and
    under which standard: nothing is made up for what the health check said."""
    out: list[str] = []
    for section in sections:
        for action in [a for a in actions if a["section_id"] == section.id]:
            did = _clause(action["description"])
            progress = _clause(latest_progress(action))
            done = did + (f" ({progress})" if progress else "") + f". Status: {action['status']}."
            if action.get("finding"):
                out.append(f"You said: {_sentence(action['finding'])} We did: {done}")
            else:
                where = standard_heading(section, numbering) if numbering else section.heading
                out.append(f"We did, for {where}: {done}")
    return out


def _clause(text: str) -> str:
    """Text to run on in a sentence: without the full stops it was typed with ("quarter." -> "quarter")."""
    return text.strip().rstrip(".").rstrip()


def _sentence(text: str) -> str:
    """Text ending a sentence once: "8%." and "8%" both end "8%."; a question keeps its mark."""
    text = text.strip()
    return text if text.endswith(("?", "!")) else _clause(text) + "."
