"""National tables from returns, with pandas: by authority type, single and multiple choice,
and responses against the population; and the same tables of several measures by region
(``regional``). Bases are computed, never typed.

A table is a plain dict (it is published as JSON, and read back from it), typed by its kind:
``ResponsesTable``, ``ByTypeTable``, ``SingleTable`` or ``MultiTable``, together ``Table``. "base"
is the base the table prints: for a by-type table whose measures stand on different numbers of
respondents (it prints "Base = 49 and 51") there is no one base, and it is None ("bases" holds
each measure's). Values are unrounded; "printed" holds what the report prints: whole numbers,
rounded half away from zero; "change" is the unrounded change on the previous year, and
``printed_change`` the one every output prints.

What differs between kinds is in one place: a class per kind (``Kind``, in ``KINDS``) builds its
tables, matches their rows to last year's and lays them out as the files print them. What an
output above this module does with each kind (its sentences, its place in the PDF, its part of a
benchmark) is a ``TableHandler`` or ``SpecHandler``, with a method per kind: ``Kind.handle``
calls the one for its kind, and nothing else asks a table's kind.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar, Generic, Literal, NotRequired, Protocol, TypedDict, TypeGuard, TypeVar

import numpy as np
import pandas as pd

import forms
from forms.rules import describe, is_asked
from forms.tablespec import TableSpec

from .dataset import COUNCIL_TYPES, OTHER_TYPES, Dataset, plural
from .withheld import EVERYONE, withheld

SMALL_BASE = 50
ROUNDING_NOTE = "Per cents may not add to 100 because of rounding."
MULTI_NOTE = "Respondents could give more than one answer, so per cents may add to more than 100."
SUPPRESSED = "*"
COUNCILS_TOTAL = "Total (councils)"  # Table 1's total: councils of the four types, not other employers

Printed = int | str | None
"""A figure as printed: a whole number, "*" where it is withheld, "n/a", or None where there is none."""


# ---------------------------------------------------------------- the tables, as types


class YearOnYear(TypedDict, total=False):
    """What a row gains where there are last year's figures (``_add_previous``)."""

    previous: float | None  # last year's unrounded figure
    previous_printed: int | None
    change: float | None  # unrounded; ``printed_change`` is the one printed


class ResponseRow(YearOnYear):
    """A row of Table 1: the returns of one type of organisation against how many there are."""

    group: str
    responses: int
    population: int | None
    percent: float | None
    printed: Printed


class MeasureRow(YearOnYear):
    """One measure's average for one group (a type, a region, or "All")."""

    group: str
    measure: str  # the measure's label
    question_id: str
    value: float | None
    n: int
    printed: Printed
    suppressed: NotRequired[bool]


class ChoiceRow(YearOnYear):
    """How many chose one answer of a single- or multiple-choice question."""

    label: str
    option: str
    count: int | None
    percent: float | None
    printed: Printed
    suppressed: NotRequired[bool]


Row = ResponseRow | MeasureRow | ChoiceRow


class Measure(TypedDict):
    """A measure of a table by type, as published: its heading, its name in a sentence, its unit."""

    label: str
    name: str
    unit: str
    percent: bool  # a per cent of another answer (each organisation's own share, averaged)


class _Table(TypedDict):
    id: str
    number: str  # "Table 2", "Figure 1"; "Table 2 by region"
    title: str
    question_ids: list[str]
    notes: list[str]
    previous_year: NotRequired[int]
    previous_base: NotRequired[int | None]
    findings: NotRequired[list[str]]  # as published (``outputs.with_findings``)


class ResponsesTable(_Table):
    kind: Literal["responses"]
    base: int
    rows: list[ResponseRow]


class ByTypeTable(_Table):
    kind: Literal["by_type"]
    base: int | None  # None where its measures' bases differ
    rows: list[MeasureRow]
    measures: list[Measure]
    bases: dict[str, int]  # each measure's, by label
    by: NotRequired[Literal["region"]]  # a table by region (``regional``) rather than by type


