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
from typing import NamedTuple

import forms

from .dataset import COUNCIL_TYPES, in_a_sentence, plural
from .tables import (
    COUNCILS_TOTAL,
    SUPPRESSED,
    ByTypeTable,
    ChoiceRow,
    ChoiceTable,
    Measure,
    MeasureRow,
    MultiTable,
    Printed,
    ResponsesTable,
    SingleTable,
    Table,
    by_region,
    kind_of,
    printed_change,
)

Row = MeasureRow | ChoiceRow


def same(a: float, b: float) -> bool:
    """Whether two unrounded figures are equal (as far as floating point can tell)."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def withheld(row: Row) -> bool:
    return bool(row.get("suppressed")) or row.get("printed") == SUPPRESSED


def listed(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" and {items[-1]}"


def _per_cent(value: object) -> str:
    return f"{value} per cent"


def _trend(row: Row, year: int | None, points: bool) -> str:
    """The change on last year in words: its direction from the unrounded figures, its size as the
    tables print it (this year's printed figure less last year's)."""
    change, unrounded = printed_change(row), row.get("change")
    if year is None or change is None or unrounded is None:
        return ""
    if change == 0:
        return f" (the same as in {year})" if same(unrounded, 0) else f" (as in {year}, to the nearest whole number)"
    unit = (" point" if abs(change) == 1 else " points") if points else ""
    return f" ({'up' if change > 0 else 'down'} {abs(change)}{unit} on {year})"


# ---------------------------------------------------------------- Table 1


def response_sentence(table: ResponsesTable) -> str:
    """Who returned the health check. The per cent is of the councils there are (the population
    Table 1 divides by), which is not how many were invited."""
    rows = {r["group"]: r for r in table["rows"]}
    total = rows[COUNCILS_TOTAL]  # Table 1 always has its total row
    others = [r for r in table["rows"] if r["group"] not in COUNCIL_TYPES + [COUNCILS_TOTAL] and r["responses"]]
    share = (
        f" ({_per_cent(total['printed'])} of the {total['population']} councils of these four types)"
        if total["population"]
        else ""
    )
    councils = f"{total['responses']} councils{share}"
    if not others:
        return f"{councils} returned the health check."
    employers = total["responses"] + sum(r["responses"] for r in others)
    parts = [councils] + [
        f"{r['responses']} {plural(r['group']) if r['responses'] != 1 else in_a_sentence(r['group'])}" for r in others
    ]
    return f"{employers} employers returned the health check: " + " and ".join(parts) + "."


# ---------------------------------------------------------------- tables of averages by type


def measures_of(table: ByTypeTable) -> list[Measure]:
    percent = any("percentages" in n for n in table["notes"])
    older: list[Measure] = [
        {"label": m, "name": m, "unit": "", "percent": percent}
        for m in dict.fromkeys(r["measure"] for r in table["rows"])
    ]
    return [m | {"percent": m.get("percent", percent)} for m in table.get("measures") or older]


class Shown(NamedTuple):
    """A group's figure where it is shown: its unrounded value and the whole number printed (the
    staff survey's scores are written of as these are)."""

    group: str
    value: float
    printed: int


def _shown(row: MeasureRow) -> Shown | None:
    """A row's figure, unless it is withheld or there is none."""
    value, printed = row["value"], row["printed"]
    if withheld(row) or value is None or not isinstance(printed, int):
        return None
    return Shown(row["group"], value, printed)


def _figure(figure: Shown, measure: Measure) -> str:
    if measure["percent"]:
        return _per_cent(figure.printed)
    unit = measure.get("unit") or ""
    return f"{figure.printed} {unit}".strip()


def _groups(figures: Sequence[Shown]) -> str:
    return listed([plural(f.group) for f in figures])


def _ranking(shown: list[Shown], measure: Measure) -> str:
    """Every group with a figure is shown: which is highest and which lowest, ties named as ties."""
    top = max(f.value for f in shown)
    bottom = min(f.value for f in shown)
    if same(top, bottom):
        return f"; the same for every type ({_figure(shown[0], measure)})"
    if len({f.printed for f in shown}) == 1:
        return f"; every type's figure rounds to {_figure(shown[0], measure)}"
    high = [f for f in shown if same(f.value, top)]
    low = [f for f in shown if same(f.value, bottom)]
    if len(shown) == 2:
        return (
            f"; higher among {_groups(high)} ({_figure(high[0], measure)}) than among {_groups(low)} "
            f"({_figure(low[0], measure)})"
        )
    text = f"; highest among {_groups(high)} ({_figure(high[0], measure)}{_each(high)}{_just(high, shown)})"
    return text + f" and lowest among {_groups(low)} ({_figure(low[0], measure)}{_each(low)}{_just(low, shown)})"


