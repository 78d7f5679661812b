"""An employer's benchmark as a PDF: only that employer's position, never a league table."""

from __future__ import annotations

import io
from typing import Any

from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from .benchmark import Benchmark, MeasureComparison, _fmt, fallback_sentence, figure, measure_cells
from .dataset import in_a_sentence
from .report import BLUE, INK, RULE, SHADE, _styles, _t, pdf_document, running_header

GREY = colors.HexColor("#505a5f")


def distribution(measure: MeasureComparison, width: float = 31 * mm, height: float = 12 * mm) -> Drawing:
    """A quartile box of all respondents (middle half), its median, the employer's value, and a
    scale from the lowest figure drawn to the highest."""
    d = Drawing(width, height)
    a = measure["all"]
    q1, median, q3 = a.get("q1"), a.get("median"), a.get("q3")
    if a["suppressed"] or q1 is None or median is None or q3 is None:  # the quartiles come with the median
        d.add(String(0, height / 2 - 3, "Not shown", fontName="Helvetica", fontSize=7, fillColor=GREY))
        return d
    points: list[float] = [q1, median, q3] + ([measure["own"]] if measure["own"] is not None else [])
    low, high = min(points + [0]), max(points) * 1.1 or 1
    scale = (width - 4) / (high - low)
    line = height - 5  # the box sits above the scale's figures

    def x(v: float) -> float:
        return 2 + (v - low) * scale

    d.add(Line(2, line, width - 2, line, strokeColor=RULE, strokeWidth=0.5))
    for value, anchor in ((low, "start"), (high, "end")):
        d.add(Line(x(value), line - 1.5, x(value), line + 1.5, strokeColor=GREY, strokeWidth=0.5))
        d.add(
            String(
                x(value),
                0.5,
                figure(value, measure["percent"]),
                fontName="Helvetica",
                fontSize=6,
                fillColor=GREY,
                textAnchor=anchor,
            )
        )
    d.add(Rect(x(q1), line - 3, max(x(q3) - x(q1), 0.5), 6, fillColor=SHADE, strokeColor=GREY, strokeWidth=0.5))
    d.add(Line(x(median), line - 4, x(median), line + 4, strokeColor=INK, strokeWidth=1))
    if measure["own"] is not None:
        v = x(measure["own"])
        d.add(Polygon([v, line + 4, v + 3, line, v, line - 4, v - 3, line], fillColor=BLUE, strokeColor=BLUE))
    return d


