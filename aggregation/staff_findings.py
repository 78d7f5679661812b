"""The key messages of England's and each region's staff survey report, written from the figures
by the rules the return's sentences follow (``aggregation.findings``): from the unrounded scores;
"highest" and "lowest" only where every standard's (or every type's) score is shown, the withheld
ones named otherwise; equal unrounded scores named together as a tie, and one ahead of another
only before rounding said to be so; "above", "below", "rose" and "fell" only where the printed
figures differ, "the same" only where the unrounded ones are equal.

England's and a region's report print them, and its web page shows them from the report's JSON.
``tests/test_staff_findings.py`` holds every sentence to these rules over random reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import findings
from .findings import Shown, listed, same
from .staff_england import BANDS
from .tables import Measure

Row = dict[str, Any]
POINTS: Measure = {"label": "", "name": "", "unit": "", "percent": False}  # a score is written as a number


def _shown(cell: Row | None) -> bool:
    return bool(cell) and cell.get("score") is not None  # type: ignore[union-attr]


def _standard(row: Row) -> str:
    return f"standard {row['number']} ({row['title']})"


def _numbers(rows: Sequence[Row]) -> str:
    numbers = [str(r["number"]) for r in rows]
    return ("standard " if len(numbers) == 1 else "standards ") + listed(numbers)


def response(report: Row) -> str:
    """Who answered, and the response rate where it is shown."""
    rows = report.get("responses") or []
    own = next((r for r in rows if r["name"] == report["area"]), None)
    count = report["respondents"]
    said = (
        f"{count['n']:,} practitioners" if count["n"] is not None else "Practitioners"
    ) + f" from {report['organisations']} organisations answered"
    if own is None:
        return said + "."
    if own["entered"] == 0:
        return said + "; none of these organisations entered a headcount, so there is no response rate."
    which = "the one" if own["entered"] == 1 else f"the {own['entered']}"
    if own["rate"] is None:
        return (
            said + f". The response rate of {which} that entered a headcount is not shown: it would let "
            "someone work out a few people's answers or one organisation's."
        )
    return (
        said + f". Of the workforce entered by {which} that entered a headcount ({own['workforce']:,}), "
        f"{own['rate']} per cent answered ({own['entered_respondents']:,} people)."
    )


def strongest(report: Row) -> str | None:
    """The area's highest- and lowest-scoring standards, where every standard's score is shown."""
    rows = report["standards"]
    shown = [r for r in rows if _shown(r["own"])]
    hidden = [r for r in rows if not _shown(r["own"])]
    if not shown:
        return None
    if hidden:
        return f"The scores for {_numbers(hidden)} are not shown, so no standard is called the highest or lowest."
    values = {r["id"]: r["own"]["score"] for r in rows}
    top, bottom = max(values.values()), min(values.values())
    if same(top, bottom):
        return f"Every standard scores the same, {rows[0]['own']['printed']}."
    high = [r for r in rows if same(values[r["id"]], top)]
    low = [r for r in rows if same(values[r["id"]], bottom)]
    return (
        f"Highest-scoring: {_listed(high)}, at {high[0]['own']['printed']}{' each' if len(high) > 1 else ''}"
        f"{_just(high, rows)}. Lowest: {_listed(low)}, at {low[0]['own']['printed']}"
        f"{' each' if len(low) > 1 else ''}{_just(low, rows)}."
    )


def _listed(rows: Sequence[Row]) -> str:
    return listed([_standard(r) for r in rows])


def _just(named: Sequence[Row], rows: Sequence[Row]) -> str:
    """Standards printed the same as the named ones but not tied with them before rounding."""
    close = [r for r in rows if r not in named and r["own"]["printed"] == named[0]["own"]["printed"]]
    if not close:
        return ""
    way = "ahead of" if close[0]["own"]["score"] < named[0]["own"]["score"] else "behind"
    return f", {way} {_numbers(close)} only before rounding"


def beside_england(report: Row) -> str | None:
    """A region's standards against England's: above, below, or the same."""
    rows = [r for r in report["standards"] if _shown(r["own"]) and _shown(r.get("national"))]
    if report["region"] is None or not rows:
        return None
    above = [r for r in rows if r["own"]["printed"] > r["national"]["printed"]]
    below = [r for r in rows if r["own"]["printed"] < r["national"]["printed"]]
    level = [r for r in rows if r not in above and r not in below]
    parts = []
    if above:
        parts.append(f"above England's on {_numbers(above)}")
    if below:
        parts.append(f"below England's on {_numbers(below)}")
    exact = [r for r in level if same(r["own"]["score"], r["national"]["score"])]
    rounded = [r for r in level if r not in exact]
    if exact:
        parts.append(f"the same as England's on {_numbers(exact)}")
    if rounded:
        parts.append(f"the same as England's to the nearest whole number on {_numbers(rounded)}")
    text = f"{report['area']} scores " + listed(parts)
    missing = [r for r in report["standards"] if r not in rows]
    if missing:
        text += f"; {_numbers(missing)} cannot be compared, a score not being shown"
    return text + "."


def since(report: Row) -> str | None:
    """The change since last year, standard by standard, as printed."""
    rows = [r for r in report.get("change") or [] if r["change"] is not None]
    if not rows:
        return None
    year = report["previous_year"]
    up = [r for r in rows if r["change"] > 0]
    down = [r for r in rows if r["change"] < 0]
    level = [r for r in rows if r["change"] == 0]
    exact = [r for r in level if same(r["exact_change"], 0)]
    parts = []
    if up:
        parts.append(f"rose on {_changes(up)}")
    if down:
        parts.append(f"fell on {_changes(down)}")
    if exact:
        parts.append(f"was the same on {_numbers(exact)}")
    if level and len(exact) < len(level):
        parts.append(f"was the same to the nearest whole number on {_numbers([r for r in level if r not in exact])}")
    text = f"Since {year}, {_whose(report)} score " + listed(parts)
    missing = [r for r in report["change"] if r["change"] is None]
    if missing:
        text += f"; {_numbers(missing)} cannot be compared, a year's score not being shown"
    return text + "."


def _whose(report: Row) -> str:
    return f"{report['area']}'s"


def _changes(rows: Sequence[Row]) -> str:
    sizes = {abs(r["change"]) for r in rows}
    if len(sizes) == 1:
        size = sizes.pop()
        return f"{_numbers(rows)} ({size} point{'s' if size != 1 else ''}{' each' if len(rows) > 1 else ''})"
    return "standards " + listed(
        [f"{r['number']} ({abs(r['change'])} point{'s' if abs(r['change']) != 1 else ''})" for r in rows]
    )


def by_type(report: Row) -> str | None:
    """How the types of employer compare on England's lowest-scoring standard (where there is one
    lowest): highest and lowest only where every type's score is shown, else beside England's."""
    rows = report["standards"]
    if report["region"] is not None or not rows or not all(_shown(r["own"]) for r in rows):
        return None
    bottom = min(r["own"]["score"] for r in rows)
    low = [r for r in rows if same(r["own"]["score"], bottom)]
    if len(low) != 1:
        return None
    standard = low[0]
    types = [g for g in report["groups"] if g["level"] == "type"]
    cells = [
        {
            "group": g["name"],
            "value": g["scores"][standard["id"]]["score"],
            "printed": g["scores"][standard["id"]]["printed"],
            "suppressed": not _shown(g["scores"][standard["id"]]),
        }
        for g in types
    ]
    shown = [c for c in cells if not c["suppressed"]]
    hidden = [c for c in cells if c["suppressed"]]
    if not shown:
        return None
    overall = Shown("England", standard["own"]["score"], standard["own"]["printed"])
    figures = [Shown(c["group"], c["value"], c["printed"]) for c in shown]
    text = f"On the lowest-scoring standard, {_standard(standard)}, England scores {standard['own']['printed']}"
    if hidden:
        text += findings._beside_everyone(figures, overall, [c["group"] for c in hidden], POINTS).replace(
            "average", "England's"
        )
    elif len(shown) >= 2:
        text += findings._ranking(figures, POINTS)
    return text + "."


def bands(report: Row) -> str | None:
    """The standard (or standards, tied) with the most organisations scoring low, where every
    standard's spread is shown."""
    spread = report.get("spread") or {}
    rows = [(r, spread.get(r["id"])) for r in report["standards"]]
    if not rows or any(s is None or s["withheld"] for _, s in rows):
        return None
    most = max(s["low"] for _, s in rows)  # type: ignore[index]
    if most == 0:
        return "No organisation's own score is low on any standard."
    top = [(r, s) for r, s in rows if s["low"] == most]  # type: ignore[index]
    if len(top) == 1:
        r, s = top[0]
        return (
            f"{_standard(r)[:1].upper()}{_standard(r)[1:]} has the most organisations scoring low: {most} of "
            f"the {s['scored']} with a score."  # type: ignore[index]
        )
    return f"{_numbers([r for r, _ in top]).capitalize()} have the most organisations scoring low: {most} each."


def key_messages(report: Row) -> list[str]:
    """England's or a region's key messages, in the order its report prints them."""
    found = [response(report), strongest(report), beside_england(report), by_type(report), bands(report), since(report)]
    return [s for s in found if s]


__all__ = ["BANDS", "key_messages"]