class SingleTable(_Table):
    kind: Literal["single"]
    base: int
    rows: list[ChoiceRow]


class MultiTable(_Table):
    kind: Literal["multi"]
    base: int
    rows: list[ChoiceRow]


ChoiceTable = SingleTable | MultiTable
Table = ResponsesTable | ByTypeTable | SingleTable | MultiTable
Grid = tuple[list[str], list[list[Any]]]
"""A table laid out as printed: its header, and its rows, each led by its group or answer."""


# ---------------------------------------------------------------- figures


def whole(x: float | None) -> int | None:
    """Round half away from zero, on the decimal value people see (12.5 -> 13, -0.5 -> -1)."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return None
    return int(Decimal(repr(float(x))).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def short_label(label: str) -> str:
    return re.sub(r"\s*\((please specify|Please specify|please state)\)\s*$", "", label)


def printed_change(row: Row) -> int | None:
    """The change on the previous year as every output prints it: this year's printed figure less
    last year's, so that the three printed figures add up (and no output gives more away than the
    printed figures do). Rounding keeps order, so it goes the same way as the unrounded change;
    it is 0 where the unrounded change may not be."""
    now, before = row.get("printed"), row.get("previous_printed")
    if isinstance(now, bool) or isinstance(before, bool) or not (isinstance(now, int) and isinstance(before, int)):
        return None
    return now - before


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


# ---------------------------------------------------------------- what differs by kind

R_co = TypeVar("R_co", covariant=True)
R = TypeVar("R")
T = TypeVar("T")
RowT = TypeVar("RowT")


class TableHandler(Protocol[R_co]):
    """What an output does with each kind of table (``Kind.handle``): the report's layout
    (``report``), the sentences written from it (``findings``). A new kind adds its method here,
    and mypy names every handler that lacks it."""

    def responses(self, table: ResponsesTable, /) -> R_co: ...
    def by_type(self, table: ByTypeTable, /) -> R_co: ...
    def single(self, table: SingleTable, /) -> R_co: ...
    def multi(self, table: MultiTable, /) -> R_co: ...


class SpecHandler(Protocol[R_co]):
    """What is done with each kind of table before it is built, from its spec (``Kind.handle_spec``):
    what an employer's benchmark compares (``benchmark``)."""

    def responses(self, spec: TableSpec, /) -> R_co: ...
    def by_type(self, spec: TableSpec, /) -> R_co: ...
    def single(self, spec: TableSpec, /) -> R_co: ...
    def multi(self, spec: TableSpec, /) -> R_co: ...


class Kind(ABC, Generic[T, RowT]):
    """What every kind of table does; each subclass says how its own kind does it."""

    name: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]  # its rows' fields in its CSV and the API (last year's follow)
    choice: ClassVar[bool] = False  # the answers to one question: counts shown on a small base, "Other" annexed
    by_standard: ClassVar[bool] = True  # reported under its standard (Table 1 is about the returns themselves)

    @abstractmethod
    def build(self, spec: TableSpec, dataset: Dataset, df: pd.DataFrame, threshold: int) -> T:
        """The table of ``spec``, from the returns' frame; no figure from fewer than ``threshold``."""

    def regional(self, spec: TableSpec, dataset: Dataset, df: pd.DataFrame, threshold: int) -> ByTypeTable | None:
        """The table by region rather than by type, for a kind that has one."""
        return None

    @abstractmethod
    def key(self, row: RowT) -> Hashable:
        """What a row is matched to last year's by."""

    @abstractmethod
    def compared(self, row: RowT) -> float | None:
        """The figure of a row set beside last year's."""

    @abstractmethod
    def grid(self, table: T) -> Grid:
        """The table laid out as the report prints it, for a spreadsheet or a web page: its header and
        rows, each row led by its group or answer; a withheld figure is "*", no figure None."""

    @abstractmethod
    def handle(self, table: T, handler: TableHandler[R]) -> R:
        """What ``handler`` does with a table of this kind: its method for the kind."""

    @abstractmethod
    def handle_spec(self, spec: TableSpec, handler: SpecHandler[R]) -> R:
        """What ``handler`` does with the spec of a table of this kind."""


