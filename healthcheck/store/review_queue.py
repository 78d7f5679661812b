"""The coordinator's queue of comments to review, at the scale of a national year (several
thousand): filtered by status, organisation, standard, survey and question, in pages, in a fixed
order (organisation, then the questionnaire's order of questions, then a stable key: never the
order things arrived in), with the next item after a decision and approval in bulk of what the
redaction rules found nothing in.

Only free-text answers are reviewed here. "Other (please specify)" answers are coded instead
(``review.code_question``), and published in Annex A as coded.

Every page is a fixed number of queries whatever the queue's length: the filters, the order and
the counts are SQL, the page is LIMIT/OFFSET over them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, case, func, literal, or_, select, tuple_, union_all

import forms

from ..extensions import db
from ..models import CommentReview, Cycle, Organisation, Response, StaffResponse, StaffSurvey
from ..redaction import marks
from . import Actor, audit
from .collection import questionnaire_for, questionnaire_of, survey_of
from .review import decide_review, open_answer_keys, text_seen

PER_PAGE = 50
STATUSES = ("pending", "approved", "excluded")
SURVEYS = {"return": "Return", "staff": "Staff survey"}
NO_STANDARD = "none"


@dataclass(frozen=True)
class Question:
    """A question whose answers are reviewed: which survey, its answer key, its wording and where it sits."""

    survey: str  # "return" or "staff"
    key: str
    label: str
    section: str  # "Standard 2: Effective Workforce Planning", "Any other comments"
    standard: int | None
    position: int  # its place in the queue's order

    @property
    def short(self) -> str:
        """The question as a banner names it: a standard's comments box by what it is."""
        return "additional comments" if self.key.endswith("_comments") else self.label

    @property
    def value(self) -> str:
        """How a filter names it: survey and key, as the two questionnaires' keys may coincide."""
        return f"{self.survey}:{self.key}"


def reviewed_keys(questionnaire: forms.Questionnaire) -> list[tuple[forms.Question, forms.Section]]:
    """The free-text questions whose answers are reviewed as comments ("please specify" texts aside)."""
    by_id = {s.id: s for s in questionnaire.sections}
    return [(q, by_id[q.section_id]) for key, q in open_answer_keys(questionnaire) if key == q.id]


def questions(cycle: Cycle) -> list[Question]:
    """The reviewed questions of the cycle's return, then of its staff survey, in questionnaire order."""
    out = [
        Question("return", q.id, q.label, s.heading, s.standard, i)
        for i, (q, s) in enumerate(reviewed_keys(questionnaire_for(cycle)))
    ]
    survey = survey_of(cycle)
    if survey is not None:
        out += [
            Question("staff", q.id, q.label, s.heading, s.standard, 1000 + i)
            for i, (q, s) in enumerate(reviewed_keys(questionnaire_of(survey)))
        ]
    return out


