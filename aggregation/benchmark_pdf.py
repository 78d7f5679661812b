"""An employer's benchmark as a PDF: only that employer's position, never a league table."""
from __future__ import annotations

import io
from typing import Any

from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .benchmark import QUARTERS, _fmt
from .dataset import in_a_sentence
from .report import BLUE, INK, RULE, SHADE, _styles, _t, running_header

GREY = colors.HexColor("#505a5f")


def distribution(measure: dict[str, Any], width: float = 60 * mm, height: float = 11 * mm) -> Drawing:
    """A quartile box of all respondents (middle half), its median, and the employer's value."""
    d = Drawing(width, height)
    a = measure["all"]
    if a["suppressed"]:
        d.add(String(0, height / 2 - 3, "Not shown (too few respondents)", fontSize=7, fillColor=GREY))
        return d
    points: list[float] = [a["q1"], a["median"], a["q3"]] + ([measure["own"]] if measure["own"] is not None else [])
    low, high = min(points + [0]), max(points) * 1.1 or 1
    scale = (width - 4) / (high - low)

    def x(v: float) -> float:
        return 2 + (v - low) * scale

    d.add(Line(2, height / 2, width - 2, height / 2, strokeColor=RULE, strokeWidth=0.5))
    d.add(Rect(x(a["q1"]), height / 2 - 3, max(x(a["q3"]) - x(a["q1"]), 0.5), 6, fillColor=SHADE,
               strokeColor=GREY, strokeWidth=0.5))
    d.add(Line(x(a["median"]), height / 2 - 4, x(a["median"]), height / 2 + 4, strokeColor=INK, strokeWidth=1))
    if measure["own"] is not None:
        v = x(measure["own"])
        d.add(Polygon([v, height / 2 + 5, v + 3, height / 2 + 1, v, height / 2 - 3, v - 3, height / 2 + 1],
                      fillColor=BLUE, strokeColor=BLUE))
    return d


def benchmark_pdf(result: dict[str, Any], service: str = "Social Work Health Check") -> bytes:
    s = _styles()
    buffer = io.BytesIO()
    title = f"{result['organisation']}: health check benchmark {result['year']}"

    page = running_header(f"{title} (for {result['organisation']} only)")

    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=20 * mm,
                            bottomMargin=18 * mm, title=title, author=service)
    story = [Paragraph(_t(title), s["h1"]),
             Paragraph(_t(f"How {result['organisation']}'s {result['year']} return compares with other "
                          f"{in_a_sentence(result['authority_type'])} respondents and with all {result['respondents']} "
                          f"respondents. Comparisons are shown only where at least {result['threshold']} other "
                          f"respondents answered; otherwise they are marked as not shown. This benchmark is for "
                          f"your organisation only: no league table is published."), s["body"])]

    story.append(Paragraph("Your figures beside your type and everyone", s["h2"]))
    head = ["Measure", "Yours", f"{result['authority_type']}: average (median)", "All: average (median)",
            "Your quarter", "Where you sit"]
    data = [[Paragraph(_t(h), s["cellbold"]) for h in head]]
    for m in result["measures"]:
        t, a = m["type"], m["all"]
        pct = m["percent"]
        data.append([Paragraph(_t(f"{m['measure']} ({m['table']})"), s["cell"]),
                     _fmt(m["own"], pct) or "No answer",
                     _average(t, pct), _average(a, pct),
                     QUARTERS.get(m["quartile"], ""), distribution(m)])
    table = Table(data, colWidths=[42 * mm, 14 * mm, 30 * mm, 26 * mm, 18 * mm, 44 * mm], repeatRows=1)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "Helvetica", 7.5), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE), ("BACKGROUND", (0, 0), (-1, 0), SHADE)]))
    story += [table, Paragraph("Where you sit: the grey box spans the middle half of all respondents, the black "
                               "line is their median, the blue diamond is your figure.", s["small"])]

    story.append(Paragraph("Your answers beside the share giving each answer", s["h2"]))
    for item in result["single"]:
        rows = [[Paragraph(_t(item["title"] + f" ({item['table']})"), s["cellbold"]), "", "", ""],
                ["Answer", "Yours", f"{result['authority_type']}", "All"]]
        for option in item["options"]:
            rows.append([Paragraph(_t(option["label"]), s["cell"]), "✓" if option["value"] == item["own"] else "",
                         "Not shown" if item["type"]["suppressed"] else _fmt(option["type_percent"], True),
                         "Not shown" if item["all"]["suppressed"] else _fmt(option["all_percent"], True)])
        if not item["asked"]:
            rows.append([Paragraph("Not asked, given your earlier answer.", s["cell"]), "", "", ""])
        grid = Table(rows, colWidths=[90 * mm, 16 * mm, 34 * mm, 34 * mm])
        grid.setStyle(TableStyle([("SPAN", (0, 0), (-1, 0)), ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
                                  ("FONT", (0, 1), (-1, 1), "Helvetica-Bold", 8),
                                  ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE), ("ALIGN", (1, 1), (-1, -1), "RIGHT")]))
        story += [KeepTogether([grid]), Spacer(1, 3 * mm)]

    story.append(Paragraph("What you offer compared with most respondents", s["h2"]))
    for item in result["multi"]:
        story.append(Paragraph(_t(f"{item['title']} ({item['table']})"), s["caption"]))
        if item["suppressed"]:
            story.append(Paragraph("Not shown: too few respondents answered.", s["small"]))
            continue
        for label, values in (("You have, as most respondents do", item["shared"]),
                              ("You have, unlike most respondents", item["unusual"]),
                              ("Most respondents have, you do not", item["missing"])):
            story.append(Paragraph(_t(f"{label}: " + ("; ".join(values) if values else "none")), s["small"]))

    if result["trend"]:
        story.append(Paragraph("Your figures over the years", s["h2"]))
        years = sorted({r["year"] for r in result["trend"]})
        measures = list(dict.fromkeys(r["measure"] for r in result["trend"]))
        lookup = {(r["measure"], r["year"]): r for r in result["trend"]}
        data = [["Measure"] + [f"{y} yours / national" for y in years]]
        for m in measures:
            data.append([Paragraph(_t(m), s["cell"])] + [
                f"{_fmt(lookup[(m, y)]['own']) or '–'} / {_fmt(lookup[(m, y)]['national']) or '–'}"
                if (m, y) in lookup else "–" for y in years])
        grid = Table(data, repeatRows=1)
        grid.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "Helvetica", 8),
                                  ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE)]))
        story.append(grid)
    doc.build(story, onFirstPage=page, onLaterPages=page)
    return buffer.getvalue()


def _average(group: dict[str, Any], percent: bool) -> str:
    """A comparison group's average (median) and size, or that it is not shown."""
    if group["suppressed"]:
        return "Not shown"
    return f"{_fmt(group['mean'], percent)} ({_fmt(group['median'], percent)}), n={group['n']}"
