"""National tables from returns, with pandas: by authority type, single and multiple choice,
and responses against the population; and the same tables of several measures by region
(``regional``). Bases are computed, never typed.

Each table is a dict: {"id", "number", "title", "question_ids", "kind", "base", "rows",
"notes"} (plus "bases", each measure's, for by-type tables). "base" is the base the table
prints: for a by-type table whose measures stand on different numbers of respondents (it prints
"Base = 49 and 51") there is no one base, and it is None. Values are unrounded; "printed" holds
what the report prints: whole numbers, rounded half away from zero; "change" is the unrounded
change on the previous year, and ``printed_change`` the one every output prints.
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

import forms
from forms.rules import describe, is_asked

from .dataset import COUNCIL_TYPES, OTHER_TYPES, Dataset, plural
from .withheld import EVERYONE, withheld

SMALL_BASE = 50
ROUNDING_NOTE = "Per cents may not add to 100 because of rounding."
MULTI_NOTE = "Respondents could give more than one answer, so per cents may add to more than 100."
SUPPRESSED = "*"
COUNCILS_TOTAL = "Total (councils)"  # Table 1's total: councils of the four types, not other employers


def whole(x: float | None) -> int | None:
    """Round half away from zero, on the decimal value people see (12.5 -> 13, -0.5 -> -1)."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return None
    return int(Decimal(repr(float(x))).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def short_label(label: str) -> str:
    return re.sub(r"\s*\((please specify|Please specify|please state)\)\s*$", "", label)


def frame(dataset: Dataset) -> pd.DataFrame:
    """One row per return: organisation, authority type, and every answer key."""
    keys = dataset.questionnaire.answer_keys()
    df = pd.DataFrame.from_records([r.answers for r in dataset.returns], columns=keys)
    df = df.astype(object).where(df.notna(), None)
    df.insert(0, "region", pd.Series([r.region or None for r in dataset.returns], dtype=object))
    df.insert(0, "type", [r.authority_type for r in dataset.returns])
    df.insert(0, "organisation", [r.organisation for r in dataset.returns])
    return df


def groups_present(df: pd.DataFrame, by: str = "type") -> list[str]:
    """The types (in the report's order) or regions (alphabetically) of the frame's returns."""
    present = set(df[by].dropna())
    if by == "region":
        return sorted(present)
    return [t for t in COUNCIL_TYPES if t in present] + [t for t in OTHER_TYPES if t in present]


def compute(dataset: Dataset, threshold: int = 0) -> list[dict[str, Any]]:
    """Every table of the dataset's spec, with the previous year's figures when there are some."""
    df = frame(dataset)
    tables = [_BUILDERS[spec["kind"]](spec, dataset, df, threshold) for spec in dataset.tables]
    if dataset.previous is not None:
        earlier = {t["id"]: t for t in compute(dataset.previous, threshold)}
        for table in tables:
            _add_previous(table, earlier.get(table["id"]), dataset.previous.year)
    return tables


def regional(dataset: Dataset, threshold: int = 0) -> list[dict[str, Any]]:
    """The tables of several measures (Tables 2 to 5 and 7) by region rather than by type, numbered
    "Table 2 by region" and so on, each figure withheld by the same pattern as the national tables
    (``withheld``, over everyone, the types and the regions together), so that setting a regional
    table beside its national one gives nothing withheld away."""
    df = frame(dataset)
    tables = [_by_type(spec, dataset, df, threshold, by="region") for spec in dataset.tables
              if spec["kind"] == "by_type"]
    if dataset.previous is not None:
        earlier = {t["id"]: t for t in regional(dataset.previous, threshold)}
        for table in tables:
            _add_previous(table, earlier.get(table["id"]), dataset.previous.year)
    return tables


def _table(spec: dict[str, Any], question_ids: list[str], base: int | None, rows: list[dict[str, Any]],
           notes: list[str], **extra: Any) -> dict[str, Any]:
    return {"id": spec["id"], "number": spec["number"], "title": spec["title"], "question_ids": question_ids,
            "kind": spec["kind"], "base": base, "rows": rows, "notes": notes, **extra}


# ---------------------------------------------------------------- responses (Table 1)

def _responses(spec: dict[str, Any], dataset: Dataset, df: pd.DataFrame, threshold: int) -> dict[str, Any]:
    rows = response_rows(df["type"].value_counts().to_dict(), dataset.populations)
    total_pop = next(r["population"] for r in rows if r["group"] == COUNCILS_TOTAL)
    notes = [f"Response rate: returns received as a per cent of the {total_pop or 'n/a'} councils of the four "
             f"types. Other employers (such as NHS trusts) are listed separately and are not in the total.",
             f"{len(df)} returns in all."]
    return _table(spec, [], total_pop or 0, rows, notes)


def response_rows(counts: dict[str, int], populations: dict[str, int]) -> list[dict[str, Any]]:
    """Table 1's rows: returns of each council type against how many there are, their total, and
    other employers (such as NHS trusts) below the total, where there are any."""
    rows = [_rate_row(group, int(counts.get(group, 0)), populations.get(group)) for group in COUNCIL_TYPES]
    total_pop = sum(populations.get(g, 0) for g in COUNCIL_TYPES) or None
    rows.append(_rate_row(COUNCILS_TOTAL, sum(r["responses"] for r in rows), total_pop))
    for group in OTHER_TYPES:
        if counts.get(group, 0) or populations.get(group):
            rows.append(_rate_row(group, int(counts.get(group, 0)), populations.get(group)))
    return rows


def _rate_row(group: str, responses: int, population: int | None) -> dict[str, Any]:
    percent = 100 * responses / population if population else None
    return {"group": group, "responses": responses, "population": population, "percent": percent,
            "printed": whole(percent) if percent is not None else "n/a"}


# ---------------------------------------------------------------- numeric questions by type

def _numeric(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.where(series != forms.NOT_APPLICABLE), errors="coerce")


def _by_type(spec: dict[str, Any], dataset: Dataset, df: pd.DataFrame, threshold: int,
             by: str = "type") -> dict[str, Any]:
    q = dataset.questionnaire
    groups = groups_present(df, by)
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    bases: dict[str, int] = {}
    percent_measures: list[str] = []
    for measure in spec["measures"]:
        values = _numeric(df[measure["question"]])
        if "percent_of" in measure:
            denominator = _numeric(df[measure["percent_of"]])
            values = (100 * values / denominator).where(denominator > 0)
            percent_measures.append(measure["label"])
        present = values.notna()
        stats = values.groupby(df[by]).agg(["mean", "count"])
        hidden = withheld(dataset.returns, list(present), threshold)
        for group in groups + ["All"]:
            if group == "All":
                mean, n = values.mean(), int(present.sum())
            else:
                mean = stats["mean"].get(group, np.nan)
                n = int(stats["count"].get(group, 0))
            value = None if n == 0 or np.isnan(mean) else float(mean)
            row = {"group": group, "measure": measure["label"], "question_id": measure["question"],
                   "value": value, "n": n, "printed": whole(value)}
            if (EVERYONE if group == "All" else (by, group)) in hidden:
                row.update(value=None, printed=SUPPRESSED, suppressed=True)
            rows.append(row)
        bases[measure["label"]] = int(present.sum())
        question = q.question(measure["question"])
        if question.not_applicable:
            none = int((df[measure["question"]] == forms.NOT_APPLICABLE).sum())
            zeros = int((values == 0).sum())
            notes.append(f"{measure['label']}: averages include those who hold no cases (0): {zeros} "
                         f"respondent{'s' if zeros != 1 else ''} reported none held; {none} had no such role "
                         f"and {'are' if none != 1 else 'is'} excluded.")
    if percent_measures:
        notes.insert(0, "Each figure is the average of the organisations’ own percentages of their posts, "
                        "not a percentage of all posts.")
    others = [g for g in groups if g in OTHER_TYPES]
    if others:
        notes.append(f"All: every respondent, councils and {' and '.join(plural(g) for g in others)} alike "
                     "(Table 1's total counts councils only).")
    if by == "region" and df["region"].isna().any():
        notes.append("All: every respondent, those in no region (such as most NHS trusts) too.")
    if any(r.get("suppressed") for r in rows):
        notes.append(f"* Not shown: fewer than {threshold} respondents of this {by}, or withheld so that such a "
                     "figure cannot be worked out from the others and the total.")
    question_ids = list(dict.fromkeys([m["question"] for m in spec["measures"]]
                                      + [m["percent_of"] for m in spec["measures"] if "percent_of" in m]))
    extra: dict[str, Any] = {"bases": bases}
    measures = [{"label": m["label"], "name": m.get("name", m["label"]), "unit": m.get("unit", ""),
                 "percent": "percent_of" in m} for m in spec["measures"]]
    if by == "region":
        spec = spec | {"number": f"{spec['number']} by region"}  # said once: "Table 2 by region: Unfilled posts…"
        extra["by"] = "region"
    printed_base = next(iter(bases.values())) if len(set(bases.values())) == 1 else None
    return _table(spec, question_ids, printed_base, rows, notes, measures=measures, **extra)


# ---------------------------------------------------------------- single choice

def _asked_mask(question: forms.Question, dataset: Dataset) -> list[bool]:
    if question.when is None:  # asked of everyone: no need to evaluate per return
        return [True] * len(dataset.returns)
    return [is_asked(question, r.answers) for r in dataset.returns]


def _routing_note(question: forms.Question, dataset: Dataset, asked: int) -> list[str]:
    if not question.when:
        return []

    def label_of(qid: str, value: Any) -> str:
        return dataset.questionnaire.question(qid).option_label(str(value))

    in_words = describe(question.when, label_of, lambda qid: dataset.questionnaire.question(qid).in_words)
    return [f"Asked only where {in_words} ({asked} respondents)."]


def _single(spec: dict[str, Any], dataset: Dataset, df: pd.DataFrame, threshold: int) -> dict[str, Any]:
    question = dataset.questionnaire.question(spec["question"])
    asked = pd.Series(_asked_mask(question, dataset), index=df.index, dtype=bool)
    answers = df.loc[asked, question.id].dropna()
    base = int(len(answers))
    counts = answers.value_counts()
    rows: list[dict[str, Any]] = [
        {"label": short_label(o.label), "option": o.value, "count": int(counts.get(o.value, 0)),
         "percent": 100 * int(counts.get(o.value, 0)) / base if base else None} for o in question.options]
    for row in rows:
        row["printed"] = whole(row["percent"])
    adds_up = sum(r["printed"] or 0 for r in rows) == 100 or not base
    notes = _routing_note(question, dataset, int(asked.sum())) + ([] if adds_up else [ROUNDING_NOTE])
    table = _table(spec, [question.id], base, rows, notes)
    return _suppress_if_small(table, threshold)


def _suppress_if_small(table: dict[str, Any], threshold: int) -> dict[str, Any]:
    if 0 < table["base"] < threshold:
        for row in table["rows"]:
            row.update(count=None, percent=None, printed=SUPPRESSED, suppressed=True)
        table["notes"].append(f"* Not shown: fewer than {threshold} respondents.")
    return table


# ---------------------------------------------------------------- multiple choice (with coding)

def _multi(spec: dict[str, Any], dataset: Dataset, df: pd.DataFrame, threshold: int) -> dict[str, Any]:
    question = dataset.questionnaire.question(spec["question"])
    specify = question.specify_option
    labels = {o.value: short_label(o.label) for o in question.options}
    labels.update(dict(dataset.categories.get(question.id, [])))
    other_id = question.other_id
    asked = _asked_mask(question, dataset)
    chosen = df[question.id].where(pd.Series(asked, index=df.index, dtype=bool), None)
    coded_rows = [(i, r.coded[other_id]) for i, r in enumerate(dataset.returns)
                  if r.coded and r.coded.get(other_id) and asked[i]] if other_id else []
    if coded_rows and specify is not None:  # coded "Other" answers count as the categories they were coded to
        chosen = chosen.copy()
        for i, categories in coded_rows:
            ticked = [v for v in (chosen.iat[i] or []) if v != specify.value]
            chosen.iat[i] = list(dict.fromkeys(ticked + list(categories)))
    answered = chosen.dropna()
    answered = answered[answered.map(len) > 0]
    base = int(len(answered))
    exploded = answered.explode()
    counts = exploded.value_counts() if len(exploded) else pd.Series(dtype=int)
    order = list(labels)
    last = spec.get("last") or [o.value for o in question.options
                                if o.specify or o.exclusive or o.value == "dont_know"]
    rows: list[dict[str, Any]] = [
        {"label": labels[v], "option": v, "count": int(counts.get(v, 0)),
         "percent": 100 * int(counts.get(v, 0)) / base if base else None} for v in order]
    for row in rows:
        row["printed"] = whole(row["percent"])
    head = [r for r in rows if r["option"] not in last]
    if spec.get("order", "count") == "count":
        head.sort(key=lambda r: (-r["count"], order.index(r["option"])))
    tail = [next(r for r in rows if r["option"] == v) for v in last]
    notes = _routing_note(question, dataset, sum(_asked_mask(question, dataset))) + [MULTI_NOTE]
    if coded_rows:
        notes.append("“Other” answers that were coded into categories are counted in those categories.")
    return _suppress_if_small(_table(spec, [question.id], base, head + tail, notes), threshold)


_BUILDERS = {"responses": _responses, "by_type": _by_type, "single": _single, "multi": _multi}


# ---------------------------------------------------------------- year on year

def _row_key(table: dict[str, Any], row: dict[str, Any]) -> Any:
    if table["kind"] == "by_type":
        return (row["question_id"], row["group"])
    if table["kind"] == "responses":
        return row["group"]
    return row["option"]


def _add_previous(table: dict[str, Any], earlier: dict[str, Any] | None, year: int) -> None:
    if earlier is None:
        return
    before = {_row_key(earlier, r): r for r in earlier["rows"]}
    field = {"by_type": "value", "responses": "percent"}.get(table["kind"], "percent")
    table["previous_year"] = year
    table["previous_base"] = earlier["base"]
    for row in table["rows"]:
        old = before.get(_row_key(table, row))
        old_value = old.get(field) if old else None
        row["previous"] = old_value
        row["previous_printed"] = whole(old_value)
        row["change"] = (row[field] - old_value) if row.get(field) is not None and old_value is not None else None


def printed_change(row: dict[str, Any]) -> int | None:
    """The change on the previous year as every output prints it: this year's printed figure less
    last year's, so that the three printed figures add up (and no output gives more away than the
    printed figures do). Rounding keeps order, so it goes the same way as the unrounded change;
    it is 0 where the unrounded change may not be."""
    now, before = row.get("printed"), row.get("previous_printed")
    if isinstance(now, bool) or isinstance(before, bool) or not (isinstance(now, int) and isinstance(before, int)):
        return None
    return now - before
