"""The staff survey for England and for each region: the coordinating body's reports (JSON for its
web page, and a PDF). Groups of organisations only, from the same withheld cells as scores.json:
no organisation's score appears, so no league table can be read from them; the organisations
that took part are named only where they agreed to be, and no type's or region's figures are
shown where fewer than three organisations make them (``scores.thin_groups``)."""
from __future__ import annotations

import io
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

import forms

from .report import WIDTH, Story, _grid, _styles, _t, pdf_document, running_header
from .scores import IN_WORDS, Key, Scored, beside, standards
from .staff_pdf import _drivers, _head, _statements, chart, printed

ENGLAND = "England"


def place(area: str) -> str:
    """A region inside a sentence: "the North East", "London"."""
    return f"the {area}" if area.split()[0] in ("North", "South", "East", "West") else area


def area_report(scored: Scored, result: dict[str, Any], questionnaire: forms.Questionnaire,
                national_drivers: dict[str, Any], named: set[str], thin: set[Key],
                region: str | None = None) -> dict[str, Any]:
    """England's report (``region`` None) or one region's: each standard's score (beside England's,
    for a region), by authority type and by region (England's), each statement's share agreeing,
    what keeps people nationally, and the organisations named with their consent. ``thin`` groups
    (``scores.thin_groups``) show no figures."""
    key: Key = ("region", region) if region else ("national",)

    def cells(measure: str) -> dict[str, Any]:  # the area's own, and England's beside a region's
        return {"own": beside(scored, key, measure, thin),
                "national": beside(scored, ("national",), measure, thin) if region else None}

    rows = [{"id": s.id, "number": s.number, "title": s.title, **cells(s.id)} for s in standards(questionnaire)]
    statements = [{"id": q.id, "standard": q.standard, "label": q.label, **cells(q.id)}
                  for q in questionnaire.questions() if q.standard]
    inside = [o for o in result["organisations"] if region is None or o["region"] == region]
    groups = [tuple(g["group"].split(":", 1)) for g in result["groups"]
              if region is None and g["group"].startswith(("type:", "region:"))]
    return {"area": region or ENGLAND, "region": region, "cycle": result["cycle"],
            "respondents": scored.respondents.get(key, 0), "organisations": len(inside),
            "standards": rows, "statements": statements,
            "groups": [{"name": name, "level": level, "respondents": scored.respondents[(level, name)],
                        "scores": {s.id: beside(scored, (level, name), s.id, thin) for s in standards(questionnaire)}}
                       for level, name in groups],
            "drivers": national_drivers | {"own": False},
            "named": sorted(o["organisation"] for o in inside if o["organisation"] in named)}


def area_pdf(report: dict[str, Any], threshold: int, service: str) -> bytes:
    s = _styles()
    buffer = io.BytesIO()
    title = f"Staff survey {report['cycle']}: {report['area']}"

    page = running_header(f"{service}: {title}")

    doc = pdf_document(buffer, title, service)
    beside = "" if report["region"] is None else ", beside England's"
    story: Story = [
        Paragraph(_t(title), s["title"]),
        Paragraph(_t(f"{report['respondents']:,} practitioners from {report['organisations']} organisations "
                     f"answered the {report['cycle']} staff survey in {place(report['area'])}. These pages show how "
                     f"they rate their employers against each of the eight Standards for Employers of Social Workers, "
                     f"out of 100{beside}. A figure is shown only where at least {threshold} people answered, and "
                     f"not where it would let a smaller group's answers be worked out. No organisation's own "
                     f"scores are shown."), s["body"]),
        Paragraph("Scores by standard", s["h2"]), _scores(report, s), Spacer(1, 4 * mm),
        chart(report, legend=f"Blue bar: {report['area']}'s score out of 100."
              + (" Black tick: England." if report["region"] else "")),
        Paragraph(_t(IN_WORDS.split(" A rank")[0]), s["small"])]
    columns = (report["area"],) if report["region"] is None else (report["area"], ENGLAND)
    story += _groups(report, s) + _statements(report, s, columns) + _drivers(report, s) + _named(report, s)
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


def _groups(report: dict[str, Any], s: dict[str, Any]) -> Story:
    story: Story = []
    for level, heading in (("type", "By type of employer"), ("region", "By region")):
        groups = [g for g in report["groups"] if g["level"] == level]
        if not groups:
            continue
        head = [heading.split("By ")[1].capitalize(), "People"] + [f"S{r['number']}" for r in report["standards"]]
        data: list[list[Any]] = [_head(head, s)]
        for g in groups:
            data.append([Paragraph(_t(g["name"]), s["cell"]), f"{g['respondents']:,}"]
                        + [c["printed"] if c["printed"] is not None else "–"
                           for c in (g["scores"][r["id"]] for r in report["standards"])])
        story += [Paragraph(heading, s["h2"]), _grid(data, [48 * mm, 16 * mm] + [(WIDTH - 64 * mm) / 8] * 8)]
    if story:
        story.append(Paragraph("S1 to S8: the standards, numbered as above. – : not shown.", s["small"]))
    return story


def _named(report: dict[str, Any], s: dict[str, Any]) -> Story:
    story: Story = [Paragraph("Who took part", s["h2"])]
    if not report["named"]:
        return story + [Paragraph(_t(f"{report['organisations']} organisations took part; none agreed to be "
                                     f"named."), s["body"])]
    return story + [Paragraph(_t(f"{report['organisations']} organisations took part. These agreed to be named: "
                                 + "; ".join(report["named"]) + "."), s["body"])]
