"""Open answers on their way to publication: redaction review, and coding into categories."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import Select, or_, select

import forms

from ..extensions import db
from ..models import (
    Coding,
    CodingCategory,
    CommentReview,
    Cycle,
    Organisation,
    Response,
    StaffResponse,
    StaffSurvey,
    utcnow,
)
from ..redaction import Mark, marks, redact
from . import Actor, audit
from .collection import questionnaire_for, questionnaire_of, survey_of
from .submitted import latest_submitted


def open_answer_keys(questionnaire: forms.Questionnaire) -> list[tuple[str, forms.Question]]:
    """(answer key, question) for every free-text answer and 'please specify' text, contact details aside."""
    keys = []
    for section in questionnaire.sections:
        if section.kind == "contact":
            continue
        for q in section.questions:
            if q.answer_type.free_text:
                keys.append((q.id, q))
            if q.other_id:
                keys.append((q.other_id, q))
    return keys


def sync_reviews(response: Response, questionnaire: forms.Questionnaire, answers: dict) -> None:
    """Queue each open answer for review; a changed answer goes back to pending with a fresh redaction."""
    existing = {
        r.question_id: r
        for r in db.session.scalars(select(CommentReview).where(CommentReview.response_id == response.id))
    }
    people = _people(answers)
    for key, _question in open_answer_keys(questionnaire):
        text = answers.get(key)
        item = existing.get(key)
        if not text:
            if item is not None:
                db.session.delete(item)
        elif item is None:
            db.session.add(
                CommentReview(
                    response_id=response.id,
                    question_id=key,
                    original=text,
                    redacted=redact(text, response.organisation.name, people),
                    status="pending",
                )
            )
        elif item.original != text:
            item.original, item.status = text, "pending"
            item.redacted = redact(text, response.organisation.name, people)
            item.reviewed_by = item.reviewed_at = None


def _people(answers: dict) -> list[str]:
    """The people a return names, whose names redaction replaces wherever its comments give them."""
    return [
        " ".join(filter(None, (answers.get("contact_first_name"), answers.get("contact_surname")))),
        answers.get("contact_surname") or "",
    ]


def as_written(item: CommentReview) -> list[tuple[str, Mark | None]]:
    """The comment as written, in pieces: each stretch the redaction rules replace, or kept but were
    unsure of, with its mark; the text between them with none. The rules are run afresh, on the
    organisation and contacts as they stand now."""
    if item.response_id is not None:
        response = db.session.get_one(Response, item.response_id)
        found = marks(item.original, response.organisation.name, _people(response.answers))
    else:
        staff_response = db.session.get_one(StaffResponse, item.staff_response_id)
        found = marks(item.original, staff_response.organisation.name)
    pieces: list[tuple[str, Mark | None]] = []
    at = 0
    for mark in found:
        pieces += [(item.original[at : mark.start], None), (item.original[mark.start : mark.end], mark)]
        at = mark.end
    return [piece for piece in [*pieces, (item.original[at:], None)] if piece[0]]


def sync_staff_comments(response: StaffResponse, questionnaire: forms.Questionnaire, organisation_name: str) -> None:
    """A staff survey response's free text, redacted and queued for review (it is never changed)."""
    for key, _question in open_answer_keys(questionnaire):
        text = response.answers.get(key)
        if text:
            db.session.add(
                CommentReview(
                    staff_response_id=response.id,
                    question_id=key,
                    original=text,
                    redacted=redact(text, organisation_name),
                    status="pending",
                )
            )


def approved_staff_comments(survey: StaffSurvey) -> list[dict]:
    """A staff survey's approved comments, redacted, each with its organisation."""
    rows = db.session.execute(
        select(Organisation.name, CommentReview.question_id, CommentReview.redacted)
        .join(StaffResponse, CommentReview.staff_response_id == StaffResponse.id)
        .join(Organisation, Organisation.id == StaffResponse.organisation_id)
        .where(
            StaffResponse.survey_id == survey.id, StaffResponse.excluded.is_(False), CommentReview.status == "approved"
        )
        .order_by(Organisation.name, CommentReview.id)
    )
    return [{"organisation": name, "question_id": key, "text": text} for name, key, text in rows]


def _of_cycle(cycle: Cycle) -> Select[tuple[CommentReview]]:
    """The cycle's comments for review: from its returns and from its staff survey."""
    return (
        select(CommentReview)
        .outerjoin(Response, CommentReview.response_id == Response.id)
        .outerjoin(StaffResponse, CommentReview.staff_response_id == StaffResponse.id)
        .outerjoin(StaffSurvey, StaffResponse.survey_id == StaffSurvey.id)
        .where(or_(Response.cycle_id == cycle.id, StaffSurvey.cycle_id == cycle.id))
    )


def reviews(cycle: Cycle, status: str | None = None, *, returns_only: bool = False) -> list[CommentReview]:
    stmt = _of_cycle(cycle).order_by(
        CommentReview.staff_response_id.is_not(None), CommentReview.question_id, CommentReview.id
    )
    if status:
        stmt = stmt.where(CommentReview.status == status)
    if returns_only:
        stmt = stmt.where(CommentReview.response_id.is_not(None))
    return list(db.session.scalars(stmt))


