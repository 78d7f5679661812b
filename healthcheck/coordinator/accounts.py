"""Accounts of the coordinating body: the second step of signing in (an authenticator's code),
one's own password and authenticator, a forgotten password, and coordinators managing accounts."""

from __future__ import annotations

import secrets
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.security import check_password_hash

from .. import clock, notices
from ..auth import (
    code_step,
    codes_held_back,
    coordinator_required,
    create_user,
    limiter,
    new_totp_secret,
    second_factor_passes,
    set_password,
    set_up_second_factor,
    start_session,
    totp_qr,
    totp_uri,
    unthrottle,
)
from ..extensions import writing
from ..jobs import enqueue, send_later
from ..models import User, utcnow
from ..store import Actor, accounts, audit, emails
from .blueprint import bp, me
from .forms import (
    ApiTokenForm,
    ChooseForm,
    CodeForm,
    ForgotForm,
    NewPasswordForm,
    PasswordChangeForm,
    UserChangeForm,
    UserForm,
)

PENDING_FOR = 300  # seconds between the password and the code


def begin_second_step(user: User, destination: str) -> Any:
    """After the password: the session knows only who is part-way in, for five minutes."""
    session.clear()
    session.update(pending_user=user.id, pending_at=clock.now().timestamp(), pending_next=destination)
    return redirect(url_for("coordinator.second_factor" if user.totp_secret else "coordinator.set_up"))


def _pending() -> User | None:
    began = session.get("pending_at")
    if not isinstance(began, float) or clock.now().timestamp() - began > PENDING_FOR:
        return None
    user = accounts.user(session.get("pending_user") or 0)
    return user if user is not None and user.active else None


def _signed_in(user: User) -> str:
    """The second step passed: the session begins, audited; where the person was going."""
    destination = session.get("pending_next") or url_for("coordinator.home")
    with writing():
        audit(Actor(user.email, via="web"), "signed_in")
    start_session(user)
    return str(destination)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGN_IN_RATE_LIMIT"], methods=["POST"])
def second_factor() -> Any:
    user = _pending()
    if user is None or not user.totp_secret:
        return redirect(url_for("coordinator.sign_in", expired=1))
    form = CodeForm()
    if form.validate_on_submit():
        with writing():  # counted, checked and recorded as the one writer: parallel guesses wait their turn
            stored = accounts.locked_user(user.id)
            assert stored is not None
            passed = second_factor_passes(stored, form.code.data or "")
            held = not passed and codes_held_back(stored)
            if not passed:
                audit(Actor(user.email, via="web"), "sign_in_failed", detail={"step": "code"})
        if passed:
            return redirect(_signed_in(user))
        form.code.errors = [
            "Too many wrong codes: wait 15 minutes, or reset your password"
            if held
            else "Enter the code your authenticator app shows now, or an unused recovery code"
        ]
    return render_template("coordinator/second_factor.html", form=form), (400 if form.errors else 200)


@bp.route("/sign-in/set-up", methods=["GET", "POST"])
def set_up() -> Any:
    """A coordinator who must use a second factor and has none sets one up before getting in."""
    user = _pending()
    if user is None:
        return redirect(url_for("coordinator.sign_in", expired=1))
    if user.totp_secret:  # the password alone never replaces an authenticator already set up
        return redirect(url_for("coordinator.second_factor"))
    return _authenticator_page(user, then=lambda codes: _recovery_codes_then(user, codes))


@bp.route("/account/authenticator", methods=["GET", "POST"])
def authenticator() -> Any:
    """Set up (or replace, with the account's password) the authenticator of the signed-in account."""
    if (
        request.method == "POST"
        and current_user.totp_secret
        and not check_password_hash(current_user.password_hash, request.form.get("password", ""))
    ):
        form = CodeForm()
        form.validate()
        secret = session.get("new_totp") or new_totp_secret()
        session["new_totp"] = secret
        uri = totp_uri(current_user, secret)
        return render_template(
            "coordinator/authenticator.html",
            form=form,
            secret=secret,
            uri=uri,
            qr=totp_qr(uri),
            replacing=True,
            wrong_password=True,
        ), 400
    return _authenticator_page(
        current_user,
        then=lambda codes: render_template(
            "coordinator/recovery_codes.html", codes=codes, next_url=url_for("coordinator.account")
        ),
    )


