"""Coordinator and viewer accounts: password hashing, sign-in throttled per email and client, roles,
and sessions that end when idle, at their absolute lifetime, and when the account signs out."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from functools import cache, wraps

import pyotp
import segno
from flask import abort, current_app, redirect, request, session, url_for
from flask.logging import default_handler
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, login_user, logout_user
from markupsafe import Markup
from werkzeug.security import check_password_hash, generate_password_hash

from . import clock
from .models import Role, User
from .store import accounts
from .unsaved import expired_answers

login_manager = LoginManager()
login_manager.login_view = "coordinator.sign_in"
login_manager.login_message = "Sign in to continue."
limiter = Limiter(key_func=get_remote_address, default_limits=[])

MAX_FAILURES = 5  # wrong passwords for one email from one client address...
THROTTLE_FOR = timedelta(minutes=15)  # ...within this long hold that client back for that email
MIN_PASSWORD = 12
WRONG = "Enter a correct email address and password"
THROTTLED = (
    "Too many attempts to sign in with this email address from here. Wait 15 minutes and try again, "
    "or ask another coordinator to let you sign in again (Accounts, then your name)"
)


def hash_password(password: str) -> str:
    """A password's scrypt hash, at the cost the configuration sets (``PASSWORD_HASH_METHOD``)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@cache
def _dummy_hash(method: str) -> str:
    """A fixed hash to check against when the email is unknown, so timing does not reveal
    accounts: made once per method, at the same cost as an account's."""
    return generate_password_hash("not-a-real-password", method=method)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return accounts.user(int(user_id)) if user_id.isdigit() else None


def init_app(app) -> None:
    login_manager.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    if str(app.config["RATELIMIT_STORAGE_URI"]).startswith(("redis", "valkey")):
        # A store that does not answer costs a few seconds at most (not a blip on a busy machine),
        # then the limits are counted in memory (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED) till it answers.
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 3, "socket_timeout": 3})
    limiter.init_app(app)
    # Flask-Limiter says when its store stops answering, once, and when it answers again: in this log.
    if default_handler not in limiter.logger.handlers:
        limiter.logger.addHandler(default_handler)
        limiter.logger.setLevel(logging.INFO)

    @app.before_request
    def end_sessions():
        """A coordinator's session ends after a spell of inactivity, at its absolute lifetime
        however active, and when the account signed out anywhere since it began. Every one of
        these times is the database's (``clock``), whichever server wrote it and whichever reads it."""
        if "_user_id" not in session:
            return None
        now = clock.now().timestamp()
        began, last = session.get("signed_in_at"), session.get("last_seen")
        revoked = current_user.sessions_revoked_at if current_user.is_authenticated else None
        over = (
            began is None
            or now - began > current_app.config["COORDINATOR_SESSION_LIFETIME"].total_seconds()
            or (last is not None and now - last > current_app.config["COORDINATOR_IDLE_TIMEOUT"].total_seconds())
            or (revoked is not None and began <= revoked.timestamp())
        )
        if over:
            logout_user()
            session.clear()
            if request.method == "POST" and request.endpoint == "coordinator.enter_section":
                return expired_answers(signed_in=False)  # a page of answers typed for an organisation: kept
            return redirect(url_for("coordinator.sign_in", expired=1, next=request.path))
        session["last_seen"] = now
        return None


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"Enter a password of at least {MIN_PASSWORD} characters"
    return None


def create_user(email: str, name: str, role: str, password: str) -> User:
    """A new account (``accounts.EmailTaken`` if the address is another's; the caller commits)."""
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    if role not in {r.value for r in Role}:
        raise ValueError(f"Role must be one of: {', '.join(r.value for r in Role)}")
    return accounts.add_user(email.strip().lower(), name.strip(), role, hash_password(password))


def authenticate(email: str, password: str, client: str) -> tuple[User | None, str | None]:
    """(user, None) on success; (None, message) otherwise. Every failure costs a password check
    and a row written, whether the email is an account's or not, so neither the message nor the
    time taken tells a stranger which emails have accounts. Failures are counted per email and
    client, so a stranger can hold back only themselves (the caller commits what this records)."""
    key = (email or "").strip().lower()[:254]
    user = accounts.user_by_email(key)
    now = clock.now()
    throttled = accounts.failures(key, client, since=now - THROTTLE_FOR) >= MAX_FAILURES
    right = check_password_hash(
        user.password_hash if user else _dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password or ""
    )
    if throttled or user is None or not user.active or not right:
        accounts.fail(key, client[:64], now)
        return None, THROTTLED if throttled else WRONG
    accounts.forget_failures(key, client)
    user.last_login_at = now
    return user, None


