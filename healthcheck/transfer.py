"""Returns in and out as files: one row per organisation, columns named by the codebook.

``check_returns`` validates every cell with the same rules as the web form, writing nothing;
``store_returns`` then submits the rows, all or none. ``export_files`` writes the same columns,
so an export re-imports unchanged; so do the staff survey's ``import_staff`` and
``staff_export_files``. Cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app

import forms
from aggregation import sheets
from forms.codebook import codebook_rows
from forms.rules import SoftWarning, is_asked, prune, referenced_questions
from forms.validation import validate_section

from .downloads import editions_folder
from .form_fields import CONTROL
from .models import AuthorityType, Cycle, Organisation, ResponseStatus, StaffSurvey
from .store import Actor, checks, collection, neighbours, publication, returns, staff

ID_COLUMNS = ["organisation", "ons_code", "authority_type"]


def columns(questionnaire: forms.Questionnaire) -> list[str]:
    return ID_COLUMNS + questionnaire.answer_keys()


# ---------------------------------------------------------------- reading files

# What a file may hold: well beyond any real register or returns file (100,000 organisations, a
# return's 200 columns), and far short of what would hold a worker's CPU or memory for long.
MAX_ROWS = 200_000
MAX_COLUMNS = 500
MAX_CELL = 32_767  # a spreadsheet's own limit for one cell
MAX_UNCOMPRESSED = 200 * 1024 * 1024  # an XLSX's parts, unzipped


class FileProblem(ValueError):
    """A file that can't be read, or is too large to: one line saying which and why."""


def read_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a .csv or .xlsx file as dicts of strings (header row first)."""
    return read_upload(path.name, path.read_bytes())


def read_upload(name: str, content: bytes) -> list[dict[str, str]]:
    """Rows of a file's content, read as XLSX if its name says so, else as CSV (UTF-8, UTF-16 or
    Windows-1252), within the limits above: otherwise FileProblem."""
    raw = _xlsx_rows(name, content) if name.lower().endswith(".xlsx") else _csv_rows(name, content)
    header = [str(h).strip() if h is not None else "" for h in next(raw, [])]
    if len(header) > MAX_COLUMNS:
        raise FileProblem(f"{name} has {len(header):,} columns: no more than {MAX_COLUMNS:,} are read")
    out = []
    for number, row in enumerate(raw, start=2):
        if number > MAX_ROWS + 1:
            raise FileProblem(f"{name} has more than {MAX_ROWS:,} rows: split it into smaller files")
        if len(row) > MAX_COLUMNS and any(v not in (None, "") for v in row[MAX_COLUMNS:]):
            raise FileProblem(f"{name}, row {number}: a cell beyond column {MAX_COLUMNS:,}: no more are read")
        cells = [_cell(v) for v in row[: len(header)]]
        if any(len(c) > MAX_CELL for c in cells):
            raise FileProblem(f"{name}, row {number}: a cell is longer than {MAX_CELL:,} characters")
        if any(c.strip() for c in cells):
            out.append({h: c for h, c in zip(header, cells) if h})
    return out


def _xlsx_rows(name: str, content: bytes) -> Iterator[Sequence[Any]]:

    # openpyxl loads only when a workbook is read or written: the web processes never need it
    from openpyxl import load_workbook  # 0.15 s to import: only when a spreadsheet is read

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(part.file_size for part in archive.infolist()) > MAX_UNCOMPRESSED:
                raise FileProblem(
                    f"{name} unzips to more than {MAX_UNCOMPRESSED // 2**20} MB: split it into smaller files"
                )
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = book["returns"] if "returns" in book.sheetnames else book.worksheets[0]
        sheet.reset_dimensions()  # read the rows there are, not the size the file claims (A1:XFD1048576)
        yield from sheet.iter_rows(values_only=True)
        book.close()
    except FileProblem:
        raise
    except Exception as exc:  # a damaged file fails in many ways inside openpyxl and zipfile
        raise FileProblem(
            f"{name} is not a readable .xlsx file: it may be damaged, or another kind of file "
            f"named .xlsx ({type(exc).__name__})"
        ) from None


def _csv_rows(name: str, content: bytes) -> Iterator[Sequence[Any]]:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = content.decode("utf-16")
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:  # a spreadsheet's "CSV" on Windows: Windows-1252, which Latin-1 fills out
            text = content.decode("cp1252", errors="strict") if _cp1252(content) else content.decode("latin-1")
    if text.count("\n") > 2 * MAX_ROWS:  # refused before parsing (a quoted cell may hold line breaks)
        raise FileProblem(f"{name} has more than {MAX_ROWS:,} rows: split it into smaller files")
    if "\x00" in text:
        raise FileProblem(f"{name} is not a text CSV file (it holds NUL characters): save it as CSV UTF-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        yield from reader
    except csv.Error as exc:
        raise FileProblem(
            f"{name}, row {reader.line_num}: {exc}; check its quotes, or save it again as CSV UTF-8"
        ) from None


def _cp1252(content: bytes) -> bool:
    try:
        content.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


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
    parsed: list[tuple[Organisation, dict]] = field(default_factory=list)  # each row's organisation and answers
    warnings: list[CellError] = field(default_factory=list)  # answers that look wrong: reported, never refused
    raised: dict[int, list[SoftWarning]] = field(default_factory=dict)  # organisation id -> its soft checks' warnings


def parse_row(questionnaire: forms.Questionnaire, row: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """Validate one row: (answers, {column: reason})."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for section in questionnaire.sections:
        raw: dict[str, Any] = {}
        for q in section.questions:
            raw.update(q.answer_type.from_cell(sheets.unneutral(row.get(q.id, "").strip())))
            if q.other_id:
                raw[q.other_id] = sheets.unneutral(row.get(q.other_id, "").strip())
        values, problems = validate_section(section, raw, answers)
        errors.update(problems)
        answers.update({k: v for k, v in values.items() if v not in (None, "", [])})
        for q in section.questions:  # answered, but routing does not ask it
            if row.get(q.id, "").strip() and not is_asked(q, answers) and q.id not in errors:
                errors[q.id] = f"answered, but not asked given the answers to {', '.join(_refs(q.when))}"
    return prune(questionnaire, answers), errors


