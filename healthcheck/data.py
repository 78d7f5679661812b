"""The data-access layer: every query the views and commands make lives here."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update

import forms
from forms.rules import prune

from .extensions import db
from .models import (AccessLink, Answer, AuditEvent, Cycle, Organisation, Response, ResponseStatus,
                     SectionState, SubmittedVersion, utcnow)

@dataclass(frozen=True)
class Actor:
    """Who did something: a person's name, and how they got in (for the audit trail)."""

    name: str
    via: str = ""

    def __str__(self) -> str:
        return f"{self.name} ({self.via})" if self.via else self.name


EDITABLE = (ResponseStatus.NOT_STARTED.value, ResponseStatus.IN_PROGRESS.value, ResponseStatus.REOPENED.value)


# ---------------------------------------------------------------- access links

def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_link(cycle: Cycle, organisation: Organisation, *, revoke_existing: bool = True) -> str:
    """Create a link for an organisation's return; returns the token (shown once, stored hashed)."""
    now = utcnow()
    if revoke_existing:
        db.session.execute(
            update(AccessLink)
            .where(AccessLink.cycle_id == cycle.id, AccessLink.organisation_id == organisation.id,
                   AccessLink.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    token = secrets.token_urlsafe(32)
    db.session.add(AccessLink(cycle_id=cycle.id, organisation_id=organisation.id, token_hash=hash_token(token),
                              created_at=now))
    return token


def find_link(token: str) -> AccessLink | None:
    """The link for a token, revoked or not (the caller tells the person which)."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(AccessLink).where(AccessLink.token_hash == hash_token(token)))


def get_link(link_id: int) -> AccessLink | None:
    link = db.session.get(AccessLink, link_id)
    if link is None or link.revoked_at is not None:
        return None
    return link


def touch_link(link: AccessLink) -> None:
    link.last_used_at = utcnow()
    db.session.commit()


# ---------------------------------------------------------------- cycles and organisations

def cycle_by_year(year: int) -> Cycle | None:
    return db.session.scalar(select(Cycle).where(Cycle.year == year))


def questionnaire_for(cycle: Cycle) -> forms.Questionnaire:
    return forms.load(cycle.questionnaire_id, cycle.questionnaire_version)


def organisation_by_name(name: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(Organisation.name == name))


# ---------------------------------------------------------------- responses

def response_for(cycle_id: int, organisation_id: int) -> Response:
    """The organisation's return for the cycle, created on first use (safely under concurrency)."""
    stmt = select(Response).where(Response.cycle_id == cycle_id, Response.organisation_id == organisation_id)
    found = db.session.scalar(stmt)
    if found:
        return found
    _insert_ignore(Response, cycle_id=cycle_id, organisation_id=organisation_id,
                   status=ResponseStatus.NOT_STARTED.value, version=0, created_at=utcnow())
    db.session.commit()
    return db.session.scalar(stmt)


def _insert_ignore(model, **values) -> None:
    """INSERT ... ON CONFLICT DO NOTHING, on SQLite and PostgreSQL alike."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(model).values(**values).on_conflict_do_nothing())


def answers_of(response_id: int) -> dict:
    rows = db.session.execute(select(Answer.question_id, Answer.value).where(Answer.response_id == response_id))
    return {qid: value for qid, value in rows}


def section_states(response_id: int) -> dict[str, SectionState]:
    rows = db.session.scalars(select(SectionState).where(SectionState.response_id == response_id))
    return {s.section_id: s for s in rows}


@dataclass
class SaveResult:
    saved: bool
    state: SectionState | None = None  # on conflict: the state that won


def save_section(response: Response, section: forms.Section, values: dict, expected_version: int,
                 actor: Actor, questionnaire: forms.Questionnaire) -> SaveResult:
    """Store one page's answers if nobody else saved that page since ``expected_version``.

    A compare-and-set on the page's version makes concurrent saves safe across processes:
    the later of two saves from the same version is refused, never silently applied.
    """
    now = utcnow()
    _insert_ignore(SectionState, response_id=response.id, section_id=section.id, version=0)
    updated = db.session.execute(
        update(SectionState)
        .where(SectionState.response_id == response.id, SectionState.section_id == section.id,
               SectionState.version == expected_version)
        .values(version=SectionState.version + 1, saved_at=now, saved_by=actor.name)
        .execution_options(synchronize_session=False)
    ).rowcount
    if updated != 1:
        db.session.rollback()
        state = db.session.scalar(select(SectionState).where(
            SectionState.response_id == response.id, SectionState.section_id == section.id))
        return SaveResult(False, state)

    keys = [k for q in section.questions for k in (q.id, q.other_id) if k]
    old = {qid: v for qid, v in db.session.execute(
        select(Answer.question_id, Answer.value).where(Answer.response_id == response.id, Answer.question_id.in_(keys)))}
    new = {k: v for k, v in values.items() if v not in (None, "", [])}
    # Answers elsewhere that routing no longer asks are dropped too.
    everything = answers_of(response.id)
    everything = {k: v for k, v in everything.items() if k not in keys} | new
    kept = prune(questionnaire, everything)
    dropped = [k for k in everything if k not in kept and k not in keys]
    db.session.execute(delete(Answer).where(Answer.response_id == response.id,
                                            Answer.question_id.in_(keys + dropped)))
    db.session.add_all(Answer(response_id=response.id, question_id=k, value=v)
                       for k, v in kept.items() if k in keys)
    changes = {k: [old.get(k), kept.get(k)] for k in sorted(set(old) | set(new)) if old.get(k) != kept.get(k)}
    db.session.execute(
        update(Response).where(Response.id == response.id)
        .values(version=Response.version + 1, updated_at=now,
                status=(ResponseStatus.IN_PROGRESS.value if response.status == ResponseStatus.NOT_STARTED.value
                        else response.status))
        .execution_options(synchronize_session=False)
    )
    db.session.add(AuditEvent(at=now, actor=str(actor), action="save", response_id=response.id,
                              section_id=section.id, detail={"changes": changes, "dropped": dropped} if dropped
                              else {"changes": changes}))
    db.session.commit()
    db.session.refresh(response)
    return SaveResult(True)


def submit(response: Response, actor: Actor, questionnaire: forms.Questionnaire) -> SubmittedVersion:
    """Freeze the return as submitted; every submission is kept as a numbered version."""
    now = utcnow()
    answers = prune(questionnaire, answers_of(response.id))
    number = (db.session.scalar(select(func.max(SubmittedVersion.number))
                                .where(SubmittedVersion.response_id == response.id)) or 0) + 1
    version = SubmittedVersion(response_id=response.id, number=number, reference=_reference(response),
                               submitted_at=now, submitted_by=actor.name, answers=answers)
    db.session.add(version)
    response.status = ResponseStatus.SUBMITTED.value
    response.submitted_at = now
    response.updated_at = now
    db.session.add(AuditEvent(at=now, actor=str(actor), action="submit", response_id=response.id,
                              detail={"version": number, "reference": version.reference}))
    db.session.commit()
    return version


def _reference(response: Response) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
    return f"HC{response.cycle.year}-" + "".join(secrets.choice(alphabet) for _ in range(8))


def reopen(response: Response, actor: Actor, note: str | None = None) -> None:
    response.status = ResponseStatus.REOPENED.value
    response.updated_at = utcnow()
    db.session.add(AuditEvent(actor=str(actor), action="reopen", response_id=response.id, note=note))
    db.session.commit()


def submitted_versions(response_id: int) -> list[SubmittedVersion]:
    return list(db.session.scalars(select(SubmittedVersion).where(SubmittedVersion.response_id == response_id)
                                   .order_by(SubmittedVersion.number)))


def submitted_version(response_id: int, number: int) -> SubmittedVersion | None:
    return db.session.scalar(select(SubmittedVersion).where(SubmittedVersion.response_id == response_id,
                                                            SubmittedVersion.number == number))


def audit_trail(response_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.response_id == response_id)
                                   .order_by(AuditEvent.at, AuditEvent.id)))
