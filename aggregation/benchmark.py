"""One employer's benchmark: its own figures beside its authority type and all respondents.

Disclosure control: a comparison group is shown only when it holds at least ``threshold``
respondents besides the employer itself (never fewer than 2, so no figure, with the
employer's own answer, gives away another single employer's answer). Distributions are
shown as quartile boxes, never as individual values.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

import pandas as pd

from forms import Option, Question
from forms.rules import is_asked

from .dataset import Dataset
from .tables import _numeric, frame, short_label, whole

QUARTERS = {1: "lowest quarter", 2: "second quarter", 3: "third quarter", 4: "highest quarter"}

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
        return {"n": n, "suppressed": True, "mean": None, "median": None}
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

    def __init__(self, dataset: Dataset, threshold: int = 5) -> None:
        self.dataset, self.threshold = dataset, effective_threshold(threshold)
        self.df = frame(dataset)
        self.rows = _positions(self.df)
        self._values: dict[MeasureKey, pd.Series] = {}
        self._kinds: dict[str, pd.Series] = {}  # authority type -> which rows are of it
        self._groups: dict[tuple[str, str | None, str | None, bool], dict[str, Any]] = {}
        self._asked: dict[str, tuple[pd.Series, pd.Series]] = {}  # question id -> (who was asked, their answers)
        self._shares: dict[tuple[str, str | None, bool], dict[str, Any]] = {}
        self._sets: dict[str, MultiSets] = {}
        self._history: list[YearFigures] | None = None

    def of(self, organisation: str) -> dict[str, Any]:
        dataset, df = self.dataset, self.df
        matches = self.rows.get(organisation, [])
        if len(matches) != 1:
            raise KeyError(f"{organisation} has no return in {dataset.year}")
        me = matches[0]
        own_return = dataset.returns[me]
        kind = own_return.authority_type
        result: dict[str, Any] = {"organisation": organisation, "authority_type": kind, "year": dataset.year,
                                  "threshold": self.threshold, "respondents": len(df), "measures": [], "single": [],
                                  "multi": [], "trend": []}
        for spec in dataset.tables:
            if spec["kind"] == "by_type":
                for measure in spec["measures"]:
                    values = self.values(measure)
                    own = values.iat[me]
                    own = None if pd.isna(own) else float(own)
                    everyone = self.group(measure, None, own is not None)
                    peers = self.group(measure, kind, own is not None)
                    result["measures"].append({
                        "table": spec["number"], "title": spec["title"], "measure": measure["label"],
                        "question_id": measure["question"], "percent": "percent_of" in measure,
                        "own": own, "own_answer": own_return.answers.get(measure["question"]),
                        "type": peers, "all": everyone, "quartile": _quartile(own, everyone)})
            elif spec["kind"] == "single":
                result["single"].append(self.single(spec, me, kind))
            elif spec["kind"] == "multi":
                result["multi"].append(self.multi(spec, me))
        result["trend"] = self.trend(organisation)
        return result

    def values(self, measure: dict[str, Any]) -> pd.Series:
        key = _measure_key(measure)
        if key not in self._values:
            self._values[key] = _measure_values(self.df, measure)
        return self._values[key]

    def of_kind(self, series: pd.Series, kind: str | None) -> pd.Series:
        """``series`` for everyone (``kind`` None) or for one authority type's returns."""
        if kind is None:
            return series
        if kind not in self._kinds:
            self._kinds[kind] = self.df["type"] == kind
        return series[self._kinds[kind]]

    def group(self, measure: dict[str, Any], kind: str | None, own_present: bool) -> dict[str, Any]:
        """A measure's figures for everyone (``kind`` None) or one authority type."""
        key = (*_measure_key(measure), kind, own_present)
        if key not in self._groups:
            self._groups[key] = _group(self.of_kind(self.values(measure), kind), own_present, self.threshold)
        return dict(self._groups[key])

    def single(self, spec: dict[str, Any], me: int, kind: str) -> dict[str, Any]:
        dataset, df = self.dataset, self.df
        question = dataset.questionnaire.question(spec["question"])
        if question.id not in self._asked:
            asked = pd.Series([is_asked(question, r.answers) for r in dataset.returns], index=df.index)
            self._asked[question.id] = (asked, df[question.id].where(asked, None))
        asked, column = self._asked[question.id]
        own = column.iat[me]
        everyone = self.shares(question, column, None, own is not None)
        peers = self.shares(question, column, kind, own is not None)
        return {"table": spec["number"], "title": spec["title"], "question_id": question.id,
                "asked": bool(asked.iat[me]), "own": own,
                "own_label": short_label(question.option_label(own)) if own else None,
                "options": [{"value": o.value, "label": short_label(o.label),
                             "type_percent": peers["percent"].get(o.value),
                             "all_percent": everyone["percent"].get(o.value)}
                            for o in question.options],
                "type": {k: v for k, v in peers.items() if k != "percent"},
                "all": {k: v for k, v in everyone.items() if k != "percent"}}

    def shares(self, question: Question, column: pd.Series, kind: str | None,
               own_present: bool) -> dict[str, Any]:
        key = (question.id, kind, own_present)
        if key not in self._shares:
            answers = self.of_kind(column, kind).dropna()
            self._shares[key] = _shares(answers, question.options, own_present, self.threshold)
        return self._shares[key]

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
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["section", "table", "measure or question", "your answer", "your type: average",
                     "your type: median", "your type: respondents", "all: average", "all: median",
                     "all: respondents", "your quarter (of all)"])
    for m in result["measures"]:
        t, a = m["type"], m["all"]
        writer.writerow(["measure", m["table"], m["measure"], _fmt(m["own"]),
                         "suppressed" if t["suppressed"] else _fmt(t["mean"]),
                         "" if t["suppressed"] else _fmt(t["median"]), t["n"],
                         "suppressed" if a["suppressed"] else _fmt(a["mean"]),
                         "" if a["suppressed"] else _fmt(a["median"]), a["n"],
                         QUARTERS.get(m["quartile"], "")])
    writer.writerow([])
    writer.writerow(["section", "table", "question", "answer", "your answer", "your type: per cent",
                     "all: per cent"])
    for s in result["single"]:
        for o in s["options"]:
            writer.writerow(["single", s["table"], s["title"], o["label"], "yes" if o["value"] == s["own"] else "",
                             "suppressed" if s["type"]["suppressed"] else _fmt(o["type_percent"]),
                             "suppressed" if s["all"]["suppressed"] else _fmt(o["all_percent"])])
    writer.writerow([])
    writer.writerow(["section", "table", "question", "you have, as most respondents do", "you have, unlike most",
                     "most have, you do not"])
    for m in result["multi"]:
        writer.writerow(["multiple", m["table"], m["title"], "; ".join(m["shared"]), "; ".join(m["unusual"]),
                         "; ".join(m["missing"]) if not m["suppressed"] else "suppressed"])
    if result["trend"]:
        writer.writerow([])
        writer.writerow(["section", "year", "measure", "yours", "national average"])
        for row in result["trend"]:
            writer.writerow(["trend", row["year"], row["measure"], _fmt(row["own"]), _fmt(row["national"])])
    return buffer.getvalue()
