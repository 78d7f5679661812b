"""Tables to files: tables.json, one CSV per table, and a tables.xlsx workbook."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from . import findings, sheets
from .tables import printed_change, whole

COLUMNS = {
    "responses": ["group", "responses", "population", "percent", "printed"],
    "by_type": ["measure", "group", "value", "n", "printed"],
    "single": ["label", "count", "percent", "printed"],
    "multi": ["label", "count", "percent", "printed"],
}


def slug(table: dict[str, Any]) -> str:
    return re.sub(r"[^a-z0-9]+", "-", f"{table['number']} {table['id']}".lower()).strip("-")


def columns_of(table: dict[str, Any]) -> list[str]:
    cols = list(COLUMNS[table["kind"]])
    if "previous_year" in table:
        cols += ["previous", "change"]
    return cols


def printed_bases(table: dict[str, Any]) -> list[int]:
    """The bases a table prints under it, in order: each measure's where its measures stand on
    different numbers of respondents, else the one base (``base`` is then that number)."""
    values = list((table.get("bases") or {}).values())
    if len(set(values)) > 1:
        return values
    return [values[0]] if values else [table["base"]]


def base_text(table: dict[str, Any]) -> str:
    """How many respondents the figures stand on: each measure's where a table has several (one
    number where they agree), never those who answered any measure at all."""
    values = printed_bases(table)
    if len(values) > 1:
        return "Base = " + ", ".join(str(v) for v in values[:-1]) + f" and {values[-1]}"
    return f"Base = {values[0]}"


def as_published(table: dict[str, Any]) -> dict[str, Any]:
    """A table as its files publish it: each figure as the report prints it (a whole number), never
    the unrounded value behind it, which with a group's n and the "All" row would give a withheld
    group's figure away exactly. Counts and bases stay as they are."""
    rows = []
    for row in table["rows"]:
        out = dict(row)
        for key in ("value", "percent", "previous"):
            if isinstance(out.get(key), float):
                out[key] = whole(out[key])
        if "change" in out:
            out["change"] = printed_change(row)
        rows.append(out)
    return table | {"rows": rows}


def with_findings(table: dict[str, Any]) -> dict[str, Any]:
    """A table as published, with the sentences written from its unrounded figures (``findings``):
    for a table by region, each region's beside England's, as the regional reports print them."""
    if table.get("by") == "region":
        said = [s for sentences in findings.regional_sentences(table).values() for s in sentences]
    else:
        said = findings.sentences(table)
    return as_published(table) | {"findings": said}


def write(year: int, tables: list[dict[str, Any]], out: Path, name: str = "tables",
          key_findings: list[str] | None = None) -> list[Path]:
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
        written.append(sheets.write_csv(out / f"{slug(table)}.csv", [
            [f"{table['number']}: {table['title']}"], cols, *([row.get(c) for c in cols] for row in table["rows"]),
            [base_text(table)], *([note] for note in table["notes"])]))
    written.append(_xlsx(tables, out / f"{name}.xlsx"))
    return written


def grid(table: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """A table laid out as the report prints it, for a spreadsheet or a web page: its header and
    rows, each row led by its group or answer; a withheld figure is "*", no figure None."""
    previous = table.get("previous_year")
    if table["kind"] == "responses":
        return (["Type", "Returns", "Per cent", "Population"],
                [[r["group"], r["responses"], r["printed"], r["population"] or "n/a"] for r in table["rows"]])
    if table["kind"] == "by_type":
        measures = table.get("measures") or [{"label": m, "unit": "", "percent": False}
                                             for m in dict.fromkeys(r["measure"] for r in table["rows"])]
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
    header = ["Answer", "Number", "Per cent"] + ([f"{previous}: per cent", "Change (points)"] if previous else [])
    return header, [[r["label"], "*" if r.get("suppressed") else r["count"], r["printed"]]
                    + ([r.get("previous_printed"), r.get("change")] if previous else []) for r in table["rows"]]


def _xlsx(tables: list[dict[str, Any]], path: Path) -> Path:
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
