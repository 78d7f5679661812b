"""Fixtures: an app on a freshly migrated database (SQLite always; PostgreSQL as well when
HEALTHCHECK_TEST_DATABASE_URL is set), and a test client that checks every page it fetches."""
from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from healthcheck import create_app
from healthcheck.extensions import db
from healthcheck.models import Cycle, Organisation
from healthcheck.store import collection, returns

# The shared helpers' asserts explain themselves as a test's do (test modules import them later).
pytest.register_assert_rewrite("tests.helpers", "tests.disclosure")

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
        from flask import has_app_context
        if has_app_context():
            db.session.rollback()
        check_page(response)
        return response

    def csrf_token(self, path: str) -> str:
        html = self.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
            re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
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


# ---------------------------------------------------------------- databases

@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "template.sqlite"
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


def _maintenance(statement: str) -> None:
    """A statement run outside any transaction on the server's maintenance database (CREATE or DROP
    DATABASE)."""
    engine = create_engine(make_url(GIVEN_PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


@pytest.fixture(scope="session")
def pg_migrated():
    if PG_URL != GIVEN_PG_URL:
        _maintenance(f'DROP DATABASE IF EXISTS "{make_url(PG_URL).database}" WITH (FORCE)')
        _maintenance(f'CREATE DATABASE "{make_url(PG_URL).database}"')
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    app = create_app("test", SQLALCHEMY_DATABASE_URI=PG_URL)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return PG_URL


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_migrated")
    empty_postgres(url)
    return url


def empty_postgres(url) -> None:
    """Every table of the migrated PostgreSQL schema emptied, ids restarted. Only the tables with
    rows are truncated (truncating all forty took most of a short test's time), and every
    sequence starts again, used or not."""
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [f'"{r[0]}"' for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'"))]
        filled = [r[0] for r in conn.execute(text(" UNION ALL ".join(
            f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM {t})" for t in tables)))]
        if filled:
            conn.execute(text(f"TRUNCATE {', '.join(filled)} CASCADE"))
        conn.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                          "WHERE c.relkind = 'S' AND n.nspname = 'public'"))
    engine.dispose()


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url, EDITIONS_FOLDER=str(tmp_path / "editions"))
    app.test_client_class = CheckingClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app) -> CheckingClient:
    return app.test_client()


# ---------------------------------------------------------------- states built once a session

@pytest.fixture(scope="session")
def _snapshots(tmp_path_factory) -> dict:
    return {"folder": tmp_path_factory.mktemp("snapshots"), "made": {}}


@pytest.fixture
def snapshot(request, app, _snapshots):
    """``snapshot(name, build)`` puts this test's database and editions folder in the state that
    ``build()`` makes, building it only the first time in the session for each kind of database
    (a publication takes 10-20 s; putting its rows and files back takes well under one). Every
    fixture that asks for ``name`` must make the same rows before it (the same fixtures, in the
    same order), so that the test's own objects, a cycle or an organisation, are the same rows
    with the same ids in the state put back; they are read again from it. The organisations'
    link tokens (``employers``) are those of the build."""
    employers = request.getfixturevalue("employers") if "employers" in request.fixturenames else {}

    def use(name: str, build):
        url = db.engine.url
        key = (name, url.get_backend_name())
        editions = Path(app.config["EDITIONS_FOLDER"])
        db.session.commit()
        db.engine.dispose()
        if key not in _snapshots["made"]:
            made = {"value": build(), "tokens": {k: token for k, (_, token) in employers.items()}}
            db.session.commit()
            db.engine.dispose()
            kept = _snapshots["folder"] / f"{name}-{key[1]}"
            if url.get_backend_name() == "sqlite":
                _copy_sqlite(url.database, kept.with_suffix(".sqlite"))
            else:
                made["database"] = f"{url.database}_{name.replace('-', '_')}"
                _maintenance(f'DROP DATABASE IF EXISTS "{made["database"]}" WITH (FORCE)')
                _maintenance(f'CREATE DATABASE "{made["database"]}" TEMPLATE "{url.database}"')
            if editions.exists():
                shutil.copytree(editions, kept / "editions")
            _snapshots["made"][key] = made
            return made["value"]
        made = _snapshots["made"][key]
        kept = _snapshots["folder"] / f"{name}-{key[1]}"
        if url.get_backend_name() == "sqlite":
            _copy_sqlite(kept.with_suffix(".sqlite"), url.database)
        else:
            _maintenance(f'DROP DATABASE "{url.database}" WITH (FORCE)')
            _maintenance(f'CREATE DATABASE "{url.database}" TEMPLATE "{made["database"]}"')
        shutil.rmtree(editions, ignore_errors=True)
        if (kept / "editions").exists():
            shutil.copytree(kept / "editions", editions)
        for k, token in made["tokens"].items():
            employers[k] = (employers[k][0], token)
        db.session.expire_all()
        return made["value"]

    return use


def _copy_sqlite(source, target) -> None:
    """One SQLite database's whole content into another file (SQLite's backup: the write-ahead log
    included)."""
    import sqlite3

    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


# ---------------------------------------------------------------- a cycle, two employers

def now():
    return datetime.now(UTC)


@pytest.fixture
def cycle(app):
    c = Cycle(year=2017, questionnaire_id="health-check", questionnaire_version="2017.1",
              opens_at=now() - timedelta(days=1), closes_at=now() + timedelta(days=30))
    db.session.add(c)
    db.session.flush()
    collection.set_populations(c, collection.DEFAULT_POPULATIONS)
    db.session.commit()
    return c


@pytest.fixture
def employers(app, cycle):
    """Two organisations with their links: {"a": (org, token), "b": (org, token)}."""
    out = {}
    for key, name, kind in (("a", "Northmoor County Council", "Shire County"),
                            ("b", "London Borough of Eastwick", "London Borough")):
        org = Organisation(name=name, authority_type=kind)
        db.session.add(org)
        db.session.flush()
        out[key] = (org, returns.issue_link(cycle, org))
    db.session.commit()
    return out


def contribute(client, token: str):
    """A contributor opens their personal link (a page, signing in no one) and presses its button."""
    page = client.get(f"/contribute/{token}")
    assert page.status_code == 200 and "Continue" in page.get_data(as_text=True)
    response = client.post_form(f"/contribute/{token}")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def sign_in(client, token: str, name: str = "Priya Shah"):
    response = client.post_form(f"/start/{token}", {"name": name})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


# ---------------------------------------------------------------- the longest files first

# Test processes take whole files (make test: --dist loadfile), in the order collected: files that
# take a minute or more go first, so that no process is left with one at the end while the others
# wait (docs/testing.md has the times).
LONGEST_FIRST = ("test_faults.py", "test_publication.py", "test_browser.py", "test_many_machines.py", "test_api.py",
                 "test_coordinator.py", "test_redaction.py", "test_fuzz.py", "test_staff_results.py")


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


# ---------------------------------------------------------------- in CI nothing may skip

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which counts as a failure: {report.longrepr}"


# ---------------------------------------------------------------- a real SMTP server on loopback

class _Inbox:
    """aiosmtpd handler: keeps every message; refuses recipients whose address contains 'reject'."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "reject" in address:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import email
        from email import policy

        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(app):
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=port, MAIL_USE_STARTTLS=False, MAIL_USE_SSL=False)
    yield inbox
    controller.stop()


# ---------------------------------------------------------------- coordinator accounts

PASSWORD = "correct horse battery staple"


@pytest.fixture
def accounts(app):
    from healthcheck.auth import create_user

    made = {"coordinator": create_user("coord@example.org", "Cora Ordinator", "coordinator", PASSWORD),
            "viewer": create_user("viewer@example.org", "Vic Ewer", "viewer", PASSWORD)}
    db.session.commit()
    return made


def signed_in(app, role: str) -> CheckingClient:
    client = app.test_client()
    response = client.post_form("/admin/sign-in", {"email": f"{'coord' if role == 'coordinator' else 'viewer'}"
                                                            f"@example.org", "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def seed_cycle(url: str, organisations: list[str]) -> list[str]:
    """On the database at ``url``: an open 2017 cycle and these organisations; their link tokens."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        cycle = Cycle(year=2017, questionnaire_id="health-check", questionnaire_version="2017.1",
                      opens_at=now() - timedelta(days=1), closes_at=now() + timedelta(days=30))
        db.session.add(cycle)
        tokens = []
        for name in organisations:
            org = Organisation(name=name, authority_type="Unitary Authority")
            db.session.add(org)
            db.session.flush()
            tokens.append(returns.issue_link(cycle, org))
        db.session.commit()
        db.engine.dispose()
    return tokens


@pytest.fixture
def survey(app, employers, cycle):
    """The cycle's staff survey (staff-survey@2020.1), open since yesterday for 20 days."""
    import forms
    from healthcheck.extensions import writing
    from healthcheck.store import Actor, staff

    with writing():
        return staff.open_survey(cycle, forms.load("staff-survey", "2020.1"), now() - timedelta(days=1),
                                 now() + timedelta(days=20), Actor("Test"))
