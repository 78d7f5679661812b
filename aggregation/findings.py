"""Sentences written from the figures: the report's key findings and its commentary.

Nothing here is copied prose: every sentence is a template filled from a computed table.
"""
from __future__ import annotations

from typing import Any

from .dataset import COUNCIL_TYPES, in_a_sentence, plural
from .tables import COUNCILS_TOTAL, whole


def _per_cent(value: object) -> str:
    return f"{value} per cent"


def _trend(row: dict[str, Any], year: int | None, unit: str = " points") -> str:
    rounded = whole(row.get("change"))  # None where there is no change to tell
    if year is None or rounded is None:
        return ""
    if rounded == 0:
        return f" (the same as in {year})"
    if unit == " points" and abs(rounded) == 1:
        unit = " point"
    return f" ({'up' if rounded > 0 else 'down'} {abs(rounded)}{unit} on {year})"


def response_sentence(table: dict[str, Any]) -> str:
    rows = {r["group"]: r for r in table["rows"]}
    total = rows[COUNCILS_TOTAL]  # Table 1 always has its total row
    others = [r for r in table["rows"] if r["group"] not in COUNCIL_TYPES + [COUNCILS_TOTAL] and r["responses"]]
    invited = f" ({_per_cent(total['printed'])} of the {total['population']} invited)" if total["population"] else ""
    councils = f"{total['responses']} councils{invited}"
    if not others:
        return f"{councils} returned the health check."
    employers = total["responses"] + sum(r["responses"] for r in others)
    parts = [councils] + [f"{r['responses']} {plural(r['group']) if r['responses'] != 1 else in_a_sentence(r['group'])}"
                          for r in others]
    return f"{employers} employers returned the health check: " + " and ".join(parts) + "."


def by_type_sentences(table: dict[str, Any], threshold: int) -> list[str]:
    out = []
    percent = any("percentages" in n for n in table["notes"])
    older = [{"label": m, "name": m, "unit": ""} for m in dict.fromkeys(r["measure"] for r in table["rows"])]
    for measure in table.get("measures") or older:  # editions published before measures had names and units
        rows = [r for r in table["rows"] if r["measure"] == measure["label"]]
        overall = next(r for r in rows if r["group"] == "All")
        if overall["value"] is None:
            continue
        figure = _per_cent(overall["printed"]) if percent else f"{overall['printed']} {measure['unit']}".strip()
        text = (f"{measure['name']}: {figure} on average across {overall['n']} respondents"
                + _trend(overall, table.get("previous_year"), " points" if percent else ""))
        groups = [r for r in rows if r["group"] != "All" and r["value"] is not None and r["n"] >= max(threshold, 1)]
        if len(groups) >= 2:
            high = max(groups, key=lambda r: r["value"])
            low = min(groups, key=lambda r: r["value"])
            if high["printed"] != low["printed"]:
                unit = measure["unit"]
                high_figure, low_figure = ((_per_cent(r["printed"]) if percent else f"{r['printed']} {unit}".strip())
                                           for r in (high, low))
                text += (f"; highest among {plural(high['group'])} ({high_figure}) and lowest among "
                         f"{plural(low['group'])} ({low_figure})")
        out.append(text + ".")
    return out


def choice_sentence(table: dict[str, Any]) -> str | None:
    rows = [r for r in table["rows"] if not r.get("suppressed") and r["count"]]
    if not rows or not table["base"]:
        return None
    year = table.get("previous_year")
    if table["kind"] == "single":
        yes = next((r for r in table["rows"] if r["option"] == "yes"), None)
        if yes is not None:
            return (f"{table['title']}: yes for {_per_cent(yes['printed'])} of {table['base']} respondents"
                    + _trend(yes, year) + ".")
        top = max(rows, key=lambda r: r["count"])
        return (f"{table['title']}: the most common answer was “{top['label']}”, given by "
                f"{_per_cent(top['printed'])} of {table['base']} respondents" + _trend(top, year) + ".")
    top = sorted(rows, key=lambda r: -r["count"])[:3]
    listed = ", ".join(f"{r['label']} ({_per_cent(r['printed'])})" for r in top[:-1])
    listed = f"{listed} and {top[-1]['label']} ({_per_cent(top[-1]['printed'])})" if listed else \
        f"{top[-1]['label']} ({_per_cent(top[-1]['printed'])})"
    return f"{table['title']}: most often {listed}, of {table['base']} respondents."


def sentences(table: dict[str, Any], threshold: int) -> list[str]:
    if table["kind"] == "responses":
        return [response_sentence(table)]
    if table["kind"] == "by_type":
        return by_type_sentences(table, threshold)
    sentence = choice_sentence(table)
    return [sentence] if sentence else []


def key_findings(tables: list[dict[str, Any]], threshold: int, section_of: dict[str, str]) -> list[str]:
    """The headlines: the response, then the first two findings of each standard, in report order."""
    out: list[str] = []
    per_section: dict[str | None, int] = {}
    for table in tables:
        if table["kind"] == "responses":
            out.extend(sentences(table, threshold))
            continue
        section = section_of.get(table["question_ids"][0])
        for sentence in sentences(table, threshold):
            if per_section.get(section, 0) < 2:
                out.append(sentence)
                per_section[section] = per_section.get(section, 0) + 1
    return out
