"""One employer's benchmark: its own figures beside other employers like it (its authority type,
or its region where its type's figures are withheld) and all respondents.

"Other employers like you" are just that: the employer is left out of their average and of their
number. All respondents are everyone, the employer too, as in the national tables.

Disclosure control, and one threshold for each group wherever it is published: a type's, a
region's or everyone's average is shown exactly where the national and regional tables show that
group's figure (``withheld``, at ``publication_min``: at least that many respondents, and never
where a withheld figure could be worked out), so the benchmark, the tables, the regional reports and
the API never disagree about a group. What only a benchmark shows has its own minimum,
``threshold`` (``BENCHMARK_MIN_GROUP``) other respondents, never fewer than 2: a median (which is
one employer's own figure when their number is odd) and the quartiles drawn from the medians, the
share of a type or region giving each answer to a single-choice question (not in any table) and
the statistical neighbours' median. Distributions are shown as quartile boxes, never as
individual values.

Statistical neighbours (``Dataset.neighbours``, the coordinator's licensed list: organisation ->
its nearest neighbours) are a comparison group unlike the others: each employer's is its own,
overlapping every type and region, so the national pattern cannot be worked out over them. What
was decided, measure by measure:

* only their median and how many answered are shown, never their mean: a median is no sum, so it
  adds no equation to those (published means times their n) from which a withheld group's total
  could be had by adding and subtracting, as a mean over so many neighbour groups would;
* it is shown only where at least ``threshold`` of the neighbours (the employer is never its own)
  answered, as every median is;
* it is withheld wherever the published pattern withholds any group the employer belongs to (its
  type, its region or everyone) for that question: the neighbours then stand beside a withheld
  figure and are not shown, whatever their number;
* single- and multiple-choice questions get no neighbours' column: their shares are counts, and
  counts over a neighbour group are sums that could be differenced.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NotRequired, TypedDict

import numpy as np
import pandas as pd

import forms
from forms import Question
from forms.rules import is_asked
from forms.tablespec import MeasureSpec, TableSpec

from . import sheets
from .dataset import Dataset, Return, in_a_sentence, plural
from .tables import _numeric, frame, kind_of, short_label, whole
from .withheld import EVERYONE, Group, groups_of, withheld

QUARTERS: dict[int | None, str] = {
    1: "lowest quarter",
    2: "second-lowest quarter",
    3: "second-highest quarter",
    4: "highest quarter",
}

MeasureKey = tuple[str, str | None]
"""What makes two measures' values the same: the question, and what it is a share of (if anything)."""
MultiSets = tuple[dict[str, str], list[set[str]], list[set[str]], dict[str, float]]
"""A multiple-choice question's labels, each return's chosen set, the non-empty sets, each option's share."""
YearFigures = tuple[int, dict[str, list[int]], list[tuple[str, pd.Series, float | None]]]
"""One year of the trend: the year, each organisation's rows, and each measure's label, values and average."""


# ---------------------------------------------------------------- a benchmark, as types


class Figures(TypedDict):
    """A comparison group's figures: how many, whether withheld, and of a measure the average,
    median and quartiles (None where withheld or from too few; a choice question's shares have
    none, and carry ``mean`` and ``median`` only where withheld)."""

    n: int
    suppressed: bool
    mean: NotRequired[float | None]
    median: NotRequired[float | None]
    q1: NotRequired[float | None]
    q3: NotRequired[float | None]


class Peers(Figures):
    """The group set beside the employer: its type's, or its region's where that is withheld."""

    label: str  # "Other London boroughs", "Others in London"
    fallback: bool  # its region's


class Neighbours(TypedDict):
    n: int  # how many of them answered
    listed: int  # how many the coordinator's list names
    suppressed: bool
    median: float | None


class MeasureComparison(TypedDict):
    """One measure of a table by type: the employer's figure beside its comparison groups'."""

    table: str  # the table's number
    title: str
    measure: str  # the measure's label
    name: str
    unit: str
    question_id: str
    percent: bool
    own: float | None
    own_answer: Any  # what it answered (a number, "n/a" for no one in the role, or nothing)
    not_applicable: str | None  # the questionnaire's words for no one in the role
    type: Figures
    region: Figures
    all: Figures
    peers: Peers
    quartile: int | None  # of all respondents' figures
    neighbours: NotRequired[Neighbours]  # where the coordinator listed the employer's neighbours


