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

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select, tuple_

import forms

from ..extensions import db
from ..models import CommentReview, Cycle, Organisation, Response, StaffResponse, StaffSurvey
from ..redaction import marks
from . import Actor, audit
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
    def value(self) -> str:
        """How a filter names it: survey and key, as the two questionnaires' keys may coincide."""
        return f"{self.survey}:{self.key}"


def reviewed_keys(questionnaire: forms.Questionnaire) -> list[tuple[forms.Question, forms.Section]]:
    """The free-text questions whose answers are reviewed as comments ("please specify" texts aside)."""
    by_id = {s.id: s for s in questionnaire.sections}
    return [(q, by_id[q.section_id]) for key, q in open_answer_keys(questionnaire) if key == q.id]


def questions(cycle: Cycle) -> list[Question]:
    """The reviewed questions of the cycle's return, then of its staff survey, in questionnaire order."""
    from . import staff
    from .collection import questionnaire_for

    out = [Question("return", q.id, q.label, s.heading, s.standard, i)
           for i, (q, s) in enumerate(reviewed_keys(questionnaire_for(cycle)))]
    survey = staff.survey_of(cycle)
    if survey is not None:
        out += [Question("staff", q.id, q.label, s.heading, s.standard, 1000 + i)
                for i, (q, s) in enumerate(reviewed_keys(staff.questionnaire_of(survey)))]
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
        return cls(status=status if status in (*STATUSES, "all") else "pending",
                   organisation=int(organisation) if organisation.isdigit() and len(organisation) < 10 else None,
                   standard=args.get("standard") if args.get("standard") in standards else None,
                   survey=args.get("survey") if args.get("survey") in SURVEYS else None,
                   question=args.get("question") if args.get("question") in {q.value for q in known} else None)

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string that keeps these filters (and ``changes``): blank ones left out."""
        values = {"status": self.status, "organisation": self.organisation, "standard": self.standard,
                  "survey": self.survey, "question": self.question} | changes
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
    """The queue's SQL for one cycle: which rows, their organisation, their place in the order."""

    def __init__(self, cycle: Cycle, known: list[Question]) -> None:
        self.cycle, self.known = cycle, known
        self.by_value = {q.value: q for q in known}
        returns_ = {q.key: q.position for q in known if q.survey == "return"}
        staff_ = {q.key: q.position for q in known if q.survey == "staff"}
        self.org_id = func.coalesce(Response.organisation_id, StaffResponse.organisation_id)
        self.position = case(
            (CommentReview.response_id.is_not(None), case(returns_, value=CommentReview.question_id, else_=999)),
            else_=case(staff_, value=CommentReview.question_id, else_=1999)) if returns_ and staff_ else \
            case(returns_ or staff_, value=CommentReview.question_id, else_=999) if returns_ or staff_ else literal(0)
        self.reviewed = or_(
            and_(CommentReview.response_id.is_not(None), CommentReview.question_id.in_(returns_ or [""])),
            and_(CommentReview.staff_response_id.is_not(None), CommentReview.question_id.in_(staff_ or [""])))

    def joined(self, stmt: Select[Any]) -> Select[Any]:
        return (stmt.select_from(CommentReview).outerjoin(Response, CommentReview.response_id == Response.id)
                .outerjoin(StaffResponse, CommentReview.staff_response_id == StaffResponse.id)
                .outerjoin(StaffSurvey, StaffResponse.survey_id == StaffSurvey.id)
                .join(Organisation, Organisation.id == self.org_id)
                .where(or_(Response.cycle_id == self.cycle.id, StaffSurvey.cycle_id == self.cycle.id), self.reviewed))

    def conditions(self, f: Filters, *, with_status: bool = True) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if with_status and f.status in STATUSES:
            out.append(CommentReview.status == f.status)
        if f.organisation is not None:
            out.append(self.org_id == f.organisation)
        if f.survey == "return":
            out.append(CommentReview.response_id.is_not(None))
        elif f.survey == "staff":
            out.append(CommentReview.staff_response_id.is_not(None))
        if f.standard is not None:
            chosen = [q for q in self.known if (str(q.standard) if q.standard else NO_STANDARD) == f.standard]
            out.append(or_(*[self._is(q) for q in chosen]) if chosen else CommentReview.id.is_(None))
        if f.question is not None:
            out.append(self._is(self.by_value[f.question]))
        return out

    @staticmethod
    def _is(q: Question) -> ColumnElement[bool]:
        source = CommentReview.response_id if q.survey == "return" else CommentReview.staff_response_id
        return and_(source.is_not(None), CommentReview.question_id == q.key)

    def order(self) -> tuple[Any, ...]:
        return (Organisation.name, Organisation.id, self.position, CommentReview.id)

    def question_of(self, item: CommentReview) -> Question | None:
        survey = "return" if item.response_id is not None else "staff"
        return self.by_value.get(f"{survey}:{item.question_id}")


