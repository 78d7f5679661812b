"""The staff survey: a cycle's survey, each organisation's code and workforce, and the anonymous
responses (no name, email, address or time: the date only)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, select, text

import forms
from aggregation import profile, repeats
from aggregation.dataset import StaffData
from forms.rules import prune

from .. import clock
from ..extensions import db
from ..models import Cycle, Organisation, StaffCode, StaffDraft, StaffResponse, StaffSurvey, utcnow
from . import Actor, audit, review
from .collection import organisations, questionnaire_of, survey_of  # the survey's, read here too
from .submitted import latest_submitted, named

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
DRAFT_DAYS = 7  # a draft's days are UTC days by this machine's clock, as the survey's pages judge it open
# The headcount a PSW gives, by profession and service: the response rate's denominator.
PROFESSIONS = {
    "social_workers": "Registered social workers",
    "occupational_therapists": "Occupational therapists",
    "other_practitioners": "Other practitioners (not registered)",
}
SERVICES = {"adults": "Adults' services", "children": "Children's services"}


def open_survey(
    cycle: Cycle, questionnaire: forms.Questionnaire, opens_at: datetime, closes_at: datetime, actor: Actor
) -> StaffSurvey:
    """Add a staff survey to a cycle (or change its questionnaire and dates), with a code for
    every organisation in the register."""
    survey = survey_of(cycle)
    if survey is None:
        survey = StaffSurvey(cycle=cycle)
        db.session.add(survey)
    survey.questionnaire_id, survey.questionnaire_version = questionnaire.id, questionnaire.version
    survey.opens_at, survey.closes_at = opens_at, closes_at
    db.session.flush()
    for org in organisations():
        code_for(survey, org)
    audit(
        actor,
        "staff_survey",
        detail={
            "cycle": cycle.year,
            "questionnaire": questionnaire.key,
            "opens": opens_at.isoformat(),
            "closes": closes_at.isoformat(),
        },
    )
    return survey


def close_now(survey: StaffSurvey, actor: Actor) -> datetime:
    """Close an open survey at this moment (by the database's clock), audited with the close it
    replaces; the moment it closed."""
    moment = clock.now()
    audit(
        actor,
        "staff_survey_closed",
        detail={"cycle": survey.cycle.year, "closed": moment.isoformat(), "was_to_close": survey.closes_at.isoformat()},
    )
    survey.closes_at = moment
    return moment


def reopen(survey: StaffSurvey, closes_at: datetime, actor: Actor) -> None:
    """Open a closed survey again until ``closes_at`` (later than now), audited."""
    audit(
        actor,
        "staff_survey_reopened",
        detail={
            "cycle": survey.cycle.year,
            "closes": closes_at.isoformat(),
            "had_closed": survey.closes_at.isoformat(),
        },
    )
    survey.closes_at = closes_at


def code_for(survey: StaffSurvey, organisation: Organisation) -> StaffCode:
    """The organisation's code for the survey, made on first need."""
    found = db.session.scalar(
        select(StaffCode).where(StaffCode.survey_id == survey.id, StaffCode.organisation_id == organisation.id)
    )
    if found is None:
        found = StaffCode(
            survey=survey,
            organisation=organisation,
            headcount={},
            code="".join(secrets.choice(CODE_ALPHABET) for _ in range(8)),
        )
        db.session.add(found)
        db.session.flush()
    return found


def codes(survey: StaffSurvey) -> dict[int, StaffCode]:
    """Every organisation's code for the survey, by organisation id."""
    return {c.organisation_id: c for c in db.session.scalars(select(StaffCode).where(StaffCode.survey_id == survey.id))}


def code_of(code_id: int) -> StaffCode:
    return db.session.get_one(StaffCode, code_id)


def find_code(code: str) -> StaffCode | None:
    """The organisation and survey an organisation code opens, if any (however it was typed)."""
    cleaned = "".join(code.split()).replace("-", "").upper()
    if not 4 <= len(cleaned) <= 20:
        return None
    return db.session.scalar(select(StaffCode).where(StaffCode.code == cleaned))


def set_headcount(code: StaffCode, headcount: Mapping[str, Mapping[str, int | None]], actor: Actor) -> None:
    code.headcount = {p: {s: n for s, n in by_service.items() if n is not None} for p, by_service in headcount.items()}
    audit(actor, "staff_headcount", detail={"organisation": code.organisation_id, "headcount": code.headcount})


def total_headcount(code: StaffCode) -> int | None:
    counts = [n for by_service in (code.headcount or {}).values() for n in by_service.values()]
    return sum(counts) if counts else None


def set_workforce(code: StaffCode, workforce: Mapping[str, Mapping[str, int | None]], actor: Actor) -> None:
    """The workforce's profile from HR: {characteristic: {category: headcount}}, in the categories
    the survey asks respondents (``aggregation.profile.categories``)."""
    code.workforce = {c: {v: n for v, n in counts.items() if n is not None} for c, counts in workforce.items()}
    audit(actor, "staff_workforce", detail={"organisation": code.organisation_id, "workforce": code.workforce})


def workforce_of(code: StaffCode, questionnaire: forms.Questionnaire) -> dict[str, dict[str, int]]:
    return _workforce(code.workforce, questionnaire)


def _workforce(stored: Mapping | None, questionnaire: forms.Questionnaire) -> dict[str, dict[str, int]]:
    """The profile counted, in the questionnaire's categories only (a category a later version
    drops is left out)."""
    stored = stored or {}
    return {
        c: {v: stored[c][v] for v, _ in options if isinstance(stored.get(c), dict) and v in stored[c]}
        for c, options in profile.categories(questionnaire).items()
    }


# ---------------------------------------------------------------- drafts and responses


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_draft(code: StaffCode) -> str:
    """A draft for one person's answers, reached by the token returned (kept in their browser).
    Drafts untouched for more than a week go as each new one starts."""
    forget_old_drafts()
    token = secrets.token_urlsafe(32)
    db.session.add(
        StaffDraft(
            token_hash=hash_token(token),
            survey_id=code.survey_id,
            organisation_id=code.organisation_id,
            answers={},
            updated_on=utcnow().date(),
        )
    )
    return token


def draft(code: StaffCode, token: str | None) -> StaffDraft | None:
    """The browser's draft for this organisation's survey, unless it is older than a week."""
    if not token or len(token) > 100:
        return None
    found = db.session.scalar(
        select(StaffDraft).where(
            StaffDraft.token_hash == hash_token(token),
            StaffDraft.survey_id == code.survey_id,
            StaffDraft.organisation_id == code.organisation_id,
        )
    )
    if found is None or found.updated_on < utcnow().date() - timedelta(days=DRAFT_DAYS):
        return None
    return found


def save_draft(found: StaffDraft, section: forms.Section, values: dict, questionnaire: forms.Questionnaire) -> None:
    keys = [k for q in section.questions for k in (q.id, q.other_id) if k]
    kept = {k: v for k, v in (found.answers or {}).items() if k not in keys}
    kept.update({k: v for k, v in values.items() if v not in (None, "", [])})
    found.answers = prune(questionnaire, kept)
    found.updated_on = utcnow().date()
    found.last_part = section.id


def is_scored(questionnaire: forms.Questionnaire, answers: Mapping) -> bool:
    """Whether a response counts: it has at least one scored answer other than "don't know"."""
    return any(answers.get(q.id) not in (None, forms.DONT_KNOW) for q in questionnaire.questions() if q.standard)


# A burst: an hour in which an organisation's responses reach both BURST_MIN and BURST_TIMES its
# pace, the mean count of the earlier hours that had any of its responses; an organisation has a
# pace once BURST_HOURS such hours have passed (docs/disclosure.md).
BURST_MIN = 5
BURST_TIMES = 4
BURST_HOURS = 3


def is_burst(this_hour: int, past_responses: int, past_hours: int) -> bool:
    """Whether the ``this_hour``-th response of an hour makes it a burst for its organisation."""
    if past_hours < BURST_HOURS:
        return False
    return this_hour >= max(BURST_MIN, BURST_TIMES * past_responses / past_hours)


def _pace(code: StaffCode, now: datetime) -> bool:
    """Count one more response in the organisation's hour (its code's row, locked), starting a new
    hour when this one is later, the last folded into the totals; whether it makes a burst."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    if code.hour_started_at != hour:
        _fold(code)
        code.hour_started_at = hour
    code.hour_responses += 1
    return is_burst(code.hour_responses, code.past_responses, code.past_hours)


def _fold(code: StaffCode) -> None:
    if code.hour_responses:
        code.past_responses += code.hour_responses
        code.past_hours += 1
    code.hour_started_at, code.hour_responses = None, 0


def submit(
    survey: StaffSurvey,
    organisation_id: int,
    answers: dict,
    questionnaire: forms.Questionnaire,
    organisation_name: str,
    *,
    now: datetime | None = None,
    paced: bool = True,
) -> StaffResponse:
    """Store one person's answers as a response, dated but not timed, its id random. A response
    that makes its organisation's hour a burst is flagged for the coordinator (``paced``: one a
    practitioner sent, not one imported); its comment joins the review queue."""
    now = now or (clock.now() if paced else utcnow())
    burst = False
    if paced:
        code = db.session.scalar(
            select(StaffCode)
            .where(StaffCode.survey_id == survey.id, StaffCode.organisation_id == organisation_id)
            .with_for_update()
        )
        burst = code is not None and _pace(code, now)
    response = StaffResponse(
        survey_id=survey.id,
        organisation_id=organisation_id,
        answers=answers,
        submitted_on=now.date(),
        scored=is_scored(questionnaire, answers),
        burst=burst,
    )
    db.session.add(response)
    db.session.flush()
    review.sync_staff_comments(response, questionnaire, organisation_name)
    return response


def running_count(survey: StaffSurvey, organisation_id: int, threshold: int, today: date) -> int | None:
    """What an organisation is told of its own running count: its counted responses up to the end
    of yesterday, rounded down to a multiple of 5, so that it changes at most once a day and never
    by one; None (read as "Fewer than 10") while that is below ``threshold``."""
    n = (
        db.session.scalar(
            select(func.count())
            .select_from(StaffResponse)
            .where(
                StaffResponse.survey_id == survey.id,
                StaffResponse.organisation_id == organisation_id,
                StaffResponse.scored.is_(True),
                StaffResponse.excluded.is_(False),
                StaffResponse.submitted_on < today,
            )
        )
        or 0
    )
    return n - n % 5 if n >= threshold else None


def counts(survey: StaffSurvey) -> dict[int, int]:
    """Counted responses (scored, not excluded) by organisation."""
    rows = db.session.execute(
        select(StaffResponse.organisation_id, func.count())
        .where(StaffResponse.survey_id == survey.id, StaffResponse.scored.is_(True), StaffResponse.excluded.is_(False))
        .group_by(StaffResponse.organisation_id)
    )
    return dict(rows.tuples().all())


def respondents(survey: StaffSurvey) -> list[dict]:
    """The counted responses (a scored answer, not excluded) as plain data to score: each one's
    organisation, its authority type and region, and the answers but free text (comments reach
    results only through review, redacted)."""
    texts = {q.id for q in questionnaire_of(survey).questions() if q.answer_type.free_text}
    rows = db.session.execute(
        select(Organisation.name, Organisation.authority_type, Organisation.region, StaffResponse.answers)
        .join(Organisation, Organisation.id == StaffResponse.organisation_id)
        .where(StaffResponse.survey_id == survey.id, StaffResponse.scored.is_(True), StaffResponse.excluded.is_(False))
        .order_by(StaffResponse.id)
    )
    return [
        {
            "organisation": name,
            "authority_type": kind,
            "region": region,
            "answers": {k: v for k, v in answers.items() if k not in texts},
        }
        for name, kind, region, answers in rows
    ]


def data(survey: StaffSurvey) -> StaffData:
    """A staff survey frozen for an edition: counted responses, approved comments, the workforce
    each PSW counted, the headcount each entered (the response rate's denominator) and the
    organisations whose return agreed to be named, with the previous cycle's survey where there was
    one."""
    cycle = survey.cycle
    earlier = db.session.get(Cycle, cycle.previous_cycle_id) if cycle.previous_cycle_id else None
    before = survey_of(earlier) if earlier else None
    questionnaire = questionnaire_of(survey)
    counted = db.session.execute(
        select(Organisation.name, StaffCode).join(StaffCode.organisation).where(StaffCode.survey_id == survey.id)
    ).all()
    workforce = {name: _workforce(code.workforce, questionnaire) for name, code in counted}
    headcounts = {name: total for name, code in counted if (total := total_headcount(code))}
    return StaffData(
        year=cycle.year,
        questionnaire=questionnaire,
        respondents=respondents(survey),
        comments=review.approved_staff_comments(survey),
        workforce={name: counts for name, counts in workforce.items() if any(counts.values())},
        named=named(latest_submitted(cycle)),
        headcounts=headcounts,
        previous=data(before) if before else None,
    )


def counted(survey: StaffSurvey, organisation_id: int) -> int:
    return counts(survey).get(organisation_id, 0)


def response(survey: StaffSurvey, response_id: str) -> StaffResponse | None:
    if len(response_id) > 32:
        return None
    return db.session.scalar(
        select(StaffResponse).where(StaffResponse.survey_id == survey.id, StaffResponse.id == response_id)
    )


@dataclass
class Flagged:
    """A survey's responses flagged as possible repeats: groups of near-duplicates (by
    organisation, then id) and, by organisation, those that came in a burst."""

    duplicates: list[tuple[Organisation, list[StaffResponse], float]]
    bursts: list[tuple[Organisation, list[StaffResponse]]]

    def ids(self) -> set[str]:
        return {r.id for _, rows, _ in self.duplicates for r in rows} | {r.id for _, rows in self.bursts for r in rows}

    def count(self) -> int:
        return len(self.ids())

    def still_counted(self) -> int:
        """How many flagged responses are not excluded."""
        rows = [r for _, g, _ in self.duplicates for r in g] + [r for _, g in self.bursts for r in g]
        return len({r.id for r in rows if not r.excluded})


def flagged(survey: StaffSurvey, organisation_id: int | None = None) -> Flagged:
    """The responses of the survey (or of one organisation) flagged as possible repeats, excluded
    or not: near-duplicates found now (``aggregation.repeats``), and bursts flagged as they came."""
    stmt = (
        select(StaffResponse)
        .join(Organisation, Organisation.id == StaffResponse.organisation_id)
        .where(StaffResponse.survey_id == survey.id)
        .order_by(Organisation.name, StaffResponse.id)
    )
    if organisation_id is not None:
        stmt = stmt.where(StaffResponse.organisation_id == organisation_id)
    rows = list(db.session.scalars(stmt))
    by_id = {r.id: r for r in rows}
    items = [q.id for q in questionnaire_of(survey).questions() if not q.answer_type.free_text]
    groups = repeats.near_duplicates(((r.id, r.organisation_id, r.answers) for r in rows), items)
    duplicates = [(by_id[g.ids[0]].organisation, [by_id[i] for i in g.ids], g.share) for g in groups]
    bursts: dict[int, list[StaffResponse]] = {}
    for r in rows:
        if r.burst:
            bursts.setdefault(r.organisation_id, []).append(r)
    return Flagged(duplicates, [(found[0].organisation, found) for found in bursts.values()])


def burst_count(survey: StaffSurvey) -> int:
    """How many responses were flagged as coming in a burst (near-duplicates take longer to find:
    the flagged responses' page finds them)."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(StaffResponse)
            .where(StaffResponse.survey_id == survey.id, StaffResponse.burst.is_(True))
        )
        or 0
    )


