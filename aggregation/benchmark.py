"""One employer's benchmark: its own figures beside its authority type and all respondents.

Disclosure control: a comparison group is shown only when it holds at least ``threshold``
respondents besides the employer itself (never fewer than 2, so no figure, with the
employer's own answer, gives away another single employer's answer). Distributions are
shown as quartile boxes, never as individual values.
"""
from __future__ import annotations

import csv
import io
from typing import Any

import pandas as pd

from forms.rules import is_asked

from .dataset import Dataset
from .tables import _numeric, frame, short_label, whole

QUARTERS = {1: "lowest quarter", 2: "second quarter", 3: "third quarter", 4: "highest quarter"}


def effective_threshold(threshold: int) -> int:
    return max(int(threshold), 2)


def _group(values: pd.Series, own_present: bool, threshold: int) -> dict:
    n = int(values.notna().sum())
    others = n - (1 if own_present else 0)
    if others < threshold:
        return {"n": n, "suppressed": True, "mean": None, "median": None}
    clean = values.dropna()
    return {"n": n, "suppressed": False, "mean": float(clean.mean()), "median": float(clean.median()),
            "q1": float(clean.quantile(0.25)), "q3": float(clean.quantile(0.75))}


def _quartile(own: float | None, group: dict) -> int | None:
    if own is None or group["suppressed"]:
        return None
    if own <= group["q1"]:
        return 1
    if own <= group["median"]:
        return 2
    if own <= group["q3"]:
        return 3
    return 4


def _measure_values(df: pd.DataFrame, measure: dict) -> pd.Series:
    values = _numeric(df[measure["question"]])
    if "percent_of" in measure:
        denominator = _numeric(df[measure["percent_of"]])
        values = (100 * values / denominator).where(denominator > 0)
    return values


def compute(dataset: Dataset, organisation: str, threshold: int = 5) -> dict:
    threshold = effective_threshold(threshold)
    df = frame(dataset)
    matches = df.index[df["organisation"] == organisation]
    if len(matches) != 1:
        raise KeyError(f"{organisation} has no return in {dataset.year}")
    me = matches[0]
    own_return = dataset.returns[me]
    kind = own_return.authority_type
    same_type = df["type"] == kind
    result: dict[str, Any] = {"organisation": organisation, "authority_type": kind, "year": dataset.year,
                              "threshold": threshold, "respondents": len(df), "measures": [], "single": [],
                              "multi": [], "trend": []}
    for spec in dataset.tables:
        if spec["kind"] == "by_type":
            for measure in spec["measures"]:
                values = _measure_values(df, measure)
                own = values.iat[me]
                own = None if pd.isna(own) else float(own)
                everyone = _group(values, own is not None, threshold)
                peers = _group(values[same_type], own is not None, threshold)
                result["measures"].append({
                    "table": spec["number"], "title": spec["title"], "measure": measure["label"],
                    "question_id": measure["question"], "percent": "percent_of" in measure,
                    "own": own, "own_answer": own_return.answers.get(measure["question"]),
                    "type": peers, "all": everyone, "quartile": _quartile(own, everyone)})
        elif spec["kind"] == "single":
            result["single"].append(_single(spec, dataset, df, me, same_type, threshold))
        elif spec["kind"] == "multi":
            result["multi"].append(_multi(spec, dataset, df, me, threshold))
    result["trend"] = _trend(dataset, organisation)
    return result


def _shares(answers: pd.Series, options, own_present: bool, threshold: int) -> dict:
    n = int(len(answers))
    if n - (1 if own_present else 0) < threshold:
        return {"n": n, "suppressed": True, "percent": {}}
    counts = answers.value_counts()
    return {"n": n, "suppressed": False, "percent": {o.value: 100 * int(counts.get(o.value, 0)) / n for o in options}}


