"""Fixtures: an app on a freshly migrated database (SQLite always; PostgreSQL as well when
HEALTHCHECK_TEST_DATABASE_URL is set, ``tests/environment.py``), a cycle and employers, accounts,
a real SMTP server, and a browser."""

from __future__ import annotations

import email
import os
import shutil
import socket
import threading
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from healthcheck import create_app
from healthcheck.auth import create_user
from healthcheck.extensions import db, writing
from healthcheck.models import Cycle, Organisation
from healthcheck.store import Actor, collection, returns, staff
from tests.browser import CHROMIUM
from tests.environment import (
    DATABASES,
    GIVEN_PG_URL,
    PASSWORD,
    PG_URL,
    CheckingClient,
    copy_sqlite,
    empty_postgres,
    maintenance,
    now,
)
from tests.helpers import PLACES, STAFF_SURVEY, respond

# ---------------------------------------------------------------- databases


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "template.sqlite"
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_migrated():
    if PG_URL != GIVEN_PG_URL:
        maintenance(f'DROP DATABASE IF EXISTS "{make_url(PG_URL).database}" WITH (FORCE)')
        maintenance(f'CREATE DATABASE "{make_url(PG_URL).database}"')
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
                copy_sqlite(url.database, kept.with_suffix(".sqlite"))
            else:
                made["database"] = f"{url.database}_{name.replace('-', '_')}"
                maintenance(f'DROP DATABASE IF EXISTS "{made["database"]}" WITH (FORCE)')
                maintenance(f'CREATE DATABASE "{made["database"]}" TEMPLATE "{url.database}"')
            if editions.exists():
                shutil.copytree(editions, kept / "editions")
            _snapshots["made"][key] = made
            return made["value"]
        made = _snapshots["made"][key]
        kept = _snapshots["folder"] / f"{name}-{key[1]}"
        if url.get_backend_name() == "sqlite":
            copy_sqlite(kept.with_suffix(".sqlite"), url.database)
        else:
            maintenance(f'DROP DATABASE "{url.database}" WITH (FORCE)')
            maintenance(f'CREATE DATABASE "{url.database}" TEMPLATE "{made["database"]}"')
        shutil.rmtree(editions, ignore_errors=True)
        if (kept / "editions").exists():
            shutil.copytree(kept / "editions", editions)
        for k, token in made["tokens"].items():
            employers[k] = (employers[k][0], token)
        db.session.expire_all()
        return made["value"]

    return use


# ---------------------------------------------------------------- a cycle, two employers


@pytest.fixture
def cycle(app):
    c = Cycle(
        year=2017,
        questionnaire_id="health-check",
        questionnaire_version="2017.1",
        opens_at=now() - timedelta(days=1),
        closes_at=now() + timedelta(days=30),
    )
    db.session.add(c)
    db.session.flush()
    collection.set_populations(c, collection.DEFAULT_POPULATIONS)
    db.session.commit()
    return c


@pytest.fixture
def employers(app, cycle):
    """Two organisations with their links: {"a": (org, token), "b": (org, token)}."""
    out = {}
    for key, name, kind in (
        ("a", "Northmoor County Council", "Shire County"),
        ("b", "London Borough of Eastwick", "London Borough"),
    ):
        org = Organisation(name=name, authority_type=kind)
        db.session.add(org)
        db.session.flush()
        out[key] = (org, returns.issue_link(cycle, org))
    db.session.commit()
    return out


# ---------------------------------------------------------------- the longest files first

# Test processes take whole files (make test: --dist loadfile), in the order collected: files that
# take a minute or more go first, so that no process is left with one at the end while the others
# wait (docs/testing.md has the times).
LONGEST_FIRST = (
    "test_faults.py",
    "test_publication.py",
    "test_browser.py",
    "test_many_machines.py",
    "test_api.py",
    "test_coordinator.py",
    "test_redaction.py",
    "test_fuzz.py",
    "test_staff_results.py",
)


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
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(app):
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


@pytest.fixture
def accounts(app):
    made = {
        "coordinator": create_user("coord@example.org", "Cora Ordinator", "coordinator", PASSWORD),
        "viewer": create_user("viewer@example.org", "Vic Ewer", "viewer", PASSWORD),
    }
    db.session.commit()
    return made


@pytest.fixture
def survey(app, employers, cycle):
    """The cycle's staff survey (staff-survey@2020.1), open since yesterday for 20 days."""
    with writing():
        return staff.open_survey(
            cycle, STAFF_SURVEY, now() - timedelta(days=1), now() + timedelta(days=20), Actor("Test")
        )


# ---------------------------------------------------------------- a real browser, and the app served to it


@pytest.fixture(scope="session")
def browser():
    """One Chromium for each test process (each test makes its own contexts and pages)."""
    assert Path(CHROMIUM).exists(), "Debian's chromium is required: apt-get install chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory, sqlite_template):
    """The app served over real HTTP on loopback, on its own SQLite file, with two organisations'
    links (a module may make its own ``live`` with more)."""
    path = tmp_path_factory.mktemp("live") / "live.sqlite"
    shutil.copy(sqlite_template, path)
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", EDITIONS_FOLDER=str(path.parent / "editions"))
    with app.app_context():
        cycle = Cycle(
            year=2017,
            questionnaire_id="health-check",
            questionnaire_version="2017.1",
            opens_at=now() - timedelta(days=1),
            closes_at=now() + timedelta(days=30),
        )
        org = Organisation(name="Ashby Vale Council", authority_type="Unitary Authority")
        other = Organisation(name="Kelvingate Metropolitan Borough Council", authority_type="Metropolitan District")
        db.session.add_all([cycle, org, other])
        db.session.flush()
        token, other_token = returns.issue_link(cycle, org), returns.issue_link(cycle, other)
        collection.set_populations(cycle, collection.DEFAULT_POPULATIONS)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"base": f"http://127.0.0.1:{server.server_port}", "token": token, "other_token": other_token, "app": app}
    server.shutdown()


# ---------------------------------------------------------------- two years of the staff survey


@pytest.fixture
def two_years(app, cycle):
    """Eight organisations in two regions, each answering the staff survey in 2016 and in 2017 (the
    2017 cycle following on from 2016's); the four in the North West entered a headcount in 2017."""
    earlier = Cycle(
        year=2016,
        questionnaire_id="health-check",
        questionnaire_version="2017.1",
        opens_at=now() - timedelta(days=400),
        closes_at=now() - timedelta(days=370),
    )
    db.session.add(earlier)
    db.session.flush()
    cycle.previous_cycle_id = earlier.id
    orgs = []
    for name, kind, region in PLACES:
        org = Organisation(name=f"{name} Council", authority_type=kind, region=region)
        db.session.add(org)
        orgs.append(org)
    db.session.commit()
    with writing():
        before = staff.open_survey(
            earlier, STAFF_SURVEY, now() - timedelta(days=400), now() - timedelta(days=370), Actor("T")
        )
        survey = staff.open_survey(
            cycle, STAFF_SURVEY, now() - timedelta(days=1), now() + timedelta(days=20), Actor("T")
        )
    for i, org in enumerate(orgs):
        respond(before, org, 14, seed=100 + i, s3_manageable="agree")  # workloads better last year
        respond(survey, org, 12 + i, seed=i, s3_manageable="strongly_disagree")
    with writing():
        for i, org in enumerate(orgs[:4]):
            staff.set_headcount(staff.code_for(survey, org), {"social_workers": {"adults": 40 + 5 * i}}, Actor("T"))
    survey.closes_at = now() - timedelta(minutes=1)
    db.session.commit()
    return orgs