def kind_of(table: Table | TableSpec) -> Kind[Any, Any]:
    """The kind of a table or of its spec (a KeyError for a kind this code does not know)."""
    return KINDS[table["kind"]]


def is_choice(table: Table) -> TypeGuard[ChoiceTable]:
    """Whether the table counts the answers to one single- or multiple-choice question."""
    return kind_of(table).choice


def by_region(table: Table) -> TypeGuard[ByTypeTable]:
    """Whether the table is one of ``regional``'s, by region rather than by type."""
    return table.get("by") == "region"


def compute(dataset: Dataset, threshold: int = 0) -> list[Table]:
    """Every table of the dataset's spec, with the previous year's figures when there are some."""
    df = frame(dataset)
    tables: list[Table] = [kind_of(spec).build(spec, dataset, df, threshold) for spec in dataset.tables]
    if dataset.previous is not None:
        earlier = {t["id"]: t for t in compute(dataset.previous, threshold)}
        for table in tables:
            _add_previous(table, earlier.get(table["id"]), dataset.previous.year)
    return tables


def regional(dataset: Dataset, threshold: int = 0) -> list[ByTypeTable]:
    """The tables of several measures (Tables 2 to 5 and 7) by region rather than by type, numbered
    "Table 2 by region" and so on, each figure withheld by the same pattern as the national tables
    (``withheld``, over everyone, the types and the regions together), so that setting a regional
    table beside its national one gives nothing withheld away."""
    df = frame(dataset)
    tables = [
        table for spec in dataset.tables if (table := kind_of(spec).regional(spec, dataset, df, threshold)) is not None
    ]
    if dataset.previous is not None:
        earlier: dict[str, Table] = {t["id"]: t for t in regional(dataset.previous, threshold)}
        for table in tables:
            _add_previous(table, earlier.get(table["id"]), dataset.previous.year)
    return tables


# ---------------------------------------------------------------- responses (Table 1)


class Responses(Kind[ResponsesTable, ResponseRow]):
    """Table 1: the returns of each type of organisation against how many there are."""

    name = "responses"
    columns = ("group", "responses", "population", "percent", "printed")
    by_standard = False  # it stands in the methodology, and leads the key findings

    def build(self, spec: TableSpec, dataset: Dataset, df: pd.DataFrame, threshold: int) -> ResponsesTable:
        rows = response_rows(df["type"].value_counts().to_dict(), dataset.populations)
        total_pop = next(r["population"] for r in rows if r["group"] == COUNCILS_TOTAL)
        notes = [
            f"Response rate: returns received as a per cent of the {total_pop or 'n/a'} councils of the four "
            f"types. Other employers (such as NHS trusts) are listed separately and are not in the total.",
            f"{len(df)} returns in all.",
        ]
        return {
            "id": spec["id"],
            "number": spec["number"],
            "title": spec["title"],
            "question_ids": [],
            "kind": "responses",
            "base": total_pop or 0,
            "rows": rows,
            "notes": notes,
        }

    def key(self, row: ResponseRow) -> Hashable:
        return row["group"]

    def compared(self, row: ResponseRow) -> float | None:
        return row.get("percent")

    def grid(self, table: ResponsesTable) -> Grid:
        return (
            ["Type", "Returns", "Per cent", "Population"],
            [[r["group"], r["responses"], r["printed"], r["population"] or "n/a"] for r in table["rows"]],
        )

    def handle(self, table: ResponsesTable, handler: TableHandler[R]) -> R:
        return handler.responses(table)

    def handle_spec(self, spec: TableSpec, handler: SpecHandler[R]) -> R:
        return handler.responses(spec)