def _each(figures: list[Shown]) -> str:
    return " each" if len(figures) > 1 else ""


def _quoted(rows: Sequence[ChoiceRow]) -> str:
    return listed(["“" + r["label"] + "”" for r in rows])


def _just(named: list[Shown], shown: list[Shown]) -> str:
    """The groups printed the same as the highest (or lowest) but not tied with it before rounding."""
    close = [f for f in shown if f not in named and f.printed == named[0].printed]
    if not close:
        return ""
    way = "ahead of" if close[0].value < named[0].value else "behind"
    return f", {way} {_groups(close)} only before rounding"


def _sign(x: int) -> int:
    return (x > 0) - (x < 0)


def _beside_everyone(shown: list[Shown], overall: Shown, hidden: Sequence[str], measure: Measure) -> str:
    """Some group is withheld: no ranking, the shown groups against everyone's average instead."""
    parts = []
    for word, way in (("above", 1), ("below", -1), ("about", 0)):
        figures = [f for f in shown if _sign(f.printed - overall.printed) == way]
        if figures:
            parts.append(
                f"{word} average among " + listed([f"{plural(f.group)} ({_figure(f, measure)})" for f in figures])
            )
    names = listed([plural(g) for g in hidden])
    said = f"the figure for {names} is withheld" if len(hidden) == 1 else f"the figures for {names} are withheld"
    return "; " + "; ".join(([listed(parts)] if parts else []) + [said])


def measure_sentence(table: ByTypeTable, measure: Measure) -> str | None:
    """One measure of a table by type: everyone's average, the change on last year, and how the
    types compare. None where everyone's average is withheld."""
    rows = [r for r in table["rows"] if r["measure"] == measure["label"]]
    row = next(r for r in rows if r["group"] == "All")
    overall = _shown(row)
    if overall is None:
        return None
    text = f"{measure['name']}: {_figure(overall, measure)} on average across {row['n']} respondents" + _trend(
        row, table.get("previous_year"), measure["percent"]
    )
    groups = [r for r in rows if r["group"] != "All" and r["n"] > 0]
    shown = [f for r in groups if (f := _shown(r)) is not None]
    hidden = [r["group"] for r in groups if withheld(r)]
    if hidden:
        text += _beside_everyone(shown, overall, hidden, measure)
    elif len(shown) >= 2:
        text += _ranking(shown, measure)
    return text + "."


def by_type_sentences(table: ByTypeTable) -> list[str]:
    return [s for m in measures_of(table) if (s := measure_sentence(table, m))]


# ---------------------------------------------------------------- single and multiple choice


def _chosen(table: ChoiceTable) -> list[ChoiceRow]:
    """The answers someone gave, where they are shown."""
    if not table["base"]:
        return []
    return [r for r in table["rows"] if not withheld(r) and r["count"]]


def single_sentence(table: SingleTable) -> str | None:
    """A single-choice question: how many said yes, or which answer was the most common."""
    rows = _chosen(table)
    if not rows:
        return None
    year = table.get("previous_year")
    base = table["base"]
    yes = next((r for r in table["rows"] if r["option"] == "yes"), None)
    if yes is not None:
        return (
            f"{table['title']}: yes for {_per_cent(yes['printed'])} of {base} respondents"
            + _trend(yes, year, True)
            + "."
        )
    most = max(_count(r) for r in rows)
    top = [r for r in rows if r["count"] == most]
    close = [r for r in rows if r not in top and r["printed"] == top[0]["printed"]]
    labels = _quoted(top)
    if len(top) > 1:
        text = (
            f"{table['title']}: the most common answers were {labels}, each given by "
            f"{_per_cent(top[0]['printed'])} of {base} respondents"
        )
    else:
        text = (
            f"{table['title']}: the most common answer was {labels}, given by "
            f"{_per_cent(top[0]['printed'])} of {base} respondents" + _trend(top[0], year, True)
        )
    if close:
        rounds = "round" if len(close) > 1 else "rounds"
        text += f", just ahead of {_quoted(close)}, which also {rounds} to that"
    return text + "."


