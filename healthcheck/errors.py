"""Error pages: clear words, no stack traces, and nothing typed is lost. Under /api, the same as
JSON: {"error": ...}."""

from contextlib import suppress
from functools import wraps

from flask import g, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError

from .employer import has_session
from .extensions import db
from .unsaved import ANSWER_PAGES, expired_answers, unsaved_page

API_ERRORS = {
    400: "Bad request",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Request too large",
    429: "Too many requests: wait a minute and try again",
    500: "Something went wrong on our side",
    503: "The service is unavailable: try again in a few minutes",
}


def for_api(status: int, e=None):
    """The API's answer for an error: JSON, with the view's own words where it gave some (``abort(404,
    "...")``). None for any other address, which gets its page."""
    if not request.path.startswith("/api/"):
        return None
    own = getattr(e, "description", None)
    message = own if isinstance(own, str) and own != getattr(type(e), "description", None) else API_ERRORS[status]
    response = jsonify(error=message)
    response.status_code = status
    if status == 405 and getattr(e, "valid_methods", None):
        response.headers["Allow"] = ", ".join(e.valid_methods)
    return response


def json_under_api(status: int):
    """An error page's handler that answers JSON under /api (never an HTML page there)."""

    def decorate(handler):
        @wraps(handler)
        def handle(e):
            answer = for_api(status, e)
            return handler(e) if answer is None else answer

        return handle

    return decorate


def _too_many(e):
    """Flask-Limiter's refusal; for the staff survey's codes, a page that says what to do."""
    if request.blueprint == "survey":
        return render_template("survey/too_many.html"), 429
    return e


def register(app) -> None:
    @app.errorhandler(404)
    @json_under_api(404)
    def not_found(e):
        return render_template("errors/404.html"), 404

    @app.errorhandler(405)
    @json_under_api(405)
    def not_allowed(e):
        return render_template("errors/404.html"), 405

    @app.errorhandler(429)
    @json_under_api(429)
    def too_many(e):
        return _too_many(e)

    @app.errorhandler(OverflowError)
    @json_under_api(404)
    def number_too_large(e):
        """A number in an address too large for any record (/admin/cycles/99999999999999999999)."""
        return render_template("errors/404.html"), 404

    @app.errorhandler(400)
    @json_under_api(400)
    def bad_request(e):
        return render_template(
            "errors/generic.html",
            title="Sorry, we could not understand that request",
            message="Go back and try again. Answers saved earlier are safe.",
        ), 400

    @app.errorhandler(403)
    @json_under_api(403)
    def forbidden(e):
        return render_template(
            "errors/generic.html",
            title="You cannot do that",
            message="Your account can look at this page but not change it, or this page is "
            "not for you. Ask a coordinator if you need to make this change.",
        ), 403

    @app.errorhandler(413)
    @json_under_api(413)
    def too_large(e):
        return render_template(
            "errors/generic.html",
            title="What you sent was too large",
            message="The form you sent was larger than this service accepts. Shorten your answers and try again.",
        ), 413

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        app.logger.info("CSRF refused: %s", e.description)
        if request.endpoint in ANSWER_PAGES:  # a page of answers: keep it
            return expired_answers(has_session() or current_user.is_authenticated)
        return render_template(
            "errors/generic.html",
            title="Your page had expired",
            message="For your security, we could not accept that form because the page "
            "had expired or was opened in another session. Go back, refresh the "
            "page and try again. Answers saved earlier are safe.",
        ), 400

    @app.errorhandler(DBAPIError)
    def database_unavailable(e):
        """The database is down or locked: say that nothing was saved, and keep what was typed."""
        g.db_down = True
        with suppress(DBAPIError):
            db.session.rollback()
        app.logger.warning("database unavailable: %s", e.__class__.__name__)
        if (answer := for_api(503)) is not None:
            return answer
        if request.method != "POST":
            return render_template(
                "errors/generic.html",
                title="Sorry, the service is unavailable",
                message="We cannot reach our database just now. Try again in a few minutes: "
                "answers you saved earlier are safe.",
            ), 503
        return render_template("errors/unsaved.html", **unsaved_page()), 503

    @app.errorhandler(500)
    @json_under_api(500)
    def server_error(e):
        return render_template(
            "errors/generic.html",
            title="Sorry, there is a problem with the service",
            message="Try again later. Answers you saved earlier are safe.",
        ), 500
