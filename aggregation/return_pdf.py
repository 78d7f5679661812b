"""One employer's return as a PDF: exactly the answers submitted, in questionnaire order.

Takes plain data (a questionnaire definition, an answers dict, a few facts about the
submission) and returns bytes; no Flask, no database.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from forms import Questionnaire
from forms.rules import asked
from forms.validation import display

from .report import pdf_document

INK = colors.HexColor("#0b0c0c")
RULE = colors.HexColor("#b1b4b6")
ACCENT = colors.HexColor("#1d70b8")


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle(
            "title", parent=base["Title"], alignment=TA_LEFT, fontSize=20, leading=24, textColor=INK, spaceAfter=6
        ),
        "h2": ParagraphStyle(
            "h2", parent=base["Heading2"], fontSize=14, leading=18, textColor=INK, spaceBefore=10, spaceAfter=4
        ),
        "body": ParagraphStyle("body", parent=base["BodyText"], fontSize=9.5, leading=12.5, textColor=INK),
        "label": ParagraphStyle(
            "label", parent=base["BodyText"], fontSize=9.5, leading=12.5, textColor=INK, fontName="Helvetica-Bold"
        ),
        "small": ParagraphStyle("small", parent=base["BodyText"], fontSize=8, leading=10, textColor=INK),
    }


def _text(value: str) -> str:
    """Escape for reportlab's mini-markup: answers are inert text, never markup."""
    return escape(value).replace("\n", "<br/>")


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(ZoneInfo("Europe/London")).strftime("%-d %B %Y, %H:%M")
    return str(value or "")


def return_pdf(questionnaire: Questionnaire, answers: Mapping[str, Any], meta: Mapping[str, Any]) -> bytes:
    styles = _styles()
    buffer = io.BytesIO()
    title = f"{questionnaire.title}: {meta.get('organisation', '')}"

    def decorate(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(INK)
        canvas.drawString(
            18 * mm, 10 * mm, f"{meta.get('organisation', '')} \u2013 reference {meta.get('reference', '')}"
        )
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    doc = pdf_document(
        buffer,
        title,
        str(meta.get("organisation", "")),
        f"Submitted return, version {meta.get('version', '')}",
        margins=(18, 18, 18, 18),
        levels={"title": 0, "h1": 0, "h2": 1},
    )
    story: list[Any] = [
        Paragraph(_text(questionnaire.title), styles["title"]),
        Paragraph(_text(str(meta.get("organisation", ""))), styles["h2"]),
    ]
    facts = [
        ("Reference", meta.get("reference")),
        ("Submitted", _when(meta.get("submitted_at"))),
        ("Submitted by", meta.get("submitted_by")),
        ("Signed off as", meta.get("signed_off_as")),
        ("Version", meta.get("version")),
    ]
    story.append(_table([(k, str(v or "")) for k, v in facts], styles))
    story.append(Spacer(1, 4 * mm))
    for section in questionnaire.sections:
        rows: list[tuple[str, str]] = []
        for q in asked(section.questions, answers):
            lines = display(q, answers)
            rows.append((q.label, "\n".join(lines) if lines else "Not answered"))
        block = [Paragraph(_text(section.heading), styles["h2"])]
        if rows:
            story.append(KeepTogether(block + [_table(rows[:1], styles)]))
            if rows[1:]:
                story.append(_table(rows[1:], styles))
        else:
            story.extend(block)
    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph("Declaration", styles["h2"]))
    story.append(Paragraph(_text(questionnaire.declaration), styles["body"]))
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


def _table(rows: Sequence[tuple[str, str]], styles: dict[str, ParagraphStyle]) -> Table:
    data = [
        [Paragraph(_text(str(label)), styles["label"]), Paragraph(_text(str(value)), styles["body"])]
        for label, value in rows
    ]
    table = Table(data, colWidths=[85 * mm, 89 * mm], repeatRows=0, splitByRow=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table