def start_session(user: User) -> None:
    """A new session for a coordinator who has just signed in: nothing carried over from before
    (an employer's link, say), its start recorded for its lifetime and for revocation."""
    session.clear()
    login_user(user)
    session.permanent = True
    session["signed_in_at"] = session["last_seen"] = clock.now().timestamp()


def end_sessions_of(user: User) -> None:
    """Sign out: this session and every other of the account end (the caller commits)."""
    user.sessions_revoked_at = clock.now()
    logout_user()
    session.clear()


def unthrottle(email: str) -> int:
    """Forget an email's failed sign-ins, from every client: how many there were."""
    key = email.strip().lower()
    found = accounts.failures(key)
    accounts.forget_failures(key)
    return found


def coordinator_required(view):
    """Changes are for coordinators; viewers may look but not touch."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.can_change:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


# ---------------------------------------------------------------- a second factor (TOTP)

RECOVERY_CODES = 8


def needs_second_factor(user: User) -> bool:
    """A code is asked for whenever the account has an authenticator set up; with
    REQUIRE_TWO_FACTOR (production) every account, coordinator or viewer, must set one up before
    signing in: a viewer reads personal data too (docs/reliability.md)."""
    return bool(user.totp_secret) or bool(current_app.config["REQUIRE_TWO_FACTOR"])


def new_totp_secret() -> str:
    return str(pyotp.random_base32())


def totp_uri(user: User, secret: str) -> str:
    return str(pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["SERVICE_NAME"]))


def totp_qr(uri: str) -> Markup:
    """The authenticator's link as a QR code an app scans, drawn as inline SVG (no image file,
    nothing fetched): dark squares on white, each module 4 px, a quiet zone of 4 modules."""
    svg = segno.make(uri, error="m", micro=False).svg_inline(
        scale=4,
        border=4,
        dark="#0b0c0c",
        light="#ffffff",
        svgid="totp-qr",
        title="QR code of your account's key, for your authenticator app to scan",
    )
    return Markup(svg.replace("<svg ", '<svg role="img" focusable="false" ', 1))


def code_step(secret: str, code: str) -> int | None:
    """The time step of a six-digit code from the authenticator, allowing the step either side of
    now; None for a wrong code."""
    digits = "".join((code or "").split())
    if not (digits.isdigit() and len(digits) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(clock.now())
    return next((step for step in (now - 1, now, now + 1) if totp.generate_otp(step) == digits), None)


def code_is_right(secret: str, code: str) -> bool:
    return code_step(secret, code) is not None


def set_up_second_factor(user: User, secret: str, spent_step: int | None = None) -> list[str]:
    """The authenticator's secret stored, and fresh recovery codes: shown once, stored hashed. The
    code that proved the set-up (its ``spent_step``) is spent: sign-in will not take it again."""
    user.totp_secret = secret
    user.totp_last_step = spent_step
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    accounts.replace_recovery_codes(user, codes)
    return codes


CODE_STEP = "(code)"  # SignInFailure.client of a wrong code: counted per account, whatever the address


def second_factor_passes(user: User, code: str) -> bool:
    """The authenticator's code (each accepted once), or an unused recovery code (used up by this).
    Five wrong codes in 15 minutes stop the step for the account: whoever is at it has its password.
    The caller holds the write lock and commits."""
    now = clock.now()
    if accounts.failures(user.email, CODE_STEP, since=now - THROTTLE_FOR) >= MAX_FAILURES:
        return False
    if user.totp_secret:
        totp, digits = pyotp.TOTP(user.totp_secret), "".join((code or "").split())
        for offset in (-1, 0, 1):
            step = totp.timecode(now) + offset
            if digits == totp.generate_otp(step) and step > (user.totp_last_step or -1):
                user.totp_last_step = step
                accounts.forget_failures(user.email, CODE_STEP)
                return True
    if not accounts.use_recovery_code(user, (code or "").strip().lower()):
        accounts.fail(user.email, CODE_STEP, now)
        return False
    accounts.forget_failures(user.email, CODE_STEP)
    return True


def codes_held_back(user: User) -> bool:
    return accounts.failures(user.email, CODE_STEP, since=clock.now() - THROTTLE_FOR) >= MAX_FAILURES


# ---------------------------------------------------------------- passwords


def set_password(user: User, password: str) -> None:
    """A new password; every session of the account ends (the caller starts this one afresh)."""
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    user.password_hash = hash_password(password)
    user.sessions_revoked_at = clock.now()
    accounts.cancel_resets(user)


def new_reset_link(email: str) -> tuple[User, str] | None:
    """For an active account's email, a single-use token to set a new password (stored hashed);
    None for any other email, so nothing about it is said."""
    user = accounts.user_by_email(email)
    if user is None or not user.active:
        return None
    _, token = accounts.new_reset(user)
    return user, token
