"""An organisation's return: the link that opens it, its answers page by page, submission and
the versions submitted."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import contains_eager

import forms
from forms.rules import SoftWarning, prune

from ..extensions import db
from ..models import (
    AccessLink,
    AuditEvent,
    Cycle,
    Organisation,
    PageRecord,
    Response,
    ResponseStatus,
    StoredWarning,
    SubmittedVersion,
    utcnow,
)
from . import Actor, audit, review

EDITABLE = (ResponseStatus.NOT_STARTED.value, ResponseStatus.IN_PROGRESS.value, ResponseStatus.REOPENED.value)


# ---------------------------------------------------------------- links


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_link(cycle: Cycle, organisation: Organisation, *, revoke_existing: bool = True) -> str:
    """A new link to the organisation's return (created now if it has none); returns the token,
    which is shown once and stored only as a hash."""
    now = utcnow()
    if revoke_existing:
        db.session.execute(
            update(AccessLink)
            .where(
                AccessLink.cycle_id == cycle.id,
                AccessLink.organisation_id == organisation.id,
                AccessLink.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
    return_for(cycle, organisation)
    token = secrets.token_urlsafe(32)
    db.session.add(AccessLink(cycle=cycle, organisation=organisation, token_hash=hash_token(token), created_at=now))
    return token


def settle_link(cycle: Cycle, organisation: Organisation, token: str, *, delivered: bool, replaces: bool) -> None:
    """After the email that carried a link: a link never delivered is revoked (it must not work);
    one delivered that ``replaces`` the others (an invitation's) revokes them."""
    link_id = db.session.scalar(select(AccessLink.id).where(AccessLink.token_hash == hash_token(token)))
    others = [
        AccessLink.cycle_id == cycle.id,
        AccessLink.organisation_id == organisation.id,
        AccessLink.revoked_at.is_(None),
    ]
    if not delivered:
        db.session.execute(update(AccessLink).where(AccessLink.id == link_id).values(revoked_at=utcnow()))
    elif replaces:
        db.session.execute(update(AccessLink).where(*others, AccessLink.id != link_id).values(revoked_at=utcnow()))


def find_link(token: str) -> AccessLink | None:
    """The link for a token, revoked or not (the caller tells the person which)."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(AccessLink).where(AccessLink.token_hash == hash_token(token)))


# Every page of a return runs this: built once, it is only run (building it took a fifth of its time).
_OPEN_LINK = (
    select(AccessLink, Response)
    .join(AccessLink.cycle)
    .join(AccessLink.organisation)
    .join(
        Response, (Response.cycle_id == AccessLink.cycle_id) & (Response.organisation_id == AccessLink.organisation_id)
    )
    .options(contains_eager(AccessLink.cycle), contains_eager(AccessLink.organisation))
    .where(AccessLink.id == bindparam("link_id"), AccessLink.revoked_at.is_(None))
)


def open_link(link_id: int) -> tuple[AccessLink, Response] | None:
    """A live link with its cycle, organisation and return, in one query: every page of a
    return needs all four."""
    row = db.session.execute(_OPEN_LINK, {"link_id": link_id}).first()
    return (row[0], row[1]) if row else None


def touch_link(link: AccessLink) -> None:
    link.last_used_at = utcnow()


# ---------------------------------------------------------------- the return


def response_of(response_id: int) -> Response | None:
    return db.session.get(Response, response_id)


def find_return(cycle: Cycle, organisation: Organisation) -> Response | None:
    return db.session.scalar(
        select(Response).where(Response.cycle_id == cycle.id, Response.organisation_id == organisation.id)
    )


def return_for(cycle: Cycle, organisation: Organisation) -> Response:
    """The organisation's return for the cycle, added to the session if it has none yet."""
    found = find_return(cycle, organisation)
    if found is None:
        found = new_return(cycle, organisation)
        db.session.add(found)
        db.session.flush()
    return found


def new_return(cycle: Cycle, organisation: Organisation) -> Response:
    """A return not yet begun (not yet in the session)."""
    return Response(
        cycle=cycle,
        organisation=organisation,
        status=ResponseStatus.NOT_STARTED.value,
        answers={},
        pages={},
        created_at=utcnow(),
    )


def lock_returns_of(cycle: Cycle, organisation_ids: list[int]) -> dict[int, Response]:
    """The cycle's returns of these organisations, by organisation, locked till the transaction ends."""
    return {
        r.organisation_id: r
        for r in db.session.scalars(
            select(Response)
            .where(Response.cycle_id == cycle.id, Response.organisation_id.in_(organisation_ids))
            .with_for_update()
        )
    }


def add_returns(responses: Iterable[Response]) -> None:
    """New returns (``new_return``) added, their ids given now."""
    db.session.add_all(responses)
    db.session.flush()


_LOCK_RETURN = (
    select(Response)
    .where(Response.id == bindparam("response_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


def lock_return(response_id: int) -> Response:
    """The return read afresh and locked until the transaction ends, for a change that depends
    on what it holds now (on SQLite the write lock held since BEGIN IMMEDIATE does this)."""
    return db.session.execute(_LOCK_RETURN, {"response_id": response_id}).scalar_one()


@dataclass(frozen=True)
class Page:
    """One page of a return: how many times it was saved, and the last save."""

    version: int = 0
    saved_at: datetime | None = None
    saved_by: str | None = None


def page_of(response: Response, section_id: str) -> Page:
    page = (response.pages or {}).get(section_id)
    if not page:
        return Page()
    saved_at = datetime.fromisoformat(page["saved_at"]) if page.get("saved_at") else None
    return Page(page["version"], saved_at, page.get("saved_by"))


@dataclass
class SaveResult:
    saved: bool
    page: Page = Page()  # on conflict: the page as saved by whoever came first
    closed: bool = False  # the return was submitted before this save reached it


# A page's soft-check warnings and their confirmations: see store.checks.


def as_stored(warnings: Iterable[SoftWarning]) -> list[StoredWarning]:
    return [{"key": w.key, "question": w.question_id, "message": w.message} for w in warnings]


def page_entry(old: PageRecord | None, warnings: list[SoftWarning] | None) -> PageRecord:
    """A page's warnings after a save, keeping the confirmations of those raised again unchanged."""
    if warnings is None:
        return PageRecord()
    keys = {w.key for w in warnings}
    confirmed = {k: v for k, v in (old or {}).get("confirmed", {}).items() if k in keys}
    return {"warnings": as_stored(warnings), "confirmed": confirmed}


def save_page(
    response_id: int,
    section: forms.Section,
    values: dict,
    expected_version: int,
    actor: Actor,
    questionnaire: forms.Questionnaire,
    warnings: list[SoftWarning] | None = None,
    *,
    amending: datetime | None = None,
) -> SaveResult:
    """Store one page's answers if nobody saved that page since ``expected_version``.

    The return is read again and locked first, so whatever was read to show or check the page
    may be out of date: a save from an older version of the page is refused (never silently
    applied), and so is a save that reaches a return submitted meanwhile. Answers elsewhere
    that routing no longer asks are dropped. The page keeps the soft checks' ``warnings`` its
    answers raise (``checks.page_entry``). ``amending``: the submission this person chose to
    amend (its time); the first save into it reopens the return, unless it was submitted again since."""
    response = lock_return(response_id)
    reopening = (
        amending is not None and response.status == ResponseStatus.SUBMITTED.value and response.submitted_at == amending
    )
    if response.status not in EDITABLE and not reopening:
        return SaveResult(False, closed=True)
    if response.page_version(section.id) != expected_version:
        return SaveResult(False, page=page_of(response, section.id))
    if reopening:
        reopen(response, actor, note="Reopened by the employer to amend")
    keys = [k for q in section.questions for k in (q.id, q.other_id) if k]
    stored = response.answers or {}
    new = {k: v for k, v in values.items() if v not in (None, "", [])}
    everything = {k: v for k, v in stored.items() if k not in keys} | new
    kept = prune(questionnaire, everything)
    dropped = [k for k in everything if k not in kept and k not in keys]
    old = {k: stored[k] for k in keys if k in stored}
    changes = {k: [old.get(k), kept.get(k)] for k in sorted(set(old) | set(new)) if old.get(k) != kept.get(k)}
    now = utcnow()
    response.answers = kept
    response.pages = {
        **(response.pages or {}),
        section.id: {
            "version": expected_version + 1,
            "saved_at": now.isoformat(),
            "saved_by": actor.name,
            **page_entry((response.pages or {}).get(section.id), warnings),
        },
    }
    response.updated_at = now
    if response.status == ResponseStatus.NOT_STARTED.value:
        response.status = ResponseStatus.IN_PROGRESS.value
    audit(
        actor,
        "save",
        response_id=response.id,
        section_id=section.id,
        detail={"changes": changes, "dropped": dropped} if dropped else {"changes": changes},
    )
    return SaveResult(True)


def submit(
    response: Response,
    actor: Actor,
    questionnaire: forms.Questionnaire,
    *,
    replace_with: dict | None = None,
    how: str = "submit",
    signed_off_as: str | None = None,
    warnings: list[SoftWarning] | None = None,
) -> SubmittedVersion:
    """What a submission does, from the web (the employer, or a coordinator on its behalf) and
    from a file (import, demo) alike: freeze the answers as a new numbered version, mark the
    return submitted, and queue its open answers for redaction review. ``replace_with``
    replaces the working answers first, as if every page had been saved with them (``how``
    names that in the audit trail), each page keeping the soft checks' ``warnings`` its answers
    raise. Call it on a locked return (``lock_return``)."""
    now = utcnow()
    if replace_with is not None:
        response.answers = prune(questionnaire, replace_with)
        pages = response.pages or {}
        response.pages = {
            s.id: {
                "version": response.page_version(s.id) + 1,
                "saved_at": now.isoformat(),
                "saved_by": actor.name,
                **page_entry(
                    pages.get(s.id),
                    None
                    if warnings is None
                    else [w for w in warnings if questionnaire.question(w.question_id).section_id == s.id],
                ),
            }
            for s in questionnaire.sections
        }
        audit(actor, how, response_id=response.id, detail={"answers": len(replace_with)})
    answers = prune(questionnaire, response.answers or {})
    number = (
        db.session.scalar(select(func.max(SubmittedVersion.number)).where(SubmittedVersion.response_id == response.id))
        or 0
    ) + 1
    version = SubmittedVersion(
        response_id=response.id,
        number=number,
        reference=new_reference(response.cycle.year),
        submitted_at=now,
        submitted_by=actor.name,
        answers=answers,
        signed_off_as=signed_off_as,
    )
    db.session.add(version)
    response.status = ResponseStatus.SUBMITTED.value
    response.submitted_at = response.updated_at = now
    audit(actor, "submit", response_id=response.id, detail={"version": number, "reference": version.reference})
    review.sync_reviews(response, questionnaire, answers)
    return version


def submit_many(
    submissions: Iterable[tuple[Response, dict, list[SoftWarning]]],
    actor: Actor,
    questionnaire: forms.Questionnaire,
    *,
    how: str,
    each: Callable[[], None] = lambda: None,
) -> None:
    """Each locked return submitted with its answers and their warnings, as ``submit`` with
    ``replace_with`` does; ``each()`` after each. Each submission reads only its own return's rows,
    so what the others added can wait to be written together at the end (one batch of INSERTs
    rather than one flush a return)."""
    with db.session.no_autoflush:
        for response, answers, warnings in submissions:
            submit(response, actor, questionnaire, replace_with=answers, how=how, warnings=warnings)
            each()


def answers_seen(response: Response) -> str:
    """A short fingerprint of a return's answers, carried by the check-answers page: a declaration
    is made for the answers that page showed."""
    text = json.dumps(response.answers or {}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def new_reference(year: int) -> str:
    """A submission's reference, e.g. HC2017-7KQ2M9XP: short enough to read out on the phone."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
    return f"HC{year}-" + "".join(secrets.choice(alphabet) for _ in range(8))


def reopen(response: Response, actor: Actor, note: str | None = None) -> None:
    response.status = ResponseStatus.REOPENED.value
    response.updated_at = utcnow()
    audit(actor, "reopen", response_id=response.id, note=note)


def extend_deadline(response: Response, closes_at: datetime, actor: Actor) -> None:
    response.closes_at_override = closes_at
    audit(actor, "extend_deadline", response_id=response.id, detail={"closes_at": closes_at.isoformat()})


def set_consent(response: Response, consent: bool, actor: Actor) -> None:
    if response.consent_to_name != consent:
        response.consent_to_name = consent
        audit(actor, "consent", response_id=response.id, detail={"consent_to_name": consent})


# ---------------------------------------------------------------- versions and history


def submitted_versions(response_id: int) -> list[SubmittedVersion]:
    return list(
        db.session.scalars(
            select(SubmittedVersion)
            .where(SubmittedVersion.response_id == response_id)
            .order_by(SubmittedVersion.number)
        )
    )


def submitted_version(response_id: int, number: int) -> SubmittedVersion | None:
    if not 0 < number < 2**31:
        return None
    return db.session.scalar(
        select(SubmittedVersion).where(SubmittedVersion.response_id == response_id, SubmittedVersion.number == number)
    )


def previous_response(response: Response) -> Response | None:
    """The same organisation's return in the cycle before this one."""
    if not response.cycle.previous_cycle_id:
        return None
    return db.session.scalar(
        select(Response).where(
            Response.cycle_id == response.cycle.previous_cycle_id, Response.organisation_id == response.organisation_id
        )
    )


def last_submitted_before(cycle: Cycle, organisation_id: int) -> tuple[SubmittedVersion, Cycle] | None:
    """The organisation's latest submitted version in the cycle before ``cycle``, with that cycle,
    in one query: last year's answers, shown beside a page of the return and read by its soft checks."""
    if not cycle.previous_cycle_id:
        return None
    row = db.session.execute(
        select(SubmittedVersion, Cycle)
        .join(Response, SubmittedVersion.response_id == Response.id)
        .join(Cycle, Response.cycle_id == Cycle.id)
        .where(Response.cycle_id == cycle.previous_cycle_id, Response.organisation_id == organisation_id)
        .order_by(SubmittedVersion.number.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def audit_trail(response_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.response_id == response_id).order_by(AuditEvent.at, AuditEvent.id)
        )
    )
