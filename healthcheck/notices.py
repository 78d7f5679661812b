"""Every email about one return or one account, as a job: a contributor's invitation, the
confirmation of a submission (its PDF attached, built by the job), a note when the coordinator
reopens a return or extends its deadline, and a link to set an account's password.

A route records what is to be sent (``queue_*``: an ``email_send`` row for each message,
``queued``, and one job that sends them) and commits; ``jobs`` sends them and records each
outcome, and no request ever waits for the mail server. The message is written when the job
runs (``compose``): a link's token is made then, never kept in the database in the clear, and a
message whose reason has gone (the account disabled, the link withdrawn) is cancelled. A job
taken up again after its worker stopped sends only what is not marked sent."""

from __future__ import annotations

import secrets
from datetime import datetime
from email.message import EmailMessage

from flask import current_app

from . import mail
from .extensions import done_reading
from .filters import datetime_
from .models import Contributor, EmailSend, Job, Response, SubmittedVersion, User
from .return_pages import version_pdf_bytes
from .store import Actor, accounts, contributors, emails, jobs, returns
from .store.collection import questionnaire_for, sends_of_job

KIND_LABELS = {
    "invitation": "Invitation",
    "reminder": "Reminder",
    "contributor": "Invitation to contribute",
    "account": "Link to set a password",
    "reset": "Link to set a new password",
    "submitted": "Confirmation of a submission",
    "reopened": "Return reopened",
    "extended": "Deadline changed",
}
SINGLE_KINDS = ("contributor", "account", "reset", "submitted", "reopened", "extended")
OUTCOME_LABELS = {
    "queued": "Queued: it will be sent in a moment",
    "sent": "Sent",
    "failed": "Not sent",
    "cancelled": "Not sent: no longer needed",
}


def _service() -> str:
    return str(current_app.config["SERVICE_NAME"])


def reset_url(token: str) -> str:
    """The link that sets a password (``coordinator.reset_password``): written by a worker too,
    outside any request, so from BASE_URL."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/admin/reset/{token}"


def contribute_url(token: str) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/contribute/{token}"


# ---------------------------------------------------------------- queued by a request


def _queue(actor: Actor, rows: list[EmailSend], cycle_id: int | None, detail: dict | None = None) -> Job:
    """One job that sends ``rows`` (each ``queued``): the caller commits, then ``jobs.send_later``.
    A job asked for by an employer's people is recorded under their way in, not their name (which
    the retention schedule deletes from the audit trail, where the job's emails are recorded)."""
    if actor.via.startswith(("link ", "contributor ")):
        actor = Actor("The organisation's return", via=actor.via)
    job = jobs.new_job("email", actor, None, detail=detail or {"kind": rows[0].kind if rows else "none"})
    job.cycle_id = cycle_id
    emails.queue(job, rows)
    return job


def _addresses(*found: str | None) -> list[str]:
    return list(dict.fromkeys(a.strip().lower() for a in found if a and a.strip()))


def queue_invitation(contributor: Contributor, actor: Actor) -> Job:
    """A contributor's invitation, with a personal link made when it is sent."""
    response = contributor.response
    return _queue(
        actor,
        [
            EmailSend(
                cycle_id=response.cycle_id,
                organisation_id=response.organisation_id,
                contributor_id=contributor.id,
                kind="contributor",
                to_address=contributor.email,
            )
        ],
        response.cycle_id,
    )


def queue_submitted(response: Response, version: SubmittedVersion, signatory: Contributor | None, actor: Actor) -> Job:
    """To the organisation's contact, the return's contact and the signatory: the submitted PDF."""
    to = _addresses(
        response.organisation.contact_email,
        (response.answers or {}).get("contact_email"),
        signatory.email if signatory else None,
    )
    return _queue(
        actor,
        [
            EmailSend(
                cycle_id=response.cycle_id,
                organisation_id=response.organisation_id,
                kind="submitted",
                to_address=a,
                detail={"response": response.id, "version": version.number},
            )
            for a in to
        ],
        response.cycle_id,
        {"kind": "submitted"},
    )


