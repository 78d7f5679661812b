"""The coordinating body's accounts as stored: the accounts themselves and who may change them,
failed sign-ins, recovery codes, links to set a password and API tokens. Every token and code is
stored as a SHA-256 of it, never in the clear. How a password or an authenticator's code is
checked, and the sessions, are the web's (``healthcheck.auth``)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..extensions import db
from ..models import ApiToken, PasswordReset, RecoveryCode, Role, SignInFailure, User, utcnow
from . import Actor, audit

RESET_FOR = timedelta(hours=1)  # how long a link to set a password works
API_TOKEN_PREFIX = "hc_"  # so that a token found in a file or a log is recognisable for what it is
LAST_COORDINATOR = "This is the last coordinator who can sign in: add or enable another, who has signed in, first"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- accounts


class EmailTaken(Exception):
    """Another account has this email address (added a moment ago: a double click, another coordinator)."""


class LastCoordinator(Exception):
    """The change would leave no coordinator who can sign in (``change_access``); its message says so."""


def user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def locked_user(user_id: int) -> User | None:
    """The account, its row locked till the unit of work ends (parallel requests about it take turns)."""
    return db.session.get(User, user_id, with_for_update=True)


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))


def users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.name)))


def add_user(email: str, name: str, role: str, password_hash: str) -> User:
    """A new account (its id given now); ``EmailTaken`` if the address is another account's."""
    found = User(email=email, name=name, role=role, password_hash=password_hash)
    db.session.add(found)
    try:
        db.session.flush()
    except IntegrityError as clash:  # the caller's unit of work is rolled back
        raise EmailTaken(email) from clash
    return found


def change_access(user_id: int, role: str, active: bool, actor: Actor, *, require_two_factor: bool) -> User | None:
    """An account given a role and enabled or disabled (audited), None if there is none. A disabled
    account is signed out wherever it is, and its links to set a password stop working.

    The last coordinator who can sign in (has signed in before and, where ``require_two_factor``,
    has an authenticator) may not be made a viewer or disabled, lest nobody can manage the
    accounts: ``LastCoordinator`` says so, and nothing is changed. Every active coordinator's row
    is locked first, so that two such changes at once take turns and never both go through."""
    coordinators = db.session.scalars(
        select(User).where(User.role == Role.COORDINATOR.value, User.active.is_(True)).with_for_update()
    ).all()
    someone = db.session.get(User, user_id)
    if someone is None:
        return None
    others = [
        c
        for c in coordinators
        if c.id != someone.id and c.last_login_at is not None and (c.totp_secret or not require_two_factor)
    ]  # who can sign in now
    if (role != Role.COORDINATOR.value or not active) and someone.can_change and someone.active and not others:
        raise LastCoordinator(LAST_COORDINATOR)
    changed = {"role": (someone.role, role), "active": (someone.active, active)}
    someone.role, someone.active = role, active
    if not active:
        someone.sessions_revoked_at = clock.now()  # signed out now, wherever they are
        cancel_resets(someone)
    audit(actor, "user_changed", detail={"email": someone.email, **{k: v for k, v in changed.items() if v[0] != v[1]}})
    return someone


# ---------------------------------------------------------------- failed sign-ins


def failures(email: str, client: str | None = None, since: datetime | None = None) -> int:
    """How many failed sign-ins are recorded for an email (from one client, since a moment)."""
    where = [SignInFailure.email == email]
    if client is not None:
        where.append(SignInFailure.client == client)
    if since is not None:
        where.append(SignInFailure.at > since)
    return db.session.scalar(select(func.count()).select_from(SignInFailure).where(*where)) or 0


def fail(email: str, client: str, at: datetime) -> None:
    db.session.add(SignInFailure(email=email, client=client, at=at))


def forget_failures(email: str, client: str | None = None) -> None:
    """An email's failed sign-ins deleted (only one client's, given ``client``)."""
    where = [SignInFailure.email == email]
    if client is not None:
        where.append(SignInFailure.client == client)
    db.session.execute(delete(SignInFailure).where(*where))


# ---------------------------------------------------------------- recovery codes


def replace_recovery_codes(user: User, codes: list[str]) -> None:
    """The account's recovery codes, in place of any it had (stored hashed)."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=digest(c)) for c in codes)


def use_recovery_code(user: User, code: str) -> bool:
    """Whether ``code`` is one of the account's unused recovery codes; if so it is used up."""
    found = db.session.scalar(
        select(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == digest(code), RecoveryCode.used_at.is_(None))
        .with_for_update()
    )
    if found is None:
        return False
    found.used_at = utcnow()
    return True


# ---------------------------------------------------------------- links to set a password


def new_reset(user: User) -> tuple[PasswordReset, str]:
    """A single-use link's row (its id given now) and its token, which works for ``RESET_FOR``."""
    token = secrets.token_urlsafe(32)
    reset = PasswordReset(user_id=user.id, token_hash=digest(token), expires_at=clock.now() + RESET_FOR)
    db.session.add(reset)
    db.session.flush()
    return reset, token


def reset_of(token: str) -> PasswordReset | None:
    """The unused, unexpired reset a link's token opens (locked: a second tab can't use it twice)."""
    found = db.session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == digest(token or "")).with_for_update()
    )
    if found is None or found.used_at is not None or found.expires_at < clock.now():
        return None
    return found


def cancel_reset(reset_id: int) -> None:
    """One link stops working (its email was not sent)."""
    reset = db.session.get(PasswordReset, reset_id)
    if reset is not None and reset.used_at is None:
        reset.used_at = utcnow()


def cancel_resets(user: User) -> None:
    """Every unused link to set the account's password stops working (a new password, or disabled)."""
    for reset in db.session.scalars(
        select(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
    ):
        reset.used_at = utcnow()


# ---------------------------------------------------------------- API tokens (the raw export)


def new_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A token for the API's raw export (its id given now), its whole value returned once and stored hashed."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name.strip(), token_hash=digest(token))
    db.session.add(row)
    db.session.flush()
    return row, token


def api_tokens_of(user: User) -> list[ApiToken]:
    """An account's tokens, the newest first, revoked ones too (for the record)."""
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def api_token_of(user: User, token_id: int) -> ApiToken | None:
    return db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))


def api_token(token_id: int) -> ApiToken | None:
    return db.session.get(ApiToken, token_id)


def api_token_user(token: str) -> tuple[ApiToken, User] | None:
    """The token sent and its account, if it opens the raw export now: not revoked, and its account
    an active coordinator's (a disabled account's or a viewer's tokens stop working)."""
    if not token.startswith(API_TOKEN_PREFIX) or len(token) > 200:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
    if row is None or row.revoked_at is not None or not row.user.active or not row.user.can_change:
        return None
    return row, row.user
