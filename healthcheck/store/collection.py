"""The yearly collection: cycles, the register of organisations, populations, who has done
what (tracking), and the emails sent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

import forms
from aggregation.dataset import COUNCIL_TYPES

from ..extensions import db
from ..models import (
    AccessLink,
    Cycle,
    CyclePopulation,
    EmailSend,
    EmailTemplate,
    Organisation,
    Response,
    ResponseStatus,
    StaffSurvey,
    utcnow,
)
from . import Actor, audit

# Councils with social services responsibilities in England, as counted in the 2017 report.
DEFAULT_POPULATIONS = dict(zip(COUNCIL_TYPES, (27, 33, 36, 55)))


# ---------------------------------------------------------------- cycles


def cycle_by_year(year: int) -> Cycle | None:
    if not 0 < year < 10000:
        return None
    return db.session.scalar(select(Cycle).where(Cycle.year == year))


def cycles() -> list[Cycle]:
    return list(db.session.scalars(select(Cycle).order_by(Cycle.year.desc())))


def latest_cycle() -> Cycle | None:
    return db.session.scalar(select(Cycle).order_by(Cycle.year.desc()).limit(1))


def questionnaire_for(cycle: Cycle) -> forms.Questionnaire:
    return forms.load(cycle.questionnaire_id, cycle.questionnaire_version)


def create_cycle(
    year: int,
    questionnaire: forms.Questionnaire,
    opens_at: datetime,
    closes_at: datetime,
    actor: Actor,
    previous: Cycle | None = None,
) -> Cycle:
    cycle = Cycle(
        year=year,
        questionnaire_id=questionnaire.id,
        questionnaire_version=questionnaire.version,
        opens_at=opens_at,
        closes_at=closes_at,
        previous_cycle_id=previous.id if previous else None,
    )
    db.session.add(cycle)
    db.session.flush()
    set_populations(cycle, populations(previous) if previous else DEFAULT_POPULATIONS)
    audit(
        actor,
        "cycle_create",
        detail={"year": year, "questionnaire": questionnaire.key, "previous": previous.year if previous else None},
    )
    return cycle


def populations(cycle: Cycle) -> dict[str, int]:
    rows = db.session.scalars(select(CyclePopulation).where(CyclePopulation.cycle_id == cycle.id))
    return {r.authority_type: r.population for r in rows}


def set_populations(cycle: Cycle, values: Mapping[str, int | None]) -> None:
    db.session.execute(delete(CyclePopulation).where(CyclePopulation.cycle_id == cycle.id))
    db.session.add_all(
        CyclePopulation(cycle_id=cycle.id, authority_type=t, population=n) for t, n in values.items() if n is not None
    )


# ---------------------------------------------------------------- organisations


def organisation(org_id: int) -> Organisation | None:
    return db.session.get(Organisation, org_id) if 0 < org_id < 2**31 else None


def organisation_by_name(name: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(func.lower(Organisation.name) == name.strip().lower()))


def organisation_index() -> tuple[dict[str, Organisation], dict[str, Organisation]]:
    """Every organisation by lower-case name and by upper-case ONS code, for matching file rows."""
    everyone = list(db.session.scalars(select(Organisation)))
    return (
        {o.name.strip().lower(): o for o in everyone},
        {o.ons_code.strip().upper(): o for o in everyone if o.ons_code},
    )


def organisations(include_retired: bool = False) -> list[Organisation]:
    stmt = select(Organisation).order_by(Organisation.name)
    if not include_retired:
        stmt = stmt.where(Organisation.retired_at.is_(None))
    return list(db.session.scalars(stmt))


ORGANISATION_FIELDS = ("name", "authority_type", "ons_code", "region", "contact_email")


def save_organisation(org: Organisation | None, values: Mapping[str, Any], actor: Actor) -> Organisation:
    """An organisation added (``org`` None) or changed, from the values of its fields, audited
    with what it was and what it is now."""
    before = _org_fields(org) if org else None
    if org is None:
        org = Organisation()
        db.session.add(org)
    for field in ORGANISATION_FIELDS:
        setattr(org, field, values[field])
    org.ons_code = org.ons_code or None
    org.region = org.region or None
    org.contact_email = (org.contact_email or "").strip().lower() or None
    db.session.flush()
    audit(
        actor,
        "organisation_edit" if before else "organisation_add",
        detail={"organisation": org.id, "before": before, "after": _org_fields(org)},
    )
    return org


def _org_fields(org: Organisation) -> dict:
    return {k: getattr(org, k) for k in ORGANISATION_FIELDS}


def names_known() -> set[str]:
    """Every organisation's name, in lower case."""
    return set(db.session.scalars(select(func.lower(Organisation.name))))


def store_organisations(clean: list[dict[str, Any]], actor: Actor) -> tuple[int, int]:
    """Checked rows written: new names added, known ones updated, in two statements of many rows
    each, so that a register of 20,000 holds the database's lock for a moment, not seconds."""
    known = dict(db.session.execute(select(func.lower(Organisation.name), Organisation.id)).tuples().all())
    new = [values for values in clean if str(values["name"]).lower() not in known]
    changed = [
        {"id": known[str(values["name"]).lower()], **values} for values in clean if str(values["name"]).lower() in known
    ]
    if new:
        db.session.execute(insert(Organisation), new)
    if changed:
        db.session.execute(update(Organisation), changed)
    audit(actor, "organisations_import", detail={"added": len(new), "updated": len(changed)})
    return len(new), len(changed)