def queue_reopened(response: Response, note: str | None, actor: Actor) -> Job:
    return _queue(
        actor,
        [
            EmailSend(
                cycle_id=response.cycle_id,
                organisation_id=response.organisation_id,
                kind="reopened",
                to_address=a,
                detail={"response": response.id, "note": note},
            )
            for a in _addresses(response.organisation.contact_email)
        ],
        response.cycle_id,
        {"kind": "reopened"},
    )


def queue_extended(response: Response, closes_at: datetime, actor: Actor) -> Job:
    return _queue(
        actor,
        [
            EmailSend(
                cycle_id=response.cycle_id,
                organisation_id=response.organisation_id,
                kind="extended",
                to_address=a,
                detail={"response": response.id, "closes_at": closes_at.isoformat()},
            )
            for a in _addresses(response.organisation.contact_email)
        ],
        response.cycle_id,
        {"kind": "extended"},
    )


def queue_account_link(user: User, actor: Actor) -> Job:
    """A new account's link to set its password (made when the email is sent)."""
    return _queue(actor, [EmailSend(user_id=user.id, kind="account", to_address=user.email)], None)


def queue_reset(typed: str, actor: Actor) -> Job:
    """A forgotten password: the same job whatever was typed. Whether it is an account's address
    is found out by the job, so the request takes as long either way and says nothing."""
    return _queue(actor, [], None, {"kind": "reset", "email": (typed or "").strip().lower()[:254]})


def reset_rows(job: Job) -> None:
    """A reset's email, recorded by its job when the address is an active account's (once: an
    attempt taken up again finds it). The address typed is not kept in the job."""
    typed = job.detail.get("email")
    if typed is None:
        return
    user = accounts.user_by_email(str(typed))
    if user is not None and user.active and not sends_of_job(job.id):
        emails.queue(job, [EmailSend(user_id=user.id, kind="reset", to_address=user.email)])
    job.detail = {"kind": "reset"}


def again(send: EmailSend, job: Job) -> EmailSend:
    """A failed email queued again, in ``job`` (the failure marked as retried)."""
    send.retried = True
    row = EmailSend(
        cycle_id=send.cycle_id,
        organisation_id=send.organisation_id,
        user_id=send.user_id,
        contributor_id=send.contributor_id,
        kind=send.kind,
        to_address=send.to_address,
        detail=send.detail,
    )
    emails.queue(job, [row])
    return row


# ---------------------------------------------------------------- written by the job


def attachment(send: EmailSend) -> tuple[str, bytes] | None:
    """A confirmation's PDF, built by the job before it writes anything (no lock held meanwhile)."""
    if send.kind != "submitted":
        return None
    response, version = _return_and_version(send)
    if response is None or version is None:
        return None
    return f"{version.reference}.pdf", version_pdf_bytes(response, version)


def _return_and_version(send: EmailSend) -> tuple[Response | None, SubmittedVersion | None]:
    response = returns.response_of((send.detail or {}).get("response", 0))
    number = (send.detail or {}).get("version")
    return response, returns.submitted_version(response.id, number) if response and number else None


def compose(send: EmailSend, pdf: tuple[str, bytes] | None) -> EmailMessage | None:
    """The message a queued email sends, written now (a link's token made and stored hashed); None
    when its reason has gone. The caller holds the write lock and commits."""
    if not send.to_address:
        raise mail.NoAddress("There is no email address to send it to")
    if send.kind in ("account", "reset"):
        return _password_link(send)
    if send.kind == "contributor":
        return _invitation(send)
    response, version = _return_and_version(send)
    if response is None:
        return None
    if send.kind == "submitted":
        if version is None or pdf is None:
            return None
        return mail.plain_message(
            send.to_address,
            f"{_service()}: {response.organisation.name}'s return received ({version.reference})",
            _submitted_body(response, version),
            pdf,
        )
    if send.kind == "reopened":
        note = (send.detail or {}).get("note")
        message = f"\n\nThe team's message:\n\n{note}" if note else ""
        body = (
            f"The health check team has reopened {response.organisation.name}'s {response.cycle.year} return "
            f"so that it can be amended.{message}\n\nOpen it with your organisation's link, change what is "
            f"needed and submit it again by {datetime_(response.closes_at)}.\n\nThe Health Check team\n"
        )
        return mail.plain_message(send.to_address, f"{_service()}: your return has been reopened", body)
    closes_at = datetime.fromisoformat((send.detail or {})["closes_at"])
    body = (
        f"The deadline for {response.organisation.name}'s {response.cycle.year} return is now "
        f"{datetime_(closes_at)}.\n\nThe Health Check team\n"
    )
    return mail.plain_message(send.to_address, f"{_service()}: your return's deadline has changed", body)