def benchmark_pdf(result: Benchmark, service: str = "Social Work Health Check") -> bytes:
    s = _styles()
    buffer = io.BytesIO()
    title = f"{result['organisation']}: health check benchmark {result['year']}"

    page = running_header(f"{title} (for {result['organisation']} only)")

    doc = pdf_document(buffer, title, service)
    story = [
        Paragraph(_t(title), s["h1"]),
        Paragraph(
            _t(
                f"How {result['organisation']}'s {result['year']} return compares with other "
                f"{in_a_sentence(result['authority_type'])} employers (you are left out of their average "
                f"and their number) and with all {result['respondents']} respondents. A group's average is "
                f"shown wherever the national and regional tables show that group; a median only where at "
                f"least {result['threshold']} other respondents answered. Figures are to one decimal place. "
                f"Table and figure numbers are those of the national report. This benchmark is for your "
                f"organisation only: no league table is published."
            ),
            s["body"],
        ),
    ]
    fallback = fallback_sentence(result)
    if fallback:
        story.append(Paragraph(_t(fallback), s["body"]))

    story.append(Paragraph("Your figures beside other employers like you and everyone", s["h2"]))
    head = [
        "Measure",
        "Yours",
        "Other employers like you: average (median)",
        "All: average (median)",
        "Your quarter",
        "Where you sit",
    ]
    data = [[Paragraph(_t(h), s["cellbold"]) for h in head]]
    for m in result["measures"]:
        where = "; ".join(filter(None, [m.get("unit"), m["table"]]))
        cells = measure_cells(m)
        data.append(
            [
                Paragraph(_t(f"{m.get('name', m['measure'])} ({where})"), s["cell"]),
                *(Paragraph(_t(cells[key]), s["cell"]) for key in ("own", "peers", "all", "quarter")),
                distribution(m),
            ]
        )
    # Each column is wide enough for its longest word ("second-highest" at 8.5 points), so no word
    # is broken across lines (tests/test_pdf_checks.py reads every PDF for one).
    table = Table(data, colWidths=[37 * mm, 25 * mm, 30 * mm, 27 * mm, 25 * mm, 30 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 7.5),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("LEFTPADDING", (-1, 0), (-1, -1), 2),
                ("RIGHTPADDING", (-1, 0), (-1, -1), 2),
            ]
        )
    )
    story += [
        table,
        Paragraph(
            "Where you sit: the grey box spans the middle half of all respondents, the black "
            "line is their median, the blue diamond is your figure; the scale runs from the "
            "lowest figure drawn to the highest.",
            s["small"],
        ),
    ]
    story += _region_and_neighbours(result, s)

    for i, item in enumerate(result["single"]):
        rows = [
            [Paragraph(_t(item["title"] + f" ({item['table']})"), s["cellbold"]), "", "", ""],
            ["Answer", "Yours", item["peers"]["label"], "All"],
        ]
        for option in item["options"]:
            rows.append(
                [
                    Paragraph(_t(option["label"]), s["cell"]),
                    "✓" if option["value"] == item["own"] else "",
                    "Not shown" if item["peers"]["suppressed"] else _fmt(option["peers_percent"], True),
                    "Not shown" if item["all"]["suppressed"] else _fmt(option["all_percent"], True),
                ]
            )
        if not item["asked"]:
            rows.append([Paragraph("Not asked, given your earlier answer.", s["cell"]), "", "", ""])
        grid = Table(rows, colWidths=[90 * mm, 16 * mm, 34 * mm, 34 * mm])
        grid.setStyle(
            TableStyle(
                [
                    ("SPAN", (0, 0), (-1, 0)),
                    ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
                    ("FONT", (0, 1), (-1, 1), "Helvetica-Bold", 8),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
                    ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                ]
            )
        )
        heading = [Paragraph("Your answers beside the share giving each answer", s["h2"])] if i == 0 else []
        story += [KeepTogether(heading + [grid]), Spacer(1, 3 * mm)]

    story.append(Paragraph("What you offer compared with most respondents", s["h2"]))
    for chosen in result["multi"]:
        story.append(Paragraph(_t(f"{chosen['title']} ({chosen['table']})"), s["caption"]))
        if chosen["suppressed"]:
            story.append(Paragraph("Not shown: too few respondents answered.", s["small"]))
            continue
        for label, values in (
            ("You have, as most respondents do", chosen["shared"]),
            ("You have, unlike most respondents", chosen["unusual"]),
            ("Most respondents have, you do not", chosen["missing"]),
        ):
            story.append(Paragraph(_t(f"{label}: " + ("; ".join(values) if values else "none")), s["small"]))

    if result["trend"]:
        story.append(Paragraph("Your figures over the years", s["h2"]))
        years = sorted({r["year"] for r in result["trend"]})
        measures = list(dict.fromkeys(r["measure"] for r in result["trend"]))
        lookup = {(r["measure"], r["year"]): r for r in result["trend"]}
        data = [["Measure"] + [f"{y} yours / national" for y in years]]
        for label in measures:
            data.append(
                [Paragraph(_t(label), s["cell"])]
                + [
                    f"{figure(lookup[(label, y)]['own']) or '–'} / {figure(lookup[(label, y)]['national']) or '–'}"
                    if (label, y) in lookup
                    else "–"
                    for y in years
                ]
            )
        grid = Table(data, repeatRows=1)
        grid.setStyle(
            TableStyle([("FONT", (0, 0), (-1, -1), "Helvetica", 8), ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE)])
        )
        story.append(grid)
    doc.build(story, onFirstPage=page, onLaterPages=page)
    return buffer.getvalue()


def _region_and_neighbours(result: Benchmark, s: dict[str, ParagraphStyle]) -> list[Any]:
    """Each measure beside the employer's region (if it has one) and its statistical neighbours'
    median (if the coordinator's list names any), as the web page shows them."""
    region = result.get("region")
    near = any("neighbours" in m for m in result["measures"])
    if not region and not near:
        return []
    head = (
        ["Measure", "Yours"]
        + ([f"Others in {region}: average (median)"] if region else [])
        + (["Your statistical neighbours: median"] if near else [])
    )
    data = [[Paragraph(_t(h), s["cellbold"]) for h in head]]
    for m in result["measures"]:
        cells = measure_cells(m)
        row = [
            Paragraph(_t(f"{m.get('name', m['measure'])} ({m['table']})"), s["cell"]),
            Paragraph(_t(cells["own"]), s["cell"]),
        ]
        if region:
            row.append(Paragraph(_t(cells["region"]), s["cell"]))
        if near:
            row.append(Paragraph(_t(cells["neighbours"]), s["cell"]))
        data.append(row)
    widths = [65 * mm, 25 * mm] + [(174 - 90) / (len(head) - 2) * mm] * (len(head) - 2)
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 7.5),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
            ]
        )
    )
    heading = (
        "Your figures beside your region" + (" and your statistical neighbours" if near else "")
        if region
        else "Your figures beside your statistical neighbours"
    )
    note = (
        "Your statistical neighbours: the organisations most like yours on the list the health check team "
        "holds; their median is shown only where enough of them answered and it gives no withheld figure away."
        if near
        else ""
    )
    return [Paragraph(_t(heading), s["h2"]), table] + ([Paragraph(_t(note), s["small"])] if note else [])
