"""One employer's benchmark: its own figures beside others like it (its authority type, or its
region where too few of its type answered) and all respondents.

Disclosure control: a comparison group is shown only when it holds at least ``threshold``
respondents besides the employer itself (never fewer than 2, so no figure, with the
employer's own answer, gives away another single employer's answer), and never when the
national tables' pattern withholds it (``withheld``: what the tables withhold, every benchmark
withholds, so no figure can be worked out by setting one beside another). Distributions are
shown as quartile boxes, never as individual values.

Statistical neighbours (``Dataset.neighbours``, the coordinator's licensed list: organisation ->
its nearest neighbours) are a comparison group unlike the others: each employer's is its own,
overlapping every type and region, so the national pattern cannot be worked out over them. What
was decided, measure by measure:

* only their median and how many answered are shown, never their mean: a median is no sum, so it
  adds no equation to those (published means times their n) from which a withheld group's total
  could be had by adding and subtracting, as a mean over so many neighbour groups would;
* it is shown only where at least ``threshold`` of the neighbours (the employer is never its own)
  answered, as for every other group;
* it is withheld wherever the published pattern withholds any group the employer belongs to (its
  type, its region or everyone) for that question: the neighbours then stand beside a withheld
  figure and are not shown, whatever their number;
* single- and multiple-choice questions get no neighbours' column: their shares are counts, and
  counts over a neighbour group are sums that could be differenced.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pandas as pd

from forms import Option, Question
from forms.rules import is_asked

from . import sheets
from .dataset import Dataset, Return, in_a_sentence
from .tables import _numeric, frame, short_label, whole
from .withheld import EVERYONE, Group, groups_of, withheld

QUARTERS = {1: "lowest quarter", 2: "second-lowest quarter", 3: "second-highest quarter", 4: "highest quarter"}

MeasureKey = tuple[str, str | None]
"""What makes two measures' values the same: the question, and what it is a share of (if anything)."""
MultiSets = tuple[dict[str, str], list[set[str]], list[set[str]], dict[str, float]]
"""A multiple-choice question's labels, each return's chosen set, the non-empty sets, each option's share."""
YearFigures = tuple[int, dict[str, list[int]], list[tuple[str, pd.Series, float | None]]]
"""One year of the trend: the year, each organisation's rows, and each measure's label, values and average."""


def effective_threshold(threshold: int) -> int:
    return max(int(threshold), 2)


def _group(values: pd.Series, own_present: bool, threshold: int) -> dict[str, Any]:
    n = int(values.notna().sum())
    others = n - (1 if own_present else 0)
    if others < threshold:
        return _withheld(n)
    clean = values.dropna()
    return {"n": n, "suppressed": False, "mean": float(clean.mean()), "median": float(clean.median()),
            "q1": float(clean.quantile(0.25)), "q3": float(clean.quantile(0.75))}


def _quartile(own: float | None, group: dict[str, Any]) -> int | None:
    if own is None or group["suppressed"]:
        return None
    if own <= group["q1"]:
        return 1
    if own <= group["median"]:
        return 2
    if own <= group["q3"]:
        return 3
    return 4


def _measure_values(df: pd.DataFrame, measure: dict[str, Any]) -> pd.Series:
    values = _numeric(df[measure["question"]])
    if "percent_of" in measure:
        denominator = _numeric(df[measure["percent_of"]])
        values = (100 * values / denominator).where(denominator > 0)
    return values