def _refs(rule: dict | None) -> list[str]:
    if rule is None:
        return []
    return sorted({ref for ref, _ in referenced_questions(rule)})


class ImportRefused(Exception):
    """Something changed between a file's check and its import: nothing was imported."""


def check_returns(cycle: Cycle, rows: list[dict[str, str]], *, replace: bool = False) -> ImportResult:
    """Validate every cell of every row, writing nothing: the result's ``parsed`` rows are what
    ``store_returns`` imports when there are no ``errors``. Its ``warnings`` are the cells the soft
    checks question (as on the web), which never stop an import."""
    questionnaire = collection.questionnaire_for(cycle)
    known = set(columns(questionnaire))
    result = ImportResult(rows=len(rows))
    if rows:
        result.errors += [
            CellError(1, column, "not a column of this cycle's codebook") for column in rows[0] if column not in known
        ]
    seen: dict[int, int] = {}
    last_year = checks.previous_answers_by_organisation(cycle, questionnaire)
    peers = checks.peer_ranges(cycle, questionnaire, editions_folder(), current_app.config["PUBLICATION_MIN_GROUP"])
    by_name, by_code = collection.organisation_index()
    statuses = collection.response_statuses(cycle)
    for number, row in enumerate(rows, start=2):
        org = by_code.get(row.get("ons_code", "").strip().upper()) or by_name.get(
            sheets.unneutral(row.get("organisation", "")).strip().lower()
        )
        if org is None:
            result.errors.append(
                CellError(number, "organisation", "no organisation with this name or ONS code in the register")
            )
            continue
        if row.get("authority_type", "").strip() and row["authority_type"].strip() != org.authority_type:
            result.errors.append(CellError(number, "authority_type", f"the register says {org.authority_type}"))
        if org.id in seen:
            result.errors.append(CellError(number, "organisation", f"{org.name} is also on row {seen[org.id]}"))
            continue
        seen[org.id] = number
        status = statuses.get(org.id, ResponseStatus.NOT_STARTED.value)
        if status != ResponseStatus.NOT_STARTED.value and not replace:
            result.errors.append(
                CellError(
                    number,
                    "organisation",
                    f"{org.name} already has a return ({status.replace('_', ' ')}): use --replace to overwrite it",
                )
            )
        answers, problems = parse_row(questionnaire, row)
        result.errors.extend(CellError(number, column, reason) for column, reason in problems.items())
        result.parsed.append((org, answers))
        result.raised[org.id] = checks.Baseline(last_year.get(org.id), peers).warnings(questionnaire, answers)
        result.warnings.extend(CellError(number, w.question_id, w.message) for w in result.raised[org.id])
    return result