def _authenticator_page(user: User, then: Any) -> Any:
    secret = session.get("new_totp") or new_totp_secret()
    session["new_totp"] = secret
    form = CodeForm()
    if form.validate_on_submit():
        step = code_step(secret, form.code.data or "")
        if step is not None:
            with writing():
                stored = accounts.locked_user(user.id)
                assert stored is not None
                if stored.totp_secret and not current_user.is_authenticated:  # set up meanwhile
                    return redirect(url_for("coordinator.second_factor"))
                codes = set_up_second_factor(stored, secret, step)
                audit(Actor(user.email, via="web"), "two_factor_set_up")
            session.pop("new_totp", None)
            return then(codes)
        form.code.errors = ["Enter the 6-digit code your authenticator app shows for this account now"]
    uri = totp_uri(user, secret)
    return render_template(
        "coordinator/authenticator.html",
        form=form,
        secret=secret,
        uri=uri,
        qr=totp_qr(uri),
        replacing=bool(user.totp_secret),
    ), (400 if form.errors else 200)


def _recovery_codes_then(user: User, codes: list[str]) -> Any:
    return render_template("coordinator/recovery_codes.html", codes=codes, next_url=_signed_in(user))


@bp.get("/account")
def account() -> Any:
    tokens = accounts.api_tokens_of(current_user) if current_user.can_change else []
    return render_template("coordinator/account.html", tokens=tokens, form=ChooseForm())


# ---------------------------------------------------------------- API tokens (docs/api.md)


@bp.route("/account/tokens/new", methods=["GET", "POST"])
@coordinator_required
def new_api_token_page() -> Any:
    """A token for the API's raw export: its whole value shown once, on the page that made it."""
    form = ApiTokenForm()
    if form.validate_on_submit():
        with writing():
            row, token = accounts.new_api_token(current_user, form.name.data or "")
            audit(me(), "api_token_created", detail={"token": row.id, "name": row.name})
        return render_template("coordinator/api_token_made.html", token=token, name=row.name)
    return render_template("coordinator/api_token_form.html", form=form), (400 if form.errors else 200)


