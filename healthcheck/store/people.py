"""What the service holds about a named person, for a subject access request, and erasing it
where the law allows.

A person is found by their email address or their full name, exactly (case and spacing aside):
in the coordinating body's accounts, the organisations' contact addresses, the contact details
and names recorded with each return, its contributors, the audit trail, the emails sent, failed sign-ins and the
action plans. What is erased goes the way retention deletes it (``retention``); what is kept
says why: an account is closed on its own page, and what a coordinator did stays in the audit
trail as the record of the collection.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import (
    Action,
    ActionUpdate,
    AuditEvent,
    Contributor,
    Cycle,
    EmailSend,
    Job,
    Organisation,
    Response,
    SignInFailure,
    SubmittedVersion,
    User,
)
from . import Actor, audit, retention

ACCOUNT_KEPT = "An account is closed on its Users page; what its holder did stays in the audit trail."
COORDINATOR_KEPT = "The record of who did what in the collection (the coordinating body's own staff)."


@dataclass(frozen=True)
class Record:
    """One place that holds something about the person."""

    where: str
    what: str
    value: Any
    kept_because: str | None = None  # None: erased on request
    item: retention.Item | None = None  # how it is erased


def normal(person: str) -> str:
    return " ".join(person.split()).lower()


def subject(person: str) -> str:
    """The person as the audit trail records a request about them: a digest, not their name."""
    return hashlib.sha256(normal(person).encode()).hexdigest()[:16]


def held(person: str, editions: Path) -> list[Record]:
    """Everything held about ``person`` (an email address or a full name)."""
    key = normal(person)
    if not key:
        return []
    return _accounts(key) + _contacts(key, editions) + _names(key)


def _accounts(key: str) -> list[Record]:
    records = [
        Record(
            "Account of the coordinating body",
            "name, email address, role, last sign-in",
            {
                "name": u.name,
                "email": u.email,
                "role": u.role,
                "active": u.active,
                "last_sign_in": u.last_login_at.isoformat() if u.last_login_at else None,
            },
            ACCOUNT_KEPT,
        )
        for u in db.session.scalars(
            select(User).where(or_(func.lower(User.email) == key, func.lower(User.name) == key))
        )
    ]
    records += [
        Record(
            f"{o.name}, in the register of organisations",
            "contact email address",
            o.contact_email,
            item=retention.Item(0, "", "", "org_contact", o.id),
        )
        for o in db.session.scalars(select(Organisation).where(func.lower(Organisation.contact_email) == key))
    ]
    records += [
        Record(
            f"Email {e.id} ({e.kind})",
            "the address it was sent to",
            e.to_address,
            item=retention.Item(0, "", "", "email", e.id),
        )
        for e in db.session.scalars(select(EmailSend).where(func.lower(EmailSend.to_address) == key))
    ]
    records += [
        Record(
            f"Failed sign-in {f.id}",
            "the email address typed, the client's address, the time",
            {"email": f.email, "client": f.client, "at": f.at.isoformat()},
            item=retention.Item(0, "", "", "sign_in_failure", f.id),
        )
        for f in db.session.scalars(select(SignInFailure).where(func.lower(SignInFailure.email) == key))
    ]
    return records


def _is_them(answers: dict, key: str) -> bool:
    name = normal(f"{answers.get('contact_first_name') or ''} {answers.get('contact_surname') or ''}")
    return key in (name, normal(str(answers.get("contact_email") or "")))


def _contacts(key: str, editions: Path) -> list[Record]:
    """The contact details given with each return, its versions, its history and its editions."""
    records: list[Record] = []
    for cycle in db.session.scalars(select(Cycle).order_by(Cycle.year)):
        contact = retention.contact_keys(cycle)
        for r in db.session.scalars(select(Response).where(Response.cycle_id == cycle.id)):
            where = f"{r.organisation.name}'s {cycle.year} return"
            found = _is_them(r.answers or {}, key)
            if found:
                keys = tuple(sorted(contact & set(r.answers)))
                records.append(
                    Record(
                        where,
                        "contact details",
                        {k: r.answers[k] for k in keys},
                        item=retention.Item(cycle.year, "", "", "answers", r.id, keys),
                    )
                )
            for v in db.session.scalars(select(SubmittedVersion).where(SubmittedVersion.response_id == r.id)):
                if _is_them(v.answers, key):
                    found, keys = True, tuple(sorted(contact & set(v.answers)))
                    records.append(
                        Record(
                            f"{where}, version {v.number}",
                            "contact details",
                            {k: v.answers[k] for k in keys},
                            item=retention.Item(cycle.year, "", "", "version_answers", v.id, keys),
                        )
                    )
            if not found:
                continue
            for e in db.session.scalars(select(AuditEvent).where(AuditEvent.response_id == r.id)):
                if changed := tuple(sorted(contact & set((e.detail or {}).get("changes") or {}))):
                    records.append(
                        Record(
                            f"{where}, history event {e.id}",
                            "contact details changed",
                            {k: e.detail["changes"][k] for k in changed} if e.detail else None,
                            item=retention.Item(cycle.year, "", "", "audit_changes", e.id, changed),
                        )
                    )
            for f in retention.datasets_of(cycle):
                if retention.dataset_holds_contacts(retention.dataset_path(f, editions), contact, r.organisation.name):
                    records.append(
                        Record(
                            f"{where}, in the frozen dataset of an edition ({f.path})",
                            "contact details",
                            None,
                            item=retention.Item(
                                cycle.year, "", "", "dataset", f.id, tuple(sorted(contact)), r.organisation.name
                            ),
                        )
                    )
    return records


def _names(key: str) -> list[Record]:
    """Where the person is named as who did something."""
    records: list[Record] = []
    for r in db.session.scalars(select(Response)):
        if sections := tuple(
            s for s, page in (r.pages or {}).items() if key in {normal(n) for n in retention.page_names(page)}
        ):
            records.append(
                Record(
                    f"{r.organisation.name}'s {r.cycle.year} return",
                    "named as who saved pages or confirmed their warnings",
                    list(sections),
                    item=retention.Item(r.cycle.year, "", "", "pages", r.id, sections),
                )
            )
    for v in db.session.scalars(select(SubmittedVersion).where(func.lower(SubmittedVersion.submitted_by) == key)):
        records.append(
            Record(
                f"Submitted version {v.reference}",
                "named as who submitted it",
                v.submitted_by,
                item=retention.Item(0, "", "", "version_signer", v.id),
            )
        )
    named = or_(
        func.lower(AuditEvent.actor) == key,
        func.lower(AuditEvent.actor).like(f"{key} (%"),
        func.lower(AuditEvent.actor).like(f"% {key})"),
    )
    for e in db.session.scalars(select(AuditEvent).where(named).order_by(AuditEvent.id)):
        employer = any(via in e.actor for via in retention.EMPLOYER_VIA)
        records.append(
            Record(
                f"Audit trail, event {e.id}",
                f"named as who did '{e.action}' on {e.at:%d %B %Y}",
                e.actor,
                None if employer else COORDINATOR_KEPT,
                retention.Item(0, "", "", "audit", e.id) if employer else None,
            )
        )
    for a in db.session.scalars(
        select(Action).where(or_(func.lower(Action.lead) == key, func.lower(Action.created_by) == key))
    ):
        records.append(
            Record(
                f"Action plan, action {a.id}",
                "named as its lead or author",
                {"lead": a.lead, "created_by": a.created_by},
                item=retention.Item(0, "", "", "action", a.id, (key,)),
            )
        )
    for u in db.session.scalars(select(ActionUpdate).where(func.lower(ActionUpdate.by) == key)):
        records.append(
            Record(
                f"Action plan, update {u.id}",
                "named as its author",
                u.by,
                item=retention.Item(0, "", "", "action_update", u.id),
            )
        )
    for c in db.session.scalars(
        select(Contributor).where(or_(func.lower(Contributor.email) == key, func.lower(Contributor.name) == key))
    ):
        records.append(
            Record(
                f"Contributor to {c.response.organisation.name}'s {c.response.cycle.year} return",
                "name, email address, job title, what they were asked to do",
                {
                    "name": c.name,
                    "email": c.email,
                    "job_title": c.job_title,
                    "sections": c.sections,
                    "can_sign_off": c.can_sign_off,
                    "invited_by": c.invited_by,
                },
                item=retention.Item(c.response.cycle.year, "", "", "contributor", c.id),
            )
        )
    for c in db.session.scalars(select(Contributor).where(func.lower(Contributor.invited_by) == key)):
        records.append(
            Record(
                f"Contributor {c.id} to {c.response.organisation.name}'s {c.response.cycle.year} return",
                "named as who invited them",
                c.invited_by,
                item=retention.Item(c.response.cycle.year, "", "", "contributor_inviter", c.id),
            )
        )
    for j in db.session.scalars(select(Job).where(func.lower(Job.created_by).like(f"{key} (%"))):
        records.append(Record(f"Job {j.id} ({j.kind})", "named as who started it", j.created_by, COORDINATOR_KEPT))
    return records


def export(person: str, records: list[Record]) -> dict[str, Any]:
    """Everything held, as one document for the person."""
    return {
        "person": person,
        "records": [
            {
                "where": r.where,
                "what": r.what,
                "value": r.value,
                "on_erasure": "kept: " + r.kept_because if r.kept_because else "erased",
            }
            for r in records
        ],
    }


def erase(person: str, records: list[Record], actor: Actor, editions: Path) -> list[retention.Rewrite]:
    """Erase what may be erased (committed by the caller); audited by a digest of the person."""
    items = [r.item for r in records if r.item is not None and r.kept_because is None]
    rewrites = retention.delete(items, editions)
    audit(
        actor,
        "subject_erased",
        detail={
            "subject": subject(person),
            "erased": len(items),
            "kept": sum(r.kept_because is not None for r in records),
        },
    )
    return rewrites
