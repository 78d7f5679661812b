"""An organisation's staff survey results as a PDF for its PSW to take to leadership and committee:
its scores by standard beside its type, region and England, a chart, its breakdowns, each
statement, the change since last year, what keeps people, who answered beside the workforce, and
approved comments. Written from
the figures; only that organisation's, never a league table."""

from __future__ import annotations

import io
from typing import Any

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer

from .dataset import in_a_sentence
from .drivers import METHOD as DRIVERS_METHOD
from .drivers import taking_part, why_not
from .profile import summary as profile_summary
from .report import BLUE, INK, RULE, WIDTH, Story, _grid, _styles, _t, pdf_document, running_header
from .scores import BREAKDOWN_KEY, IN_WORDS, PROFILE_KEY, SHOWN_ONLY, answered, ordinal, people


def _head(texts: list[str], s: dict[str, Any], numeric_from: int = 1) -> list[Any]:
    """A table's header row, numeric columns' headings aligned with their figures."""
    right = ParagraphStyle("cellboldright", parent=s["cellbold"], alignment=TA_RIGHT)
    return [Paragraph(_t(h), s["cellbold"] if i < numeric_from else right) for i, h in enumerate(texts)]


def printed(cell: dict[str, Any] | None, suffix: str = "") -> str:
    if not cell or cell.get("printed") is None:
        return "Not shown"
    return f"{cell['printed']}{suffix}" + (f" ({cell['band']})" if cell.get("band") and not suffix else "")


def chart(
    report: dict[str, Any],
    width: float = WIDTH,
    row: float = 7 * mm,
    legend: str = "Blue bar: your score out of 100. Black tick: England.",
) -> Drawing:
    """The eight standards' scores as bars out of 100, England's as a black tick on each."""
    label_w, top = 62 * mm, 6 * mm
    bar_w = width - label_w - 12 * mm
    rows = report["standards"]
    d = Drawing(width, top + row * len(rows) + 8 * mm)
    y0 = d.height - top
    for x in range(0, 101, 25):
        px = label_w + bar_w * x / 100
        d.add(Line(px, 6 * mm, px, y0, strokeColor=RULE, strokeWidth=0.4))
        d.add(String(px, 2 * mm, str(x), fontName="Helvetica", fontSize=7, fillColor=INK, textAnchor="middle"))
    for i, s in enumerate(rows):
        y = y0 - (i + 1) * row
        d.add(
            String(
                0,
                y + row * 0.35,
                f"{s['number']}. {s['title']}"[:44],
                fontName="Helvetica",
                fontSize=7.5,
                fillColor=INK,
            )
        )
        own, national = s["own"].get("score"), (s.get("national") or {}).get("score")
        if own is not None:
            d.add(Rect(label_w, y + row * 0.2, bar_w * own / 100, row * 0.6, fillColor=BLUE, strokeColor=None))
        if national is not None:
            px = label_w + bar_w * national / 100
            d.add(Line(px, y + row * 0.05, px, y + row * 0.95, strokeColor=INK, strokeWidth=1.6))
        text = str(s["own"]["printed"]) if own is not None else "Not shown"
        d.add(
            String(
                label_w + bar_w * max(own or 0, national or 0) / 100 + 4,
                y + row * 0.35,
                text,
                fontName="Helvetica",
                fontSize=7.5,
                fillColor=INK,
            )
        )
    d.add(String(label_w, d.height - 4 * mm, legend, fontName="Helvetica", fontSize=7, fillColor=INK))
    return d


def organisation_pdf(report: dict[str, Any], year: int, threshold: int, service: str) -> bytes:
    s = _styles()
    buffer = io.BytesIO()
    org = report["organisation"]
    title = f"{org}: staff survey results {year}"

    page = running_header(title)

    doc = pdf_document(buffer, title, service)
    region = f", the {report['region']} region" if report.get("region") else ""
    story: Story = [
        Paragraph(_t(title), s["title"]),
        Paragraph(
            _t(
                f"{answered(report['respondents'], threshold)} at {org} in the {year} staff survey. These "
                f"pages show how they rate it against each of the eight Standards for Employers of Social "
                f"Workers, out of 100, beside {in_a_sentence(report['authority_type'])} employers{region} and "
                f"England. {SHOWN_ONLY.format(threshold=threshold)}"
            ),
            s["body"],
        ),
        Paragraph("Scores by standard", s["h2"]),
        _scores_table(report, s),
        Spacer(1, 4 * mm),
    ]
    shown = any(r["own"]["score"] is not None for r in report["standards"])
    story += (
        [chart(report)]
        if shown
        else [
            Paragraph(
                _t(f"No standard's score can be shown: fewer than {threshold} people answered for each."), s["body"]
            )
        ]
    )
    story.append(Paragraph(_t(IN_WORDS), s["small"]))
    story += _not_shown(report, s)
    story += _previous(report, s) + _breakdowns(report, s, threshold) + _statements(report, s) + _drivers(report, s)
    story += _profile(report, s, threshold) + _comments(report, s)
    doc.build(story, onFirstPage=page, onLaterPages=page)
    return buffer.getvalue()


