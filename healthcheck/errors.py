"""Error pages: clear words, no stack traces."""
from flask import render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError


def register(app) -> None:
    @app.errorhandler(404)
    def not_found(e):
        return render_template("errors/404.html"), 404

    @app.errorhandler(405)
    def not_allowed(e):
        return render_template("errors/404.html"), 405

    @app.errorhandler(413)
    def too_large(e):
        return render_template("errors/generic.html", title="What you sent was too large",
                               message="The form you sent was larger than this service accepts. "
                                       "Shorten your answers and try again."), 413

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        app.logger.info("CSRF refused: %s", e.description)
        return render_template("errors/generic.html", title="Your page had expired",
                               message="For your security, we could not accept that form because the page "
                                       "had expired or was opened in another session. Go back, refresh the "
                                       "page and try again. Answers saved earlier are safe."), 400

    @app.errorhandler(OperationalError)
    def database_unavailable(e):
        from .extensions import db
        db.session.rollback()
        return render_template("errors/generic.html", title="Sorry, there is a problem with the service",
                               message="Your answers on that page were not saved. Go back and try again "
                                       "in a few minutes: what you typed should still be in the form."), 503

    @app.errorhandler(500)
    def server_error(e):
        return render_template("errors/generic.html", title="Sorry, there is a problem with the service",
                               message="Try again later. Answers you saved earlier are safe."), 500
