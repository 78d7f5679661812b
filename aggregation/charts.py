"""One chart per figure: horizontal bars with labelled per cents, PNG and SVG, alt text from data.

A single dark blue (#1d70b8: 5.2:1 against white) with black labels beside each bar, so the
chart reads the same in greyscale and never relies on colour.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .outputs import base_text, slug  # noqa: E402
from .tables import SMALL_BASE, ChoiceRow, ChoiceTable, Table, is_choice  # noqa: E402

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BAR = "#1d70b8"
INK = "#0b0c0c"
# The PDFs set text in Helvetica; Liberation Sans (and Arial) share its metrics and look, so the
# charts' labels match the report's text. DejaVu Sans, which matplotlib carries, if neither is here.
matplotlib.rcParams.update(
    {"font.family": "sans-serif", "font.sans-serif": ["Liberation Sans", "Arial", "Helvetica", "DejaVu Sans"]}
)


def figures(tables: Sequence[Table]) -> list[ChoiceTable]:
    """The tables drawn as bar charts: those numbered as figures (each of a choice question's answers)."""
    return [t for t in tables if t["number"].startswith("Figure") and is_choice(t)]


def label_of(row: ChoiceRow, base: int) -> str:
    if row.get("suppressed"):
        return "*"
    return f"{row['printed']}% ({row['count']})" if base < SMALL_BASE else f"{row['printed']}%"


def alt_text(table: ChoiceTable) -> str:
    parts = [
        f"{r['label']}: {r['printed']}% ({r['count']} of {table['base']})"
        for r in table["rows"]
        if not r.get("suppressed")
    ]
    return (
        (f"{table['number']}: {table['title']}. Bar chart of {table['base']} respondents. " + "; ".join(parts) + ".")
        if parts
        else f"{table['number']}: {table['title']}. Not shown."
    )


def figure(table: ChoiceTable) -> Figure:
    rows = table["rows"]
    height = 0.9 + 0.42 * len(rows)
    fig, ax = plt.subplots(figsize=(7.2, height), dpi=150)
    labels = [r["label"] for r in rows][::-1]
    values = [(r["percent"] or 0) for r in rows][::-1]
    bars = ax.barh(labels, values, color=BAR, height=0.6)
    for bar, row in zip(bars, rows[::-1]):
        ax.text(
            bar.get_width() + 1,
            bar.get_y() + bar.get_height() / 2,
            label_of(row, table["base"]),
            va="center",
            ha="left",
            fontsize=9,
            color=INK,
        )
    ax.set_xlim(0, 115)
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel("Per cent of respondents", fontsize=9, color=INK)
    ax.tick_params(axis="y", labelsize=9, colors=INK, length=0)
    ax.tick_params(axis="x", labelsize=8, colors=INK)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(base_text(table), loc="left", fontsize=8, color=INK)
    fig.tight_layout()
    return fig


def png_bytes(table: ChoiceTable) -> bytes:
    fig = figure(table)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def write(table: ChoiceTable, out: Path) -> list[Path]:
    fig = figure(table)
    stem = out / slug(table)
    png, svg, alt = stem.with_suffix(".png"), stem.with_suffix(".svg"), stem.with_suffix(".alt.txt")
    fig.savefig(png, format="png")
    fig.savefig(svg, format="svg", metadata={"Date": None})
    plt.close(fig)
    alt.write_text(alt_text(table) + "\n", encoding="utf-8")
    return [png, svg, alt]
