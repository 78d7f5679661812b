"""The staff survey: a cycle's survey, each organisation's code and workforce, and the anonymous
responses (no name, email, address or time: the date only)."""
from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select

import forms
from aggregation import profile
from aggregation.dataset import StaffData

from .. import clock
from ..extensions import db
from ..models import Cycle, Organisation, StaffCode, StaffDraft, StaffResponse, StaffSurvey
from . import Actor, audit, publication, review
from .collection import organisations

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
DRAFT_DAYS = 7
# The headcount a PSW gives, by profession and service: the response rate's denominator.
PROFESSIONS = {"social_workers": "Registered social workers", "occupational_therapists": "Occupational therapists",
               "other_practitioners": "Other practitioners (not registered)"}
SERVICES = {"adults": "Adults' services", "children": "Children's services"}


def survey_of(cycle: Cycle) -> StaffSurvey | None:
    return db.session.scalar(select(StaffSurvey).where(StaffSurvey.cycle_id == cycle.id))


def questionnaire_of(survey: StaffSurvey) -> forms.Questionnaire:
    return forms.load(survey.questionnaire_id, survey.questionnaire_version)


def open_survey(cycle: Cycle, questionnaire: forms.Questionnaire, opens_at: datetime, closes_at: datetime,
                actor: Actor) -> StaffSurvey:
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
    audit(actor, "staff_survey", detail={"cycle": cycle.year, "questionnaire": questionnaire.key,
                                         "opens": opens_at.isoformat(), "closes": closes_at.isoformat()})
    return survey


def close_now(survey: StaffSurvey, actor: Actor) -> datetime:
    """Close an open survey at this moment (by the database's clock), audited with the close it
    replaces; the moment it closed."""
    moment = clock.now()
    audit(actor, "staff_survey_closed", detail={"cycle": survey.cycle.year, "closed": moment.isoformat(),
                                                "was_to_close": survey.closes_at.isoformat()})
    survey.closes_at = moment
    return moment


def reopen(survey: StaffSurvey, closes_at: datetime, actor: Actor) -> None:
    """Open a closed survey again until ``closes_at`` (later than now), audited."""
    audit(actor, "staff_survey_reopened", detail={"cycle": survey.cycle.year, "closes": closes_at.isoformat(),
                                                  "had_closed": survey.closes_at.isoformat()})
    survey.closes_at = closes_at


def code_for(survey: StaffSurvey, organisation: Organisation) -> StaffCode:
    """The organisation's code for the survey, made on first need."""
    found = db.session.scalar(select(StaffCode).where(StaffCode.survey_id == survey.id,
                                                      StaffCode.organisation_id == organisation.id))
    if found is None:
        found = StaffCode(survey=survey, organisation=organisation, headcount={},
                          code="".join(secrets.choice(CODE_ALPHABET) for _ in range(8)))
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
    return {c: {v: stored[c][v] for v, _ in options if isinstance(stored.get(c), dict) and v in stored[c]}
            for c, options in profile.categories(questionnaire).items()}


# ---------------------------------------------------------------- drafts and responses

def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_draft(code: StaffCode) -> str:
    """A draft for one person's answers, reached by the token returned (kept in their browser).
    Drafts untouched for more than a week go as each new one starts."""
    forget_old_drafts()
    token = secrets.token_urlsafe(32)
    db.session.add(StaffDraft(token_hash=hash_token(token), survey_id=code.survey_id,
                              organisation_id=code.organisation_id, answers={}, updated_on=date.today()))
    return token


def draft(code: StaffCode, token: str | None) -> StaffDraft | None:
    """The browser's draft for this organisation's survey, unless it is older than a week."""
    if not token or len(token) > 100:
        return None
    found = db.session.scalar(select(StaffDraft).where(StaffDraft.token_hash == hash_token(token),
                                                       StaffDraft.survey_id == code.survey_id,
                                                       StaffDraft.organisation_id == code.organisation_id))
    if found is None or found.updated_on < date.today() - timedelta(days=DRAFT_DAYS):
        return None
    return found


def save_draft(found: StaffDraft, section: forms.Section, values: dict, questionnaire: forms.Questionnaire) -> None:
    from forms.rules import prune

    keys = [k for q in section.questions for k in (q.id, q.other_id) if k]
    kept = {k: v for k, v in (found.answers or {}).items() if k not in keys}
    kept.update({k: v for k, v in values.items() if v not in (None, "", [])})
    found.answers = prune(questionnaire, kept)
    found.updated_on = date.today()


def is_scored(questionnaire: forms.Questionnaire, answers: Mapping) -> bool:
    """Whether a response counts: it has at least one scored answer other than "don't know"."""
    return any(answers.get(q.id) not in (None, forms.DONT_KNOW) for q in questionnaire.questions() if q.standard)


def fingerprint(organisation_id: int, answers: Mapping) -> str:
    return hashlib.sha256(json.dumps([organisation_id, answers], sort_keys=True).encode()).hexdigest()


