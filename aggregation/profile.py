"""Who answered: an organisation's respondents by role, service, age, sex, ethnic group and
disability, against the workforce its PSW counted from HR in the same categories.

A respondent share is of everyone the organisation counted (so "prefer not to say" and no answer
make a row of their own); a workforce share is of the workforce counted for that characteristic.
The difference is in percentage points, flagged where it is more than ``FLAG`` either way.

Respondent counts are disclosure-controlled like every other staff survey figure: a row from
fewer than the threshold (none included) is withheld and reads "Fewer than 10", and the next
smallest with it where the rest would give it away by difference (the organisation's count is
shown to it); that one reads "Not shown". A service or role whose count the report's breakdowns
withhold stays withheld here. The workforce figures are the organisation's own, shown only to it,
and are not controlled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import forms

from . import disclosure
from .scores import DIFFERENCE, FEWER, NOT_SAID_LABEL, PREFER_NOT
from .tables import whole

CHARACTERISTICS = {
    "role": "Role",
    "service": "Service",
    "age_band": "Age",
    "sex": "Sex",
    "ethnicity": "Ethnic group",
    "disability": "Long-term health condition or illness",
}
NOT_SAID = "not_said"
FLAG = 10  # percentage points


def categories(questionnaire: forms.Questionnaire) -> dict[str, list[tuple[str, str]]]:
    """Each characteristic's categories (value, label) as the questionnaire asks them, without
    "prefer not to say": the categories a PSW counts the workforce in."""
    return {
        qid: [(o.value, o.label) for o in questionnaire.question(qid).options if o.value != PREFER_NOT]
        for qid in CHARACTERISTICS
    }


def _pct(n: int | None, of: int) -> float | None:
    return None if n is None or not of else round(100 * n / of, 1)


def profile(
    answers: Sequence[Mapping[str, Any]],
    questionnaire: forms.Questionnaire,
    workforce: Mapping[str, Mapping[str, int]],
    threshold: int,
    withheld: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, Any]:
    """The organisation's respondents (their answers) against its workforce; ``withheld`` names
    categories (by characteristic) already withheld elsewhere in the same report."""
    total = len(answers)
    result: dict[str, Any] = {"respondents": total if total >= threshold else None, "flag": FLAG, "characteristics": []}
    for qid, options in categories(questionnaire).items():
        counts = {v: sum(1 for a in answers if a.get(qid) == v) for v, _ in options}
        counts[NOT_SAID] = total - sum(counts.values())
        hidden = _hidden(counts, total, threshold, set((withheld or {}).get(qid, ())))
        staff = {v: int(n) for v, n in (workforce.get(qid) or {}).items() if n is not None}
        staff_total = sum(staff.values())
        rows = []
        for value, label in [*options, (NOT_SAID, NOT_SAID_LABEL)]:
            reason = FEWER if counts[value] < threshold else DIFFERENCE if value in hidden else None
            n = None if reason else counts[value]
            share = _pct(n, total)
            counted = staff.get(value) if value != NOT_SAID else None
            staff_share = _pct(counted, staff_total)
            difference = round(share - staff_share, 1) if share is not None and staff_share is not None else None
            rows.append(
                {
                    "value": value,
                    "label": label,
                    "respondents": n,
                    "withheld": reason,
                    "share": share,
                    "workforce": counted,
                    "workforce_share": staff_share,
                    "difference": difference,
                    "flag": _flag(difference),
                }
            )
        result["characteristics"].append(
            {"id": qid, "label": CHARACTERISTICS[qid], "rows": rows, "workforce": staff_total or None}
        )
    return result


def _hidden(counts: dict[str, int], total: int, threshold: int, given: set[str]) -> set[str]:
    parts = list(counts)
    structure = disclosure.Structure(
        {"": frozenset(range(len(parts))), **{p: frozenset([i]) for i, p in enumerate(parts)}},
        [("", parts)],
        len(parts),
    )
    return disclosure.withhold({"": total, **counts}, structure, threshold, given) - {""}


def _flag(difference: float | None) -> str | None:
    if difference is None or abs(difference) <= FLAG:
        return None
    return "over-represented" if difference > 0 else "under-represented"


def summary(result: Mapping[str, Any]) -> list[str]:
    """The flags in plain words, one line each."""
    lines = []
    for characteristic in result["characteristics"]:
        for row in characteristic["rows"]:
            if row["flag"]:
                lines.append(
                    f"{characteristic['label']}: {row['label']} is {row['flag']} among respondents "
                    f"({whole(row['share'])}% of respondents, {whole(row['workforce_share'])}% of the "
                    f"workforce)."
                )
    return lines