def _scores_table(report: dict[str, Any], s: dict[str, Any]) -> Any:
    head = (
        ["Standard", "Yours", "Your rank", report["authority_type"]]
        + ([report["region"]] if report.get("region") else [])
        + ["England"]
    )
    data: list[list[Any]] = [_head(head, s)]
    for row in report["standards"]:
        rank = f"{ordinal(row['own']['rank'])} of {row['own']['of']}" if row["own"].get("rank") else "–"
        data.append(
            [
                Paragraph(_t(f"{row['number']}. {row['title']}"), s["cell"]),
                printed(row["own"]),
                rank,
                printed(row["type"]),
            ]
            + ([printed(row["region"])] if report.get("region") else [])
            + [printed(row["national"])]
        )
    widths = [56 * mm, 24 * mm, 20 * mm] + [(WIDTH - 100 * mm) / (len(head) - 3)] * (len(head) - 3)
    return _grid(data, widths)


def _previous(report: dict[str, Any], s: dict[str, Any]) -> Story:
    rows = [r for r in report["standards"] if r.get("previous")]
    if not rows:
        return []
    data: list[list[Any]] = [_head(["Standard", "Last year", "This year", "Change"], s)]
    for r in rows:
        change = r.get("change")
        data.append(
            [
                Paragraph(_t(f"{r['number']}. {r['title']}"), s["cell"]),
                printed(r["previous"]),
                printed(r["own"]),
                "–" if change is None else f"{change:+d}" if change else "0",
            ]
        )
    return [
        Paragraph("Since last year", s["h2"]),
        _grid(data, [80 * mm, 30 * mm, 30 * mm, WIDTH - 140 * mm]),
        Paragraph("A change is shown only where both years' scores are.", s["small"]),
    ]


def _not_shown(report: dict[str, Any], s: dict[str, Any]) -> Story:
    """Why a figure beside yours is not shown, a line a group."""
    return [Paragraph(_t(line), s["bullet"], bulletText="\u2022") for line in report.get("not_shown", [])]


def _breakdowns(report: dict[str, Any], s: dict[str, Any], threshold: int) -> Story:
    story: Story = []
    for kind, heading in (("service", "By service"), ("role", "By role")):
        head = [kind.capitalize(), "People"] + [f"S{r['number']}" for r in report["standards"]]
        data: list[list[Any]] = [_head(head, s)]
        for part in report["breakdowns"][kind]:
            data.append(
                [Paragraph(_t(part["label"]), s["cell"]), people(part["respondents"], threshold)]
                + [
                    part["scores"][r["id"]]["printed"] if part["scores"][r["id"]]["printed"] is not None else "–"
                    for r in report["standards"]
                ]
            )
        story += [Paragraph(heading, s["h2"]), _grid(data, [44 * mm, 22 * mm] + [(WIDTH - 66 * mm) / 8] * 8)]
    story.append(Paragraph(_t(BREAKDOWN_KEY.format(threshold=threshold)), s["small"]))
    return story


def _statements(report: dict[str, Any], s: dict[str, Any], columns: tuple[str, ...] = ("Yours", "England")) -> Story:
    """Each statement's share agreeing: the report's own (and England's, with a second column)."""
    head: Story = [Paragraph("Each statement: the share agreeing", s["h2"])]
    if all(st["own"]["printed"] is None for st in report["statements"]):
        return head + [Paragraph("Not shown: no statement had enough people giving a view.", s["body"])]
    head.append(Paragraph("The share who agree or strongly agree, of those who gave a view.", s["body"]))
    story: Story = []
    for row in report["standards"]:
        data: list[list[Any]] = [_head([f"Standard {row['number']}: {row['title']}", *columns], s)]
        for st in report["statements"]:
            if st["standard"] == row["number"]:
                data.append(
                    [Paragraph(_t(st["label"]), s["cell"])]
                    + [printed(st[k], "%") for k in ("own", "national")[: len(columns)]]
                )
        widths = [WIDTH - 22 * mm * len(columns)] + [22 * mm] * len(columns)
        story.append(KeepTogether((head if not story else []) + [_grid(data, widths), Spacer(1, 3 * mm)]))
    return story