def submit(survey: StaffSurvey, organisation_id: int, answers: dict, questionnaire: forms.Questionnaire,
           organisation_name: str) -> StaffResponse:
    """Store one person's answers as a response, dated but not timed. An exact copy of another
    response from the same organisation on the same day is flagged for the coordinator; its
    comment joins the review queue."""
    today = date.today()
    print_ = fingerprint(organisation_id, answers)
    twin = db.session.scalar(select(StaffResponse.id).where(
        StaffResponse.survey_id == survey.id, StaffResponse.fingerprint == print_,
        StaffResponse.submitted_on == today).limit(1))
    response = StaffResponse(survey_id=survey.id, organisation_id=organisation_id, answers=answers,
                             submitted_on=today, scored=is_scored(questionnaire, answers), fingerprint=print_,
                             duplicate_of_id=twin)
    db.session.add(response)
    db.session.flush()
    review.sync_staff_comments(response, questionnaire, organisation_name)
    return response


def counts(survey: StaffSurvey) -> dict[int, int]:
    """Counted responses (scored, not excluded) by organisation."""
    rows = db.session.execute(
        select(StaffResponse.organisation_id, func.count()).where(
            StaffResponse.survey_id == survey.id, StaffResponse.scored.is_(True), StaffResponse.excluded.is_(False))
        .group_by(StaffResponse.organisation_id))
    return {org_id: n for org_id, n in rows}


def respondents(survey: StaffSurvey) -> list[dict]:
    """The counted responses (a scored answer, not excluded) as plain data to score: each one's
    organisation, its authority type and region, and the answers but free text (comments reach
    results only through review, redacted)."""
    texts = {q.id for q in questionnaire_of(survey).questions() if q.type == "text"}
    rows = db.session.execute(
        select(Organisation.name, Organisation.authority_type, Organisation.region, StaffResponse.answers)
        .join(Organisation, Organisation.id == StaffResponse.organisation_id)
        .where(StaffResponse.survey_id == survey.id, StaffResponse.scored.is_(True),
               StaffResponse.excluded.is_(False)).order_by(StaffResponse.id))
    return [{"organisation": name, "authority_type": kind, "region": region,
             "answers": {k: v for k, v in answers.items() if k not in texts}} for name, kind, region, answers in rows]


def data(survey: StaffSurvey) -> StaffData:
    """A staff survey frozen for an edition: counted responses, approved comments, the workforce
    each PSW counted and the organisations whose return agreed to be named, with the previous
    cycle's survey where there was one."""
    cycle = survey.cycle
    earlier = db.session.get(Cycle, cycle.previous_cycle_id) if cycle.previous_cycle_id else None
    before = survey_of(earlier) if earlier else None
    questionnaire = questionnaire_of(survey)
    counted = db.session.execute(select(Organisation.name, StaffCode.workforce).join(StaffCode.organisation)
                                 .where(StaffCode.survey_id == survey.id))
    workforce = {name: _workforce(stored, questionnaire) for name, stored in counted}
    return StaffData(year=cycle.year, questionnaire=questionnaire, respondents=respondents(survey),
                     comments=review.approved_staff_comments(survey),
                     workforce={name: counts for name, counts in workforce.items() if any(counts.values())},
                     named=publication.named(publication.latest_submitted(cycle)),
                     previous=data(before) if before else None)


def counted(survey: StaffSurvey, organisation_id: int) -> int:
    return counts(survey).get(organisation_id, 0)


def duplicates(survey: StaffSurvey) -> list[StaffResponse]:
    return list(db.session.scalars(select(StaffResponse).where(
        StaffResponse.survey_id == survey.id, StaffResponse.duplicate_of_id.is_not(None),
        StaffResponse.excluded.is_(False)).order_by(StaffResponse.submitted_on)))


def response(survey: StaffSurvey, response_id: str) -> StaffResponse | None:
    return db.session.scalar(select(StaffResponse).where(StaffResponse.survey_id == survey.id,
                                                         StaffResponse.id == response_id))


def exclude(response: StaffResponse, actor: Actor) -> None:
    response.excluded = True
    audit(actor, "staff_exclude", detail={"staff_response": response.id, "duplicate_of": response.duplicate_of_id})


def responses(survey: StaffSurvey) -> list[StaffResponse]:
    return list(db.session.scalars(select(StaffResponse).where(StaffResponse.survey_id == survey.id)
                                   .order_by(StaffResponse.submitted_on, StaffResponse.id)))


def forget(found: StaffDraft) -> None:
    """A draft, gone (once submitted): what it held is in the response alone."""
    db.session.delete(found)


def forget_old_drafts() -> None:
    """Drafts untouched for longer than a week, deleted."""
    db.session.execute(delete(StaffDraft).where(StaffDraft.updated_on < date.today() - timedelta(days=DRAFT_DAYS)))
