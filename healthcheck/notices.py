"""Emails about one return, sent at once over the configured SMTP server: a contributor's
invitation, the confirmation of a submission (its PDF attached), and a note when the
coordinator reopens a return or extends its deadline. A failure to send is logged and says so
to the caller; it never undoes what the person did."""
from __future__ import annotations

import smtplib
from datetime import datetime

from flask import current_app

from . import mail
from .filters import datetime_
from .models import Contributor, Response, SubmittedVersion
from .return_pages import version_pdf_bytes


def _send(to: list[str | None], subject: str, body: str, attachment: tuple[str, bytes] | None = None) -> bool:
    sent = True
    for address in dict.fromkeys(a.strip().lower() for a in to if a and a.strip()):
        try:
            mail.send_now(address, subject, body, attachment)
        except (OSError, smtplib.SMTPException) as failure:
            current_app.logger.warning("email %r not sent: %s", subject, failure)
            sent = False
    return sent


def _service() -> str:
    return current_app.config["SERVICE_NAME"]


def contribute_url(token: str) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/contribute/{token}"


def invitation(contributor: Contributor, token: str, sections: list[str]) -> bool:
    """The colleague's personal link, what they are asked for, and whether they sign off."""
    response = contributor.response
    asked = "the whole return" if contributor.sections is None else "these parts of it:\n\n" + "\n".join(
        f"- {title}" for title in sections)
    sign = ("\n\nYou have been named as the signatory: once the return is complete you can sign it off and "
            "submit it." if contributor.can_sign_off else "")
    body = (f"Dear {contributor.name},\n\n{contributor.invited_by} has asked you to contribute to "
            f"{response.organisation.name}'s {response.cycle.year} {_service()} return: {asked}{sign}\n\n"
            f"This link is yours alone; your changes are recorded under your name. It works until "
            f"{datetime_(response.closes_at)} unless {contributor.invited_by} withdraws it:\n\n"
            f"{contribute_url(token)}\n\nThe Health Check team\n")
    return _send([contributor.email], f"{_service()}: please contribute to {response.organisation.name}'s return",
                 body)


def submitted(response: Response, version: SubmittedVersion, signatory: Contributor | None) -> bool:
    """To the organisation's contact, the return's contact and the signatory: the submitted PDF."""
    body = (f"{response.organisation.name}'s {response.cycle.year} {_service()} return was submitted on "
            f"{datetime_(version.submitted_at)} by {version.submitted_by}"
            f"{f' ({version.signed_off_as})' if version.signed_off_as else ''}.\n\n"
            f"Reference: {version.reference} (version {version.number}).\n\nWhat was submitted is attached as "
            "a PDF. You can amend the return and submit it again until its deadline, "
            f"{datetime_(response.closes_at)}.\n\nThe Health Check team\n")
    return _send([response.organisation.contact_email, (response.answers or {}).get("contact_email"),
                  signatory.email if signatory else None],
                 f"{_service()}: {response.organisation.name}'s return received ({version.reference})", body,
                 (f"{version.reference}.pdf", version_pdf_bytes(response, version)))


def reopened(response: Response, note: str | None) -> bool:
    message = f"\n\nThe team's message:\n\n{note}" if note else ""
    body = (f"The health check team has reopened {response.organisation.name}'s {response.cycle.year} return "
            f"so that it can be amended.{message}\n\nOpen it with your organisation's link, change what is "
            f"needed and submit it again by {datetime_(response.closes_at)}.\n\nThe Health Check team\n")
    return _send([response.organisation.contact_email], f"{_service()}: your return has been reopened", body)


def extended(response: Response, closes_at: datetime) -> bool:
    body = (f"The deadline for {response.organisation.name}'s {response.cycle.year} return is now "
            f"{datetime_(closes_at)}.\n\nThe Health Check team\n")
    return _send([response.organisation.contact_email], f"{_service()}: your return's deadline has changed", body)
