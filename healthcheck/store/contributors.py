"""The colleagues a PSW asks to contribute to the return: invited by email, each with a personal
link (stored hashed) that the PSW can revoke; one of them may be named to sign off."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Contributor, Response, utcnow
from . import Actor, audit
from .returns import hash_token


def invite(
    response: Response,
    actor: Actor,
    *,
    name: str,
    email: str,
    job_title: str | None,
    sections: list[str] | None,
    can_sign_off: bool,
) -> tuple[Contributor, str]:
    """A contributor and the token of their personal link (shown once, in the invitation)."""
    token = secrets.token_urlsafe(32)
    contributor = Contributor(
        response_id=response.id,
        name=name,
        email=email,
        job_title=job_title or None,
        sections=sections,
        can_sign_off=can_sign_off,
        token_hash=hash_token(token),
        invited_by=actor.name,
    )
    db.session.add(contributor)
    db.session.flush()
    audit(
        actor,
        "contributor_invited",
        response_id=response.id,
        detail={"contributor": contributor.id, "sections": sections, "can_sign_off": can_sign_off},
    )
    return contributor, token


def new_link(contributor: Contributor, actor: Actor) -> str:
    """A fresh personal link (the old one stops working), for a lost or expired invitation."""
    token = secrets.token_urlsafe(32)
    contributor.token_hash = hash_token(token)
    audit(
        actor, "contributor_link_renewed", response_id=contributor.response_id, detail={"contributor": contributor.id}
    )
    return token


def of_return(response: Response) -> list[Contributor]:
    return list(
        db.session.scalars(
            select(Contributor)
            .where(Contributor.response_id == response.id)
            .order_by(Contributor.revoked_at.is_not(None), Contributor.name)
        )
    )


def of_return_by_id(response: Response, contributor_id: int) -> Contributor | None:
    return db.session.scalar(
        select(Contributor).where(Contributor.response_id == response.id, Contributor.id == contributor_id)
    )


def find(token: str) -> Contributor | None:
    """The contributor a token belongs to, revoked or not (the caller says which)."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(Contributor).where(Contributor.token_hash == hash_token(token)))


def live(contributor_id: int) -> Contributor | None:
    """A contributor whose link still works, with their return, its cycle and organisation."""
    return db.session.scalar(
        select(Contributor)
        .options(
            joinedload(Contributor.response).joinedload(Response.cycle),
            joinedload(Contributor.response).joinedload(Response.organisation),
        )
        .where(Contributor.id == contributor_id, Contributor.revoked_at.is_(None))
    )


def touch(contributor: Contributor) -> None:
    contributor.last_used_at = utcnow()


def revoke(contributor: Contributor, actor: Actor) -> None:
    if contributor.revoked_at is None:
        contributor.revoked_at = utcnow()
        audit(actor, "contributor_revoked", response_id=contributor.response_id, detail={"contributor": contributor.id})


def signatories(response: Response) -> list[Contributor]:
    return [c for c in of_return(response) if c.can_sign_off and c.revoked_at is None]