def compute(dataset: Dataset, organisation: str, threshold: int = 5) -> dict[str, Any]:
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
        self._groups: dict[tuple[str, str | None, Group, bool], dict[str, Any]] = {}
        self._asked: dict[str, tuple[pd.Series, pd.Series]] = {}  # question id -> (who was asked, their answers)
        self._shares: dict[tuple[str, Group, bool], dict[str, Any]] = {}
        self._sets: dict[str, MultiSets] = {}
        self._history: list[YearFigures] | None = None

    def of(self, organisation: str) -> dict[str, Any]:
        dataset, df = self.dataset, self.df
        matches = self.rows.get(organisation, [])
        if len(matches) != 1:
            raise KeyError(f"{organisation} has no return in {dataset.year}")
        me = matches[0]
        own_return = dataset.returns[me]
        listed = dataset.neighbours.get(organisation)
        near = [p for name in listed or [] for p in self.rows.get(name, [])[:1] if p != me]
        kind, region = own_return.authority_type, own_return.region
        result: dict[str, Any] = {"organisation": organisation, "authority_type": kind, "region": region,
                                  "neighbours_listed": len(listed or []),
                                  "year": dataset.year, "threshold": self.threshold, "respondents": len(df),
                                  "measures": [], "single": [], "multi": [], "trend": []}
        for spec in dataset.tables:
            if spec["kind"] == "by_type":
                for measure in spec["measures"]:
                    values = self.values(measure)
                    own = values.iat[me]
                    own = None if pd.isna(own) else float(own)
                    hidden = self.withheld(_measure_key(measure), values.notna())
                    groups = {name: self.group(measure, group, own is not None, hidden)
                              for name, group in self.comparisons(own_return).items()}
                    result["measures"].append({
                        "table": spec["number"], "title": spec["title"], "measure": measure["label"],
                        "name": measure.get("name", measure["label"]), "unit": measure.get("unit", ""),
                        "question_id": measure["question"], "percent": "percent_of" in measure,
                        "own": own, "own_answer": own_return.answers.get(measure["question"]),
                        **groups, "peers": peers(groups, own_return), "quartile": _quartile(own, groups["all"]),
                        **({"neighbours": self.neighbours(values, near, len(listed), hidden, own_return)}
                           if listed else {})})
            elif spec["kind"] == "single":
                result["single"].append(self.single(spec, me))
            elif spec["kind"] == "multi":
                result["multi"].append(self.multi(spec, me))
        result["trend"] = self.trend(organisation)
        return result

    @staticmethod
    def comparisons(ret: Return) -> dict[str, Group]:
        """An employer's comparison groups: its type, its region (if it has one) and everyone."""
        return {"type": ("type", ret.authority_type), "region": ("region", ret.region or ""), "all": EVERYONE}

    def values(self, measure: dict[str, Any]) -> pd.Series:
        key = _measure_key(measure)
        if key not in self._values:
            self._values[key] = _measure_values(self.df, measure)
        return self._values[key]

    def withheld(self, key: MeasureKey, answered: pd.Series) -> frozenset[Group]:
        """The groups withheld for a question (the national tables withhold them too)."""
        if key not in self._withheld:
            self._withheld[key] = withheld(self.dataset.returns, list(answered), self.publication_min)
        return self._withheld[key]

    def neighbours(self, values: pd.Series, near: list[int], listed: int, hidden: frozenset[Group],
                   own_return: Return) -> dict[str, Any]:
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

    def group(self, measure: dict[str, Any], group: Group, own_present: bool,
              hidden: frozenset[Group]) -> dict[str, Any]:
        """A measure's figures for one comparison group, unless withheld."""
        key = (*_measure_key(measure), group, own_present)
        if key not in self._groups:
            self._groups[key] = _group(self.of_group(self.values(measure), group), own_present, self.threshold)
        figures = dict(self._groups[key])
        return _withheld(figures["n"]) if group in hidden else figures

    def single(self, spec: dict[str, Any], me: int) -> dict[str, Any]:
        dataset, df = self.dataset, self.df
        question = dataset.questionnaire.question(spec["question"])
        if question.id not in self._asked:
            asked = pd.Series([is_asked(question, r.answers) for r in dataset.returns], index=df.index)
            self._asked[question.id] = (asked, df[question.id].where(asked, None))
        asked, column = self._asked[question.id]
        own = column.iat[me]
        own_return = dataset.returns[me]
        hidden = self.withheld((question.id, None), column.notna())
        groups = {name: self.shares(question, column, group, own is not None, hidden)
                  for name, group in self.comparisons(own_return).items()}
        chosen = peers(groups, own_return)
        return {"table": spec["number"], "title": spec["title"], "question_id": question.id,
                "asked": bool(asked.iat[me]), "own": own,
                "own_label": short_label(question.option_label(own)) if own else None,
                "options": [{"value": o.value, "label": short_label(o.label),
                             "peers_percent": chosen["percent"].get(o.value),
                             "all_percent": groups["all"]["percent"].get(o.value)}
                            for o in question.options],
                **{name: {k: v for k, v in g.items() if k != "percent"} for name, g in groups.items()},
                "peers": {k: v for k, v in chosen.items() if k != "percent"}}

    def shares(self, question: Question, column: pd.Series, group: Group, own_present: bool,
               hidden: frozenset[Group]) -> dict[str, Any]:
        key = (question.id, group, own_present)
        if key not in self._shares:
            answers = self.of_group(column, group).dropna()
            self._shares[key] = _shares(answers, question.options, own_present, self.threshold)
        figures = self._shares[key]
        return _withheld(figures["n"]) | {"percent": {}} if group in hidden else figures

    def multi(self, spec: dict[str, Any], me: int) -> dict[str, Any]:
        question = self.dataset.questionnaire.question(spec["question"])
        if question.id not in self._sets:
            self._sets[question.id] = _multi_sets(self.dataset, question)
        labels, sets, answered, share = self._sets[question.id]
        own = sets[me]
        others = len(answered) - (1 if own else 0)
        out: dict[str, Any] = {"table": spec["number"], "title": spec["title"], "question_id": question.id,
                               "own": [labels[v] for v in labels if v in own], "n": len(answered),
                               "suppressed": others < self.threshold}
        if out["suppressed"]:
            out.update(shared=[], unusual=[], missing=[])
            return out
        common = {v for v, p in share.items() if p > 50}
        out["shared"] = [labels[v] for v in labels if v in own and v in common]
        out["unusual"] = [labels[v] for v in labels if v in own and v not in common]
        out["missing"] = [labels[v] for v in labels if v in common and v not in own]
        out["share"] = {labels[v]: share[v] for v in labels}
        return out

    def trend(self, organisation: str) -> list[dict[str, Any]]:
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
                        measures.append((measure["label"], values,
                                         float(values.mean()) if values.notna().any() else None))
                self._history.append((ds.year, self.rows if this_year else _positions(df), measures))
        rows: list[dict[str, Any]] = []
        for year, positions, measures in self._history:
            matches = positions.get(organisation, [])
            if len(matches) != 1:
                continue
            for label, values, national in measures:
                own = values.iat[matches[0]]
                rows.append({"year": year, "measure": label, "own": None if pd.isna(own) else float(own),
                             "national": national})
        return rows if len({r["year"] for r in rows}) > 1 else []


