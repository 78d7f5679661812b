"""The one writer of every CSV and XLSX the product makes, so that no cell is ever run as a
formula by the spreadsheet that opens it (CSV or formula injection: a coding category or an
organisation's name typed as ``=HYPERLINK(...)``).

In a CSV, text a spreadsheet would take for a formula is written with a leading apostrophe, which
``unneutral`` takes off again when the file is read back. In an XLSX, text stays exactly as typed
and its cell is marked as text, which a spreadsheet never runs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutral(value: Any) -> Any:
    """A CSV cell's value: text that would start a formula, quoted as text; anything else as it is."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def unneutral(value: str) -> str:
    """Text read back from a CSV this module wrote: the apostrophe ``neutral`` added taken off."""
    return value[1:] if value.startswith("'") and value[1:2] in FORMULA_START and value[1:2] else value


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["" if v is None else neutral(v) for v in row])
    return buffer.getvalue()


def write_csv(path: Path, rows: Iterable[Sequence[Any]]) -> Path:
    path.write_text(csv_text(rows), encoding="utf-8", newline="")
    return path


def append(sheet: Any, row: Sequence[Any]) -> None:
    """A row added to an openpyxl sheet, its text cells marked as text (never a formula)."""
    sheet.append(list(row))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
