"""The blueprint the pages of employer/ register on, and what they share."""

from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from .. import clock
from ..unsaved import expired_answers

bp = Blueprint("employer", __name__)


def has_session() -> bool:
    """Whether this browser is signed in to a return: by the organisation's link (the PSW) or by a
    contributor's personal link."""
    return "link_id" in session or "contributor_id" in session


def begin_session(**values: Any) -> None:
    """A new session for the PSW or a contributor: nothing carried over but the CSRF token (a page
    left open, its session expired, can still be saved), its start recorded for its lifetime."""
    kept = session.get("csrf_token")
    session.clear()
    if kept:
        session["csrf_token"] = kept
    session.permanent = False  # gone when the browser closes: offices share computers
    now = clock.now().timestamp()
    session.update(signed_in_at=now, last_seen=now, **values)


def session_ends_in() -> int:
    """Seconds until this session's absolute lifetime is over (for the page's timeout warning),
    counted from the time ``end_idle_sessions`` read for this request: a page is shown only to a
    session it let through, and reading the database's clock again would cost a round trip."""
    began = session.get("signed_in_at")
    lifetime = current_app.config["EMPLOYER_SESSION_LIFETIME"].total_seconds()
    return max(0, int(began + lifetime - g.session_checked_at)) if isinstance(began, float) else 0


@bp.before_request
def end_idle_sessions() -> Any:
    """An employer's session ends after a spell without a request and, however active, at its
    absolute lifetime (a warning comes first, on the page: ``timeout-warning`` in base.html). A
    page of answers sent after that is shown again, unsaved. The times are the database's
    (``clock``): the next request may reach another server."""
    if not has_session():
        return None
    config = current_app.config
    now, last, began = clock.now().timestamp(), session.get("last_seen"), session.get("signed_in_at")
    g.session_checked_at = now
    idle = isinstance(last, float) and now - last > config["EMPLOYER_IDLE_TIMEOUT"].total_seconds()
    old = not isinstance(began, float) or now - began > config["EMPLOYER_SESSION_LIFETIME"].total_seconds()
    if idle or old:
        organisation = session.get("organisation")
        session.clear()
        if request.endpoint == "employer.keep_alive":
            return current_app.response_class(status=403, mimetype="text/plain")
        if request.method == "POST" and request.endpoint == "employer.section":
            return expired_answers(signed_in=False, organisation=organisation)
        return redirect(url_for("employer.timed_out") if idle else url_for("employer.timed_out", after="lifetime"))
    if not isinstance(last, float) or now - last > 60:  # renewed at most once a minute: a cookie less to write
        session["last_seen"] = now
    return None


@bp.get("/return/timed-out")
def timed_out() -> Any:
    return render_template("employer/signed_out.html", timed_out=True, lifetime=request.args.get("after") == "lifetime")


@bp.post("/return/keep-alive")
def keep_alive() -> Any:
    """The page's "Stay signed in": the request itself renews the session (CSRF-checked)."""
    return current_app.response_class(status=204 if has_session() else 403, mimetype="text/plain")
