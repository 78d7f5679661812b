"""The employer's side: one organisation's return, reached through its access link."""
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from .. import clock
from ..unsaved import expired_answers

bp = Blueprint("employer", __name__)


def has_session() -> bool:
    """Whether this browser is signed in to a return: by the organisation's link (the PSW) or by a
    contributor's personal link."""
    return "link_id" in session or "contributor_id" in session


@bp.before_request
def end_idle_sessions() -> Any:
    """An employer's session ends after a spell without a request (a warning comes first, on the
    page: ``timeout-warning`` in base.html). A page of answers sent after that is shown again, unsaved.
    The times are the database's (``clock``): the next request may reach another server."""
    if not has_session():
        return None
    now, last = clock.now().timestamp(), session.get("last_seen")
    if isinstance(last, float) and now - last > current_app.config["EMPLOYER_IDLE_TIMEOUT"].total_seconds():
        organisation = session.get("organisation")
        session.clear()
        if request.endpoint == "employer.keep_alive":
            return current_app.response_class(status=403, mimetype="text/plain")
        if request.method == "POST" and request.endpoint == "employer.section":
            return expired_answers(signed_in=False, organisation=organisation)
        return redirect(url_for("employer.timed_out"))
    if not isinstance(last, float) or now - last > 60:  # renewed at most once a minute: a cookie less to write
        session["last_seen"] = now
    return None


@bp.get("/return/timed-out")
def timed_out() -> Any:
    return render_template("employer/signed_out.html", timed_out=True)


@bp.post("/return/keep-alive")
def keep_alive() -> Any:
    """The page's "Stay signed in": the request itself renews the session (CSRF-checked)."""
    return current_app.response_class(status=204 if has_session() else 403, mimetype="text/plain")


from . import contributors, results, routes, staff  # noqa: E402,F401