def _single(spec, dataset: Dataset, df, me, same_type, threshold) -> dict:
    question = dataset.questionnaire.question(spec["question"])
    asked = pd.Series([is_asked(question, r.answers) for r in dataset.returns], index=df.index)
    column = df[question.id].where(asked, None)
    own = column.iat[me]
    answered = column.dropna()
    everyone = _shares(answered, question.options, own is not None, threshold)
    peers = _shares(column[same_type].dropna(), question.options, own is not None, threshold)
    return {"table": spec["number"], "title": spec["title"], "question_id": question.id,
            "asked": bool(asked.iat[me]), "own": own, "own_label": short_label(question.option_label(own)) if own else None,
            "options": [{"value": o.value, "label": short_label(o.label),
                         "type_percent": peers["percent"].get(o.value), "all_percent": everyone["percent"].get(o.value)}
                        for o in question.options],
            "type": {k: v for k, v in peers.items() if k != "percent"},
            "all": {k: v for k, v in everyone.items() if k != "percent"}}


def _multi(spec, dataset: Dataset, df, me, threshold) -> dict:
    question = dataset.questionnaire.question(spec["question"])
    labels = {o.value: short_label(o.label) for o in question.options}
    labels.update(dict(dataset.categories.get(question.id, [])))
    sets = []
    for r in dataset.returns:
        chosen = set(r.answers.get(question.id) or []) if is_asked(question, r.answers) else set()
        coded = r.coded.get(question.other_id) if question.other_id else None
        if coded:
            chosen.discard(question.specify_option.value)
            chosen.update(coded)
        sets.append(chosen)
    own = sets[me]
    answered = [s for s in sets if s]
    others = len(answered) - (1 if own else 0)
    out = {"table": spec["number"], "title": spec["title"], "question_id": question.id,
           "own": [labels[v] for v in labels if v in own], "n": len(answered), "suppressed": others < threshold}
    if out["suppressed"]:
        out.update(shared=[], unusual=[], missing=[])
        return out
    share = {v: 100 * sum(v in s for s in answered) / len(answered) for v in labels}
    common = {v for v, p in share.items() if p > 50}
    out["shared"] = [labels[v] for v in labels if v in own and v in common]
    out["unusual"] = [labels[v] for v in labels if v in own and v not in common]
    out["missing"] = [labels[v] for v in labels if v in common and v not in own]
    out["share"] = {labels[v]: share[v] for v in labels}
    return out


def _trend(dataset: Dataset, organisation: str) -> list[dict]:
    """Own figure and the national average, per measure, for each year the employer returned."""
    rows = []
    chain, current = [], dataset
    while current is not None:
        chain.append(current)
        current = current.previous
    for ds in reversed(chain):
        df = frame(ds)
        matches = df.index[df["organisation"] == organisation]
        if len(matches) != 1:
            continue
        for spec in dataset.tables:
            for measure in spec.get("measures", []):
                values = _measure_values(df, measure)
                own = values.iat[matches[0]]
                rows.append({"year": ds.year, "measure": measure["label"],
                             "own": None if pd.isna(own) else float(own),
                             "national": float(values.mean()) if values.notna().any() else None})
    return rows if len({r["year"] for r in rows}) > 1 else []


# ---------------------------------------------------------------- outputs

def _fmt(value, percent: bool = False) -> str:
    if value is None:
        return ""
    return f"{whole(value)}%" if percent else str(whole(value))


def to_csv(result: dict) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["section", "table", "measure or question", "your answer", "your type: average",
                     "your type: median", "your type: respondents", "all: average", "all: median",
                     "all: respondents", "your quarter (of all)"])
    for m in result["measures"]:
        t, a = m["type"], m["all"]
        writer.writerow(["measure", m["table"], m["measure"], _fmt(m["own"]),
                         "suppressed" if t["suppressed"] else _fmt(t["mean"]), "" if t["suppressed"] else _fmt(t["median"]),
                         t["n"], "suppressed" if a["suppressed"] else _fmt(a["mean"]),
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
