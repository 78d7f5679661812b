"""Where the tests run: this process's databases (SQLite always; PostgreSQL and Redis as well when
HEALTHCHECK_TEST_DATABASE_URL and HEALTHCHECK_TEST_REDIS_URL are set), the test client that checks
every page it fetches, and the clock. The fixtures built on these are in ``conftest.py``."""

from __future__ import annotations

import os
import re
import sqlite3
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from healthcheck.extensions import db

# The processes the tests start (gunicorn, ``healthcheck worker``, the console script) run this
# checkout's code, whichever checkout the virtualenv's editable install points at.
ROOT = Path(__file__).resolve().parent.parent
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))

# Tests run in parallel (pytest-xdist): worker gwN gets a PostgreSQL database of its own, named
# after the given one ("test" -> "test_gw1", made on first use), and a Redis database of its own,
# numbered down from the given one (15, 14, ...). Without xdist, the given ones are used as they are.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
WORKER_INDEX = int(WORKER.removeprefix("gw") or 0)


def _own_postgres(url: str | None) -> str | None:
    if not url or not WORKER:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{WORKER}").render_as_string(hide_password=False)


def _own_redis(url: str | None) -> str | None:
    if not url or not WORKER:
        return url
    base, _, number = url.rpartition("/")
    if int(number or 0) < WORKER_INDEX:
        raise RuntimeError(f"{url}: too few Redis databases below it for worker {WORKER}")
    return f"{base}/{int(number or 0) - WORKER_INDEX}"


GIVEN_PG_URL = os.environ.get("HEALTHCHECK_TEST_DATABASE_URL")
PG_URL = _own_postgres(GIVEN_PG_URL)
REDIS_URL = _own_redis(os.environ.get("HEALTHCHECK_TEST_REDIS_URL"))  # a database of its own: tests empty it
DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])


# ---------------------------------------------------------------- pages are checked as they are fetched


class _PageChecker(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.forms: list[dict] = []
        self.title = None
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "form":
            self.forms.append({"method": (attrs.get("method") or "get").lower(), "csrf": False})
        if tag == "input" and attrs.get("name") == "csrf_token" and self.forms:
            self.forms[-1]["csrf"] = True
        if tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, d):
        if self._in_title:
            self.title = (self.title or "") + d


def check_page(response) -> None:
    """Every HTML page: no server error, a title, unique ids, a CSRF token in every POST form."""
    # 503 is the deliberate "database unavailable" page; any other 5xx is a fault.
    assert response.status_code < 500 or response.status_code == 503, f"server error {response.status_code}"
    if response.mimetype != "text/html":
        return
    html = response.get_data(as_text=True)
    assert "Traceback" not in html
    parser = _PageChecker()
    parser.feed(html)
    assert parser.title and parser.title.strip(), "page has no <title>"
    duplicates = {i for i in parser.ids if parser.ids.count(i) > 1}
    assert not duplicates, f"duplicate ids: {duplicates}"
    for form in parser.forms:
        if form["method"] == "post":
            assert form["csrf"], "a POST form has no CSRF token"


class CheckingClient(FlaskClient):
    def open(self, *args, **kwargs):
        # A fresh app context per request, as in production: the test's own context
        # (held open for database access) must not lend its ``g`` to requests.
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        # End the test's own read transaction, so its next query sees what the request wrote.
        if has_app_context():
            db.session.rollback()
        check_page(response)
        return response

    def csrf_token(self, path: str) -> str:
        html = self.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
            r'name="csrf_token"[^>]*value="([^"]+)"', html
        )
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def post_form(self, path: str, form: dict | None = None, *, token_from: str | None = None, **kwargs):
        """POST as a browser would: with the CSRF token and the hidden fields of the page the form
        is on (the version of an action it shows, the answers a check page showed...)."""
        payload = dict(form or {})
        html = self.get(token_from or path).get_data(as_text=True)
        for tag in re.findall(r"<input[^>]*>", html):
            name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
            if 'type="hidden"' in tag and name and name.group(1) != "csrf_token":
                payload.setdefault(name.group(1), value.group(1) if value else "")
        payload.setdefault("csrf_token", self.csrf_token(token_from or path))
        return self.post(path, data=payload, **kwargs)


PASSWORD = "correct horse battery staple"  # every coordinator account the fixtures make


def now():
    return datetime.now(UTC)


def maintenance(statement: str) -> None:
    """A statement run outside any transaction on the server's maintenance database (CREATE or DROP
    DATABASE)."""
    engine = create_engine(make_url(GIVEN_PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


def empty_postgres(url) -> None:
    """Every table of the migrated PostgreSQL schema emptied, ids restarted. Only the tables with
    rows are truncated (truncating all forty took most of a short test's time), and every
    sequence starts again, used or not."""
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [
            f'"{r[0]}"'
            for r in conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'")
            )
        ]
        filled = [
            r[0]
            for r in conn.execute(
                text(" UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM {t})" for t in tables))
            )
        ]
        if filled:
            conn.execute(text(f"TRUNCATE {', '.join(filled)} CASCADE"))
        conn.execute(
            text(
                "SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'S' AND n.nspname = 'public'"
            )
        )
    engine.dispose()


def copy_sqlite(source, target) -> None:
    """One SQLite database's whole content into another file (SQLite's backup: the write-ahead log
    included)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