def _withheld(n: int) -> dict[str, Any]:
    return {"n": n, "suppressed": True, "mean": None, "median": None}


def peers(groups: dict[str, dict[str, Any]], ret: Return) -> dict[str, Any]:
    """The comparison a benchmark shows beside everyone: the employer's type, or where that is
    withheld its region, or (both withheld) its type, marked as not shown."""
    if groups["type"]["suppressed"] and ret.region and not groups["region"]["suppressed"]:
        return {"label": f"{ret.region} region", "fallback": True, **groups["region"]}
    return {"label": ret.authority_type, "fallback": False, **groups["type"]}


def fallback_sentence(result: dict[str, Any]) -> str | None:
    """What the benchmark compares with where too few of the employer's type answered, in words."""
    kind = in_a_sentence(result["authority_type"])
    rows = [r.get("peers", r["type"]) for r in result["measures"] + result["single"]]  # older: type only
    region = sum(1 for r in rows if r.get("fallback"))
    neither = sum(1 for r in rows if r["suppressed"])
    if not region and not neither:
        return f"“Others like you” are the other {kind} respondents."
    if neither == len(rows):
        return (f"Too few other {kind} respondents answered for their figures to be shown"
                + (f", and your region's ({result['region']}) cannot be shown either" if result.get("region") else "")
                + ": compare your figures with all respondents.")
    text = f"“Others like you” are the other {kind} respondents where enough of them answered"
    if region:
        text += (f"; where too few did ({region} figure{'s' if region != 1 else ''}), your region, "
                 f"{result['region']}, is shown instead and named beside the figure")
    if neither:
        text += (f"; where neither can be shown ({neither} figure{'s' if neither != 1 else ''}, marked “Not shown”), "
                 "compare with all respondents")
    return text + "."


