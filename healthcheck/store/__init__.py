"""The data layer: every query the views, commands and jobs make, by area. Nothing here
commits: the route, command or job that calls it decides when its work is done.

- ``returns``: links, a return's answers page by page, submission and versions
- ``collection``: cycles, organisations, populations, tracking, email templates and sends
- ``review``: open answers, their redaction review and coding
- ``publication``: the dataset of a cycle, editions and their files
- ``jobs``: the rows that record what the worker does
- ``plans``: employers' action plans
- ``accounts``: the coordinating body's accounts, failed sign-ins, links to set a password, API tokens
- ``emails``: the emails about one return or one account, queued and sent one by one
"""

from __future__ import annotations

from dataclasses import dataclass

from ..extensions import db
from ..models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who did something: a person's name, and how they got in (for the audit trail)."""

    name: str
    via: str = ""

    def __str__(self) -> str:
        return f"{self.name} ({self.via})" if self.via else self.name


def audit(
    actor: Actor,
    action: str,
    *,
    response_id: int | None = None,
    detail: dict | None = None,
    note: str | None = None,
    section_id: str | None = None,
) -> None:
    """Record a change in the audit trail (committed with the change it describes)."""
    db.session.add(
        AuditEvent(
            actor=str(actor), action=action, response_id=response_id, detail=detail, note=note, section_id=section_id
        )
    )
