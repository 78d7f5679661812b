"""The national tables of a questionnaire, as data: which questions, what kind, what order."""

from __future__ import annotations

import json
from functools import cache
from typing import Any, Literal, NotRequired, TypedDict

import jsonschema
import yaml

from . import HERE, DefinitionError, Questionnaire, _extra_dirs, on_folders_changed
from . import load as load_questionnaire

TABLES_DIR = HERE / "tables"
SCHEMA = HERE / "tables.schema.json"

KIND_TYPES = {"single": "single", "multi": "multiple"}


class MeasureSpec(TypedDict):
    """One measure of a table by type: a number question's average (or its answer as a per cent of
    another's)."""

    question: str
    label: str  # its heading within its table
    name: NotRequired[str]  # named outside its table (a finding, a benchmark row); the label if absent
    unit: NotRequired[str]
    percent_of: NotRequired[str]


class TableSpec(TypedDict):
    """One national table as ``tables.schema.json`` defines it: what it counts, and how
    (``kind``; ``aggregation.tables`` holds what each kind does)."""

    id: str
    number: str  # "Table 2", "Figure 1"
    title: str
    kind: Literal["responses", "by_type", "single", "multi"]
    question: NotRequired[str]  # single and multi: the question it counts the answers to
    order: NotRequired[Literal["count", "options"]]  # multi
    last: NotRequired[list[str]]  # multi: option values shown last, in this order
    measures: NotRequired[list[MeasureSpec]]  # by_type


def parse(spec: dict[str, Any], questionnaire: Questionnaire) -> list[TableSpec]:
    """Check a table spec against its schema and the questionnaire; return its tables."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    problems = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in jsonschema.Draft202012Validator(schema).iter_errors(spec)
    ]
    if problems:
        raise DefinitionError("\n".join(problems))
    if spec["questionnaire"] != questionnaire.key:
        raise DefinitionError(f"tables are for {spec['questionnaire']}, not {questionnaire.key}")
    tables: list[dict[str, Any]] = spec["tables"]  # checked here, then read as TableSpec
    by_id = {q.id: q for q in questionnaire.questions()}
    types = {qid: q.type for qid, q in by_id.items()}
    seen_ids: set[str] = set()
    seen_numbers: set[str] = set()
    for table in tables:
        where = f"{table['number']} ({table['id']})"
        for key, seen in (("id", seen_ids), ("number", seen_numbers)):
            if table[key] in seen:
                problems.append(f"{where}: {key} used more than once")
            seen.add(table[key])
        if table["kind"] in KIND_TYPES and types.get(table["question"]) != KIND_TYPES[table["kind"]]:
            problems.append(f"{where}: {table['question']} is not a {KIND_TYPES[table['kind']]}-choice question")
        for measure in table.get("measures", []):
            for key in ("question", "percent_of"):
                if key in measure and not (measure[key] in by_id and by_id[measure[key]].answer_type.numeric):
                    problems.append(f"{where}: {measure[key]} is not a number question")
        if table["kind"] == "multi":
            values = {o.value for o in questionnaire.question(table["question"]).options}
            for value in table.get("last", []):
                if value not in values:
                    problems.append(f"{where}: {value} is not an option of {table['question']}")
    if problems:
        raise DefinitionError("\n".join(problems))
    checked: list[TableSpec] = spec["tables"]
    return checked


@cache
def _load(qid: str, version: str) -> str:
    candidates = [d / f"{qid}-{version}.yaml" for d in [TABLES_DIR, *(e / "tables" for e in _extra_dirs)]]
    path = next((c for c in candidates if c.exists()), None)
    if path is None:
        raise KeyError(f"no tables defined for {qid}@{version} (expected {candidates[0].name})")
    return json.dumps(parse(yaml.safe_load(path.read_text(encoding="utf-8")), load_questionnaire(qid, version)))


on_folders_changed(_load.cache_clear)


def load(questionnaire: Questionnaire) -> list[TableSpec]:
    """The tables of a questionnaire (a fresh copy: callers may annotate them)."""
    tables: list[TableSpec] = json.loads(_load(questionnaire.id, questionnaire.version))
    return tables