@dataclass
class Filters:
    """What the coordinator filtered the queue by; each value is checked against what exists."""

    status: str = "pending"  # one of STATUSES, or "all"
    organisation: int | None = None
    standard: str | None = None  # "2".."8", or NO_STANDARD
    survey: str | None = None  # "return" or "staff"
    question: str | None = None  # Question.value

    @classmethod
    def parse(cls, args: Any, known: list[Question]) -> Filters:
        """From a query string: anything not offered by the filter form is ignored, not an error page."""
        status = args.get("status", "pending")
        organisation = args.get("organisation", "")
        standards = {str(q.standard) if q.standard else NO_STANDARD for q in known}
        return cls(
            status=status if status in (*STATUSES, "all") else "pending",
            organisation=int(organisation) if organisation.isdigit() and len(organisation) < 10 else None,
            standard=args.get("standard") if args.get("standard") in standards else None,
            survey=args.get("survey") if args.get("survey") in SURVEYS else None,
            question=args.get("question") if args.get("question") in {q.value for q in known} else None,
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string that keeps these filters (and ``changes``): blank ones left out."""
        values = {
            "status": self.status,
            "organisation": self.organisation,
            "standard": self.standard,
            "survey": self.survey,
            "question": self.question,
        } | changes
        return {k: v for k, v in values.items() if v not in (None, "")}


@dataclass
class Item:
    """One comment as the queue shows it."""

    review: CommentReview
    organisation: str
    question: Question | None
    eligible: bool = False  # may be approved in bulk: pending, and the rules suggested nothing
    seen: str = ""


@dataclass
class Page:
    items: list[Item]
    number: int
    pages: int
    total: int  # items under the filters
    counts: dict[str, int] = field(default_factory=dict)  # by status, under the other filters

    @property
    def first(self) -> int:
        return (self.number - 1) * PER_PAGE + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.number * PER_PAGE, self.total)


class _Query:
    """The queue's SQL for one cycle: the return's comments and the staff survey's, each reached
    from its cycle through indexes (a UNION ALL of the two), with their organisation and their
    place in the order."""

    def __init__(self, cycle: Cycle, known: list[Question]) -> None:
        self.cycle, self.known = cycle, known
        self.by_value = {q.value: q for q in known}

    def rows(self, f: Filters, *, with_status: bool = True) -> Any:
        """(id, org_id, position, status) of each comment under ``f``: a subquery."""
        branches = []
        for survey in SURVEYS:
            chosen = [
                q
                for q in self.known
                if q.survey == survey
                and (f.survey is None or f.survey == survey)
                and (f.standard is None or (str(q.standard) if q.standard else NO_STANDARD) == f.standard)
                and (f.question is None or f.question == q.value)
            ]
            if not chosen:
                continue
            position = case({q.key: q.position for q in chosen}, value=CommentReview.question_id, else_=9999)
            if survey == "return":
                stmt = (
                    select(
                        CommentReview.id.label("id"),
                        Response.organisation_id.label("org_id"),
                        position.label("position"),
                        CommentReview.status.label("status"),
                    )
                    .select_from(Response)
                    .join(CommentReview, CommentReview.response_id == Response.id)
                    .where(Response.cycle_id == self.cycle.id)
                )
                org: Any = Response.organisation_id
            else:
                stmt = (
                    select(
                        CommentReview.id.label("id"),
                        StaffResponse.organisation_id.label("org_id"),
                        position.label("position"),
                        CommentReview.status.label("status"),
                    )
                    .select_from(StaffSurvey)
                    .join(StaffResponse, StaffResponse.survey_id == StaffSurvey.id)
                    .join(CommentReview, CommentReview.staff_response_id == StaffResponse.id)
                    .where(StaffSurvey.cycle_id == self.cycle.id)
                )
                org = StaffResponse.organisation_id
            stmt = stmt.where(CommentReview.question_id.in_([q.key for q in chosen]))
            if with_status and f.status in STATUSES:
                stmt = stmt.where(CommentReview.status == f.status)
            if f.organisation is not None:
                stmt = stmt.where(org == f.organisation)
            branches.append(stmt)
        if not branches:  # nothing can match: an empty row set of the same shape
            branches.append(
                select(
                    CommentReview.id.label("id"),
                    CommentReview.id.label("org_id"),
                    CommentReview.id.label("position"),
                    CommentReview.status.label("status"),
                ).where(CommentReview.id.is_(None))
            )
        return (branches[0] if len(branches) == 1 else union_all(*branches)).subquery("queue")

    @staticmethod
    def ordered(sub: Any, *columns: Any) -> Select[Any]:
        return (
            select(*columns)
            .select_from(sub)
            .join(Organisation, Organisation.id == sub.c.org_id)
            .order_by(Organisation.name, sub.c.org_id, sub.c.position, sub.c.id)
        )

    @staticmethod
    def key(sub: Any) -> Any:
        return tuple_(Organisation.name, sub.c.org_id, sub.c.position, sub.c.id)

    def question_of(self, item: CommentReview) -> Question | None:
        survey = "return" if item.response_id is not None else "staff"
        return self.by_value.get(f"{survey}:{item.question_id}")


def page(cycle: Cycle, known: list[Question], f: Filters, number: int) -> Page:
    """Page ``number`` (from 1; past the end, the last page) of the queue under ``f``, with the
    count of each status under the other filters."""
    q = _Query(cycle, known)
    counts = _counts(q, f)
    total = sum(counts.values()) if f.status == "all" else counts[f.status]
    pages = max(1, -(-total // PER_PAGE))
    number = min(max(1, number), pages)
    sub = q.rows(f)
    shown = (
        db.session.execute(q.ordered(sub, sub.c.id, Organisation.name).limit(PER_PAGE).offset((number - 1) * PER_PAGE))
        .tuples()
        .all()
    )
    loaded = (
        {r.id: r for r in db.session.scalars(select(CommentReview).where(CommentReview.id.in_([i for i, _ in shown])))}
        if shown
        else {}
    )
    items = [Item(loaded[i], name, q.question_of(loaded[i])) for i, name in shown if i in loaded]
    for item in items:
        item.eligible = bulk_eligible(item.review, item.organisation)
        item.seen = text_seen(item.review)
    return Page(items, number, pages, total, counts)


def _counts(q: _Query, f: Filters) -> dict[str, int]:
    every = q.rows(f, with_status=False)
    found = dict(db.session.execute(select(every.c.status, func.count()).group_by(every.c.status)).tuples().all())
    return {s: int(found.get(s, 0)) for s in STATUSES}


def counts(cycle: Cycle) -> dict[str, int]:
    """How many of the cycle's comments for review have each status ("please specify" texts are
    coded, not reviewed, so not counted)."""
    return _counts(_Query(cycle, questions(cycle)), Filters(status="all"))


def bulk_eligible(item: CommentReview, organisation: str) -> bool:
    """Pending, and the rules suggest nothing: nothing replaced, nothing they were unsure of."""
    return item.status == "pending" and item.redacted == item.original and not marks(item.original, organisation)


def find(cycle: Cycle, known: list[Question], review_id: int) -> Item | None:
    """A reviewed comment of the cycle with its organisation and question ("please specify" texts are not)."""
    if not 0 < review_id < 2**63:
        return None
    item = db.session.get(CommentReview, review_id)
    if item is None:
        return None
    if item.response_id is not None:
        row = db.session.execute(
            select(Organisation.name, Response.cycle_id)
            .join(Response, Response.organisation_id == Organisation.id)
            .where(Response.id == item.response_id)
        ).first()
    else:
        row = db.session.execute(
            select(Organisation.name, StaffSurvey.cycle_id)
            .join(StaffResponse, StaffResponse.organisation_id == Organisation.id)
            .join(StaffSurvey, StaffSurvey.id == StaffResponse.survey_id)
            .where(StaffResponse.id == item.staff_response_id)
        ).first()
    question = _Query(cycle, known).question_of(item)
    if row is None or row[1] != cycle.id or question is None:
        return None
    return Item(item, row[0], question, seen=text_seen(item))


def following(cycle: Cycle, known: list[Question], f: Filters, here: Item) -> int | None:
    """The id of the item after ``here`` in the queue under ``f`` (the first one again past the
    end), other than it; None when there is no other."""
    q = _Query(cycle, known)
    sub = q.rows(f)
    base = q.ordered(sub, sub.c.id).where(sub.c.id != here.review.id).limit(1)
    if here.question is not None:
        after = db.session.scalar(
            base.where(
                q.key(sub)
                > tuple_(
                    literal(here.organisation),
                    literal(_org_id(here.review)),
                    literal(here.question.position),
                    literal(here.review.id),
                )
            )
        )
        if after is not None:
            return after
    return db.session.scalar(base)


def _org_id(item: CommentReview) -> int:
    if item.response_id is not None:
        return db.session.get_one(Response, item.response_id).organisation_id
    return db.session.get_one(StaffResponse, item.staff_response_id).organisation_id


def organisations(cycle: Cycle) -> list[tuple[int, str]]:
    """(id, name) of each organisation with a return or staff survey responses in the cycle, by name."""
    returns_ = select(Response.organisation_id).where(Response.cycle_id == cycle.id)
    staff_ = (
        select(StaffResponse.organisation_id)
        .join(StaffSurvey, StaffSurvey.id == StaffResponse.survey_id)
        .where(StaffSurvey.cycle_id == cycle.id)
    )
    return [
        (i, n)
        for i, n in db.session.execute(
            select(Organisation.id, Organisation.name)
            .where(or_(Organisation.id.in_(returns_), Organisation.id.in_(staff_)))
            .order_by(Organisation.name, Organisation.id)
        )
    ]


def approve_unchanged(cycle: Cycle, chosen: list[tuple[int, str]], actor: Actor) -> tuple[int, int]:
    """Approve as written each chosen (id, text fingerprint) that is still pending, unchanged since
    the page showed it, and with nothing suggested by the rules. (approved, left) counts."""
    approved = left = 0
    known = questions(cycle)
    for review_id, seen in chosen:
        item = find(cycle, known, review_id)
        if item is None:
            left += 1
            continue
        db.session.refresh(item.review, with_for_update=True)
        if not bulk_eligible(item.review, item.organisation) or text_seen(item.review) != seen:
            left += 1
            continue
        decide_review(item.review, item.review.original, "approved", actor, seen=seen)
        approved += 1
    if approved:
        audit(actor, "comments_approved_in_bulk", detail={"cycle": cycle.year, "approved": approved, "left": left})
    return approved, left
