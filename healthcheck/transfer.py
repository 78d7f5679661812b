"""Returns in and out as files: one row per organisation, columns named by the codebook.

``import_returns`` validates every cell with the same rules as the web form and writes nothing
unless every row is valid. ``export_returns`` writes the same columns, so an export
re-imports unchanged. Cells that a spreadsheet would run as a formula are neutralised.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import forms
from forms import NOT_APPLICABLE
from forms.codebook import codebook_rows
from forms.rules import is_asked, prune
from forms.validation import validate_section

from . import data
from .extensions import db
from .models import Cycle, Organisation, ResponseStatus

ID_COLUMNS = ["organisation", "ons_code", "authority_type"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def columns(questionnaire: forms.Questionnaire) -> list[str]:
    return ID_COLUMNS + questionnaire.answer_keys()


def neutralise(value: str) -> str:
    """Stop a spreadsheet treating text as a formula (CSV/formula injection)."""
    return "'" + value if value.startswith(FORMULA_START) else value


def unneutralise(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:2] in FORMULA_START and value[1:2] else value


# ---------------------------------------------------------------- reading files

def read_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a .csv or .xlsx file as dicts of strings (header row first)."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        sheet = book["returns"] if "returns" in book.sheetnames else book.worksheets[0]
        raw = list(sheet.iter_rows(values_only=True))
        book.close()
        if not raw:
            return []
        header = [str(h).strip() if h is not None else "" for h in raw[0]]
        return [{h: _cell(v) for h, v in zip(header, row) if h} for row in raw[1:]
                if any(v not in (None, "") for v in row)]
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return [{(k or "").strip(): (v or "") for k, v in row.items() if k is not None}
                for row in csv.DictReader(fh) if any((v or "").strip() for v in row.values() if isinstance(v, str))]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------- import

@dataclass
class CellError:
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.reason}"


@dataclass
class ImportResult:
    errors: list[CellError] = field(default_factory=list)
    written: int = 0
    rows: int = 0


def _choice_codes(question: forms.Question, text: str) -> list[str] | str:
    """Option codes from a cell holding codes or labels (several separated by ';')."""
    parts = [p.strip() for p in text.split(";")] if question.type == "multiple" else [text.strip()]
    by_label = question.codes_by_label
    codes = [p if question.option(p) else by_label.get(p.casefold(), p) for p in parts if p]
    return codes if question.type == "multiple" else (codes[0] if codes else "")


def parse_row(questionnaire: forms.Questionnaire, row: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """Validate one row: (answers, {column: reason})."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for section in questionnaire.sections:
        raw: dict[str, Any] = {}
        for q in section.questions:
            cell = unneutralise(row.get(q.id, "").strip())
            if q.type in ("single", "multiple"):
                raw[q.id] = _choice_codes(q, cell)
            elif q.type == "number" and q.not_applicable and cell.lower() == NOT_APPLICABLE:
                raw[f"{q.id}_none"] = "y"
            else:
                raw[q.id] = cell
            if q.other_id:
                raw[q.other_id] = unneutralise(row.get(q.other_id, "").strip())
        values, problems = validate_section(section, raw, answers)
        errors.update(problems)
        answers.update({k: v for k, v in values.items() if v not in (None, "", [])})
        for q in section.questions:  # answered, but routing does not ask it
            if row.get(q.id, "").strip() and not is_asked(q, answers) and q.id not in errors:
                errors[q.id] = f"answered, but not asked given the answers to {', '.join(_refs(q.when))}"
    return prune(questionnaire, answers), errors


def _refs(rule) -> list[str]:
    from forms.rules import referenced_questions
    return sorted({ref for ref, _ in referenced_questions(rule)})


def import_returns(cycle: Cycle, rows: list[dict[str, str]], actor: data.Actor, *, replace: bool = False,
                   dry_run: bool = False, progress: Callable[[int], None] | None = None) -> ImportResult:
    questionnaire = data.questionnaire_for(cycle)
    known = set(columns(questionnaire))
    result = ImportResult(rows=len(rows))
    if rows:
        for column in rows[0]:
            if column not in known:
                result.errors.append(CellError(1, column, "not a column of this cycle's codebook"))
    seen: dict[int, int] = {}
    parsed: list[tuple[Organisation, dict]] = []
    by_name, by_code = data.organisation_index()
    statuses = data.response_statuses(cycle)
    for number, row in enumerate(rows, start=2):
        org = (by_code.get(row.get("ons_code", "").strip().upper())
               or by_name.get(row.get("organisation", "").strip().lower()))
        if org is None:
            result.errors.append(CellError(number, "organisation", "no organisation with this name or ONS code "
                                                                   "in the register"))
            continue
        if row.get("authority_type", "").strip() and row["authority_type"].strip() != org.authority_type:
            result.errors.append(CellError(number, "authority_type",
                                           f"the register says {org.authority_type}"))
        if org.id in seen:
            result.errors.append(CellError(number, "organisation", f"{org.name} is also on row {seen[org.id]}"))
            continue
        seen[org.id] = number
        status = statuses.get(org.id, ResponseStatus.NOT_STARTED.value)
        if status != ResponseStatus.NOT_STARTED.value and not replace:
            result.errors.append(CellError(number, "organisation", f"{org.name} already has a return "
                                                                   f"({status.replace('_', ' ')}): use --replace to overwrite it"))
        answers, problems = parse_row(questionnaire, row)
        result.errors.extend(CellError(number, column, reason) for column, reason in problems.items())
        parsed.append((org, answers))
    if result.errors or dry_run:
        return result
    # One transaction for the whole file, written set by set.
    data.store_submitted_many(cycle, parsed, actor, questionnaire, action="import", progress=progress)
    result.written = len(parsed)
    db.session.commit()
    return result