def response_statuses(cycle: Cycle) -> dict[int, str]:
    """Each organisation's return status in a cycle, for returns that exist."""
    rows = db.session.execute(select(Response.organisation_id, Response.status).where(Response.cycle_id == cycle.id))
    return dict(rows.tuples().all())


# ---------------------------------------------------------------- tracking


@dataclass
class TrackingRow:
    organisation: Organisation
    status: str
    last_activity: datetime | None
    response: Response | None
    last_email: EmailSend | None


STATUS_LABELS = {
    "not_invited": "Not invited",
    "invited": "Invited",
    "not_started": "Not started",
    "in_progress": "In progress",
    "submitted": "Submitted",
    "reopened": "Reopened",
}
RECEIVED = (ResponseStatus.SUBMITTED.value, ResponseStatus.REOPENED.value)  # submitted at least once


def tracking(cycle: Cycle) -> list[TrackingRow]:
    """Every active organisation's progress in the cycle, from four set-based queries."""
    responses = {
        r.organisation_id: r for r in db.session.scalars(select(Response).where(Response.cycle_id == cycle.id))
    }
    opened = dict(
        db.session.execute(
            select(AccessLink.organisation_id, func.max(AccessLink.last_used_at))
            .where(AccessLink.cycle_id == cycle.id)
            .group_by(AccessLink.organisation_id)
        )
        .tuples()
        .all()
    )
    emails: dict[int | None, EmailSend] = {}
    invited = set()
    for send in db.session.scalars(select(EmailSend).where(EmailSend.cycle_id == cycle.id).order_by(EmailSend.id)):
        emails[send.organisation_id] = send
        if send.outcome == "sent" and send.kind in ("invitation", "reminder"):
            invited.add(send.organisation_id)
    rows = []
    for org in organisations():
        response = responses.get(org.id)
        if response is not None and response.status != ResponseStatus.NOT_STARTED.value:
            status = response.status
        elif opened.get(org.id):
            status = "not_started"
        elif org.id in invited:
            status = "invited"
        else:
            status = "not_invited"
        moments = [
            m
            for m in (
                response.updated_at if response else None,
                opened.get(org.id),
                emails[org.id].attempted_at if org.id in emails else None,
            )
            if m
        ]
        moments = [m.replace(tzinfo=UTC) if m.tzinfo is None else m for m in moments]
        rows.append(TrackingRow(org, status, max(moments) if moments else None, response, emails.get(org.id)))
    return rows


def received_by_type(rows: list[TrackingRow]) -> dict[str, int]:
    """Returns received (submitted at least once) by authority type: Table 1's counts."""
    counts: dict[str, int] = {}
    for row in rows:
        if row.status in RECEIVED:
            counts[row.organisation.authority_type] = counts.get(row.organisation.authority_type, 0) + 1
    return counts


# ---------------------------------------------------------------- emails


def email_template(cycle: Cycle, kind: str) -> EmailTemplate | None:
    return db.session.scalar(
        select(EmailTemplate).where(EmailTemplate.cycle_id == cycle.id, EmailTemplate.kind == kind)
    )


def save_email_template(cycle: Cycle, kind: str, subject: str, body: str, actor: Actor) -> None:
    row = email_template(cycle, kind)
    if row is None:
        row = EmailTemplate(cycle_id=cycle.id, kind=kind, subject=subject, body=body)
        db.session.add(row)
    row.subject, row.body = subject, body
    audit(actor, "email_template", detail={"cycle": cycle.year, "kind": kind})


def record_send(cycle: Cycle, organisation: Organisation, kind: str, job_id: int, error: str | None) -> None:
    """An invitation's or a reminder's outcome (sent, or failed saying why), which supersedes the
    earlier failures of its kind to the organisation."""
    db.session.execute(
        update(EmailSend)
        .where(
            EmailSend.cycle_id == cycle.id,
            EmailSend.organisation_id == organisation.id,
            EmailSend.kind == kind,
            EmailSend.outcome == "failed",
        )
        .values(retried=True)
    )
    db.session.add(
        EmailSend(
            cycle_id=cycle.id,
            organisation_id=organisation.id,
            kind=kind,
            job_id=job_id,
            to_address=organisation.contact_email,
            attempted_at=utcnow(),
            outcome="failed" if error else "sent",
            error=error,
        )
    )


def failed_sends(cycle: Cycle) -> list[EmailSend]:
    """Emails that failed and have not been tried again since."""
    return list(
        db.session.scalars(
            select(EmailSend)
            .where(EmailSend.cycle_id == cycle.id, EmailSend.outcome == "failed", EmailSend.retried.is_(False))
            .order_by(EmailSend.attempted_at)
        )
    )


def sends_of_job(job_id: int) -> list[EmailSend]:
    return list(db.session.scalars(select(EmailSend).where(EmailSend.job_id == job_id).order_by(EmailSend.id)))


# ---------------------------------------------------------------- the staff survey of a cycle


def survey_of(cycle: Cycle) -> StaffSurvey | None:
    return db.session.scalar(select(StaffSurvey).where(StaffSurvey.cycle_id == cycle.id))


def questionnaire_of(survey: StaffSurvey) -> forms.Questionnaire:
    return forms.load(survey.questionnaire_id, survey.questionnaire_version)