class OptionShare(TypedDict):
    value: str
    label: str
    peers_percent: float | None
    all_percent: float | None


class SingleComparison(TypedDict):
    """A single-choice question: the employer's answer, and the share giving each answer."""

    table: str
    title: str
    question_id: str
    asked: bool
    own: str | None
    own_label: str | None
    options: list[OptionShare]
    type: Figures
    region: Figures
    all: Figures
    peers: Peers


class MultiComparison(TypedDict):
    """A multiple-choice question: what the employer has that most have, has unlike most, and lacks."""

    table: str
    title: str
    question_id: str
    own: list[str]
    n: int
    suppressed: bool
    shared: list[str]
    unusual: list[str]
    missing: list[str]
    share: NotRequired[dict[str, float]]  # each answer's per cent, where shown


class TrendRow(TypedDict):
    year: int
    measure: str
    own: float | None
    national: float | None


class Benchmark(TypedDict):
    """One employer's benchmark, as stored in an edition (``to_json``) and drawn on its web page."""

    organisation: str
    authority_type: str
    region: str | None
    neighbours_listed: int
    year: int
    threshold: int
    respondents: int
    publication_min: int
    measures: list[MeasureComparison]
    single: list[SingleComparison]
    multi: list[MultiComparison]
    trend: list[TrendRow]


def effective_threshold(threshold: int) -> int:
    return max(int(threshold), 2)


def _group(data: np.ndarray, others: int, shown: bool, threshold: int) -> Figures:
    """A comparison group's figures from its sorted values ``data`` (``others`` of them not the
    employer's): the average only where the tables show the group (``shown``), the median and
    quartiles only from at least ``threshold`` others."""
    n = int(len(data))
    if not shown or others < 2:  # never one other employer's own figure, whatever the tables' threshold
        return _withheld(n)
    figures: Figures = {"n": n, "suppressed": False, "mean": float(data.mean()), "median": None, "q1": None, "q3": None}
    if others >= threshold:  # numpy's quantiles are pandas' (linear between the two nearest)
        figures["median"] = float(np.median(data))
        figures["q1"], figures["q3"] = float(np.quantile(data, 0.25)), float(np.quantile(data, 0.75))
    return figures


def _quartile(own: float | None, group: Figures) -> int | None:
    q1, median, q3 = group.get("q1"), group.get("median"), group.get("q3")
    if own is None or group["suppressed"] or median is None or q1 is None or q3 is None:
        return None  # the quartiles come with the median
    if own <= q1:
        return 1
    if own <= median:
        return 2
    if own <= q3:
        return 3
    return 4


def _measure_values(df: pd.DataFrame, measure: MeasureSpec) -> pd.Series:
    values = _numeric(df[measure["question"]])
    if "percent_of" in measure:
        denominator = _numeric(df[measure["percent_of"]])
        values = (100 * values / denominator).where(denominator > 0)
    return values


def compute(dataset: Dataset, organisation: str, threshold: int = 5) -> Benchmark:
    """One employer's benchmark (``Benchmarks`` for many from the same dataset)."""
    return Benchmarks(dataset, threshold).of(organisation)


