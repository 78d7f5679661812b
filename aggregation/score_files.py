"""The staff survey's scores as files: scores.json, a CSV per level (organisations, authority
types, regions, the nation) and one workbook with a sheet per level, headers frozen, and a last
sheet saying which tables may be published. The organisations' table is the coordinating body's
alone; the others carry the figures as everyone sees them, a withheld one empty with why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import sheets

LEVELS = {"organisations": "Organisations", "types": "Authority types", "regions": "Regions", "national": "England"}
ABOUT = "About these tables"
WHY_CODES = (
    "Why not shown: fewer = fewer than the threshold answered (none included); organisations = fewer than "
    "three organisations make it; dominated = one organisation makes all but fewer than the threshold of it; "
    "difference = beside the other figures, it would let a smaller group's or "
    "one organisation's be worked out."
)
_ORGANISATION_FIELDS: tuple[str, ...] = ("n", "score", "printed", "band", "rank", "of")
_GROUP_FIELDS: tuple[str, ...] = ("n", "score", "printed", "band", "withheld")


def rows_by_level(result: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each level's entries from scores.json, organisations first."""
    groups = result["groups"]
    return {
        "organisations": result["organisations"],
        "types": [g for g in groups if g["group"].startswith("type:")],
        "regions": [g for g in groups if g["group"].startswith("region:")],
        "national": [g for g in groups if g["group"] == "national"],
    }


def _columns(result: dict[str, Any], level: str) -> list[tuple[str, str]]:
    """(column id, readable header) for a level's table."""
    if level == "organisations":
        head = [("organisation", "Organisation"), ("authority_type", "Authority type"), ("region", "Region")]
        fields = _ORGANISATION_FIELDS
    else:
        head, fields = [("group", "Group")], _GROUP_FIELDS
    head.append(("respondents", "Respondents"))
    if level != "organisations":
        head.append(("respondents_withheld", "Respondents: why not shown"))
    readable = {
        "n": "respondents counted",
        "score": "score (unrounded)",
        "printed": "score",
        "band": "band",
        "rank": "rank",
        "of": "ranked of",
        "withheld": "why not shown",
    }
    for standard in result["standards"]:
        head += [
            (f"{standard['id']}.{f}", f"Standard {standard['number']}: {standard['title']}, {readable[f]}")
            for f in fields
        ]
    return head


def _values(entry: dict[str, Any], columns: list[tuple[str, str]]) -> list[Any]:
    out = []
    for column, _ in columns:
        if "." in column:
            standard, field = column.split(".")
            out.append(entry["scores"][standard][field])
        else:
            out.append(entry[column].split(":", 1)[-1] if column == "group" else entry[column])
    return out


def write(result: dict[str, Any], out: Path) -> list[Path]:
    """scores.json, organisations.csv, types.csv, regions.csv, national.csv and scores.xlsx in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "scores.json"]
    written[0].write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    for level, entries in rows_by_level(result).items():
        columns = _columns(result, level)
        written.append(
            sheets.write_csv(
                out / f"{level}.csv", [[c for c, _ in columns], *(_values(entry, columns) for entry in entries)]
            )
        )
    written.append(_xlsx(result, out / "scores.xlsx"))
    return written


def _xlsx(result: dict[str, Any], path: Path) -> Path:
    # openpyxl loads only when a workbook is read or written: the web processes never need it
    from openpyxl import Workbook  # 0.15 s to import: only when a workbook is written
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    book.remove(book.active)
    for level, entries in rows_by_level(result).items():
        sheet = book.create_sheet(LEVELS[level])
        columns = _columns(result, level)
        sheets.append(sheet, [header for _, header in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for entry in entries:
            sheets.append(sheet, _values(entry, columns))
        sheet.freeze_panes = "B2"  # the header row and the name column stay in view
        sheet.column_dimensions["A"].width = 34
    about = book.create_sheet(ABOUT)
    for line in (result.get("notice", ""), WHY_CODES):
        sheets.append(about, [line])
    about.column_dimensions["A"].width = 120
    book.save(path)
    return path
