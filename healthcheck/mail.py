"""Invitations and reminders: templates with ((placeholders)), and sending them over SMTP
(``jobs`` sends every email, in turn, and records every attempt)."""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from contextlib import suppress
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

from .filters import datetime_
from .models import Cycle, Organisation
from .store import Actor, audit, collection, returns

KINDS = ("invitation", "reminder")
PLACEHOLDERS = ("organisation", "link", "deadline", "year")
_PLACEHOLDER = re.compile(r"\(\(([^()]*)\)\)")

DEFAULTS = {
    "invitation": (
        "Social Work Health Check ((year)): your organisation's return",
        "Dear Principal Social Worker,\n\n"
        "The ((year)) Social Work Health Check is open. Please complete ((organisation))'s return "
        "by ((deadline)).\n\n"
        "Use this link to open the return; you can leave and come back as often as you need. From the "
        "return you can invite colleagues (for example in HR) to contribute, each with a link of their "
        "own, and name who may sign it off:\n\n((link))\n\n"
        "Results are published only in aggregate, and your organisation is not named without its "
        "consent.\n\nThe Health Check team\n",
    ),
    "reminder": (
        "Reminder: Social Work Health Check ((year)) closes on ((deadline))",
        "Dear Principal Social Worker,\n\n"
        "We have not yet received ((organisation))'s ((year)) health check return. The deadline is "
        "((deadline)).\n\nYou can continue where you left off with this link (the link in our first "
        "email still works too):\n\n((link))\n\nThe Health Check team\n",
    ),
}


def template_for(cycle: Cycle, kind: str) -> tuple[str, str]:
    row = collection.email_template(cycle, kind)
    return (row.subject, row.body) if row else DEFAULTS[kind]


def template_problems(subject: str, body: str) -> dict[str, str]:
    problems = {}
    for field, text in (("subject", subject), ("body", body)):
        unknown = sorted({p.strip() for p in _PLACEHOLDER.findall(text)} - set(PLACEHOLDERS))
        if unknown:
            problems[field] = (
                "Remove or correct "
                + ", ".join(f"(({u}))" for u in unknown)
                + ": the placeholders you can use are "
                + ", ".join(f"(({p}))" for p in PLACEHOLDERS)
            )
        elif not text.strip():
            problems[field] = f"Enter the {field}"
    if "((link))" not in body and "body" not in problems:
        problems["body"] = "Enter ((link)) in the body: without it the organisation cannot open its return"
    return problems


def render(text: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1).strip(), m.group(0)), text)


def values_for(cycle: Cycle, organisation: Organisation, link: str, closes_at=None) -> dict[str, str]:
    return {
        "organisation": organisation.name,
        "link": link,
        "year": str(cycle.year),
        "deadline": datetime_(closes_at or cycle.closes_at),
    }


def link_url(token: str) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/start/{token}"


class Mailer:
    """One SMTP connection for a batch, reopened if the server drops it."""

    def __init__(self, config):
        self.config = config
        self.conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        conn: smtplib.SMTP
        if c["MAIL_USE_SSL"]:
            conn = smtplib.SMTP_SSL(
                c["MAIL_HOST"], c["MAIL_PORT"], timeout=c["MAIL_TIMEOUT"], context=ssl.create_default_context()
            )
        else:
            conn = smtplib.SMTP(c["MAIL_HOST"], c["MAIL_PORT"], timeout=c["MAIL_TIMEOUT"])
            if c["MAIL_USE_STARTTLS"]:
                conn.starttls(context=ssl.create_default_context())
        if c.get("MAIL_USERNAME"):
            conn.login(c["MAIL_USERNAME"], c["MAIL_PASSWORD"] or "")
        return conn

    def send(self, message: EmailMessage) -> None:
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = self._connect()
                self.conn.send_message(message)
                return
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                self.close()
                if attempt == 2:
                    raise

    def close(self) -> None:
        if self.conn is not None:
            with suppress(smtplib.SMTPException, OSError):
                self.conn.quit()
            self.conn = None


LINK_COLUMNS = ["organisation", "authority_type", "contact_email", "link"]


def fresh_links(cycle: Cycle, actor: Actor) -> list[list[str]]:
    """A new link for every organisation, for a mail merge (earlier links keep working): rows of
    ``LINK_COLUMNS``. The caller commits."""
    rows = [
        [
            org.name,
            org.authority_type,
            org.contact_email or "",
            link_url(returns.issue_link(cycle, org, revoke_existing=False)),
        ]
        for org in collection.organisations()
    ]
    audit(actor, "links_export", detail={"cycle": cycle.year, "links": len(rows)})
    return rows


def message(cycle: Cycle, organisation: Organisation, kind: str, link: str, closes_at: datetime) -> EmailMessage:
    """The email of ``kind`` to an organisation, from the cycle's template."""
    subject, body = template_for(cycle, kind)
    values = values_for(cycle, organisation, link, closes_at)
    out = EmailMessage()
    out["From"] = current_app.config["MAIL_FROM"]
    out["To"] = organisation.contact_email or ""
    out["Subject"] = render(subject, values)
    out["Message-ID"] = make_msgid(domain="healthcheck.invalid")
    out.set_content(render(body, values))
    return out


def plain_message(to: str, subject: str, body: str, attachment: tuple[str, bytes] | None = None) -> EmailMessage:
    """One message (a link to set a password, a contributor's invitation, a return's confirmation
    with its PDF ``attachment``: (filename, bytes)), for a job to send."""
    out = EmailMessage()
    out["From"], out["To"], out["Subject"] = current_app.config["MAIL_FROM"], to, subject
    out["Message-ID"] = make_msgid(domain="healthcheck")
    out.set_content(body)
    if attachment is not None:
        out.add_attachment(attachment[1], maintype="application", subtype="pdf", filename=attachment[0])
    return out


class NoAddress(ValueError):
    """There is no address to send the email to."""


def why_not_sent(failure: Exception) -> str:
    """Why an email was not sent, in words for the person who reads it on a page (never the
    exception's own text, which the log keeps)."""
    if isinstance(failure, NoAddress):
        return str(failure)
    if isinstance(failure, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _ in failure.recipients.values()})
        return (
            f"The mail server refused the address (its code {', '.join(codes)})"
            if codes
            else "The mail server refused the address"
        )
    if isinstance(failure, smtplib.SMTPSenderRefused):
        return "The mail server refused our sender address (MAIL_FROM)"
    if isinstance(failure, smtplib.SMTPAuthenticationError):
        return "The mail server did not accept our user name and password"
    if isinstance(failure, smtplib.SMTPResponseException):
        return f"The mail server refused the message (its code {failure.smtp_code})"
    if isinstance(failure, TimeoutError):
        return "The mail server did not answer in time"
    if isinstance(failure, ssl.SSLError):
        return "A secure connection to the mail server could not be made"
    if isinstance(failure, socket.gaierror):
        return "The mail server's name (MAIL_HOST) could not be found"
    if isinstance(failure, (ConnectionError, smtplib.SMTPServerDisconnected, OSError)):
        return "The mail server could not be reached"
    return "The email could not be sent"