def response_rows(counts: dict[str, int], populations: dict[str, int]) -> list[ResponseRow]:
    """Table 1's rows: returns of each council type against how many there are, their total, and
    other employers (such as NHS trusts) below the total, where there are any."""
    rows = [_rate_row(group, int(counts.get(group, 0)), populations.get(group)) for group in COUNCIL_TYPES]
    total_pop = sum(populations.get(g, 0) for g in COUNCIL_TYPES) or None
    rows.append(_rate_row(COUNCILS_TOTAL, sum(r["responses"] for r in rows), total_pop))
    for group in OTHER_TYPES:
        if counts.get(group, 0) or populations.get(group):
            rows.append(_rate_row(group, int(counts.get(group, 0)), populations.get(group)))
    return rows


def _rate_row(group: str, responses: int, population: int | None) -> ResponseRow:
    percent = 100 * responses / population if population else None
    return {
        "group": group,
        "responses": responses,
        "population": population,
        "percent": percent,
        "printed": whole(percent) if percent is not None else "n/a",
    }


# ---------------------------------------------------------------- numeric questions by type


def _numeric(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.where(series != forms.NOT_APPLICABLE), errors="coerce")


class ByType(Kind[ByTypeTable, MeasureRow]):
    """Tables 2 to 5 and 7: each measure's average for each type of organisation and for all; by
    region too (``regional``)."""

    name = "by_type"
    columns = ("measure", "group", "value", "n", "printed")

    def build(self, spec: TableSpec, dataset: Dataset, df: pd.DataFrame, threshold: int) -> ByTypeTable:
        return self._by(spec, dataset, df, threshold, "type")

    def regional(self, spec: TableSpec, dataset: Dataset, df: pd.DataFrame, threshold: int) -> ByTypeTable | None:
        return self._by(spec, dataset, df, threshold, "region")

    def _by(self, spec: TableSpec, dataset: Dataset, df: pd.DataFrame, threshold: int, by: str) -> ByTypeTable:
        q = dataset.questionnaire
        groups = groups_present(df, by)
        rows: list[MeasureRow] = []
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
                row: MeasureRow = {
                    "group": group,
                    "measure": measure["label"],
                    "question_id": measure["question"],
                    "value": value,
                    "n": n,
                    "printed": whole(value),
                }
                if (EVERYONE if group == "All" else (by, group)) in hidden:
                    row["value"], row["printed"], row["suppressed"] = None, SUPPRESSED, True
                rows.append(row)
            bases[measure["label"]] = int(present.sum())
            question = q.question(measure["question"])
            if question.not_applicable:
                none = int((df[measure["question"]] == forms.NOT_APPLICABLE).sum())
                zeros = int((values == 0).sum())
                notes.append(
                    f"{measure['label']}: averages include those who hold no cases (0): {zeros} "
                    f"respondent{'s' if zeros != 1 else ''} reported none held; {none} had no such role "
                    f"and {'are' if none != 1 else 'is'} excluded."
                )
        if percent_measures:
            notes.insert(
                0,
                "Each figure is the average of the organisations’ own percentages of their posts, "
                "not a percentage of all posts.",
            )
        others = [g for g in groups if g in OTHER_TYPES]
        if others:
            notes.append(
                f"All: every respondent, councils and {' and '.join(plural(g) for g in others)} alike "
                "(Table 1's total counts councils only)."
            )
        if by == "region" and df["region"].isna().any():
            notes.append("All: every respondent, those in no region (such as most NHS trusts) too.")
        if any(r.get("suppressed") for r in rows):
            notes.append(
                f"* Not shown: fewer than {threshold} respondents of this {by}, or withheld so that such a "
                "figure cannot be worked out from the others and the total."
            )
        question_ids = list(
            dict.fromkeys(
                [m["question"] for m in spec["measures"]]
                + [m["percent_of"] for m in spec["measures"] if "percent_of" in m]
            )
        )
        measures: list[Measure] = [
            {
                "label": m["label"],
                "name": m.get("name", m["label"]),
                "unit": m.get("unit", ""),
                "percent": "percent_of" in m,
            }
            for m in spec["measures"]
        ]
        # said once, by region: "Table 2 by region: Unfilled posts…"
        number = f"{spec['number']} by region" if by == "region" else spec["number"]
        printed_base = next(iter(bases.values())) if len(set(bases.values())) == 1 else None
        table: ByTypeTable = {
            "id": spec["id"],
            "number": number,
            "title": spec["title"],
            "question_ids": question_ids,
            "kind": "by_type",
            "base": printed_base,
            "rows": rows,
            "notes": notes,
            "measures": measures,
            "bases": bases,
        }
        if by == "region":
            table["by"] = "region"
        return table

    def key(self, row: MeasureRow) -> Hashable:
        return (row["question_id"], row["group"])

    def compared(self, row: MeasureRow) -> float | None:
        return row.get("value")

    def grid(self, table: ByTypeTable) -> Grid:
        previous = table.get("previous_year")
        measures = table.get("measures") or [
            {"label": m, "name": m, "unit": "", "percent": False}
            for m in dict.fromkeys(r["measure"] for r in table["rows"])
        ]
        header = ["Region" if table.get("by") == "region" else "Type"]
        for m in measures:
            unit = "per cent of posts" if m["percent"] else (m["unit"] or "average")
            header += [f"{m['label']} ({unit})", f"{m['label']}: respondents"]
            header += [f"{m['label']}: {previous}"] if previous else []
        lookup = {(r["measure"], r["group"]): r for r in table["rows"]}
        rows = []
        for group in dict.fromkeys(r["group"] for r in table["rows"]):
            row: list[Any] = [group]
            for m in measures:
                cell = lookup[(m["label"], group)]
                row += [cell["printed"], cell["n"]] + ([cell.get("previous_printed")] if previous else [])
            rows.append(row)
        return header, rows

    def handle(self, table: ByTypeTable, handler: TableHandler[R]) -> R:
        return handler.by_type(table)

    def handle_spec(self, spec: TableSpec, handler: SpecHandler[R]) -> R:
        return handler.by_type(spec)