@bp.post("/account/tokens/<int:token_id>/revoke")
@coordinator_required
def revoke_api_token(token_id: int) -> Any:
    if not ChooseForm().validate_on_submit():
        abort(400)
    with writing():
        row = accounts.api_token_of(current_user, token_id) or abort(404)
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            audit(me(), "api_token_revoked", detail={"token": row.id, "name": row.name})
    flash(f"API token revoked: {row.name} no longer works")
    return redirect(url_for("coordinator.account"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password() -> Any:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not check_password_hash(current_user.password_hash, form.current.data or ""):
            form.current.errors = ["Enter your current password"]
        else:
            try:
                with writing():
                    user = accounts.user(current_user.id)
                    assert user is not None
                    set_password(user, form.password.data or "")
                    audit(me(), "password_changed")
            except ValueError as problem:
                form.password.errors = [str(problem)]
            else:
                start_session(user)  # this session goes on; every other one has ended
                flash("Password changed. You are signed out everywhere else")
                return redirect(url_for("coordinator.account"))
    return render_template("coordinator/password.html", form=form), (400 if form.errors else 200)


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGN_IN_RATE_LIMIT"], methods=["POST"])
def forgot_password() -> Any:
    form = ForgotForm()
    if form.validate_on_submit():
        # The same work whatever was typed: one job, queued. The worker finds out whether it is an
        # account's address and emails a link if so; nothing here waits for it or the mail server.
        with writing():
            job = notices.queue_reset(form.email.data or "", Actor("Someone who forgot a password", via="web"))
        enqueue(job)
        return render_template("coordinator/reset_sent.html")
    return render_template("coordinator/forgot_password.html", form=form), (400 if form.errors else 200)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Any:
    reset = accounts.reset_of(token)
    if reset is None:
        return render_template("coordinator/reset_invalid.html"), 410
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            with writing():
                fresh = accounts.reset_of(token)  # read again as the writer: a second tab can't use it twice
                user = accounts.user(reset.user_id)
                if fresh is None or user is None:
                    return render_template("coordinator/reset_invalid.html"), 410
                set_password(user, form.password.data or "")
                fresh.used_at = utcnow()
                audit(Actor(user.email, via="reset link"), "password_reset")
        except ValueError as problem:
            form.password.errors = [str(problem)]
        else:
            flash("Password set: sign in with it")
            return redirect(url_for("coordinator.sign_in"))
    return render_template("coordinator/new_password.html", form=form), (400 if form.errors else 200)


# ---------------------------------------------------------------- managing accounts


@bp.get("/users")
@coordinator_required
def users() -> Any:
    return render_template(
        "coordinator/users.html",
        users=accounts.users(),
        emails=emails.latest_by_user(),
        outcomes=notices.OUTCOME_LABELS,
    )


@bp.route("/users/new", methods=["GET", "POST"])
@coordinator_required
def new_user() -> Any:
    form = UserForm()
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        if accounts.user_by_email(email) is not None:
            form.email.errors = ["There is already an account with this email address"]
        else:
            try:
                with writing():
                    user = create_user(
                        email, form.name.data or "", form.role.data or "viewer", secrets.token_urlsafe(24)
                    )
                    audit(me(), "user_added", detail={"email": email, "role": user.role})
                    job = notices.queue_account_link(user, me())
            except accounts.EmailTaken:  # added a moment ago (a double click, another coordinator)
                form.email.errors = ["There is already an account with this email address"]
                return render_template("coordinator/user_form.html", form=form), 400
            outcome = send_later(job)
            if outcome == "failed":
                return _link_shown(user.id, failed=True)
            flash(
                f"Account added: {email} has been emailed a link to set a password"
                if outcome == "sent"
                else f"Account added: an email with a link to set a password is queued for {email}. It will be sent "
                "in a moment: the list shows when it has gone"
            )
            return redirect(url_for("coordinator.users"))
    return render_template("coordinator/user_form.html", form=form), (400 if form.errors else 200)


def _link_shown(user_id: int, failed: bool) -> Any:
    """A link to set the account's password, shown once to the coordinator to give the person
    (the email could not be sent, or they asked): earlier unused links stop working."""
    with writing():
        someone = accounts.user(user_id) or abort(404)
        link = notices.new_password_link(someone)
        audit(me(), "password_link_shown", detail={"email": someone.email})
    return render_template(
        "coordinator/password_link.html",
        someone=someone,
        link=link,
        failed=failed,
        error=(emails.latest_to_user(user_id) or None),
    )


@bp.post("/users/<int:user_id>/<any(link, email):action>")
@coordinator_required
def user_link(user_id: int, action: str) -> Any:
    """For an account that has not set its password (or lost it): email a new link, or show one."""
    someone = accounts.user(user_id) or abort(404)
    if not ChooseForm().validate_on_submit() or not someone.active:
        return redirect(url_for("coordinator.user", user_id=user_id))
    if action == "link":
        return _link_shown(user_id, failed=False)
    with writing():
        job = notices.queue_account_link(someone, me())
    outcome = send_later(job)
    if outcome == "failed":
        return _link_shown(user_id, failed=True)
    flash(
        f"{someone.email} has been emailed a link to set a password"
        if outcome == "sent"
        else f"An email with a link to set a password is queued for {someone.email}: it will be sent in a moment"
    )
    return redirect(url_for("coordinator.users"))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@coordinator_required
def user(user_id: int) -> Any:
    someone = accounts.user(user_id) or abort(404)
    form = UserChangeForm(
        data={"role": someone.role, "active": "yes" if someone.active else "no"} if request.method == "GET" else None
    )
    if form.validate_on_submit():
        role, active = form.role.data or someone.role, form.active.data == "yes"
        try:
            with writing():
                changed = accounts.change_access(
                    user_id, role, active, me(), require_two_factor=current_app.config["REQUIRE_TWO_FACTOR"]
                )
                someone = changed or abort(404)
        except accounts.LastCoordinator as refused:
            form.role.errors = [str(refused)]
        if not form.errors:
            flash(f"{someone.email}: saved")
            return redirect(url_for("coordinator.users"))
    return render_template(
        "coordinator/user.html",
        someone=someone,
        form=form,
        link_form=ChooseForm(),
        email=emails.latest_to_user(someone.id),
        outcomes=notices.OUTCOME_LABELS,
    ), (400 if form.errors else 200)


@bp.post("/users/<int:user_id>/unlock")
@coordinator_required
def unlock_user(user_id: int) -> Any:
    """Let an account held back by wrong passwords sign in again at once, from anywhere (audited)."""
    someone = accounts.user(user_id) or abort(404)
    if not ChooseForm().validate_on_submit():
        abort(400)
    with writing():
        count = unthrottle(someone.email)
        audit(me(), "sign_in_unthrottled", detail={"email": someone.email, "failures": count})
    flash(
        f"{someone.email} can sign in again now ({count} failed sign-in{'' if count == 1 else 's'} forgotten)"
        if count
        else f"{someone.email} was not held back: nothing to forget"
    )
    return redirect(url_for("coordinator.user", user_id=user_id))
