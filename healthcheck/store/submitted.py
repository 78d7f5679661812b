"""The returns submitted in a cycle, each at its latest submitted version: what publication,
review, the staff survey's editions and the soft checks all read."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import Cycle, Organisation, Response, SubmittedVersion


def named(submitted: list[tuple[Response, SubmittedVersion]]) -> list[str]:
    """The organisations whose latest submitted return agreed to be named in published results."""
    return [r.organisation.name for r, _ in submitted if r.consent_to_name]


def latest_submitted(cycle: Cycle) -> list[tuple[Response, SubmittedVersion]]:
    """Each return submitted at least once with its latest submitted version, by organisation
    name: one query, whatever the number of returns."""
    latest = (
        select(SubmittedVersion.response_id, func.max(SubmittedVersion.number).label("number"))
        .join(Response)
        .where(Response.cycle_id == cycle.id)
        .group_by(SubmittedVersion.response_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Response, SubmittedVersion)
        .join(Response.organisation)
        .options(contains_eager(Response.organisation))
        .join(latest, latest.c.response_id == Response.id)
        .join(
            SubmittedVersion,
            (SubmittedVersion.response_id == Response.id) & (SubmittedVersion.number == latest.c.number),
        )
        .where(Response.cycle_id == cycle.id)
        .order_by(Organisation.name)
    )
    return [(response, version) for response, version in rows]