class Benchmarks:
    """Every employer's benchmark from one dataset.

    What the employers' comparisons share (the frame of all returns, each measure's values,
    who was asked each question, each group's figures) is worked out once, when first needed,
    rather than again for each employer: building 160 benchmarks otherwise made the national
    frame 160 times over, and the work grew with the square of the number of respondents.
    Each employer's result is made of fresh dictionaries, as before."""

    def __init__(self, dataset: Dataset, threshold: int = 5, publication_min: int | None = None) -> None:
        self.dataset, self.threshold = dataset, effective_threshold(threshold)
        self.publication_min = threshold if publication_min is None else publication_min
        self.df = frame(dataset)
        self.rows = _positions(self.df)
        self._values: dict[MeasureKey, pd.Series] = {}
        self._masks: dict[Group, pd.Series] = {}  # a comparison group -> which rows are in it
        self._withheld: dict[MeasureKey, frozenset[Group]] = {}
        self._sorted: dict[tuple[str, str | None, Group], np.ndarray] = {}  # each group's values, sorted
        self._asked: dict[str, tuple[pd.Series, pd.Series]] = {}  # question id -> (who was asked, their answers)
        self._shares: dict[tuple[str, Group], pd.Series] = {}  # each group's count of each answer
        self._sets: dict[str, MultiSets] = {}
        self._history: list[YearFigures] | None = None

    def of(self, organisation: str) -> Benchmark:
        dataset, df = self.dataset, self.df
        matches = self.rows.get(organisation, [])
        if len(matches) != 1:
            raise KeyError(f"{organisation} has no return in {dataset.year}")
        me = matches[0]
        own_return = dataset.returns[me]
        listed = dataset.neighbours.get(organisation) or []
        near = [p for name in listed for p in self.rows.get(name, [])[:1] if p != me]  # their rows
        compared = _Compared(self, me, listed, near)
        for spec in dataset.tables:
            kind_of(spec).handle_spec(spec, compared)
        return {
            "organisation": organisation,
            "authority_type": own_return.authority_type,
            "region": own_return.region,
            "neighbours_listed": len(listed),
            "year": dataset.year,
            "threshold": self.threshold,
            "respondents": len(df),
            "publication_min": self.publication_min,
            "measures": compared.measures,
            "single": compared.single_choice,
            "multi": compared.multiple_choice,
            "trend": self.trend(organisation),
        }

    def measure(
        self, spec: TableSpec, measure: MeasureSpec, me: int, listed: list[str], near: list[int]
    ) -> MeasureComparison:
        """One measure of a table by type: the employer's (row ``me``) figure beside its comparison
        groups', and its statistical neighbours' (``listed``; ``near``, their rows) where it has any."""
        own_return = self.dataset.returns[me]
        values = self.values(measure)
        value = values.iat[me]
        own = None if pd.isna(value) else float(value)
        hidden = self.withheld(_measure_key(measure), values.notna())
        groups = {name: self.group(measure, group, me, hidden) for name, group in self.comparisons(own_return).items()}
        compared: MeasureComparison = {
            "table": spec["number"],
            "title": spec["title"],
            "measure": measure["label"],
            "name": measure.get("name", measure["label"]),
            "unit": measure.get("unit", ""),
            "question_id": measure["question"],
            "percent": "percent_of" in measure,
            "own": own,
            "own_answer": own_return.answers.get(measure["question"]),
            "not_applicable": self.dataset.questionnaire.question(measure["question"]).not_applicable,
            "type": groups["type"],
            "region": groups["region"],
            "all": groups["all"],
            "peers": peers(groups, own_return),
            "quartile": _quartile(own, groups["all"]),
        }
        if listed:
            compared["neighbours"] = self.neighbours(values, near, len(listed), hidden, own_return)
        return compared

    @staticmethod
    def comparisons(ret: Return) -> dict[str, Group]:
        """An employer's comparison groups: its type, its region (if it has one) and everyone."""
        return {"type": ("type", ret.authority_type), "region": ("region", ret.region or ""), "all": EVERYONE}

    def values(self, measure: MeasureSpec) -> pd.Series:
        key = _measure_key(measure)
        if key not in self._values:
            self._values[key] = _measure_values(self.df, measure)
        return self._values[key]

    def withheld(self, key: MeasureKey, answered: pd.Series) -> frozenset[Group]:
        """The groups withheld for a question (the national tables withhold them too)."""
        if key not in self._withheld:
            self._withheld[key] = withheld(self.dataset.returns, list(answered), self.publication_min)
        return self._withheld[key]

    def neighbours(
        self, values: pd.Series, near: list[int], listed: int, hidden: frozenset[Group], own_return: Return
    ) -> Neighbours:
        """A measure's median over the employer's statistical neighbours (``near``, their rows),
        unless too few answered or a group the employer is in is withheld (see the docstring)."""
        answered = values.iloc[near].dropna()
        n = int(len(answered))
        mine = set(groups_of(own_return))
        if n < self.threshold or mine & hidden:
            return {"n": n, "listed": listed, "suppressed": True, "median": None}
        return {"n": n, "listed": listed, "suppressed": False, "median": float(answered.median())}

    def of_group(self, series: pd.Series, group: Group) -> pd.Series:
        """``series`` for the returns of one comparison group."""
        if group not in self._masks:
            self._masks[group] = pd.Series([group in groups_of(r) for r in self.dataset.returns], index=self.df.index)
        return series[self._masks[group]]

    def group(self, measure: MeasureSpec, group: Group, me: int, hidden: frozenset[Group]) -> Figures:
        """A measure's figures for one comparison group: everyone's, the employer too, or for its type
        or region the other employers', the employer (row ``me``) left out of the average and of n."""
        key = (*_measure_key(measure), group)
        if key not in self._sorted:
            self._sorted[key] = np.sort(self.of_group(self.values(measure), group).dropna().to_numpy(dtype=float))
        data = self._sorted[key]
        own = self.values(measure).iat[me]
        mine = not pd.isna(own) and group in groups_of(self.dataset.returns[me])
        if group == EVERYONE:
            return _group(data, len(data) - int(mine), group not in hidden, self.threshold)
        if mine:
            data = np.delete(data, int(np.searchsorted(data, own)))
        return _group(data, len(data), group not in hidden, self.threshold)

    def single(self, spec: TableSpec, me: int) -> SingleComparison:
        dataset, df = self.dataset, self.df
        question = dataset.questionnaire.question(spec["question"])
        if question.id not in self._asked:
            asked = pd.Series([is_asked(question, r.answers) for r in dataset.returns], index=df.index)
            self._asked[question.id] = (asked, df[question.id].where(asked, None))
        asked, column = self._asked[question.id]
        own = column.iat[me]
        own_return = dataset.returns[me]
        hidden = self.withheld((question.id, None), column.notna())
        shares = {
            name: self.shares(question, column, group, me, hidden)
            for name, group in self.comparisons(own_return).items()
        }
        groups = {name: figures for name, (figures, _) in shares.items()}
        chosen = peers(groups, own_return)
        percent = shares["region" if chosen["fallback"] else "type"][1]
        return {
            "table": spec["number"],
            "title": spec["title"],
            "question_id": question.id,
            "asked": bool(asked.iat[me]),
            "own": own,
            "own_label": short_label(question.option_label(own)) if own else None,
            "options": [
                {
                    "value": o.value,
                    "label": short_label(o.label),
                    "peers_percent": percent.get(o.value),
                    "all_percent": shares["all"][1].get(o.value),
                }
                for o in question.options
            ],
            "type": groups["type"],
            "region": groups["region"],
            "all": groups["all"],
            "peers": chosen,
        }

    def shares(
        self, question: Question, column: pd.Series, group: Group, me: int, hidden: frozenset[Group]
    ) -> tuple[Figures, dict[str, float]]:
        """A single-choice question's shares for one group: everyone's, as the national table prints
        them where it does; or the other employers' of the employer's type or region (no table has
        them), from at least ``threshold`` of them and never beside a withheld group."""
        key = (question.id, group)
        if key not in self._shares:
            self._shares[key] = self.of_group(column, group).dropna().value_counts()
        counts = self._shares[key]
        own = column.iat[me]
        if group == EVERYONE:
            n = int(counts.sum())
            shown = n >= max(self.publication_min, 1) and group not in hidden
        else:
            if own is not None and group in groups_of(self.dataset.returns[me]):
                counts = counts.sub(pd.Series({own: 1}), fill_value=0)
            n = int(counts.sum())
            shown = n >= self.threshold and group not in hidden
        if not shown:
            return _withheld(n), {}
        return {"n": n, "suppressed": False}, {o.value: 100 * int(counts.get(o.value, 0)) / n for o in question.options}

    def multi(self, spec: TableSpec, me: int) -> MultiComparison:
        question = self.dataset.questionnaire.question(spec["question"])
        if question.id not in self._sets:
            self._sets[question.id] = _multi_sets(self.dataset, question)
        labels, sets, answered, share = self._sets[question.id]
        own = sets[me]
        others = len(answered) - (1 if own else 0)  # as the national table: from publication_min respondents
        mine = [labels[v] for v in labels if v in own]
        if len(answered) < max(self.publication_min, 1) or others < 1:
            return {
                "table": spec["number"],
                "title": spec["title"],
                "question_id": question.id,
                "own": mine,
                "n": len(answered),
                "suppressed": True,
                "shared": [],
                "unusual": [],
                "missing": [],
            }
        common = {v for v, p in share.items() if p > 50}
        return {
            "table": spec["number"],
            "title": spec["title"],
            "question_id": question.id,
            "own": mine,
            "n": len(answered),
            "suppressed": False,
            "shared": [labels[v] for v in labels if v in own and v in common],
            "unusual": [labels[v] for v in labels if v in own and v not in common],
            "missing": [labels[v] for v in labels if v in common and v not in own],
            "share": {labels[v]: share[v] for v in labels},
        }

    def trend(self, organisation: str) -> list[TrendRow]:
        """Own figure and the national average, per measure, for each year the employer returned."""
        if self._history is None:
            chain: list[Dataset] = []
            current: Dataset | None = self.dataset
            while current is not None:
                chain.append(current)
                current = current.previous
            self._history = []
            for ds in reversed(chain):
                this_year = ds is self.dataset  # its frame and values are already here
                df = self.df if this_year else frame(ds)
                measures: list[tuple[str, pd.Series, float | None]] = []
                for spec in self.dataset.tables:
                    for measure in spec.get("measures", []):
                        values = self.values(measure) if this_year else _measure_values(df, measure)
                        measures.append(
                            (measure["label"], values, float(values.mean()) if values.notna().any() else None)
                        )
                self._history.append((ds.year, self.rows if this_year else _positions(df), measures))
        rows: list[TrendRow] = []
        for year, positions, measures in self._history:
            matches = positions.get(organisation, [])
            if len(matches) != 1:
                continue
            for label, values, national in measures:
                own = values.iat[matches[0]]
                rows.append(
                    {"year": year, "measure": label, "own": None if pd.isna(own) else float(own), "national": national}
                )
        return rows if len({r["year"] for r in rows}) > 1 else []


