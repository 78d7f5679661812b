"""Every sentence written from the national figures: the report's key findings, the sentences
that lead each table, and each region's figures beside England's. The national report (PDF),
the regional reports, the results web page and the open data API all say the same: publishing
stores each table's sentences in the edition's tables.json (``outputs.write``), where the page
and the API read them.

Sentences are written from the unrounded figures, and say only what those hold:

* a group is called highest or lowest only when every group that has a figure is shown; where
  one is withheld, the shown groups are set beside everyone's average instead, and the withheld
  ones are named as withheld;
* groups whose unrounded figures are equal are named together, as a tie; a group ahead of
  another only before rounding is "just above" it, both being printed the same;
* "above" or "below" only where the printed figures differ (rounding keeps order, so the
  unrounded ones differ the same way), and "the same" only where the unrounded figures are equal.

``tests/test_findings.py`` holds every sentence to these rules over random datasets.
Nothing here is copied prose: every sentence is a template filled from a computed table.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import forms

from .dataset import COUNCIL_TYPES, in_a_sentence, plural
from .tables import COUNCILS_TOTAL, SUPPRESSED, printed_change

Row = dict[str, Any]


def same(a: float, b: float) -> bool:
    """Whether two unrounded figures are equal (as far as floating point can tell)."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def withheld(row: Row) -> bool:
    return bool(row.get("suppressed")) or row.get("printed") == SUPPRESSED