def store_returns(
    cycle: Cycle,
    checked: ImportResult,
    actor: Actor,
    *,
    replace: bool = False,
    progress: Callable[[int], None] = lambda n: None,
) -> None:
    """Submit each checked row's return as if its pages had been saved with those answers, in
    the caller's unit of work. The returns are locked first; without ``replace``, one begun or
    submitted since the check stops the whole import (``ImportRefused``)."""
    questionnaire = collection.questionnaire_for(cycle)
    existing = returns.lock_returns_of(cycle, [org.id for org, _ in checked.parsed])
    begun = [
        org.name
        for org, _ in checked.parsed
        if org.id in existing and existing[org.id].status != ResponseStatus.NOT_STARTED.value
    ]
    if begun and not replace:
        raise ImportRefused(
            f"Nothing was imported: since the file was checked, {', '.join(begun[:5])}"
            f"{' and others' if len(begun) > 5 else ''} began a return. Check the file again."
        )
    returns.add_returns(
        existing.setdefault(org.id, returns.new_return(cycle, org))
        for org, _ in checked.parsed
        if org.id not in existing
    )

    def each() -> None:
        checked.written += 1
        progress(1)

    submissions = ((existing[org.id], answers, checked.raised.get(org.id, [])) for org, answers in checked.parsed)
    returns.submit_many(submissions, actor, questionnaire, how="import", each=each)


# ---------------------------------------------------------------- export


def export_rows(cycle: Cycle, include_drafts: bool = False) -> list[dict[str, Any]]:
    """One row per organisation: its latest submitted version (or current answers, for drafts)."""
    questionnaire = collection.questionnaire_for(cycle)
    keys = questionnaire.answer_keys()
    rows = []
    for response, answers in publication.returns_for_export(cycle, include_drafts):
        row: dict[str, Any] = {
            "organisation": response.organisation.name,
            "ons_code": response.organisation.ons_code or "",
            "authority_type": response.organisation.authority_type,
        }
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


def export_files(cycle: Cycle, fmt: str, name: str, include_drafts: bool = False) -> dict[str, bytes]:
    """The raw returns in the import's columns, and the codebook: {file name: content}, where
    ``name`` is the returns file's own (a CSV's codebook is a second file beside it)."""
    questionnaire = collection.questionnaire_for(cycle)
    rows = export_rows(cycle, include_drafts)
    book = codebook_rows(questionnaire)
    if fmt == "json":
        return {
            name: json.dumps(
                {"cycle": cycle.year, "questionnaire": questionnaire.key, "codebook": book, "returns": rows},
                indent=2,
                ensure_ascii=False,
                default=str,
            ).encode("utf-8")
        }
    header = columns(questionnaire)
    return _with_codebook(name, header, [[cell_text(questionnaire, k, r.get(k)) for k in header] for r in rows], book)


def template_files(cycle: Cycle, name: str) -> dict[str, bytes]:
    """An empty import file (the header row) and the codebook: {file name: content}."""
    questionnaire = collection.questionnaire_for(cycle)
    return _with_codebook(name, columns(questionnaire), [], codebook_rows(questionnaire))


def _with_codebook(name: str, header: list[str], rows: list[list[str]], book: list[dict]) -> dict[str, bytes]:
    codebook = [[str(v) for v in r.values()] for r in book]
    if name.lower().endswith(".xlsx"):
        return {name: xlsx_bytes([("returns", header, rows), ("codebook", list(book[0]), codebook)])}
    stem = name[:-4] if name.lower().endswith(".csv") else name
    return {name: csv_bytes(header, rows), f"{stem}-codebook.csv": csv_bytes(list(book[0]), codebook)}


def write_files(files: dict[str, bytes], folder: Path) -> list[Path]:
    """Files made in memory, written side by side into ``folder``."""
    paths = []
    for name, content in files.items():
        (folder / name).write_bytes(content)
        paths.append(folder / name)
    return paths


def csv_bytes(header: list[str], rows: Iterable[list[str]]) -> bytes:
    return sheets.csv_text([header, *rows]).encode("utf-8")