def _password_link(send: EmailSend) -> EmailMessage | None:
    user = accounts.user(send.user_id or 0)
    if user is None or not user.active:
        return None
    reset, token = accounts.new_reset(user)
    send.detail = {"reset": reset.id}
    link = reset_url(token)
    opening = (
        f"An account on the {_service()} has been made for you."
        if send.kind == "account"
        else f"Someone asked to set a new password for your {_service()} account. If it was not you, ignore "
        "this email: your password has not changed."
    )
    return mail.plain_message(
        user.email,
        f"{_service()}: set your password",
        f"Dear {user.name},\n\n{opening}\n\nSet a password with this link, within an hour; it "
        f"works once:\n\n{link}\n\nThe Health Check team\n",
    )


def _invitation(send: EmailSend) -> EmailMessage | None:
    """The colleague's personal link (made now: the one before stops working), what they are asked
    for, and whether they sign off."""
    contributor = contributors.live(send.contributor_id or 0)
    if contributor is None:  # withdrawn
        return None
    token = secrets.token_urlsafe(32)
    contributor.token_hash = returns.hash_token(token)
    response = contributor.response
    titles = [
        s.heading
        for s in questionnaire_for(response.cycle).sections
        if contributor.sections and s.id in contributor.sections
    ]
    asked = (
        "the whole return"
        if contributor.sections is None
        else "these parts of it:\n\n" + "\n".join(f"- {title}" for title in titles)
    )
    sign = (
        "\n\nYou have been named as the signatory: once the return is complete you can sign it off and submit it."
        if contributor.can_sign_off
        else ""
    )
    body = (
        f"Dear {contributor.name},\n\n{contributor.invited_by} has asked you to contribute to "
        f"{response.organisation.name}'s {response.cycle.year} {_service()} return: {asked}{sign}\n\n"
        f"This link is yours alone; your changes are recorded under your name. It works until "
        f"{datetime_(response.closes_at)} unless {contributor.invited_by} withdraws it:\n\n"
        f"{contribute_url(token)}\n\nThe Health Check team\n"
    )
    return mail.plain_message(
        send.to_address or "", f"{_service()}: please contribute to {response.organisation.name}'s return", body
    )


def _submitted_body(response: Response, version: SubmittedVersion) -> str:
    return (
        f"{response.organisation.name}'s {response.cycle.year} {_service()} return was submitted on "
        f"{datetime_(version.submitted_at)} by {version.submitted_by}"
        f"{f' ({version.signed_off_as})' if version.signed_off_as else ''}.\n\n"
        f"Reference: {version.reference} (version {version.number}).\n\nWhat was submitted is attached as "
        "a PDF. You can amend the return and submit it again until its deadline, "
        f"{datetime_(response.closes_at)}.\n\nThe Health Check team\n"
    )


def not_sent(send: EmailSend) -> None:
    """What an email that was not sent leaves behind stops working: its link to set a password."""
    accounts.cancel_reset((send.detail or {}).get("reset", 0))


def outcome_of(job: Job) -> str:
    """How a request's queued emails stand just after they were handed to the worker: ``sent``
    (every one, as when jobs run at once), ``failed`` (any), or ``queued``."""
    done_reading()
    outcomes = {s.outcome for s in sends_of_job(job.id)}
    if "failed" in outcomes:
        return "failed"
    return "sent" if outcomes and outcomes <= {"sent"} else "queued"


def new_password_link(user: User) -> str:
    """A link to set the account's password, shown once to the coordinator who asked (its email
    not sent): earlier unused links stop working. The caller commits."""
    accounts.cancel_resets(user)
    _, token = accounts.new_reset(user)
    return reset_url(token)