def page(cycle: Cycle, f: Filters, number: int) -> Page:
    """Page ``number`` (from 1; past the end, the last page) of the queue under ``f``, with the
    count of each status under the other filters."""
    q = _Query(cycle, questions(cycle))
    counts = dict(db.session.execute(q.joined(select(CommentReview.status, func.count()))
                                     .where(*q.conditions(f, with_status=False)).group_by(CommentReview.status))
                  .tuples().all())
    counts = {s: int(counts.get(s, 0)) for s in STATUSES}
    total = sum(counts.values()) if f.status == "all" else counts[f.status]
    pages = max(1, -(-total // PER_PAGE))
    number = min(max(1, number), pages)
    rows = db.session.execute(q.joined(select(CommentReview, Organisation.name)).where(*q.conditions(f))
                              .order_by(*q.order()).limit(PER_PAGE).offset((number - 1) * PER_PAGE)).tuples().all()
    items = [Item(r, name, q.question_of(r)) for r, name in rows]
    for item in items:
        item.eligible = bulk_eligible(item.review, item.organisation)
        item.seen = text_seen(item.review)
    return Page(items, number, pages, total, counts)


def bulk_eligible(item: CommentReview, organisation: str) -> bool:
    """Pending, and the rules suggest nothing: nothing replaced, nothing they were unsure of."""
    return item.status == "pending" and item.redacted == item.original and not marks(item.original, organisation)


def find(cycle: Cycle, review_id: int) -> Item | None:
    """A reviewed comment of the cycle with its organisation and question ("please specify" texts are not)."""
    if not 0 < review_id < 2**63:
        return None
    q = _Query(cycle, questions(cycle))
    row = db.session.execute(q.joined(select(CommentReview, Organisation.name))
                             .where(CommentReview.id == review_id)).tuples().first()
    return Item(row[0], row[1], q.question_of(row[0]), seen=text_seen(row[0])) if row else None


def following(cycle: Cycle, f: Filters, review_id: int) -> int | None:
    """The id of the item after ``review_id`` in the queue under ``f`` (the first one again past
    the end), other than it; None when there is no other."""
    q = _Query(cycle, questions(cycle))
    here = db.session.execute(q.joined(select(*q.order())).where(CommentReview.id == review_id)).first()
    base = q.joined(select(CommentReview.id)).where(*q.conditions(f), CommentReview.id != review_id)
    if here is not None:
        after = db.session.scalar(base.where(tuple_(*q.order()) > tuple_(*here)).order_by(*q.order()).limit(1))
        if after is not None:
            return after
    return db.session.scalar(base.order_by(*q.order()).limit(1))


def position_of(cycle: Cycle, f: Filters, review_id: int) -> int | None:
    """Where the item stands in the queue under ``f`` (from 1), or None if it is not in it."""
    q = _Query(cycle, questions(cycle))
    here = db.session.execute(q.joined(select(*q.order())).where(CommentReview.id == review_id,
                                                                  *q.conditions(f))).first()
    if here is None:
        return None
    before = db.session.scalar(q.joined(select(func.count())).where(*q.conditions(f),
                                                                   tuple_(*q.order()) < tuple_(*here)))
    return int(before or 0) + 1


def organisations(cycle: Cycle) -> list[tuple[int, str]]:
    """(id, name) of each organisation with a comment in the queue, by name."""
    q = _Query(cycle, questions(cycle))
    return [(i, n) for i, n in db.session.execute(
        q.joined(select(Organisation.id, Organisation.name)).distinct().order_by(Organisation.name, Organisation.id))]


def approve_unchanged(cycle: Cycle, chosen: list[tuple[int, str]], actor: Actor) -> tuple[int, int]:
    """Approve as written each chosen (id, text fingerprint) that is still pending, unchanged since
    the page showed it, and with nothing suggested by the rules. (approved, left) counts."""
    approved = left = 0
    for review_id, seen in chosen:
        item = find(cycle, review_id)
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
