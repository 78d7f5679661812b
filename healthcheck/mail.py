"""Invitations and reminders: templates with ((placeholders)), sent over SMTP, every attempt recorded."""
from __future__ import annotations

import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Callable, Iterable

from flask import current_app
from sqlalchemy import select, update

from . import data
from .extensions import db
from .filters import datetime_
from .models import AccessLink, Cycle, EmailSend, EmailTemplate, Organisation, utcnow

KINDS = ("invitation", "reminder")
PLACEHOLDERS = ("organisation", "link", "deadline", "year")
_PLACEHOLDER = re.compile(r"\(\(([^()]*)\)\)")

DEFAULTS = {
    "invitation": (
        "Social Work Health Check ((year)): your organisation's return",
        "Dear Principal Social Worker,\n\n"
        "The ((year)) Social Work Health Check is open. Please complete ((organisation))'s return "
        "by ((deadline)).\n\n"
        "Use this link to open the return. It is for your organisation only; colleagues (for example "
        "in HR) can use it too, and you can leave and come back as often as you need:\n\n((link))\n\n"
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
    row = db.session.scalar(select(EmailTemplate).where(EmailTemplate.cycle_id == cycle.id, EmailTemplate.kind == kind))
    return (row.subject, row.body) if row else DEFAULTS[kind]


def template_problems(subject: str, body: str) -> dict[str, str]:
    problems = {}
    for field, text in (("subject", subject), ("body", body)):
        unknown = sorted({p.strip() for p in _PLACEHOLDER.findall(text)} - set(PLACEHOLDERS))
        if unknown:
            problems[field] = ("Remove or correct " + ", ".join(f"(({u}))" for u in unknown) +
                               ": the placeholders you can use are " + ", ".join(f"(({p}))" for p in PLACEHOLDERS))
        elif not text.strip():
            problems[field] = f"Enter the {field}"
    if "((link))" not in body and "body" not in problems:
        problems["body"] = "Enter ((link)) in the body: without it the organisation cannot open its return"
    return problems


def save_template(cycle: Cycle, kind: str, subject: str, body: str, actor: data.Actor) -> None:
    row = db.session.scalar(select(EmailTemplate).where(EmailTemplate.cycle_id == cycle.id, EmailTemplate.kind == kind))
    if row is None:
        row = EmailTemplate(cycle_id=cycle.id, kind=kind, subject=subject, body=body)
        db.session.add(row)
    row.subject, row.body = subject, body
    data.audit(actor, "email_template", detail={"cycle": cycle.year, "kind": kind})
    db.session.commit()


def render(text: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1).strip(), m.group(0)), text)


def values_for(cycle: Cycle, organisation: Organisation, link: str, closes_at=None) -> dict[str, str]:
    return {"organisation": organisation.name, "link": link, "year": str(cycle.year),
            "deadline": datetime_(closes_at or cycle.closes_at)}


def link_url(token: str) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/start/{token}"


class Mailer:
    """One SMTP connection for a batch, reopened if the server drops it."""

    def __init__(self, config):
        self.config = config
        self.conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c["MAIL_USE_SSL"]:
            conn = smtplib.SMTP_SSL(c["MAIL_HOST"], c["MAIL_PORT"], timeout=c["MAIL_TIMEOUT"],
                                    context=ssl.create_default_context())
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
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.conn = None


def send_batch(cycle: Cycle, kind: str, organisations: Iterable[Organisation], actor: data.Actor,
               progress: Callable[[Organisation], None] = lambda org: None) -> dict[str, int]:
    """Email each organisation a fresh link. An invitation's link replaces earlier ones once it is
    delivered; a reminder's link is added beside them. Every attempt is recorded with its outcome."""
    subject_t, body_t = template_for(cycle, kind)
    mailer = Mailer(current_app.config)
    counts = {"sent": 0, "failed": 0}
    try:
        for org in organisations:
            response = data.response_for(cycle.id, org.id)
            token = data.issue_link(cycle, org, revoke_existing=False)
            db.session.flush()
            new_link = db.session.scalar(select(AccessLink).where(AccessLink.token_hash == data.hash_token(token)))
            values = values_for(cycle, org, link_url(token), response.closes_at)
            send = EmailSend(cycle_id=cycle.id, organisation_id=org.id, kind=kind, to_address=org.contact_email,
                             attempted_at=utcnow(), outcome="sent")
            try:
                if not org.contact_email:
                    raise ValueError("No contact email address for this organisation")
                message = EmailMessage()
                message["From"] = current_app.config["MAIL_FROM"]
                message["To"] = org.contact_email
                message["Subject"] = render(subject_t, values)
                message["Message-ID"] = make_msgid(domain="healthcheck.invalid")
                message.set_content(render(body_t, values))
                mailer.send(message)
            except (smtplib.SMTPException, OSError, ValueError) as exc:
                send.outcome, send.error = "failed", str(exc) or exc.__class__.__name__
                new_link.revoked_at = utcnow()  # never delivered: it must not work
                counts["failed"] += 1
            else:
                counts["sent"] += 1
                if kind == "invitation":
                    db.session.execute(update(AccessLink).where(
                        AccessLink.cycle_id == cycle.id, AccessLink.organisation_id == org.id,
                        AccessLink.id != new_link.id, AccessLink.revoked_at.is_(None)).values(revoked_at=utcnow()))
            # Earlier failures for this organisation are superseded by this attempt.
            db.session.execute(update(EmailSend).where(
                EmailSend.cycle_id == cycle.id, EmailSend.organisation_id == org.id, EmailSend.kind == kind,
                EmailSend.outcome == "failed").values(retried=True))
            db.session.add(send)
            data.audit(actor, f"email_{kind}", response_id=response.id,
                       detail={"to": org.contact_email, "outcome": send.outcome, "error": send.error})
            db.session.commit()
            progress(org)
    finally:
        mailer.close()
    return counts


def failed_sends(cycle: Cycle) -> list[EmailSend]:
    return list(db.session.scalars(select(EmailSend).where(
        EmailSend.cycle_id == cycle.id, EmailSend.outcome == "failed", EmailSend.retried.is_(False))
        .order_by(EmailSend.attempted_at)))


def retry(cycle: Cycle, sends: list[EmailSend], actor: data.Actor, progress=lambda org: None) -> dict[str, int]:
    counts = {"sent": 0, "failed": 0}
    for kind in KINDS:
        organisations = list({s.organisation_id: s.organisation for s in sends if s.kind == kind}.values())
        result = send_batch(cycle, kind, organisations, actor, progress)
        counts = {k: counts[k] + result[k] for k in counts}
    return counts