# ---------------------------------------------------------------- single and multiple choice


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


def _choice_rows(counts: pd.Series, base: int, options: Sequence[tuple[str, str]]) -> list[ChoiceRow]:
    """Each option's count and per cent of ``base``, from its (value, label)."""
    rows: list[ChoiceRow] = []
    for value, label in options:
        count = int(counts.get(value, 0))
        percent = 100 * count / base if base else None
        rows.append({"label": label, "option": value, "count": count, "percent": percent, "printed": whole(percent)})
    return rows


ChoiceT = TypeVar("ChoiceT", SingleTable, MultiTable)


class _Choice(Kind[ChoiceT, ChoiceRow]):
    """What single and multiple choice tables share: a row per answer, its count and per cent."""

    columns = ("label", "count", "percent", "printed")
    choice = True

    def key(self, row: ChoiceRow) -> Hashable:
        return row["option"]

    def compared(self, row: ChoiceRow) -> float | None:
        return row.get("percent")

    def grid(self, table: ChoiceT) -> Grid:
        previous = table.get("previous_year")
        header = ["Answer", "Number", "Per cent"] + ([f"{previous}: per cent", "Change (points)"] if previous else [])
        return header, [
            [r["label"], "*" if r.get("suppressed") else r["count"], r["printed"]]
            + ([r.get("previous_printed"), r.get("change")] if previous else [])
            for r in table["rows"]
        ]


def _suppress_if_small(rows: list[ChoiceRow], notes: list[str], base: int, threshold: int) -> None:
    if 0 < base < threshold:
        for row in rows:
            row["count"], row["percent"], row["printed"], row["suppressed"] = None, None, SUPPRESSED, True
        notes.append(f"* Not shown: fewer than {threshold} respondents.")


