"""The emails about one return or one account (``healthcheck.notices``), one row each: queued by a
request, sent by a job, and what became of each as the pages show it. A cycle's invitations and
reminders, and its failures, are the collection's (``collection.failed_sends``)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from ..extensions import db
from ..models import Contributor, EmailSend, Job, Response, utcnow


def queue(job: Job, rows: Iterable[EmailSend]) -> None:
    """Rows for ``job`` to send, each ``queued``."""
    for row in rows:
        row.job_id, row.outcome, row.attempted_at = job.id, "queued", utcnow()
        db.session.add(row)
    db.session.flush()


def send(send_id: int) -> EmailSend | None:
    return db.session.get(EmailSend, send_id)


def locked_send(send_id: int) -> EmailSend | None:
    """The email's row, locked till the unit of work ends (so that it is written and sent once)."""
    return db.session.get(EmailSend, send_id, with_for_update=True)


def latest_to_user(user_id: int) -> EmailSend | None:
    return db.session.scalar(
        select(EmailSend).where(EmailSend.user_id == user_id).order_by(EmailSend.id.desc()).limit(1)
    )


def latest_by_user() -> dict[int, EmailSend]:
    rows = db.session.scalars(select(EmailSend).where(EmailSend.user_id.is_not(None)).order_by(EmailSend.id))
    return {row.user_id: row for row in rows if row.user_id is not None}


def latest_by_contributor(response: Response) -> dict[int, EmailSend]:
    rows = db.session.scalars(
        select(EmailSend)
        .join(Contributor, Contributor.id == EmailSend.contributor_id)
        .where(Contributor.response_id == response.id)
        .order_by(EmailSend.id)
    )
    return {row.contributor_id: row for row in rows if row.contributor_id is not None}


def confirmations(response: Response, number: int) -> list[EmailSend]:
    """The emails confirming one submitted version, each with its outcome."""
    rows = db.session.scalars(
        select(EmailSend)
        .where(
            EmailSend.cycle_id == response.cycle_id,
            EmailSend.organisation_id == response.organisation_id,
            EmailSend.kind == "submitted",
            EmailSend.retried.is_(False),
        )
        .order_by(EmailSend.id)
    )
    return [
        r for r in rows if (r.detail or {}).get("response") == response.id and (r.detail or {}).get("version") == number
    ]