def _drivers(report: dict[str, Any], s: dict[str, Any]) -> Story:
    found = report.get("drivers")
    if not found:
        return []
    if not found["estimated"]:
        return [Paragraph("What keeps people staying", s["h2"]), Paragraph(_t(why_not(found)), s["body"])]
    whose = "your organisation's practitioners" if found.get("own") else "practitioners across England"
    story: Story = [
        Paragraph("What keeps people staying", s["h2"]),
        Paragraph(
            _t(
                f"How strongly each standard goes with intending to stay for the next 12 months, "
                f"from the answers of {whose} ({taking_part(found)})."
            ),
            s["body"],
        ),
    ]
    data: list[list[Any]] = [_head(["Standard", "Odds ratio per 10 points", "95% interval", "Clear effect?"], s)]
    for d in found["standards"]:
        data.append(
            [
                Paragraph(_t(f"{d['number']}. {d['title']}"), s["cell"]),
                f"{d['odds_ratio']:.2f}",
                f"{d['low']:.2f} to {d['high']:.2f}",
                "Yes" if d["clear"] else "No",
            ]
        )
    story += [_grid(data, [80 * mm, 34 * mm, 34 * mm, WIDTH - 148 * mm]), Paragraph(_t(DRIVERS_METHOD), s["small"])]
    return [KeepTogether(story)]


def number(value: float | int | None, suffix: str = "", sign: bool = False) -> str:
    if value is None:
        return "–"
    text = f"{value:+.1f}" if sign else f"{value:.1f}" if isinstance(value, float) else f"{value:,}"
    return text + suffix


def _profile(report: dict[str, Any], s: dict[str, Any], threshold: int) -> Story:
    found = report.get("profile")
    if not found:
        return []
    story: Story = [Paragraph("Who answered", s["h2"])]
    if found["respondents"] is None:
        return story + [Paragraph("Not shown: too few people answered.", s["body"])]
    story.append(
        Paragraph(
            _t(
                f"How the people who answered compare with the workforce you counted from HR. A share of respondents "
                f"is of all {found['respondents']} who answered, so where many preferred not to say, "
                f"each group's share can look smaller. A difference of more than {found['flag']} percentage points "
                f"is flagged. " + PROFILE_KEY.format(threshold=threshold)
            ),
            s["body"],
        )
    )
    flags = profile_summary(found)
    if flags:
        story += [Paragraph(_t(line), s["bullet"], bulletText="\u2022") for line in flags]
    head = ["Group", "Respondents", "% of respondents", "Workforce", "% of workforce", "Difference (% points)"]
    widths = [WIDTH - 140 * mm, 26 * mm, 26 * mm, 22 * mm, 22 * mm, 44 * mm]
    for c in found["characteristics"]:
        data: list[list[Any]] = [_head([c["label"], *head[1:]], s)]
        for r in c["rows"]:
            difference = number(r["difference"], sign=True) + (f" ({r['flag']})" if r["flag"] else "")
            data.append(
                [
                    Paragraph(_t(r["label"]), s["cell"]),
                    people({"n": r["respondents"], "withheld": r["withheld"]}, threshold),
                    number(r["share"], "%"),
                    number(r["workforce"]),
                    number(r["workforce_share"], "%"),
                    difference,
                ]
            )
        story.append(KeepTogether([_grid(data, widths), Spacer(1, 3 * mm)]))
    return story


def _comments(report: dict[str, Any], s: dict[str, Any]) -> Story:
    comments = report.get("comments") or []
    if not comments:
        return []
    story: Story = [
        Paragraph("What people said", s["h2"]),
        Paragraph("Comments as approved by the health check team, with names and places removed.", s["body"]),
    ]
    story += [Paragraph(_t(c), s["bullet"], bulletText="\u2022") for c in comments]
    return story
