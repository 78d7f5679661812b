"""The codebook: every answer column of a questionnaire, its wording, type, options and routing.

It is the contract for imports and exports: a column's id never changes within a version.
"""

from __future__ import annotations

from typing import Any

from . import Questionnaire
from .rules import describe, describe_check


def codebook_rows(q: Questionnaire) -> list[dict[str, Any]]:
    def label_of(qid: str, value: Any) -> object:
        try:
            return q.question(qid).option_label(str(value))
        except KeyError:
            return value

    rows: list[dict[str, Any]] = []
    for section in q.sections:
        for question in section.questions:
            constraints = question.answer_type.constraints()
            constraints += [describe_check(c) for c in question.checks]
            if question.required:
                constraints.append("required")
            if any(o.exclusive for o in question.options):
                constraints.append("exclusive: " + ", ".join(o.value for o in question.options if o.exclusive))
            rows.append(
                {
                    "column": question.id,
                    "section": section.id,
                    "standard": question.standard or section.standard or "",
                    "type": question.type,
                    "question": question.label,
                    "options": "; ".join(f"{o.value}={o.label}" for o in question.options),
                    "constraints": "; ".join(constraints),
                    "routing": ("asked if " + describe(question.when, label_of)) if question.when else "",
                }
            )
            spec, other_id = question.specify_option, question.other_id  # a question has both or neither
            if spec is not None and other_id is not None:
                rows.append(
                    {
                        "column": other_id,
                        "section": section.id,
                        "standard": section.standard or "",
                        "type": "text",
                        "question": f"{question.label} – {spec.label}",
                        "options": "",
                        "constraints": "up to 500 characters",
                        "routing": f'asked if {question.id} includes "{spec.label}"',
                    }
                )
    return rows