class Single(_Choice[SingleTable]):
    """The answers to a single-choice question: the per cent giving each (a figure's bar chart)."""

    name = "single"

    def build(self, spec: TableSpec, dataset: Dataset, df: pd.DataFrame, threshold: int) -> SingleTable:
        question = dataset.questionnaire.question(spec["question"])
        asked = pd.Series(_asked_mask(question, dataset), index=df.index, dtype=bool)
        answers = df.loc[asked, question.id].dropna()
        base = int(len(answers))
        rows = _choice_rows(answers.value_counts(), base, [(o.value, short_label(o.label)) for o in question.options])
        adds_up = sum(whole(r["percent"]) or 0 for r in rows) == 100 or not base
        notes = _routing_note(question, dataset, int(asked.sum())) + ([] if adds_up else [ROUNDING_NOTE])
        _suppress_if_small(rows, notes, base, threshold)
        return {
            "id": spec["id"],
            "number": spec["number"],
            "title": spec["title"],
            "question_ids": [question.id],
            "kind": "single",
            "base": base,
            "rows": rows,
            "notes": notes,
        }

    def handle(self, table: SingleTable, handler: TableHandler[R]) -> R:
        return handler.single(table)

    def handle_spec(self, spec: TableSpec, handler: SpecHandler[R]) -> R:
        return handler.single(spec)


class Multi(_Choice[MultiTable]):
    """The answers to a multiple-choice question, "Other" answers counted as the categories they
    were coded to: most often given first (or in the questionnaire's order), the catch-alls last."""

    name = "multi"

    def build(self, spec: TableSpec, dataset: Dataset, df: pd.DataFrame, threshold: int) -> MultiTable:
        question = dataset.questionnaire.question(spec["question"])
        specify = question.specify_option
        labels = {o.value: short_label(o.label) for o in question.options}
        labels.update(dict(dataset.categories.get(question.id, [])))
        other_id = question.other_id
        asked = _asked_mask(question, dataset)
        chosen = df[question.id].where(pd.Series(asked, index=df.index, dtype=bool), None)
        coded_rows = (
            [
                (i, r.coded[other_id])
                for i, r in enumerate(dataset.returns)
                if r.coded and r.coded.get(other_id) and asked[i]
            ]
            if other_id
            else []
        )
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
        last = spec.get("last") or [
            o.value for o in question.options if o.specify or o.exclusive or o.value == "dont_know"
        ]
        rows = _choice_rows(counts, base, list(labels.items()))
        head = [r for r in rows if r["option"] not in last]
        if spec.get("order", "count") == "count":
            head.sort(key=lambda r: (-(r["count"] or 0), order.index(r["option"])))
        tail = [next(r for r in rows if r["option"] == v) for v in last]
        notes = _routing_note(question, dataset, sum(asked)) + [MULTI_NOTE]
        if coded_rows:
            notes.append("“Other” answers that were coded into categories are counted in those categories.")
        rows = head + tail
        _suppress_if_small(rows, notes, base, threshold)
        return {
            "id": spec["id"],
            "number": spec["number"],
            "title": spec["title"],
            "question_ids": [question.id],
            "kind": "multi",
            "base": base,
            "rows": rows,
            "notes": notes,
        }

    def handle(self, table: MultiTable, handler: TableHandler[R]) -> R:
        return handler.multi(table)

    def handle_spec(self, spec: TableSpec, handler: SpecHandler[R]) -> R:
        return handler.multi(spec)


KINDS: dict[str, Kind[Any, Any]] = {kind.name: kind for kind in (Responses(), ByType(), Single(), Multi())}


# ---------------------------------------------------------------- year on year


def _add_previous(table: Table, earlier: Table | None, year: int) -> None:
    if earlier is None:
        return
    kind = kind_of(table)
    before = {kind_of(earlier).key(r): r for r in earlier["rows"]}
    table["previous_year"] = year
    table["previous_base"] = earlier["base"]
    for row in table["rows"]:
        old = before.get(kind.key(row))
        old_value = kind.compared(old) if old else None
        now = kind.compared(row)
        row["previous"] = old_value
        row["previous_printed"] = whole(old_value)
        row["change"] = (now - old_value) if now is not None and old_value is not None else None
