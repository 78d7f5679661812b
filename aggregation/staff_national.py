"""The staff survey for England and for each region: the coordinating body's reports (JSON for its
web page, and a PDF), fit to publish. Groups of organisations only, as everyone sees them
(``scores.Scored.cell``): no organisation's score appears, so no league table can be read from
them; the organisations that took part are named only where they agreed to be; and a withheld
figure or count says why."""
from __future__ import annotations

import io
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

import forms

from .report import WIDTH, Story, _grid, _styles, _t, pdf_document, running_header
from .scores import IN_WORDS, Key, Scored, not_shown, people, standards, why
from .staff_pdf import _drivers, _head, _statements, chart, printed

ENGLAND = "England"


SHOWN = ("A figure is shown only where at least {threshold} people and three organisations make it, and not "
         "where, beside the others, it would let someone work out a smaller group's or one organisation's. No "
         "organisation's own scores are shown.")


def who(report: dict[str, Any]) -> str:
    """Who answered in an area, as its report says it: "1,394 practitioners from 61 organisations"."""
    count = report["respondents"]
    return (f"{count['n']:,} practitioners" if count["n"] is not None else "Practitioners") + \
        f" from {report['organisations']} organisations"


def place(area: str) -> str:
    """A region inside a sentence: "the North East", "London"."""
    return f"the {area}" if area.split()[0] in ("North", "South", "East", "West") else area


def area_report(scored: Scored, result: dict[str, Any], questionnaire: forms.Questionnaire,
                national_drivers: dict[str, Any], named: set[str], region: str | None = None) -> dict[str, Any]:
    """England's report (``region`` None) or one region's: each standard's score (beside England's,
    for a region), by authority type and by region (England's), each statement's share agreeing,
    what keeps people nationally (``drivers.shown``), and the organisations named with their consent."""
    key: Key = ("region", region) if region else ("national",)

    def cells(measure: str) -> dict[str, Any]:  # the area's own, and England's beside a region's
        return {"own": scored.cell(key, measure), "national": scored.cell(("national",), measure) if region else None}

    rows = [{"id": s.id, "number": s.number, "title": s.title, **cells(s.id)} for s in standards(questionnaire)]
    statements = [{"id": q.id, "standard": q.standard, "label": q.label, **cells(q.id)}
                  for q in questionnaire.questions() if q.standard]
    inside = [o for o in result["organisations"] if region is None or o["region"] == region]
    groups = [tuple(g["group"].split(":", 1)) for g in result["groups"]
              if region is None and g["group"].startswith(("type:", "region:"))]
    names = {"own": region or ENGLAND} | ({"national": ENGLAND} if region else {})
    return {"area": region or ENGLAND, "region": region, "cycle": result["cycle"],
            "respondents": scored.count(key), "organisations": len(inside),
            "standards": rows, "statements": statements,
            "groups": [{"name": name, "level": level, "respondents": scored.count((level, name)),
                        "scores": {s.id: scored.cell((level, name), s.id) for s in standards(questionnaire)}}
                       for level, name in groups],
            "not_shown": not_shown(rows, names, scored.threshold) + _groups_withheld(scored, groups, questionnaire),
            "drivers": national_drivers | {"own": False},
            "named": sorted(o["organisation"] for o in inside if o["organisation"] in named)}


def _groups_withheld(scored: Scored, groups: list[tuple[str, ...]], questionnaire: forms.Questionnaire) -> list[str]:
    """Why each type's or region's figure in England's tables is not shown, where one is not."""
    lines = []
    for level, name in groups:
        rows = [{"number": s.number, "group": scored.cell((level, name), s.id)} for s in standards(questionnaire)]
        lines += not_shown(rows, {"group": name}, scored.threshold)
        count = scored.count((level, name))
        if count["withheld"]:
            words = (f"it would let someone work out {count['because']}" if count["because"]
                     else why(count["withheld"], scored.threshold))
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
        Paragraph(_t(f"{who(report)} answered the {report['cycle']} staff survey in {place(report['area'])}. These "
                     f"pages show how they rate their employers against each of the eight Standards for Employers of "
                     f"Social Workers, out of 100{beside}. {SHOWN}".format(threshold=threshold)), s["body"]),
        Paragraph("Scores by standard", s["h2"]), _scores(report, s), Spacer(1, 4 * mm),
        chart(report, legend=f"Blue bar: {report['area']}'s score out of 100."
              + (" Black tick: England." if report["region"] else "")),
        Paragraph(_t(IN_WORDS.split(" A rank")[0]), s["small"])]
    columns = (report["area"],) if report["region"] is None else (report["area"], ENGLAND)
    story += _groups(report, s, threshold) + _not_shown(report, s) + _statements(report, s, columns)
    story += _drivers(report, s) + _named(report, s)
    doc.build(story, onFirstPage=page, onLaterPages=page)
    return buffer.getvalue()


def _scores(report: dict[str, Any], s: dict[str, Any]) -> Any:
    head = ["Standard", report["area"]] + ([] if report["region"] is None else [ENGLAND])
    data: list[list[Any]] = [_head(head, s)]
    for r in report["standards"]:
        data.append([Paragraph(_t(f"{r['number']}. {r['title']}"), s["cell"]), printed(r["own"])]
                    + ([] if report["region"] is None else [printed(r["national"])]))
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
            data.append([Paragraph(_t(g["name"]), s["cell"]), people(g["respondents"], threshold)]
                        + [c["printed"] if c["printed"] is not None else "–"
                           for c in (g["scores"][r["id"]] for r in report["standards"])])
        story += [Paragraph(heading, s["h2"]), _grid(data, [48 * mm, 16 * mm] + [(WIDTH - 64 * mm) / 8] * 8)]
    if story:
        story.append(Paragraph("S1 to S8: the standards, numbered as above." + (
            " – : not shown (why is below)." if report["not_shown"] else ""), s["small"]))
    return story


def _not_shown(report: dict[str, Any], s: dict[str, Any]) -> Story:
    if not report["not_shown"]:
        return []
    return [Paragraph("Figures not shown", s["h2"])] + [Paragraph(_t(line), s["bullet"], bulletText="\u2022")
                                                       for line in report["not_shown"]]


def _named(report: dict[str, Any], s: dict[str, Any]) -> Story:
    story: Story = [Paragraph("Who took part", s["h2"])]
    if not report["named"]:
        return story + [Paragraph(_t(f"{report['organisations']} organisations took part; none agreed to be "
                                     f"named."), s["body"])]
    return story + [Paragraph(_t(f"{report['organisations']} organisations took part. These agreed to be named: "
                                 + "; ".join(report["named"]) + "."), s["body"])]