def multi_sentence(table: MultiTable) -> str | None:
    """A multiple-choice question: the answers given most often."""
    rows = _chosen(table)
    if not rows:
        return None
    ranked = sorted(rows, key=lambda r: -_count(r))
    top = [r for r in ranked if _count(r) >= _count(ranked[min(2, len(ranked) - 1)])]  # the top three, ties kept
    return (
        f"{table['title']}: most often "
        + listed([f"{r['label']} ({_per_cent(r['printed'])})" for r in top])
        + f", of {table['base']} respondents."
    )


def _count(row: ChoiceRow) -> int:
    return row["count"] or 0  # a withheld row's is None: never among those chosen


class _Sentences:
    """The sentences that lead each kind of table (a ``tables.TableHandler``)."""

    def responses(self, table: ResponsesTable) -> list[str]:
        return [response_sentence(table)]

    def by_type(self, table: ByTypeTable) -> list[str]:
        return [] if by_region(table) else by_type_sentences(table)

    def single(self, table: SingleTable) -> list[str]:
        sentence = single_sentence(table)
        return [sentence] if sentence else []

    def multi(self, table: MultiTable) -> list[str]:
        sentence = multi_sentence(table)
        return [sentence] if sentence else []


def sentences(table: Table) -> list[str]:
    """The sentences that lead a national table (none for a table by region)."""
    return kind_of(table).handle(table, _Sentences())


def sections_of(questionnaire: forms.Questionnaire) -> dict[str, str]:
    """Each question's section (its standard), by question id."""
    return {q.id: section.id for section in questionnaire.sections for q in section.questions}


def key_findings(tables: list[Table], section_of: dict[str, str]) -> list[str]:
    """The headlines: the response, then the first two findings of each standard, in report order
    (``section_of``: ``sections_of`` the questionnaire)."""
    out: list[str] = []
    per_section: dict[str | None, int] = {}
    for table in tables:
        if not kind_of(table).by_standard:  # Table 1, the responses: first, whatever its standard
            out.extend(sentences(table))
            continue
        section = section_of.get(table["question_ids"][0])
        for sentence in sentences(table):
            if per_section.get(section, 0) < 2:
                out.append(sentence)
                per_section[section] = per_section.get(section, 0) + 1
    return out


# ---------------------------------------------------------------- a region beside England


def regional_figure(printed: Printed, measure: Measure) -> str:
    """A figure of a regional report's table: "7%", "21 cases", or the mark it carries."""
    if not isinstance(printed, int):
        return str(printed)
    if measure["percent"]:
        return f"{printed}%"
    unit = measure.get("unit") or ""
    return f"{printed} {unit}".strip() if unit and unit != "average" else str(printed)


def regional_sentence(region: str, measure: Measure, own: MeasureRow, england: MeasureRow) -> str:
    """One measure in words: the region's average beside England's, or why it is not shown."""
    name = measure["name"][:1].lower() + measure["name"][1:]
    if own["n"] == 0:
        return f"No respondent in {region} gave a figure for {name}."
    if withheld(own) or not isinstance(own["printed"], int):
        return (
            f"The figure for {name} in {region} is not shown: too few respondents answered, or it would "
            "let a figure withheld elsewhere be worked out."
        )
    text = (
        f"{measure['name']}: {regional_figure(own['printed'], measure)} on average in {region} ({own['n']} respondents)"
    )
    if isinstance(england["printed"], int) and not withheld(england):
        gap = own["printed"] - england["printed"]
        if gap:
            how = "above" if gap > 0 else "below"
        else:
            mine, theirs = own.get("value"), england.get("value")
            exact = mine is not None and theirs is not None and same(mine, theirs)
            how = "the same as" if exact else "about the same as"
        text += f", {how} England's {regional_figure(england['printed'], measure)}"
    return text + "."


def regional_sentences(table: ByTypeTable) -> dict[str, list[str]]:
    """Each region's sentences for one table by region, as its regional report prints them."""
    lookup = {(r["measure"], r["group"]): r for r in table["rows"]}
    regions = [g for g in dict.fromkeys(r["group"] for r in table["rows"]) if g != "All"]
    out: dict[str, list[str]] = {}
    for region in regions:
        out[region] = [
            regional_sentence(
                region, m, lookup.get((m["label"], region)) or no_figure(region, m), lookup[(m["label"], "All")]
            )
            for m in measures_of(table)
        ]
    return out


def no_figure(region: str, measure: Measure) -> MeasureRow:
    """A region's row of a measure where it has none: no respondent there gave a figure."""
    return {"group": region, "measure": measure["label"], "question_id": "", "value": None, "n": 0, "printed": None}