def listed(items: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" and {items[-1]}"


def _per_cent(value: object) -> str:
    return f"{value} per cent"


def _trend(row: Row, year: int | None, points: bool) -> str:
    """The change on last year in words: its direction from the unrounded figures, its size as the
    tables print it (this year's printed figure less last year's)."""
    change = printed_change(row)
    if year is None or change is None or row.get("change") is None:
        return ""
    if change == 0:
        return (f" (the same as in {year})" if same(row["change"], 0)
                else f" (as in {year}, to the nearest whole number)")
    unit = (" point" if abs(change) == 1 else " points") if points else ""
    return f" ({'up' if change > 0 else 'down'} {abs(change)}{unit} on {year})"


# ---------------------------------------------------------------- Table 1

def response_sentence(table: dict[str, Any]) -> str:
    """Who returned the health check. The per cent is of the councils there are (the population
    Table 1 divides by), which is not how many were invited."""
    rows = {r["group"]: r for r in table["rows"]}
    total = rows[COUNCILS_TOTAL]  # Table 1 always has its total row
    others = [r for r in table["rows"] if r["group"] not in COUNCIL_TYPES + [COUNCILS_TOTAL] and r["responses"]]
    share = (f" ({_per_cent(total['printed'])} of the {total['population']} councils of these four types)"
             if total["population"] else "")
    councils = f"{total['responses']} councils{share}"
    if not others:
        return f"{councils} returned the health check."
    employers = total["responses"] + sum(r["responses"] for r in others)
    parts = [councils] + [f"{r['responses']} {plural(r['group']) if r['responses'] != 1 else in_a_sentence(r['group'])}"
                          for r in others]
    return f"{employers} employers returned the health check: " + " and ".join(parts) + "."


# ---------------------------------------------------------------- tables of averages by type

def measures_of(table: dict[str, Any]) -> list[dict[str, Any]]:
    percent = any("percentages" in n for n in table["notes"])
    older = [{"label": m, "name": m, "unit": "", "percent": percent}
             for m in dict.fromkeys(r["measure"] for r in table["rows"])]
    return [m | {"percent": m.get("percent", percent)} for m in table.get("measures") or older]


def _figure(row: Row, measure: dict[str, Any]) -> str:
    if measure["percent"]:
        return _per_cent(row["printed"])
    unit = measure.get("unit") or ""
    return f"{row['printed']} {unit}".strip()


def _groups(rows: Sequence[Row]) -> str:
    return listed([plural(r["group"]) for r in rows])


def _ranking(shown: list[Row], measure: dict[str, Any]) -> str:
    """Every group with a figure is shown: which is highest and which lowest, ties named as ties."""
    top = max(r["value"] for r in shown)
    bottom = min(r["value"] for r in shown)
    if same(top, bottom):
        return f"; the same for every type ({_figure(shown[0], measure)})"
    if len({r["printed"] for r in shown}) == 1:
        return f"; every type's figure rounds to {_figure(shown[0], measure)}"
    high = [r for r in shown if same(r["value"], top)]
    low = [r for r in shown if same(r["value"], bottom)]
    if len(shown) == 2:
        return (f"; higher among {_groups(high)} ({_figure(high[0], measure)}) than among {_groups(low)} "
                f"({_figure(low[0], measure)})")
    text = f"; highest among {_groups(high)} ({_figure(high[0], measure)}{_each(high)}{_just(high, shown)})"
    return text + f" and lowest among {_groups(low)} ({_figure(low[0], measure)}{_each(low)}{_just(low, shown)})"


def _each(rows: list[Row]) -> str:
    return " each" if len(rows) > 1 else ""


def _quoted(rows: Sequence[Row]) -> str:
    return listed(["“" + r["label"] + "”" for r in rows])


def _just(named: list[Row], shown: list[Row]) -> str:
    """The groups printed the same as the highest (or lowest) but not tied with it before rounding."""
    close = [r for r in shown if r not in named and r["printed"] == named[0]["printed"]]
    if not close:
        return ""
    way = "ahead of" if close[0]["value"] < named[0]["value"] else "behind"
    return f", {way} {_groups(close)} only before rounding"


def _sign(x: int) -> int:
    return (x > 0) - (x < 0)


def _beside_everyone(shown: list[Row], overall: Row, hidden: list[Row], measure: dict[str, Any]) -> str:
    """Some group is withheld: no ranking, the shown groups against everyone's average instead."""
    parts = []
    for word, way in (("above", 1), ("below", -1), ("about", 0)):
        rows = [r for r in shown if _sign(r["printed"] - overall["printed"]) == way]
        if rows:
            parts.append(f"{word} average among " + listed([f"{plural(r['group'])} ({_figure(r, measure)})"
                                                             for r in rows]))
    names = _groups(hidden)
    said = f"the figure for {names} is withheld" if len(hidden) == 1 else f"the figures for {names} are withheld"
    return "; " + "; ".join(([listed(parts)] if parts else []) + [said])


def measure_sentence(table: dict[str, Any], measure: dict[str, Any]) -> str | None:
    """One measure of a table by type: everyone's average, the change on last year, and how the
    types compare. None where everyone's average is withheld."""
    rows = [r for r in table["rows"] if r["measure"] == measure["label"]]
    overall = next(r for r in rows if r["group"] == "All")
    if overall["value"] is None or withheld(overall):
        return None
    text = (f"{measure['name']}: {_figure(overall, measure)} on average across {overall['n']} respondents"
            + _trend(overall, table.get("previous_year"), measure["percent"]))
    groups = [r for r in rows if r["group"] != "All" and r["n"] > 0]
    shown = [r for r in groups if not withheld(r) and r["value"] is not None]
    hidden = [r for r in groups if withheld(r)]
    if hidden:
        text += _beside_everyone(shown, overall, hidden, measure)
    elif len(shown) >= 2:
        text += _ranking(shown, measure)
    return text + "."


def by_type_sentences(table: dict[str, Any]) -> list[str]:
    return [s for m in measures_of(table) if (s := measure_sentence(table, m))]


# ---------------------------------------------------------------- single and multiple choice

def choice_sentence(table: dict[str, Any]) -> str | None:
    rows = [r for r in table["rows"] if not withheld(r) and r["count"]]
    if not rows or not table["base"]:
        return None
    year = table.get("previous_year")
    base = table["base"]
    if table["kind"] == "single":
        yes = next((r for r in table["rows"] if r["option"] == "yes"), None)
        if yes is not None:
            return (f"{table['title']}: yes for {_per_cent(yes['printed'])} of {base} respondents"
                    + _trend(yes, year, True) + ".")
        most = max(r["count"] for r in rows)
        top = [r for r in rows if r["count"] == most]
        close = [r for r in rows if r not in top and r["printed"] == top[0]["printed"]]
        labels = _quoted(top)
        if len(top) > 1:
            text = (f"{table['title']}: the most common answers were {labels}, each given by "
                    f"{_per_cent(top[0]['printed'])} of {base} respondents")
        else:
            text = (f"{table['title']}: the most common answer was {labels}, given by "
                    f"{_per_cent(top[0]['printed'])} of {base} respondents" + _trend(top[0], year, True))
        if close:
            rounds = "round" if len(close) > 1 else "rounds"
            text += f", just ahead of {_quoted(close)}, which also {rounds} to that"
        return text + "."
    ranked = sorted(rows, key=lambda r: -r["count"])
    top = [r for r in ranked if r["count"] >= ranked[min(2, len(ranked) - 1)]["count"]]  # the top three, ties kept
    return (f"{table['title']}: most often " + listed([f"{r['label']} ({_per_cent(r['printed'])})" for r in top])
            + f", of {base} respondents.")


def sentences(table: dict[str, Any]) -> list[str]:
    """The sentences that lead a national table (none for a table by region)."""
    if table["kind"] == "responses":
        return [response_sentence(table)]
    if table["kind"] == "by_type":
        return [] if table.get("by") == "region" else by_type_sentences(table)
    sentence = choice_sentence(table)
    return [sentence] if sentence else []


def sections_of(questionnaire: forms.Questionnaire) -> dict[str, str]:
    """Each question's section (its standard), by question id."""
    return {q.id: section.id for section in questionnaire.sections for q in section.questions}


def key_findings(tables: list[dict[str, Any]], section_of: dict[str, str]) -> list[str]:
    """The headlines: the response, then the first two findings of each standard, in report order
    (``section_of``: ``sections_of`` the questionnaire)."""
    out: list[str] = []
    per_section: dict[str | None, int] = {}
    for table in tables:
        if table["kind"] == "responses":
            out.extend(sentences(table))
            continue
        section = section_of.get(table["question_ids"][0])
        for sentence in sentences(table):
            if per_section.get(section, 0) < 2:
                out.append(sentence)
                per_section[section] = per_section.get(section, 0) + 1
    return out


# ---------------------------------------------------------------- a region beside England

def regional_figure(printed: Any, measure: dict[str, Any]) -> str:
    """A figure of a regional report's table: "7%", "21 cases", or the mark it carries."""
    if not isinstance(printed, int):
        return str(printed)
    if measure["percent"]:
        return f"{printed}%"
    unit = measure.get("unit") or ""
    return f"{printed} {unit}".strip() if unit and unit != "average" else str(printed)


def regional_sentence(region: str, measure: dict[str, Any], own: Row, england: Row) -> str:
    """One measure in words: the region's average beside England's, or why it is not shown."""
    name = measure["name"][:1].lower() + measure["name"][1:]
    if own["n"] == 0:
        return f"No respondent in {region} gave a figure for {name}."
    if withheld(own) or not isinstance(own["printed"], int):
        return (f"The figure for {name} in {region} is not shown: too few respondents answered, or it would "
                "let a figure withheld elsewhere be worked out.")
    text = (f"{measure['name']}: {regional_figure(own['printed'], measure)} on average in {region} "
            f"({own['n']} respondents)")
    if isinstance(england["printed"], int) and not withheld(england):
        gap = own["printed"] - england["printed"]
        if gap:
            how = "above" if gap > 0 else "below"
        else:
            exact = own.get("value") is not None and england.get("value") is not None \
                and same(own["value"], england["value"])
            how = "the same as" if exact else "about the same as"
        text += f", {how} England's {regional_figure(england['printed'], measure)}"
    return text + "."


def regional_sentences(table: dict[str, Any]) -> dict[str, list[str]]:
    """Each region's sentences for one table by region, as its regional report prints them."""
    lookup = {(r["measure"], r["group"]): r for r in table["rows"]}
    regions = [g for g in dict.fromkeys(r["group"] for r in table["rows"]) if g != "All"]
    out: dict[str, list[str]] = {}
    for region in regions:
        out[region] = [regional_sentence(region, m, lookup.get((m["label"], region), {"n": 0, "printed": None}),
                                         lookup[(m["label"], "All")]) for m in measures_of(table)]
    return out