class _Compared:
    """What one employer's benchmark compares, table by table (a ``tables.SpecHandler``): each
    measure of the tables by type, and each single- and multiple-choice question."""

    def __init__(self, benchmarks: Benchmarks, me: int, listed: list[str], near: list[int]) -> None:
        self.benchmarks, self.me, self.listed, self.near = benchmarks, me, listed, near
        self.measures: list[MeasureComparison] = []
        self.single_choice: list[SingleComparison] = []
        self.multiple_choice: list[MultiComparison] = []

    def responses(self, spec: TableSpec) -> None:
        """Table 1 compares no one."""

    def by_type(self, spec: TableSpec) -> None:
        self.measures += [self.benchmarks.measure(spec, m, self.me, self.listed, self.near) for m in spec["measures"]]

    def single(self, spec: TableSpec) -> None:
        self.single_choice.append(self.benchmarks.single(spec, self.me))

    def multi(self, spec: TableSpec) -> None:
        self.multiple_choice.append(self.benchmarks.multi(spec, self.me))


def _withheld(n: int) -> Figures:
    return {"n": n, "suppressed": True, "mean": None, "median": None}


def peers(groups: dict[str, Figures], ret: Return) -> Peers:
    """The comparison a benchmark shows beside everyone: the other employers of its type, or where
    that is withheld of its region, or (both withheld) of its type, marked as not shown."""
    if groups["type"]["suppressed"] and ret.region and not groups["region"]["suppressed"]:
        return {"label": f"Others in {ret.region}", "fallback": True, **groups["region"]}
    return {"label": f"Other {plural(ret.authority_type)}", "fallback": False, **groups["type"]}


