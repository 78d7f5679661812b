"""The staff survey for England and for each region: the coordinating body's reports (JSON for its
web page, and a PDF), fit to publish. Groups of organisations only, as everyone sees them
(``scores.Scored.cell``): no organisation's score appears, so no league table can be read from
them; the organisations that took part are named only where they agreed to be; and a withheld
figure or count says why."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer

import forms

from . import staff_england, staff_findings
from .report import INK, WIDTH, Story, _grid, _styles, _t, pdf_document, running_header
from .scores import IN_WORDS, Key, Scored, not_shown, people, standards, why
from .staff_pdf import _drivers, _head, _statements, chart, printed

ENGLAND = "England"


SHOWN = (
    "A figure is shown only where at least {threshold} people and three organisations make it, and not "
    "where, beside the others, it would let someone work out a smaller group's or one organisation's. No "
    "organisation's own scores are shown."
)


def who(report: dict[str, Any]) -> str:
    """Who answered in an area, as its report says it: "1,394 practitioners from 61 organisations"."""
    count = report["respondents"]
    return (
        f"{count['n']:,} practitioners" if count["n"] is not None else "Practitioners"
    ) + f" from {report['organisations']} organisations"


def place(area: str) -> str:
    """A region inside a sentence: "the North East", "London"."""
    return f"the {area}" if area.split()[0] in ("North", "South", "East", "West") else area


def area_report(
    scored: Scored,
    result: dict[str, Any],
    questionnaire: forms.Questionnaire,
    national_drivers: dict[str, Any],
    named: set[str],
    region: str | None = None,
    overview: Overview | None = None,
) -> dict[str, Any]:
    """England's report (``region`` None) or one region's: each standard's score (beside England's,
    for a region), by authority type and by region (England's), each statement's share agreeing,
    what keeps people nationally (``drivers.shown``), and the organisations named with their consent;
    with an ``overview``, also who answered against the workforce, by profession, service and role,
    the spread of organisations' scores, the change since last year and the key messages."""
    key: Key = ("region", region) if region else ("national",)

    def cells(measure: str) -> dict[str, Any]:  # the area's own, and England's beside a region's
        return {"own": scored.cell(key, measure), "national": scored.cell(("national",), measure) if region else None}

    rows = [{"id": s.id, "number": s.number, "title": s.title, **cells(s.id)} for s in standards(questionnaire)]
    statements = [
        {"id": q.id, "standard": q.standard, "label": q.label, **cells(q.id)}
        for q in questionnaire.questions()
        if q.standard
    ]
    inside = [o for o in result["organisations"] if region is None or o["region"] == region]
    groups = [
        tuple(g["group"].split(":", 1))
        for g in result["groups"]
        if region is None and g["group"].startswith(("type:", "region:"))
    ]
    names = {"own": region or ENGLAND} | ({"national": ENGLAND} if region else {})
    report = {
        "area": region or ENGLAND,
        "region": region,
        "cycle": result["cycle"],
        "respondents": scored.count(key),
        "organisations": len(inside),
        "standards": rows,
        "statements": statements,
        "groups": [
            {
                "name": name,
                "level": level,
                "respondents": scored.count((level, name)),
                "scores": {s.id: scored.cell((level, name), s.id) for s in standards(questionnaire)},
            }
            for level, name in groups
        ],
        "not_shown": not_shown(rows, names, scored.threshold) + _groups_withheld(scored, groups, questionnaire),
        "drivers": national_drivers | {"own": False},
        "named": sorted(o["organisation"] for o in inside if o["organisation"] in named),
    }
    if overview is not None:
        area = region or ENGLAND
        report["responses"] = [
            r
            for r in overview.responses
            if region is None or r["name"] in (region, ENGLAND) and r["level"] in ("region", "national")
        ]
        report["who"] = overview.who.get(area)
        report["spread"] = overview.spread.get(area, {})
        report["previous_year"] = overview.previous_year
        report["change"] = staff_england.change(
            scored, overview.earlier, key, questionnaire, overview.earlier_questionnaire
        )
        report["key_messages"] = staff_findings.key_messages(report)
    return report


@dataclass
class Overview:
    """What England's and the regions' reports add to the scores, worked out once for all of them
    (``staff_england``): the response rates, who answered, the spread, and last year's scores."""

    responses: list[dict[str, Any]]
    who: dict[str, Any]
    spread: dict[str, Any]
    earlier: Scored | None = None
    earlier_questionnaire: forms.Questionnaire | None = None
    previous_year: int | None = None


def _groups_withheld(scored: Scored, groups: list[tuple[str, ...]], questionnaire: forms.Questionnaire) -> list[str]:
    """Why each type's or region's figure in England's tables is not shown, where one is not."""
    lines = []
    for level, name in groups:
        rows = [{"number": s.number, "group": scored.cell((level, name), s.id)} for s in standards(questionnaire)]
        lines += not_shown(rows, {"group": name}, scored.threshold)
        count = scored.count((level, name))
        if count["withheld"]:
            words = (
                f"it would let someone work out {count['because']}"
                if count["because"]
                else why(count["withheld"], scored.threshold)
            )
            lines.append(f"{name}: how many people answered is not shown, because {words}.")
    return lines


def area_pdf(report: dict[str, Any], threshold: int, service: str) -> bytes:
    s = _styles()
    buffer = io.BytesIO()
    title = f"Staff survey {report['cycle']}: {report['area']}"

    page = running_header(f"{service}: {title}")

    doc = pdf_document(buffer, title, service)
    beside = "" if report["region"] is None else ", beside England's"
    story: Story = [
        Paragraph(_t(title), s["title"]),
        Paragraph(
            _t(
                f"{who(report)} answered the {report['cycle']} staff survey in {place(report['area'])}. These "
                f"pages show how they rate their employers against each of the eight Standards for Employers of "
                f"Social Workers, out of 100{beside}. {SHOWN}".format(threshold=threshold)
            ),
            s["body"],
        ),
    ]
    story += _key_messages(report, s) + _responses(report, s, threshold) + _who(report, s, threshold)
    story += [
        Paragraph("Scores by standard", s["h2"]),
        _scores(report, s),
        Spacer(1, 4 * mm),
        chart(
            report,
            legend=f"Blue bar: {report['area']}'s score out of 100."
            + (" Black tick: England." if report["region"] else ""),
        ),
        Paragraph(_t(IN_WORDS.split(" A rank")[0]), s["small"]),
    ]
    story += _change(report, s) + _spread(report, s, threshold)
    columns = (report["area"],) if report["region"] is None else (report["area"], ENGLAND)
    story += _groups(report, s, threshold) + _not_shown(report, s) + _statements(report, s, columns)
    story += _drivers(report, s) + _named(report, s)
    doc.build(story, onFirstPage=page, onLaterPages=page)
    return buffer.getvalue()


def _key_messages(report: dict[str, Any], s: dict[str, Any]) -> Story:
    messages = report.get("key_messages") or []
    if not messages:
        return []
    return [Paragraph("Key messages", s["h2"])] + [Paragraph(_t(m), s["bullet"], bulletText="\u2022") for m in messages]


def rate_cells(row: dict[str, Any], threshold: int) -> list[str]:
    """A row of the response table as printed: organisations, respondents, organisations that
    entered a headcount, their respondents, their workforce and the response rate."""
    hidden = "Not shown" if row["entered"] else "–"
    return [
        f"{row['organisations']:,}",
        people(row["respondents"], threshold),
        f"{row['entered']:,}",
        hidden if row["entered_respondents"] is None else f"{row['entered_respondents']:,}",
        hidden if row["workforce"] is None else f"{row['workforce']:,}",
        hidden if row["rate"] is None else f"{row['rate']}%",
    ]


RATE_HEAD = [
    "Employers taking part",
    "Respondents",
    "Employers with a headcount",
    "Their respondents",
    "Their workforce",
    "Response rate",
]
RATE_NOTE = (
    "A response rate divides the respondents of the organisations that entered a headcount by those "
    "headcounts: employers that entered none are left out of it, and the table says how many did. "
    "\u201cNot shown\u201d: it would let someone work out fewer than {threshold} people\u2019s answers "
    "or one organisation\u2019s (docs/disclosure.md). \u2013: no organisation entered a headcount."
)


def _responses(report: dict[str, Any], s: dict[str, Any], threshold: int) -> Story:
    rows = report.get("responses")
    if not rows:
        return []
    story: Story = [Paragraph("Responses against the workforce", s["h2"])]
    if report["region"]:  # the region's row, then England's
        tables = [("Area", sorted(rows, key=lambda r: r["level"] == "national"))]
    else:
        tables = [
            (heading, [r for r in rows if r["level"] == level])
            for level, heading in (("national", "England"), ("type", "Type of employer"), ("region", "Region"))
        ]
    for heading, chosen in tables:
        if not chosen:
            continue
        data: list[list[Any]] = [_head([heading, *RATE_HEAD], s)]
        for r in chosen:
            data.append([Paragraph(_t(r["name"]), s["cell"]), *rate_cells(r, threshold)])
        widths = [WIDTH - 136 * mm, 22 * mm, 24 * mm, 22 * mm, 24 * mm, 22 * mm, 22 * mm]
        story += [KeepTogether([_grid(data, widths), Spacer(1, 2 * mm)])]
    return story + [Paragraph(_t(RATE_NOTE.format(threshold=threshold)), s["small"])]


def _who(report: dict[str, Any], s: dict[str, Any], threshold: int) -> Story:
    found = report.get("who")
    if not found:
        return []
    total = report["respondents"]["n"]
    story: Story = [
        Paragraph("Who answered", s["h2"]),
        Paragraph(
            _t(
                "Respondents by profession, by the service they mostly work in and by role. A share "
                f"is of all {total:,} who answered."
                if total
                else "Respondents by profession, by the service they mostly work in and by role."
            ),
            s["body"],
        ),
    ]
    for family, label in staff_england.FAMILIES.items():
        data: list[list[Any]] = [_head([label, "Respondents", "Share"], s)]
        for r in found[family]:
            count = {"n": r["n"], "withheld": r["withheld"]}
            share = f"{round(100 * r['n'] / total)}%" if r["n"] is not None and total else "–"
            data.append([Paragraph(_t(r["label"]), s["cell"]), people(count, threshold), share])
        story.append(KeepTogether([_grid(data, [WIDTH - 60 * mm, 32 * mm, 28 * mm]), Spacer(1, 2 * mm)]))
    return story + [
        Paragraph(
            _t(
                f"\u201cFewer than {threshold}\u201d: fewer than {threshold} people, none included. "
                "\u201cNot shown\u201d: from fewer than three organisations, nearly all from one, "
                "or it would let a smaller group be worked out."
            ),
            s["small"],
        )
    ]


def _change(report: dict[str, Any], s: dict[str, Any]) -> Story:
    rows = report.get("change")
    if not rows:
        return []
    year = report["previous_year"]
    data: list[list[Any]] = [_head(["Standard", str(year), str(report["cycle"]), "Change"], s)]
    for r in rows:
        change = r["change"]
        data.append(
            [
                Paragraph(_t(f"{r['number']}. {r['title']}"), s["cell"]),
                printed(r["previous"]),
                printed(r["now"]),
                "–" if change is None else f"{change:+d}" if change else "0",
            ]
        )
    return [
        Paragraph(f"Since {year}", s["h2"]),
        _grid(data, [WIDTH - 90 * mm, 30 * mm, 30 * mm, 30 * mm]),
        Paragraph(
            _t(
                f"{report['area']}'s score each year, last year's worked out as this year's are. The change "
                "is this year's printed score less last year's, shown only where both are."
            ),
            s["small"],
        ),
    ]


def _spread(report: dict[str, Any], s: dict[str, Any], threshold: int) -> Story:
    spread = report.get("spread")
    if not spread:
        return []
    area = report["area"]
    story: Story = [
        Paragraph("How organisations' scores spread", s["h2"]),
        Paragraph(
            _t(
                f"For each standard, how many organisations in {place(area)} have their own score in "
                f"each band. An organisation is counted where at least {threshold} of its people "
                "answered for the standard; no organisation's own score or band is shown."
            ),
            s["body"],
        ),
    ]
    shown = [r for r in report["standards"] if not spread[r["id"]]["withheld"]]
    if shown:
        story.append(spread_chart(report))
        data: list[list[Any]] = [_head(["Standard", "Low", "Moderate", "High", "With a score"], s)]
        for r in shown:
            found = spread[r["id"]]
            data.append(
                [
                    Paragraph(_t(f"{r['number']}. {r['title']}"), s["cell"]),
                    *(str(found[b]) for b in staff_england.BANDS),
                    str(found["scored"]),
                ]
            )
        story += [Spacer(1, 2 * mm), _grid(data, [WIDTH - 100 * mm] + [25 * mm] * 4)]
    withheld: dict[str, list[int]] = {}
    for r in report["standards"]:
        if spread[r["id"]]["withheld"]:
            withheld.setdefault(spread[r["id"]]["withheld"], []).append(r["number"])
    for reason, numbers in withheld.items():
        which = (
            "Every standard"
            if len(numbers) == len(report["standards"])
            else f"Standard {numbers[0]}"
            if len(numbers) == 1
            else "Standards " + ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"
        )
        story.append(Paragraph(_t(f"{which}: not shown, because {staff_england.spread_why(reason)}."), s["body"]))
    counts = sorted({spread[r["id"]]["not_scored"] for r in report["standards"]})
    story.append(
        Paragraph(
            _t(
                "Organisations with fewer than {t} answering for a standard are not counted for it: {n}.".format(
                    t=threshold,
                    n=(
                        f"{counts[0]} for each standard"
                        if len(counts) == 1
                        else "; ".join(
                            f"standard {r['number']}, {spread[r['id']]['not_scored']}" for r in report["standards"]
                        )
                    ),
                )
            )
            + " Bands: 0 to 50 low, 51 to 74 moderate, 75 to 100 high.",
            s["small"],
        )
    )
    return story


SHADES = {"low": colors.HexColor("#d4351c"), "moderate": colors.HexColor("#f3f2f1"), "high": colors.HexColor("#1d70b8")}
TEXT_ON = {"low": colors.white, "moderate": INK, "high": colors.white}


def spread_chart(report: dict[str, Any], width: float = WIDTH, row: float = 7 * mm) -> Drawing:
    """Each standard's organisations by band as a bar split low, moderate and high, each part
    labelled with its count (so it reads without colour); a withheld standard's row says so."""
    label_w, top = 62 * mm, 9 * mm
    bar_w = width - label_w - 4 * mm
    rows = report["standards"]
    spread = report["spread"]
    d = Drawing(width, top + row * len(rows) + 2 * mm)
    y0 = d.height - top
    x = label_w
    for b in staff_england.BANDS:  # the legend
        d.add(Rect(x, d.height - 5 * mm, 4 * mm, 3 * mm, fillColor=SHADES[b], strokeColor=INK, strokeWidth=0.3))
        d.add(
            String(
                x + 5.5 * mm,
                d.height - 4.6 * mm,
                staff_england.BAND_LABELS[b],
                fontName="Helvetica",
                fontSize=7,
                fillColor=INK,
            )
        )
        x += 34 * mm
    for i, r in enumerate(rows):
        y = y0 - (i + 1) * row
        d.add(
            String(
                0,
                y + row * 0.35,
                f"{r['number']}. {r['title']}"[:44],
                fontName="Helvetica",
                fontSize=7.5,
                fillColor=INK,
            )
        )
        found = spread[r["id"]]
        if found["withheld"] or not found["scored"]:
            d.add(
                String(
                    label_w,
                    y + row * 0.35,
                    "Not shown (see below)" if found["withheld"] else "No organisation has a score",
                    fontName="Helvetica",
                    fontSize=7.5,
                    fillColor=INK,
                )
            )
            continue
        x = label_w
        for b in staff_england.BANDS:
            w = bar_w * found[b] / found["scored"]
            if not w:
                continue
            d.add(Rect(x, y + row * 0.15, w, row * 0.7, fillColor=SHADES[b], strokeColor=INK, strokeWidth=0.3))
            if w >= 5 * mm:
                d.add(
                    String(
                        x + w / 2,
                        y + row * 0.35,
                        str(found[b]),
                        fontName="Helvetica-Bold",
                        fontSize=7.5,
                        fillColor=TEXT_ON[b],
                        textAnchor="middle",
                    )
                )
            x += w
    return d


def _scores(report: dict[str, Any], s: dict[str, Any]) -> Any:
    head = ["Standard", report["area"]] + ([] if report["region"] is None else [ENGLAND])
    data: list[list[Any]] = [_head(head, s)]
    for r in report["standards"]:
        data.append(
            [Paragraph(_t(f"{r['number']}. {r['title']}"), s["cell"]), printed(r["own"])]
            + ([] if report["region"] is None else [printed(r["national"])])
        )
    rest = (WIDTH - 90 * mm) / (len(head) - 1)
    return _grid(data, [90 * mm] + [rest] * (len(head) - 1))


def _groups(report: dict[str, Any], s: dict[str, Any], threshold: int) -> Story:
    story: Story = []
    for level, heading in (("type", "By type of employer"), ("region", "By region")):
        groups = [g for g in report["groups"] if g["level"] == level]
        if not groups:
            continue
        head = [heading.split("By ")[1].capitalize(), "People"] + [f"S{r['number']}" for r in report["standards"]]
        data: list[list[Any]] = [_head(head, s)]
        for g in groups:
            data.append(
                [Paragraph(_t(g["name"]), s["cell"]), people(g["respondents"], threshold)]
                + [
                    c["printed"] if c["printed"] is not None else "–"
                    for c in (g["scores"][r["id"]] for r in report["standards"])
                ]
            )
        story += [Paragraph(heading, s["h2"]), _grid(data, [48 * mm, 16 * mm] + [(WIDTH - 64 * mm) / 8] * 8)]
    if story:
        story.append(
            Paragraph(
                "S1 to S8: the standards, numbered as above."
                + (" – : not shown (why is below)." if report["not_shown"] else ""),
                s["small"],
            )
        )
    return story


def _not_shown(report: dict[str, Any], s: dict[str, Any]) -> Story:
    if not report["not_shown"]:
        return []
    return [Paragraph("Figures not shown", s["h2"])] + [
        Paragraph(_t(line), s["bullet"], bulletText="\u2022") for line in report["not_shown"]
    ]


def _named(report: dict[str, Any], s: dict[str, Any]) -> Story:
    story: Story = [Paragraph("Who took part", s["h2"])]
    if not report["named"]:
        return story + [
            Paragraph(_t(f"{report['organisations']} organisations took part; none agreed to be named."), s["body"])
        ]
    return story + [
        Paragraph(
            _t(
                f"{report['organisations']} organisations took part. These agreed to be named: "
                + "; ".join(report["named"])
                + "."
            ),
            s["body"],
        )
    ]
