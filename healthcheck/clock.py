"""The one clock: now, by the database's clock.

Web servers and workers may run on several machines, each with a clock of its own, and a
machine's clock may be minutes out. A time written on one machine and compared on another
(when a session began and when its account signed out, a job's last heartbeat, when an
edition was published and so when its personal data is due for deletion) is therefore read
here, from the database every machine shares, never from the machine that happens to run the
code. ``models.utcnow`` stays for times that are only recorded for people to read. ``today`` is
the day in England by the same clock, for dates people typed (an action's due date).

On SQLite the database is a file on one machine, so its clock is that machine's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text

from .extensions import db

LONDON = ZoneInfo("Europe/London")

_NOW = {"postgresql": "SELECT clock_timestamp()", "sqlite": "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')"}


def now() -> datetime:
    """The time now by the database's clock, timezone-aware, in UTC."""
    value = db.session.scalar(text(_NOW[db.session.get_bind().dialect.name]))
    if isinstance(value, str):  # SQLite: UTC, as text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def today() -> date:
    """The day it is now in England, by the database's clock."""
    return now().astimezone(LONDON).date()