def exclude(response: StaffResponse, why: str, actor: Actor) -> None:
    """Leave a flagged response out of every count and result, from the next publication on."""
    response.excluded = True
    audit(actor, "staff_exclude", detail={"staff_response": response.id, "flagged": why})


def include(response: StaffResponse, actor: Actor) -> None:
    """Count an excluded response again."""
    response.excluded = False
    audit(actor, "staff_include", detail={"staff_response": response.id})


def responses(survey: StaffSurvey) -> list[StaffResponse]:
    """Every response, by organisation then id: never in the order they came."""
    return list(
        db.session.scalars(
            select(StaffResponse)
            .where(StaffResponse.survey_id == survey.id)
            .order_by(StaffResponse.organisation_id, StaffResponse.id)
        )
    )


def forget(found: StaffDraft) -> None:
    """A draft, gone (once submitted): what it held is in the response alone."""
    db.session.delete(found)


def forget_old_drafts() -> None:
    """Drafts untouched for longer than a week, deleted."""
    db.session.execute(delete(StaffDraft).where(StaffDraft.updated_on < utcnow().date() - timedelta(days=DRAFT_DAYS)))


# ---------------------------------------------------------------- the order rows are stored in

# The tables whose rows arrive with the staff survey's responses, with the index of their random ids.
REORDERED = {"staff_response": "pk_staff_response", "comment_review": "pk_comment_review"}


