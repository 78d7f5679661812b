"""The Flask application's factory."""

from __future__ import annotations

import os
import secrets
from contextlib import suppress
from pathlib import Path
from typing import Any

from flask import Flask, render_template, request, send_from_directory
from flask_login import current_user
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemBytecodeCache, FileSystemLoader, PackageLoader, PrefixLoader
from jinja2.bccache import Bucket
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import auth, filters, jobs, markup, security
from .api import bp as api_bp
from .config import CONFIGS
from .coordinator import bp as coordinator_bp
from .employer import bp as employer_bp
from .employer import session_ends_in
from .errors import register as register_errors
from .extensions import csrf, db, migrate
from .models import utcnow
from .notices import KIND_LABELS, OUTCOME_LABELS
from .survey import bp as survey_bp

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
MIGRATIONS = ROOT / "migrations"


def create_app(config: str | None = None, **overrides: Any) -> Flask:
    config_name = config or os.environ.get("HEALTHCHECK_CONFIG", "development")
    config_class = CONFIGS[config_name]
    app = Flask("healthcheck", instance_relative_config=True)  # the package: its folders, its logger
    app.url_map.converters["int"] = RecordNumber
    app.config.from_object(config_class)
    app.config.update(overrides)
    config_class.check(app)  # before any default below stands in for a setting production must have
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", None)
    app.config["SQLALCHEMY_DATABASE_URI"] = (
        app.config["SQLALCHEMY_DATABASE_URI"] or f"sqlite:///{instance / 'healthcheck.sqlite'}"
    )
    app.config["EDITIONS_FOLDER"] = app.config["EDITIONS_FOLDER"] or str(instance / "editions")
    app.config["QUEUE_FILE"] = app.config["QUEUE_FILE"] or str(instance / "queue.sqlite")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Wait this long for another writer before giving up with "database is locked".
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "connect_args": {"timeout": app.config["SQLITE_BUSY_TIMEOUT"]},
        }
    if app.config.get("PROXY_FIX"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    if not app.config.get("SECRET_KEY") and config_name != "production":
        app.config["SECRET_KEY"] = _instance_secret(instance)

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(TEMPLATES)),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.globals["answers_list"] = markup.answers_list
    app.jinja_env.globals["session_ends_in"] = session_ends_in
    app.jinja_env.globals.update(email_kind_labels=KIND_LABELS, email_outcome_labels=OUTCOME_LABELS)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.bytecode_cache = _compiled_templates(instance / "compiled-templates")
    WTFormsHelpers(app)

    @app.before_request
    def uploads_may_be_larger() -> None:
        """A returns file from a coordinator may be larger than any page of answers: its limit
        is set before CSRF protection (registered below, so run after this) reads the form."""
        if request.endpoint == "coordinator.upload" and current_user.is_authenticated and current_user.can_change:
            request.max_content_length = app.config["MAX_UPLOAD_LENGTH"]

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    csrf.init_app(app)

    filters.register(app)
    auth.init_app(app)
    security.init_app(app)
    jobs.init_app(app)

    app.register_blueprint(employer_bp)
    app.register_blueprint(coordinator_bp)
    app.register_blueprint(survey_bp)
    app.register_blueprint(api_bp)
    register_errors(app)

    @app.context_processor
    def clock() -> dict:
        return {"now": utcnow()}

    @app.get("/")
    def index() -> str:
        return render_template("index.html")

    @app.get("/favicon.ico")
    def favicon() -> Any:
        """Browsers ask for it on every site whatever the page says (a tick: this is not a GOV.UK
        service, so not the crown)."""
        return send_from_directory(app.static_folder or "static", "favicon.ico", mimetype="image/x-icon", max_age=86400)

    return app


class RecordNumber(IntegerConverter):
    """``<int:...>`` in an address: no larger than a database's integer, so that a larger number is
    a page not found rather than an error from the database. ``min`` and ``max`` keep werkzeug's
    names: an address passes them by keyword, as in ``<int(max=...):id>``."""

    def __init__(
        self,
        url_map: Any,
        fixed_digits: int = 0,
        min: int | None = None,  # noqa: A002
        max: int | None = 2**31 - 1,  # noqa: A002
        signed: bool = False,
    ) -> None:
        super().__init__(url_map, fixed_digits, min, max, signed)


class CompiledTemplates(FileSystemBytecodeCache):
    """Jinja's compiled templates in a folder every process of the machine shares, so that each
    template is compiled once, not once a process: a gunicorn worker started in place of one that
    died serves its first pages without Jinja's compiler (a second or so of it here). Jinja checks
    each against its template's source and its own version. The files do not record the
    environment's options (``trim_blocks``...), which every app sets alike in ``create_app``.
    A folder that cannot be written costs the saving, never the page."""

    def dump_bytecode(self, bucket: Bucket) -> None:
        with suppress(OSError):
            super().dump_bytecode(bucket)


def _compiled_templates(folder: Path) -> CompiledTemplates | None:
    try:
        folder.mkdir(mode=0o700, exist_ok=True)  # what is read from it is run: the service's alone
    except OSError:
        return None
    return CompiledTemplates(str(folder))


def _instance_secret(instance: Path) -> str:
    """Development and demo only: a random key kept in the instance folder."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