def fallback_sentence(result: Benchmark) -> str | None:
    """What the benchmark compares with where too few of the employer's type answered, in words."""
    kind = in_a_sentence(result["authority_type"])
    compared: list[MeasureComparison | SingleComparison] = [*result["measures"], *result["single"]]
    rows = [r.get("peers", r["type"]) for r in compared]  # older: type only
    region = sum(1 for r in rows if r.get("fallback"))
    neither = sum(1 for r in rows if r["suppressed"])
    if not region and not neither:
        return f"“Other employers like you” are the other {kind} respondents, your organisation left out."
    if neither == len(rows):
        return (
            f"The other {kind} respondents' figures are withheld"
            + (f", and your region's ({result['region']}) are withheld too" if result.get("region") else "")
            + ": compare your figures with all respondents."
        )
    text = (
        f"“Other employers like you” are the other {kind} respondents, your organisation left out, where their "
        "figures are shown"
    )
    if region:
        text += (
            f"; where they are withheld ({region} figure{'s' if region != 1 else ''}), the other employers "
            f"in your region, {result['region']}, are shown instead and named beside the figure"
        )
    if neither:
        text += (
            f"; where neither can be shown ({neither} figure{'s' if neither != 1 else ''}, marked “Not shown”), "
            "compare with all respondents"
        )
    return text + "."