def specify_keys(questionnaire: forms.Questionnaire) -> set[str]:
    """The answer keys of "Other (please specify)" texts: coded, not reviewed as comments."""
    return {key for key, q in open_answer_keys(questionnaire) if key != q.id}


def published_answers(
    cycle: Cycle, questionnaire: forms.Questionnaire, coded: dict[int, dict[str, list[str]]]
) -> list[CommentReview]:
    """The return's open answers that go out: free text approved on review, and "please specify"
    texts coded into a category (and not excluded), in a stable order."""
    others = specify_keys(questionnaire)
    return [
        c
        for c in reviews(cycle, returns_only=True)
        if (c.question_id not in others and c.status == "approved")
        or (
            c.question_id in others
            and c.status != "excluded"
            and c.response_id is not None
            and coded.get(c.response_id, {}).get(c.question_id)
        )
    ]


def redactions(cycle: Cycle, key: str) -> dict[int, str]:
    """{response id: redacted text} of the cycle's returns' answers under ``key``."""
    rows = db.session.execute(
        select(Response.id, CommentReview.redacted)
        .join(CommentReview, CommentReview.response_id == Response.id)
        .where(Response.cycle_id == cycle.id, CommentReview.question_id == key)
    ).tuples()
    return dict(rows.all())


def review(cycle: Cycle, review_id: int) -> CommentReview | None:
    return db.session.scalar(_of_cycle(cycle).where(CommentReview.id == review_id)) if 0 < review_id < 2**63 else None


def labels(cycle: Cycle) -> dict[str, str]:
    """What each open answer answers, by answer key: the return's questions, and the staff survey's."""
    found = {k: q.label for k, q in open_answer_keys(questionnaire_for(cycle))}
    survey = survey_of(cycle)
    if survey is not None:
        found |= {k: q.label for k, q in open_answer_keys(questionnaire_of(survey))}
    return found


def text_seen(item: CommentReview) -> str:
    """A fingerprint of the comment a review page showed: a decision applies only to that text."""
    return hashlib.sha256(item.original.encode("utf-8")).hexdigest()[:32]


def decide_review(item: CommentReview, redacted: str, status: str, actor: Actor, seen: str | None = None) -> bool:
    """Record a coordinator's decision, unless the comment changed since their page showed it (then
    nothing is written: False). The row is read afresh, locked, before it is compared."""
    db.session.refresh(item, with_for_update=True)
    if seen is not None and text_seen(item) != seen:
        return False
    item.redacted, item.status = redacted, status
    item.reviewed_by, item.reviewed_at = actor.name, utcnow()
    audit(actor, f"comment_{status}", response_id=item.response_id, detail={"question": item.question_id})
    return True


def coding_frame(cycle: Cycle, question: forms.Question) -> list[tuple[str, str]]:
    """(value, label) categories for coding a question's open answers: its printed options
    (less 'Other' and exclusive ones) plus those coordinators added."""
    frame = [(o.value, o.label) for o in question.options if not o.specify and not o.exclusive]
    return frame + added_categories(cycle).get(question.id, [])


def added_categories(cycle: Cycle) -> dict[str, list[tuple[str, str]]]:
    """{question id: [(value, label)]} of the categories coordinators added, in the order added."""
    out: dict[str, list[tuple[str, str]]] = {}
    for c in db.session.scalars(
        select(CodingCategory).where(CodingCategory.cycle_id == cycle.id).order_by(CodingCategory.id)
    ):
        out.setdefault(c.question_id, []).append((c.value, c.label))
    return out


def add_category(cycle: Cycle, question: forms.Question, label: str, actor: Actor) -> str:
    base = "x_" + (re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:40] or "category")
    taken = {v for v, _ in coding_frame(cycle, question)}
    value, n = base, 2
    while value in taken:
        value, n = f"{base}_{n}", n + 1
    db.session.add(CodingCategory(cycle_id=cycle.id, question_id=question.id, value=value, label=label))
    audit(actor, "coding_category", detail={"cycle": cycle.year, "question": question.id, "label": label})
    return value


def open_answers(cycle: Cycle, key: str) -> list[tuple[Response, str, list[str]]]:
    """(response, text, coded categories) for each submitted return's open answer under ``key``."""
    coded = codings(cycle)
    return [
        (response, version.answers[key], coded.get(response.id, {}).get(key, []))
        for response, version in latest_submitted(cycle)
        if version.answers.get(key)
    ]


def set_coding(response: Response, key: str, categories: list[str], actor: Actor) -> None:
    row = db.session.scalar(select(Coding).where(Coding.response_id == response.id, Coding.question_id == key))
    if row is None:
        row = Coding(response_id=response.id, question_id=key, categories=categories, coded_by=actor.name)
        db.session.add(row)
    old = list(row.categories or [])
    row.categories, row.coded_by, row.coded_at = categories, actor.name, utcnow()
    audit(actor, "code", response_id=response.id, detail={"question": key, "old": old, "new": categories})


def codings(cycle: Cycle) -> dict[int, dict[str, list[str]]]:
    """{response id: {answer key: categories}}: what aggregation adds to ticked answers."""
    out: dict[int, dict[str, list[str]]] = {}
    for c in db.session.scalars(select(Coding).join(Response).where(Response.cycle_id == cycle.id)):
        out.setdefault(c.response_id, {})[c.question_id] = list(c.categories)
    return out