def forget_arrival(today: date) -> None:
    """The nightly rewrite's first half, in one transaction: on PostgreSQL every row of the
    reordered tables is written again, so that all of them carry this transaction's id (each row's
    ``xmin`` had told the order rows came in); and the hour each organisation's pace last counted
    is folded into its totals once its day is over."""
    start = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    for code in db.session.scalars(select(StaffCode).where(StaffCode.hour_started_at < start).with_for_update()):
        _fold(code)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("UPDATE staff_response SET scored = scored"))
        db.session.execute(text("UPDATE comment_review SET status = status"))


def reorder_rows() -> None:
    """The nightly rewrite's second half, after the first has committed: on PostgreSQL each table
    is rewritten in the order of its random ids (CLUSTER), so that where a row lies says nothing of
    when it came. On SQLite the rows are kept in that order already (``models.StaffResponse``)."""
    if db.session.get_bind().dialect.name == "postgresql":
        # CLUSTER holds the table while it runs (well under a second for a survey's rows); it waits
        # at most 10 s for a long transaction to let go, rather than hold up every send behind it,
        # and else fails, to be tried again the next night.
        db.session.execute(text("SET LOCAL lock_timeout = '10s'"))
        for table, index in REORDERED.items():
            db.session.execute(text(f"CLUSTER {table} USING {index}"))
