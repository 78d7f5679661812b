"""Tables to files: tables.json, one CSV per table, and a tables.xlsx workbook."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import findings, sheets
from .tables import Grid, Table, by_region, kind_of, printed_change, whole


def slug(table: Table) -> str:
    return re.sub(r"[^a-z0-9]+", "-", f"{table['number']} {table['id']}".lower()).strip("-")


def columns_of(table: Table) -> list[str]:
    """A table's columns as its CSV publishes them (a KeyError for a kind this code does not know)."""
    cols = list(kind_of(table).columns)
    if "previous_year" in table:
        cols += ["previous", "change"]
    return cols


def printed_bases(table: Table) -> list[int | None]:
    """The bases a table prints under it, in order: each measure's where its measures stand on
    different numbers of respondents, else the one base (``base`` is then that number)."""
    bases = table.get("bases")  # a table by type's (none in older editions)
    values: list[int | None] = list(bases.values()) if isinstance(bases, dict) else []
    if len(set(values)) > 1:
        return values
    return [values[0]] if values else [table["base"]]


def base_text(table: Table) -> str:
    """How many respondents the figures stand on: each measure's where a table has several (one
    number where they agree), never those who answered any measure at all."""
    values = printed_bases(table)
    if len(values) > 1:
        return "Base = " + ", ".join(str(v) for v in values[:-1]) + f" and {values[-1]}"
    return f"Base = {values[0]}"


def as_published(table: Table) -> Table:
    """A table as its files publish it: each figure as the report prints it (a whole number), never
    the unrounded value behind it, which with a group's n and the "All" row would give a withheld
    group's figure away exactly. Counts and bases stay as they are."""
    rows: list[Any] = []  # each row with the same keys, its figures whole numbers
    for row in table["rows"]:
        out: dict[str, object] = dict(row)
        for key in ("value", "percent", "previous"):
            value = out.get(key)
            if isinstance(value, float):
                out[key] = whole(value)
        if "change" in out:
            out["change"] = printed_change(row)
        rows.append(out)
    published = table.copy()
    published["rows"] = rows
    return published


def with_findings(table: Table) -> Table:
    """A table as published, with the sentences written from its unrounded figures (``findings``):
    for a table by region, each region's beside England's, as the regional reports print them."""
    if by_region(table):
        said = [s for sentences in findings.regional_sentences(table).values() for s in sentences]
    else:
        said = findings.sentences(table)
    published = as_published(table)
    published["findings"] = said
    return published


def write(
    year: int, tables: Sequence[Table], out: Path, name: str = "tables", key_findings: list[str] | None = None
) -> list[Path]:
    """tables.json, a CSV per table and tables.xlsx, every figure as printed (``as_published``)
    and each table's sentences beside it, with the report's ``key_findings`` (if given); the
    regional tables as regional-tables.json and .xlsx (``name``) beside them."""
    tables = [with_findings(t) for t in tables]
    out.mkdir(parents=True, exist_ok=True)
    written = [out / f"{name}.json"]
    payload: dict[str, Any] = {"cycle": year, "tables": tables}
    if key_findings is not None:
        payload["key_findings"] = key_findings
    written[0].write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    for table in tables:
        cols = columns_of(table)
        written.append(
            sheets.write_csv(
                out / f"{slug(table)}.csv",
                [
                    [f"{table['number']}: {table['title']}"],
                    cols,
                    *([row.get(c) for c in cols] for row in table["rows"]),
                    [base_text(table)],
                    *([note] for note in table["notes"]),
                ],
            )
        )
    written.append(_xlsx(tables, out / f"{name}.xlsx"))
    return written


def grid(table: Table) -> Grid:
    """A table laid out as the report prints it, for a spreadsheet or a web page (``Kind.grid``)."""
    return kind_of(table).grid(table)


def _xlsx(tables: list[Table], path: Path) -> Path:
    """One sheet per table, named by its number and laid out as printed; the title above, the
    header frozen, the base and notes below."""
    # openpyxl loads only when a workbook is read or written: the web processes never need it
    from openpyxl import Workbook  # 0.15 s to import: only when a workbook is written
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(table["number"])  # "Table 2", "Figure 1": whole, and unique
        sheets.append(sheet, [f"{table['number']}: {table['title']}"])
        sheet["A1"].font = Font(bold=True, size=12)
        header, rows = grid(table)
        sheets.append(sheet, header)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in rows:
            sheets.append(sheet, row)
        sheet.freeze_panes = "B3"
        sheet.column_dimensions["A"].width = max(len(str(r[0])) for r in rows + [header]) + 2
        for column in sheet.iter_cols(min_col=2, max_col=len(header), min_row=2, max_row=2):
            sheet.column_dimensions[column[0].column_letter].width = 16
        sheet.append([])
        sheets.append(sheet, [base_text(table)])
        for note in table["notes"]:
            sheets.append(sheet, [note])
    book.save(path)
    return path
