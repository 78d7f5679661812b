"""A return's audit trail in the questionnaire's words: each event says what happened, the
standard's heading rather than its id, and each changed answer by its question with the
options' labels ("Two to three times a month"), never the codes stored (``two_three``) or a
list as Python writes it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import forms
from forms.validation import display

from .form_fields import LONDON
from .models import AuditEvent

ACTIONS = {
    "save": "Saved",
    "submit": "Submitted",
    "import": "Answers imported from a file",
    "demo": "Answers filled in for the demo",
    "reopen": "Sent back for amendment",
    "extend_deadline": "Deadline extended",
    "consent": "Agreement to be named changed",
    "link_reissue": "A new link issued (the old ones stopped working)",
    "email_invitation": "Invitation email",
    "email_reminder": "Reminder email",
    "comment_approved": "Comment approved for publication",
    "comment_excluded": "Comment excluded",
    "comment_pending": "Comment left for later",
    "code": "Answer coded",
    "confirm_warnings": "Warnings confirmed as right",
    "action_add": "Action added to the plan",
    "action_edit": "Action in the plan changed",
    "action_status": "Action's status changed",
    "action_progress": "Progress noted on an action",
    "action_delete": "Action deleted from the plan",
    "contributor_invited": "Colleague invited to contribute",
    "contributor_link_renewed": "Colleague's link renewed",
    "contributor_revoked": "Colleague's link withdrawn",
}
NOTHING = "–"


@dataclass(frozen=True)
class Entry:
    """One line of the trail: when, who, what, and the changed answers as (question, before, after)."""

    at: datetime
    actor: str
    what: str
    changes: list[tuple[str, str, str]]
    note: str | None


def in_words(questionnaire: forms.Questionnaire, events: Iterable[AuditEvent]) -> list[Entry]:
    questions = {q.id: q for q in questionnaire.questions()}
    headings = {s.id: s.heading for s in questionnaire.sections}
    others = {q.other_id: q for q in questions.values() if q.other_id}
    out = []
    for event in events:
        detail = event.detail or {}
        what = ACTIONS.get(event.action) or event.action.replace("_", " ").capitalize()
        if event.section_id:
            what += f": {headings.get(event.section_id, event.section_id)}"
        what += _detail(event.action, detail, questions)
        changes = [
            (
                _question_name(key, questions, others),
                _value(key, old, questions, others),
                _value(key, new, questions, others),
            )
            for key, (old, new) in (detail.get("changes") or {}).items()
        ]
        out.append(Entry(event.at, event.actor, what, changes, event.note))
    return out


def _detail(action: str, detail: dict[str, Any], questions: dict[str, forms.Question]) -> str:
    if action == "submit" and detail.get("version"):
        return f" (version {detail['version']}, reference {detail.get('reference', NOTHING)})"
    if action == "extend_deadline" and detail.get("closes_at"):
        moment = datetime.fromisoformat(detail["closes_at"]).astimezone(LONDON)
        return f" to the end of {moment:%-d %B %Y}"
    if action == "consent":
        return ": agreed" if detail.get("consent_to_name") else ": withdrawn"
    if action.startswith("email_") and detail.get("outcome"):
        return f" {detail['outcome']}" + (f" to {detail['to']}" if detail.get("to") else "")
    if action.startswith("comment_") or action == "code":
        question = questions.get(str(detail.get("question", "")).removesuffix("_other"))
        named = f": {_label(question)}" if question else ""
        if action == "code":
            old, new = ", ".join(detail.get("old") or []) or NOTHING, ", ".join(detail.get("new") or []) or NOTHING
            return f"{named}: {old} → {new}"
        return named
    if action == "confirm_warnings" and detail.get("keys"):
        return ": " + "; ".join(_label(questions[k]) if k in questions else k for k in detail["keys"])
    return ""


def _label(question: forms.Question) -> str:
    return question.name[:1].upper() + question.name[1:] if question.name else question.label


def _question_name(key: str, questions: dict[str, forms.Question], others: dict[str, forms.Question]) -> str:
    if key in questions:
        return _label(questions[key])
    if key in others:
        option = others[key].specify_option
        return f"{_label(others[key])} (“{option.label if option else 'Other'}”)"
    return key


def _value(key: str, value: Any, questions: dict[str, forms.Question], others: dict[str, forms.Question]) -> str:
    if value in (None, "", []):
        return NOTHING
    question = questions.get(key)
    if question is None:  # an "Other (please specify)" text, or an answer no longer in the questionnaire
        return "; ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return "; ".join(display(question, {key: value})) or NOTHING