# ---------------------------------------------------------------- export

def export_rows(cycle: Cycle, include_drafts: bool = False) -> list[dict[str, Any]]:
    """One row per organisation: its latest submitted version (or current answers, for drafts)."""
    questionnaire = data.questionnaire_for(cycle)
    keys = questionnaire.answer_keys()
    rows = []
    for response, answers in data.returns_for_export(cycle, include_drafts):
        row: dict[str, Any] = {"organisation": response.organisation.name,
                               "ons_code": response.organisation.ons_code or "",
                               "authority_type": response.organisation.authority_type}
        for key in keys:
            row[key] = answers.get(key)
        rows.append(row)
    return rows


def cell_text(questionnaire: forms.Questionnaire, key: str, value: Any) -> str:
    """The codebook's cell form of a stored answer: codes, ';' between choices, 'n/a'."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


def write_export(cycle: Cycle, fmt: str, out: Path, include_drafts: bool = False) -> list[Path]:
    questionnaire = data.questionnaire_for(cycle)
    rows = export_rows(cycle, include_drafts)
    header = columns(questionnaire)
    book = codebook_rows(questionnaire)
    if fmt == "json":
        out.write_text(json.dumps({"cycle": cycle.year, "questionnaire": questionnaire.key, "codebook": book,
                                   "returns": rows}, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        return [out]
    table = [[neutralise(cell_text(questionnaire, k, r.get(k))) for k in header] for r in rows]
    if fmt == "csv":
        _write_csv(out, header, table)
        codebook_path = out.with_name(out.stem + "-codebook.csv")
        _write_csv(codebook_path, list(book[0]), [[neutralise(str(v)) for v in r.values()] for r in book])
        return [out, codebook_path]
    _write_xlsx(out, [("returns", header, table),
                      ("codebook", list(book[0]), [[neutralise(str(v)) for v in r.values()] for r in book])])
    return [out]


def write_template(cycle: Cycle, out: Path) -> list[Path]:
    """An empty import file: the header row, plus the codebook beside it."""
    questionnaire = data.questionnaire_for(cycle)
    book = codebook_rows(questionnaire)
    if out.suffix.lower() == ".xlsx":
        _write_xlsx(out, [("returns", columns(questionnaire), []),
                          ("codebook", list(book[0]), [[str(v) for v in r.values()] for r in book])])
        return [out]
    _write_csv(out, columns(questionnaire), [])
    codebook_path = out.with_name(out.stem + "-codebook.csv")
    _write_csv(codebook_path, list(book[0]), [[neutralise(str(v)) for v in r.values()] for r in book])
    return [out, codebook_path]


def _write_csv(path: Path, header: list[str], rows: Iterable[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def _write_xlsx(path: Path, sheets: list[tuple[str, list[str], list[list[str]]]]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        # Cells are text: never let Excel read a value as a formula.
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                cell.data_type = "s"
    book.save(path)


# ---------------------------------------------------------------- the register of organisations

ORG_COLUMNS = ["name", "authority_type", "ons_code", "region", "contact_email"]


def import_organisations(rows: list[dict[str, str]], actor: data.Actor, dry_run: bool = False
                         ) -> tuple[list[CellError], int, int]:
    """Add or update organisations from rows; nothing is written unless every row is valid.
    Returns (errors, added, updated)."""
    from email_validator import EmailNotValidError, validate_email

    from .models import AuthorityType

    types = {t.value.casefold(): t.value for t in AuthorityType}
    errors: list[CellError] = []
    if rows:
        for column in rows[0]:
            if column not in ORG_COLUMNS:
                errors.append(CellError(1, column, f"unknown column (expected {', '.join(ORG_COLUMNS)})"))
    seen: dict[str, int] = {}
    clean = []
    for number, row in enumerate(rows, start=2):
        name = " ".join(unneutralise(row.get("name", "")).split())
        kind = types.get(row.get("authority_type", "").strip().casefold())
        code = row.get("ons_code", "").strip().upper()
        email = row.get("contact_email", "").strip().lower()
        if not name:
            errors.append(CellError(number, "name", "enter the organisation's name"))
        elif len(name) > 200:
            errors.append(CellError(number, "name", "must be 200 characters or fewer"))
        elif name.casefold() in seen:
            errors.append(CellError(number, "name", f"also on row {seen[name.casefold()]}"))
        else:
            seen[name.casefold()] = number
        if kind is None:
            errors.append(CellError(number, "authority_type",
                                    "must be one of: " + ", ".join(t.value for t in AuthorityType)))
        if code and not (code[:1].isalpha() and code[1:].isdigit() and len(code) == 9):
            errors.append(CellError(number, "ons_code", "must be a letter and 8 digits, like E10000002"))
        if email:
            try:
                validate_email(email, check_deliverability=False)
            except EmailNotValidError:
                errors.append(CellError(number, "contact_email", "is not an email address"))
        clean.append({"name": name, "authority_type": kind, "ons_code": code or None,
                      "region": row.get("region", "").strip() or None, "contact_email": email or None})
    if errors or dry_run:
        return errors, 0, 0
    added = updated = 0
    for values in clean:
        org = data.organisation_by_name(values["name"])
        if org is None:
            org = Organisation(**values)
            db.session.add(org)
            added += 1
        else:
            for key, value in values.items():
                setattr(org, key, value)
            updated += 1
    data.audit(actor, "organisations_import", detail={"added": added, "updated": updated})
    db.session.commit()
    return errors, added, updated