def _measure_key(measure: MeasureSpec) -> MeasureKey:
    """What makes two measures' values the same: the question, and what it is a share of."""
    return measure["question"], measure.get("percent_of")


def _positions(df: pd.DataFrame) -> dict[str, list[int]]:
    """Each organisation's row (or rows) in the frame."""
    positions: dict[str, list[int]] = {}
    for position, organisation in enumerate(df["organisation"]):
        positions.setdefault(organisation, []).append(position)
    return positions


def _multi_sets(dataset: Dataset, question: Question) -> MultiSets:
    """A multiple-choice question's labels, each return's chosen set (coded answers in place of
    "other"), the non-empty sets, and the share of those choosing each option."""
    labels = {o.value: short_label(o.label) for o in question.options}
    labels.update(dict(dataset.categories.get(question.id, [])))
    spec, other_id = question.specify_option, question.other_id  # a question has both or neither
    sets: list[set[str]] = []
    for r in dataset.returns:
        chosen = set(r.answers.get(question.id) or []) if is_asked(question, r.answers) else set()
        coded = r.coded.get(other_id) if other_id else None
        if coded and spec is not None:
            chosen.discard(spec.value)
            chosen.update(coded)
        sets.append(chosen)
    answered = [s for s in sets if s]
    share = {v: 100 * sum(v in s for s in answered) / len(answered) for v in labels} if answered else {}
    return labels, sets, answered, share


# ---------------------------------------------------------------- outputs


def _fmt(value: float | None, percent: bool = False) -> str:
    """A share of answers, as the national tables print it: a whole number."""
    if value is None:
        return ""
    return f"{whole(value)}%" if percent else str(whole(value))


