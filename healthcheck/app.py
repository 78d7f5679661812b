"""The Flask application: its factory, and the database hooks every request relies on."""
from __future__ import annotations

import os
import sqlite3
import time
from functools import wraps
from pathlib import Path

from flask import Flask, g, has_request_context, render_template, request
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import Pool

from .config import CONFIGS
from .data import WRITE_LOCK
from .extensions import csrf, db, migrate
from .return_pages import answers_list
from .templating import ImportingTemplate, remember, remember_checkbox

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
MIGRATIONS = ROOT / "migrations"


def create_app(config: str | None = None, **overrides) -> Flask:
    config_name = config or os.environ.get("HEALTHCHECK_CONFIG", "development")
    config_class = CONFIGS[config_name]
    app = Flask("healthcheck", instance_relative_config=True)  # the package: its folders, its logger
    app.config.from_object(config_class)
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'healthcheck.sqlite'}"
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Wait this long for another writer before giving up with "database is locked".
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options["connect_args"] = {"timeout": app.config["SQLITE_BUSY_TIMEOUT"]}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    if not app.config.get("SECRET_KEY") and config_name != "production":
        app.config["SECRET_KEY"] = _instance_secret(app)
    config_class.check(app)

    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(str(TEMPLATES)),
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    app.jinja_env.template_class = ImportingTemplate
    app.jinja_env.globals["remember"] = remember
    app.jinja_env.globals["answers_list"] = answers_list
    app.jinja_env.globals["remember_checkbox"] = remember_checkbox
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    csrf.init_app(app)

    from . import filters
    filters.register(app)

    from . import auth, security
    auth.init_app(app)
    security.init_app(app)

    from .employer import bp as employer_bp
    app.register_blueprint(employer_bp)
    from .coordinator import bp as coordinator_bp
    app.register_blueprint(coordinator_bp)
    from .errors import register as register_errors
    register_errors(app)

    from .models import utcnow

    @app.context_processor
    def clock():
        return {"now": utcnow()}

    @app.get("/")
    def index():
        return render_template("index.html")

    return app


def _instance_secret(app: Flask) -> str:
    """Development and demo only: a random key kept in the instance folder."""
    import secrets

    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: write-ahead logging, enforced foreign keys, and wait rather than fail when busy."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _sqlite_begin).
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    """Begin SQLite transactions explicitly, so reads and writes in one transaction are consistent.

    A request that changes something takes the write lock when its transaction begins
    (BEGIN IMMEDIATE): a transaction that read first and wrote later would fail at once
    with "database is locked" whenever another writer had committed in between, instead of
    waiting its turn. Reads (GET) stay concurrent under write-ahead logging. A view marked
    ``reads_before_writing`` begins with a plain BEGIN and takes the lock when it writes.
    """
    if conn.dialect.name == "sqlite":
        writing = (has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")
                   and not g.get("reads_before_writing"))
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")
        conn.info[WRITE_LOCK] = writing


def reads_before_writing(view):
    """For a view that reads and checks before it writes, and takes the write lock itself
    (``data.begin_writing``) only for the writing: a page's save. On SQLite the other
    writers then wait for the save's statements alone, not for its reading and validation."""
    @wraps(view)
    def marked(*args, **kwargs):
        g.reads_before_writing = True
        return view(*args, **kwargs)
    return marked


@event.listens_for(Pool, "checkout")
def _postgres_employer_reads(dbapi_connection, connection_record, connection_proxy):
    """PostgreSQL: an employer's page that only reads runs without a transaction.

    Each of those pages is one or two self-contained statements (the link with its return,
    then a page's answers with their version), and the only writes a GET makes are single
    statements (a link's last use, a return created on first visit). Without a transaction
    there is no BEGIN and no ROLLBACK to wait for, and psycopg keeps its prepared statements,
    which it throws away at every ROLLBACK (docs/performance.md). Coordinators' pages, which
    read many tables for one export, keep their single snapshot.
    """
    if (_is_psycopg(dbapi_connection) and has_request_context() and request.method in ("GET", "HEAD")
            and request.blueprint == "employer"):
        dbapi_connection.autocommit = True


@event.listens_for(Pool, "checkin")
def _postgres_transactions_again(dbapi_connection, connection_record):
    if _is_psycopg(dbapi_connection) and not dbapi_connection.closed:
        dbapi_connection.autocommit = False


# A pooled connection that has sat unused this long is tested before it is handed out.
PING_AFTER_IDLE_SECONDS = 1.0


@event.listens_for(Pool, "checkin")
def _note_when_idle(dbapi_connection, connection_record):
    connection_record.info["checked_in_at"] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _ping_if_idle(dbapi_connection, connection_record, connection_proxy):
    """Hand out only live connections, so the service resumes by itself after the database
    restarts, without a round trip to the database on every request.

    SQLAlchemy's ``pool_pre_ping`` tests every connection at every checkout: one more round
    trip on each page and save. Under load connections come back to the pool within
    milliseconds; a database restart takes longer than the second after which a connection
    is tested here, and a connection found dead is replaced (the pool tries a fresh one). A
    failure in the middle of a request is still caught and reported (errors.py), and the pool
    then drops every connection older than it.
    """
    idle_since = connection_record.info.get("checked_in_at")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return
    try:
        dbapi_connection.execute("SELECT 1")  # sqlite3 and psycopg connections both have execute()
    except Exception as failure:  # whatever the driver raises, the connection cannot be used
        raise DisconnectionError(f"a pooled connection was dead: {failure}") from failure


def _is_psycopg(dbapi_connection) -> bool:
    """Pool events see the driver's connection (None once invalidated), not the dialect."""
    return type(dbapi_connection).__module__.startswith("psycopg")