def _measure_key(measure: dict[str, Any]) -> MeasureKey:
    """What makes two measures' values the same: the question, and what it is a share of."""
    return measure["question"], measure.get("percent_of")


def _positions(df: pd.DataFrame) -> dict[str, list[int]]:
    """Each organisation's row (or rows) in the frame."""
    positions: dict[str, list[int]] = {}
    for position, organisation in enumerate(df["organisation"]):
        positions.setdefault(organisation, []).append(position)
    return positions


def _shares(answers: pd.Series, options: Iterable[Option], own_present: bool, threshold: int) -> dict[str, Any]:
    n = int(len(answers))
    if n - (1 if own_present else 0) < threshold:
        return {"n": n, "suppressed": True, "percent": {}}
    counts = answers.value_counts()
    percent = {o.value: 100 * int(counts.get(o.value, 0)) / n for o in options}
    return {"n": n, "suppressed": False, "percent": percent}


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
    if value is None:
        return ""
    return f"{whole(value)}%" if percent else str(whole(value))


def to_json(result: dict[str, Any]) -> str:
    """The benchmark as stored in an edition, from which its web page is drawn."""
    return json.dumps(result, ensure_ascii=False, indent=1)


def to_csv(result: dict[str, Any]) -> str:
    rows: list[list[Any]] = []
    region = result.get("region")
    near = any("neighbours" in m for m in result["measures"])
    rows.append(["section", "table", "measure or question", "unit", "your answer", "compared with",
                 "their average", "their median", "their respondents", "all: average", "all: median",
                 "all: respondents", "your quarter (of all)"]
                + ([f"{region} region: average", f"{region} region: median", f"{region} region: respondents"]
                   if region else [])
                + (["your statistical neighbours: median", "your statistical neighbours: respondents"]
                   if near else []))
    for m in result["measures"]:
        t, a = m["peers"], m["all"]
        row = ["measure", m["table"], m.get("name", m["measure"]), m.get("unit", ""),
               _fmt(m["own"]), t["label"],
               "not shown" if t["suppressed"] else _fmt(t["mean"]),
               "" if t["suppressed"] else _fmt(t["median"]), t["n"],
               "not shown" if a["suppressed"] else _fmt(a["mean"]),
               "" if a["suppressed"] else _fmt(a["median"]), a["n"],
               QUARTERS.get(m["quartile"], "")]
        if region:
            r = m["region"]
            row += ["not shown" if r["suppressed"] else _fmt(r["mean"]), "" if r["suppressed"] else _fmt(r["median"]),
                    r["n"]]
        if near:
            nb = m.get("neighbours")
            row += ["", ""] if nb is None else ["not shown" if nb["suppressed"] else _fmt(nb["median"]), nb["n"]]
        rows.append(row)
    rows.append([])
    rows.append(["section", "table", "question", "answer", "your answer", "compared with",
                 "their per cent", "all: per cent"])
    for s in result["single"]:
        for o in s["options"]:
            rows.append(["single", s["table"], s["title"], o["label"], "yes" if o["value"] == s["own"] else "",
                         s["peers"]["label"],
                         "not shown" if s["peers"]["suppressed"] else _fmt(o["peers_percent"]),
                         "not shown" if s["all"]["suppressed"] else _fmt(o["all_percent"])])
    rows.append([])
    rows.append(["section", "table", "question", "you have, as most respondents do", "you have, unlike most",
                 "most have, you do not"])
    for m in result["multi"]:
        rows.append(["multiple", m["table"], m["title"], "; ".join(m["shared"]), "; ".join(m["unusual"]),
                     "; ".join(m["missing"]) if not m["suppressed"] else "not shown"])
    if result["trend"]:
        rows.append([])
        rows.append(["section", "year", "measure", "yours", "national average"])
        for row in result["trend"]:
            rows.append(["trend", row["year"], row["measure"], _fmt(row["own"]), _fmt(row["national"])])
    return sheets.csv_text(rows)
