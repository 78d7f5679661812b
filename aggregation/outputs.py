"""Tables to files: tables.json, one CSV per table, and a tables.xlsx workbook."""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

from .tables import whole

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


def base_text(table: dict[str, Any]) -> str:
    """How many respondents the figures stand on: each measure's where a table has several (one
    number where they agree), never those who answered any measure at all."""
    values = list((table.get("bases") or {}).values())
    if len(set(values)) > 1:
        return "Base = " + ", ".join(str(v) for v in values[:-1]) + f" and {values[-1]}"
    return f"Base = {values[0] if values else table['base']}"


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
        if out.get("change") is not None:
            both = isinstance(out.get("printed"), int) and isinstance(out.get("previous_printed"), int)
            out["change"] = out["printed"] - out["previous_printed"] if both else whole(out["change"])
        rows.append(out)
    return table | {"rows": rows}


def write(year: int, tables: list[dict[str, Any]], out: Path) -> list[Path]:
    """tables.json, a CSV per table and tables.xlsx, every figure as printed (``as_published``)."""
    tables = [as_published(t) for t in tables]
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "tables.json"]
    written[0].write_text(json.dumps({"cycle": year, "tables": tables}, indent=2, ensure_ascii=False),
                          encoding="utf-8")
    for table in tables:
        path = out / f"{slug(table)}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow([f"{table['number']}: {table['title']}"])
            cols = columns_of(table)
            writer.writerow(cols)
            for row in table["rows"]:
                writer.writerow(["" if row.get(c) is None else row.get(c) for c in cols])
            writer.writerow([base_text(table)])
            for note in table["notes"]:
                writer.writerow([note])
        written.append(path)
    written.append(_xlsx(tables, out / "tables.xlsx"))
    return written


def _xlsx(tables: list[dict[str, Any]], path: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(re.sub(r"[\[\]:*?/\\]", "", f"{table['number']} {table['id']}")[:31])
        sheet.append([f"{table['number']}: {table['title']}"])
        sheet["A1"].font = Font(bold=True)
        cols = columns_of(table)
        sheet.append(cols)
        for row in table["rows"]:
            sheet.append([row.get(c) for c in cols])
        sheet.append([base_text(table)])
        for note in table["notes"]:
            sheet.append([note])
    book.save(path)
    return path