def figure(value: float | None, percent: bool = False) -> str:
    """A measure's figure in a benchmark (the employer's own, an average, a median, a quartile):
    one decimal place, rounded half away from zero, so that 37.5 hours reads 37.5 and a
    difference of a few tenths shows. Every figure of a measure, in every format, is written so."""
    if value is None:
        return ""
    text = str(Decimal(repr(float(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    return f"{text}%" if percent else text


def own_text(measure: MeasureComparison) -> str:
    """The employer's own figure, or what it answered instead: the questionnaire's words where it
    said it has no one in the role ("There are no team managers in this role")."""
    if measure["own"] is not None:
        return figure(measure["own"], measure["percent"])
    if measure.get("own_answer") == forms.NOT_APPLICABLE:
        return measure.get("not_applicable") or "None in this role"
    return "No answer" if measure.get("own_answer") in (None, "") else "No figure"


def group_text(group: Peers | Figures | None, percent: bool) -> str:
    """A comparison group's average (median) and how many it stands on, or that it is not shown."""
    if group is None or group["suppressed"]:
        return "Not shown"
    median = group.get("median")
    beside = f" ({figure(median, percent)})" if median is not None else ""
    text = f"{figure(group.get('mean'), percent)}{beside}, n={group['n']}"
    return f"{group.get('label')}: {text}" if group.get("fallback") else text


def neighbours_text(group: Neighbours | None, percent: bool) -> str:
    """The statistical neighbours' median and how many answered, or why it is not shown."""
    if group is None:
        return "–"
    if group["suppressed"]:
        return "Not shown"
    return f"{figure(group['median'], percent)}, n={group['n']} of {group['listed']}"


def measure_cells(measure: MeasureComparison) -> dict[str, str]:
    """One measure's row of a benchmark as the web page, the PDF and the CSV all print it."""
    pct = measure["percent"]
    return {
        "own": own_text(measure),
        "peers": group_text(measure.get("peers", measure["type"]), pct),
        "all": group_text(measure["all"], pct),
        "region": group_text(measure.get("region"), pct),
        "neighbours": neighbours_text(measure.get("neighbours"), pct),
        "quarter": QUARTERS.get(measure["quartile"], "–"),
    }


def to_json(result: Benchmark) -> str:
    """The benchmark as stored in an edition, from which its web page is drawn."""
    return json.dumps(result, ensure_ascii=False, indent=1)


def to_csv(result: Benchmark) -> str:
    rows: list[list[Any]] = []
    region = result.get("region")
    near = any("neighbours" in m for m in result["measures"])
    rows.append(
        [
            "section",
            "table",
            "measure or question",
            "unit",
            "your answer",
            "compared with (you left out)",
            "their average",
            "their median",
            "their respondents",
            "all: average",
            "all: median",
            "all: respondents",
            "your quarter (of all)",
        ]
        + (
            [f"others in {region}: average", f"others in {region}: median", f"others in {region}: respondents"]
            if region
            else []
        )
        + (["your statistical neighbours: median", "your statistical neighbours: respondents"] if near else [])
    )

    def figures(group: Figures, percent: bool) -> list[Any]:
        if group["suppressed"]:
            return ["not shown", "", group["n"]]
        return [figure(group.get("mean"), percent), figure(group.get("median"), percent), group["n"]]

    for m in result["measures"]:
        pct = m["percent"]
        row = [
            "measure",
            m["table"],
            m.get("name", m["measure"]),
            m.get("unit", ""),
            own_text(m),
            m["peers"]["label"],
            *figures(m["peers"], pct),
            *figures(m["all"], pct),
            QUARTERS.get(m["quartile"], ""),
        ]
        if region:
            row += figures(m["region"], pct)
        if near:
            nb = m.get("neighbours")
            row += ["", ""] if nb is None else ["not shown" if nb["suppressed"] else figure(nb["median"], pct), nb["n"]]
        rows.append(row)
    rows.append([])
    rows.append(
        ["section", "table", "question", "answer", "your answer", "compared with", "their per cent", "all: per cent"]
    )
    for s in result["single"]:
        for o in s["options"]:
            rows.append(
                [
                    "single",
                    s["table"],
                    s["title"],
                    o["label"],
                    "yes" if o["value"] == s["own"] else "",
                    s["peers"]["label"],
                    "not shown" if s["peers"]["suppressed"] else _fmt(o["peers_percent"]),
                    "not shown" if s["all"]["suppressed"] else _fmt(o["all_percent"]),
                ]
            )
    rows.append([])
    rows.append(
        [
            "section",
            "table",
            "question",
            "you have, as most respondents do",
            "you have, unlike most",
            "most have, you do not",
        ]
    )
    for chosen in result["multi"]:
        rows.append(
            [
                "multiple",
                chosen["table"],
                chosen["title"],
                "; ".join(chosen["shared"]),
                "; ".join(chosen["unusual"]),
                "; ".join(chosen["missing"]) if not chosen["suppressed"] else "not shown",
            ]
        )
    if result["trend"]:
        rows.append([])
        rows.append(["section", "year", "measure", "yours", "national average"])
        for year in result["trend"]:
            rows.append(["trend", year["year"], year["measure"], figure(year["own"]), figure(year["national"])])
    return sheets.csv_text(rows)
