"""Coordinator and viewer accounts: password hashing, sign-in with lockout, roles, session expiry."""
from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import abort, current_app, redirect, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, logout_user
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db
from .models import Role, User, utcnow

login_manager = LoginManager()
login_manager.login_view = "coordinator.sign_in"
login_manager.login_message = "Sign in to continue."
limiter = Limiter(key_func=get_remote_address, default_limits=[])

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
MIN_PASSWORD = 12
# A fixed hash to check against when the email is unknown, so timing does not reveal accounts.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def init_app(app) -> None:
    login_manager.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter.init_app(app)

    @app.before_request
    def expire_idle_sessions():
        """Coordinator sessions end after a spell of inactivity, as well as after their lifetime."""
        if "_user_id" not in session:
            return
        idle = current_app.config["COORDINATOR_IDLE_TIMEOUT"]
        last = session.get("last_seen")
        now = utcnow().timestamp()
        if last is not None and now - last > idle.total_seconds():
            logout_user()
            session.pop("last_seen", None)
            return redirect(url_for("coordinator.sign_in", expired=1, next=request.path))
        session["last_seen"] = now


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"Enter a password of at least {MIN_PASSWORD} characters"
    return None


def create_user(email: str, name: str, role: str, password: str) -> User:
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    if role not in {r.value for r in Role}:
        raise ValueError(f"Role must be one of: {', '.join(r.value for r in Role)}")
    user = User(email=email.strip().lower(), name=name.strip(), role=role,
                password_hash=generate_password_hash(password, method="scrypt"))
    db.session.add(user)
    return user


def authenticate(email: str, password: str) -> tuple[User | None, str | None]:
    """(user, None) on success; (None, message) otherwise. Repeated failures lock the account
    (the caller commits what this records)."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))
    now = utcnow()
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None, "Enter a correct email address and password"
    if user.locked_until and user.locked_until > now:
        return None, "Too many failed attempts: this account is locked for 15 minutes. Try again later"
    if not user.active or not check_password_hash(user.password_hash, password or ""):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + LOCK_FOR
            user.failed_logins = 0
        return None, "Enter a correct email address and password"
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user, None


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