def xlsx_bytes(tabs: list[tuple[str, list[str], list[list[str]]]]) -> bytes:
    # openpyxl loads only when a workbook is read or written: the web processes never need it
    from openpyxl import Workbook  # 0.15 s to import: only when a workbook is written

    book = Workbook()
    book.remove(book.active)
    for title, header, rows in tabs:
        sheet = book.create_sheet(title)
        sheets.append(sheet, header)
        for row in rows:
            sheets.append(sheet, row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- staff survey responses

STAFF_ID_COLUMNS = ["organisation"]


def import_staff(survey: StaffSurvey, rows: list[dict[str, str]], *, dry_run: bool = False) -> ImportResult:
    """Staff survey responses from rows (one a respondent: the organisation's name as registered,
    then the codebook's columns, values as codes or labels): every bad cell reported; nothing
    written unless every row is valid. The caller commits."""
    questionnaire = staff.questionnaire_of(survey)
    known = set(STAFF_ID_COLUMNS + questionnaire.answer_keys())
    result = ImportResult(rows=len(rows))
    if rows:
        result.errors += [
            CellError(1, column, "not a column of this survey's codebook") for column in rows[0] if column not in known
        ]
    by_name, _ = collection.organisation_index()
    parsed: list[tuple[Organisation, dict]] = []
    for number, row in enumerate(rows, start=2):
        org = by_name.get(sheets.unneutral(row.get("organisation", "")).strip().lower())
        if org is None:
            result.errors.append(CellError(number, "organisation", "no organisation with this name in the register"))
            continue
        answers, problems = parse_row(questionnaire, row)
        result.errors.extend(CellError(number, column, reason) for column, reason in problems.items())
        parsed.append((org, answers))
    if result.errors or dry_run:
        return result
    for org, answers in parsed:
        staff.submit(survey, org.id, answers, questionnaire, org.name, paced=False)
        result.written += 1
    return result


def staff_export_files(survey: StaffSurvey, fmt: str, name: str) -> dict[str, bytes]:
    """Every response that counts or could (not excluded), in the import's columns, and the
    codebook: {file name: content}, as ``export_files``."""
    questionnaire = staff.questionnaire_of(survey)
    keys = questionnaire.answer_keys()
    rows = [
        {"organisation": r.organisation.name, **{k: r.answers.get(k) for k in keys}}
        for r in staff.responses(survey)
        if not r.excluded
    ]
    book = codebook_rows(questionnaire)
    if fmt == "json":
        return {
            name: json.dumps(
                {"survey": survey.cycle.year, "questionnaire": questionnaire.key, "codebook": book, "responses": rows},
                indent=2,
                ensure_ascii=False,
            ).encode("utf-8")
        }
    header = STAFF_ID_COLUMNS + keys
    return _with_codebook(name, header, [[cell_text(questionnaire, k, r.get(k)) for k in header] for r in rows], book)


# ---------------------------------------------------------------- the register of organisations

ORG_COLUMNS = ["name", "authority_type", "ons_code", "region", "contact_email"]


def import_organisations(
    rows: list[dict[str, str]], actor: Actor, dry_run: bool = False
) -> tuple[list[CellError], int, int]:
    """Add or update organisations from rows; nothing is written unless every row is valid (the
    caller commits). Returns (errors, added, updated)."""
    errors, clean = check_organisations(rows)
    if errors or dry_run:
        return errors, 0, 0
    added, updated = collection.store_organisations(clean, actor)
    return errors, added, updated


def check_organisations(rows: list[dict[str, str]]) -> tuple[list[CellError], list[dict[str, Any]]]:
    """Every row of a register checked, reading nothing and writing nothing (so it can run before a
    writer takes the database's lock): the errors, and each row's values as they will be stored."""
    types = {t.value.casefold(): t.value for t in AuthorityType}
    errors: list[CellError] = []
    if rows:
        errors += [
            CellError(1, column, f"unknown column (expected {', '.join(ORG_COLUMNS)})")
            for column in rows[0]
            if column not in ORG_COLUMNS
        ]
    seen: dict[str, int] = {}
    clean = []
    for number, row in enumerate(rows, start=2):
        errors += [
            CellError(number, column, "must be on one line, without line breaks or tabs")
            for column in ORG_COLUMNS
            if CONTROL.search(row.get(column, "").strip())
        ]
        name = " ".join(sheets.unneutral(row.get("name", "")).split())
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
            errors.append(
                CellError(number, "authority_type", "must be one of: " + ", ".join(t.value for t in AuthorityType))
            )
        if code and not (code[:1].isalpha() and code[1:].isdigit() and len(code) == 9):
            errors.append(CellError(number, "ons_code", "must be a letter and 8 digits, like E10000002"))
        if email:
            try:
                validate_email(email, check_deliverability=False)
            except EmailNotValidError:
                errors.append(CellError(number, "contact_email", "is not an email address"))
        clean.append(
            {
                "name": name,
                "authority_type": kind,
                "ons_code": code or None,
                "region": " ".join(row.get("region", "").split()) or None,
                "contact_email": email or None,
            }
        )
    return errors, clean


def register_plan(clean: list[dict[str, Any]]) -> tuple[int, int]:
    """What checked rows would do: (organisations added, organisations updated), by name."""
    known = collection.names_known()
    new = sum(str(values["name"]).lower() not in known for values in clean)
    return new, len(clean) - new


def register_files(fmt: str, name: str, organisations: list[Organisation]) -> bytes:
    """The register in the columns it is imported in (``ORG_COLUMNS``): a CSV or an XLSX."""
    rows = [[o.name, o.authority_type, o.ons_code or "", o.region or "", o.contact_email or ""] for o in organisations]
    return xlsx_bytes([("organisations", ORG_COLUMNS, rows)]) if fmt == "xlsx" else csv_bytes(ORG_COLUMNS, rows)


# ---------------------------------------------------------------- statistical neighbours

NEIGHBOUR_COLUMNS = 15  # the template's neighbour columns (CIPFA's lists have 15); a file may have more
MAX_NEIGHBOURS = 50


def neighbour_header(count: int = NEIGHBOUR_COLUMNS) -> list[str]:
    return ["organisation"] + [f"neighbour_{i}" for i in range(1, count + 1)]


def check_neighbours(rows: list[dict[str, str]]) -> tuple[list[CellError], list[tuple[int, list[int]]]]:
    """A list of statistical neighbours checked, writing nothing: one row an organisation, its name
    or ONS code under ``organisation``, then its neighbours (names or ONS codes) under neighbour_1,
    neighbour_2 and on, nearest first. The errors, and each row as (organisation id, neighbour ids)."""
    known = neighbours.register()
    errors: list[CellError] = []
    allowed = set(neighbour_header(MAX_NEIGHBOURS))
    if rows:
        errors += [
            CellError(
                1,
                column,
                "unknown column (expected organisation, then neighbour_1, neighbour_2 and "
                f"so on, up to neighbour_{MAX_NEIGHBOURS})",
            )
            for column in rows[0]
            if column not in allowed
        ]
    if rows and "organisation" not in rows[0]:
        errors.append(CellError(1, "organisation", "missing: the first column names each organisation"))
    seen: dict[int, int] = {}
    pairs = []
    for number, row in enumerate(rows, start=2):
        text = " ".join(sheets.unneutral(row.get("organisation", "")).split())
        organisation = known.get(text.casefold()) if text else None
        if not text:
            errors.append(CellError(number, "organisation", "enter the organisation's name or ONS code"))
        elif organisation is None:
            errors.append(
                CellError(number, "organisation", f"no organisation named or coded “{text[:80]}” is in the register")
            )
        elif organisation.id in seen:
            errors.append(
                CellError(number, "organisation", f"{organisation.name} is also on row {seen[organisation.id]}")
            )
        else:
            seen[organisation.id] = number
        chosen: dict[int, str] = {}
        for column in neighbour_header(MAX_NEIGHBOURS)[1:]:
            cell = " ".join(sheets.unneutral(row.get(column, "")).split())
            if not cell:
                continue
            neighbour = known.get(cell.casefold())
            if neighbour is None:
                errors.append(
                    CellError(number, column, f"no organisation named or coded “{cell[:80]}” is in the register")
                )
            elif organisation is not None and neighbour.id == organisation.id:
                errors.append(CellError(number, column, f"{neighbour.name} cannot be its own neighbour"))
            elif neighbour.id in chosen:
                errors.append(CellError(number, column, f"{neighbour.name} is also under {chosen[neighbour.id]}"))
            else:
                chosen[neighbour.id] = column
        if organisation is not None and not chosen and not any(e.row == number for e in errors):
            errors.append(CellError(number, "neighbour_1", "enter at least one neighbour"))
        if organisation is not None:
            pairs.append((organisation.id, list(chosen)))
    return errors, pairs


def neighbour_files(name: str, rows: list[tuple[str, list[str]]]) -> bytes:
    """The list (or, with no rows, the empty template) as CSV or XLSX, in the columns it is read in."""
    width = max([NEIGHBOUR_COLUMNS] + [len(n) for _, n in rows])
    header = neighbour_header(width)
    body = [[organisation, *neighbours, *[""] * (width - len(neighbours))] for organisation, neighbours in rows]
    return xlsx_bytes([("neighbours", header, body)]) if name.endswith(".xlsx") else csv_bytes(header, body)
