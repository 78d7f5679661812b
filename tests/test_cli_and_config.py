"""The console script, configuration classes and migrations."""

import csv
import io
import json
import os
import subprocess
import sys
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

import forms
from aggregation import scores
from healthcheck import cli, create_app
from healthcheck.cli import DEMO_FILE, codebook, demo
from healthcheck.extensions import db
from healthcheck.models import Cycle
from healthcheck.store import collection, staff


def test_codebook_lists_every_answer_column_with_wording_options_and_routing(app):
    result = CliRunner().invoke(codebook, ["--cycle", "2017"], obj=None, catch_exceptions=False)
    assert result.exit_code == 0
    out = result.output
    assert "welfare_access  [single]  Are staff aware of how they can access it?" in out
    assert 'routing: asked if welfare_system = "Yes"' in out
    assert "options: yes=Yes; no=No; dont_know=Don't know" in out
    assert "constraints: whole number 0-80" in out


def test_codebook_csv_has_one_row_per_answer_key(app):
    result = CliRunner().invoke(codebook, ["--cycle", "2017", "--format", "csv"], catch_exceptions=False)
    rows = list(csv.DictReader(io.StringIO(result.output)))
    q = forms.load("health-check", "2017.1")
    assert [r["column"] for r in rows] == q.answer_keys()
    by_column = {r["column"]: r for r in rows}
    assert by_column["ict_plans"]["routing"] == 'asked if ict_aligned = "No"'
    assert by_column["stress_activities_other"]["type"] == "text"
    assert "at most posts" in by_column["absence_stress"]["constraints"]


def test_codebook_for_an_unknown_year_says_what_exists(app):
    result = CliRunner().invoke(codebook, ["--cycle", "1999"])
    assert result.exit_code != 0 and "health-check@2017.1" in result.output


def test_demo_prints_a_working_link_for_each_organisation(app):
    result = CliRunner().invoke(demo, [], catch_exceptions=False)
    links = [line.strip() for line in result.output.splitlines() if "/start/" in line]
    with DEMO_FILE.open() as fh:
        assert len(links) == len(list(csv.DictReader(fh)))
    password = result.output.split("  password ", 1)[1].split()[0]
    coordinator = app.test_client()
    signed_in = coordinator.post_form("/admin/sign-in", {"email": "coordinator@example.org", "password": password})
    assert signed_in.status_code == 302
    client = app.test_client()
    path = links[0].split("127.0.0.1:5000", 1)[1]
    assert client.get(path).status_code == 200
    assert "Loaded a new demo" in result.output
    # A second run keeps the database, says so, and replaces the links: the old ones stop working.
    again = CliRunner().invoke(demo, [], catch_exceptions=False)
    assert client.get(path).status_code == 410 and "Kept the demo already in" in again.output


def test_the_demos_staff_survey_shows_every_band_and_every_organisation_of_10_its_scores(app):
    """The demo's practitioners rate their organisations differently, standard by standard: its
    results show low, moderate and high scores, and no organisation with 10 answers goes without."""

    CliRunner().invoke(demo, [], catch_exceptions=False)
    survey = staff.survey_of(collection.cycle_by_year(2017))
    q = staff.questionnaire_of(survey)
    frame = scores.frame(staff.respondents(survey), q)
    result = scores.published(scores.score(frame, q), frame, q, 2017)
    bands = {c["band"] for o in result["organisations"] for c in o["scores"].values()}
    assert {"low", "moderate", "high"} <= bands
    large = [o for o in result["organisations"] if o["respondents"] >= 10]
    assert len(large) > 40 and all(c["printed"] is not None for o in large for c in o["scores"].values())
    by_standard = [sorted(o["scores"][s.id]["score"] for o in large) for s in scores.standards(q)]
    assert all(scores_[-1] - scores_[0] > 20 for scores_ in by_standard)  # organisations differ
    national = next(g for g in result["groups"] if g["group"] == "national")["scores"]
    printed = [national[s.id]["printed"] for s in scores.standards(q)]
    assert max(printed) - min(printed) > 10  # and so do standards


@pytest.mark.parametrize(
    "command, args",
    [
        ("report", ["--cycle", "2017", "--out", "/missing/folder/r.pdf"]),
        ("tables", ["--cycle", "2017", "--out", "/missing/folder/tables"]),
        ("links", ["--cycle", "2017", "--out", "/"]),
    ],
)
def test_a_path_that_cannot_be_written_is_one_line(app, command, args):
    result = CliRunner().invoke(getattr(cli, command), args)
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith("Error: Can't write /missing/folder" if "missing" in args[-1] else "Error: Can't")


def test_the_console_script_runs(tmp_path):
    env = dict(os.environ, HEALTHCHECK_CONFIG="test", DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite'}")
    out = subprocess.run(
        [
            Path(sys.executable).with_name("healthcheck"),
            "codebook",
            "--questionnaire",
            "health-check@2017.1",
            "--format",
            "csv",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "column,section,standard,type,question,options,constraints,routing"


STRONG = "0123456789abcdef" * 4
REDIS = "redis://127.0.0.1:6379/1"


def test_production_refuses_to_start_without_a_strong_secret_key_a_database_or_shared_limits(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SECRET_KEY=None, SQLALCHEMY_DATABASE_URI="sqlite://", RATELIMIT_STORAGE_URI=REDIS)
    with pytest.raises(RuntimeError, match="too plain"):  # 32 characters, but 'aaaa...' (issue 18)
        create_app("production", SECRET_KEY="a" * 40, SQLALCHEMY_DATABASE_URI="sqlite://", RATELIMIT_STORAGE_URI=REDIS)
    with pytest.raises(RuntimeError, match="DATABASE_URL"):  # checked before the embedded default stands in
        create_app("production", SECRET_KEY=STRONG, SQLALCHEMY_DATABASE_URI=None, RATELIMIT_STORAGE_URI=REDIS)
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):  # counted per worker, 4 workers take 4 times
        create_app(
            "production",
            SECRET_KEY=STRONG,
            SQLALCHEMY_DATABASE_URI="sqlite://",
            RATELIMIT_STORAGE_URI="memory://",
            REDIS_URL=REDIS,
        )
    # Issue 35: jobs queued in a file on a web server's machine, which the worker on another never reads.
    with pytest.raises(RuntimeError, match="REDIS_URL is not set: production will not queue jobs in a file"):
        create_app(
            "production",
            SECRET_KEY=STRONG,
            SQLALCHEMY_DATABASE_URI="sqlite://",
            RATELIMIT_STORAGE_URI=REDIS,
            REDIS_URL=None,
        )
    one_machine = create_app(
        "production",
        SECRET_KEY=STRONG,
        SQLALCHEMY_DATABASE_URI="sqlite://",
        RATELIMIT_STORAGE_URI=REDIS,
        REDIS_URL=None,
        ONE_MACHINE=True,
    )
    assert one_machine.config["QUEUE_FILE"].endswith("queue.sqlite")
    app = create_app(
        "production",
        SECRET_KEY=STRONG,
        SQLALCHEMY_DATABASE_URI="sqlite://",
        RATELIMIT_STORAGE_URI=REDIS,
        REDIS_URL=REDIS,
    )
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]


def test_migrations_match_the_models(app):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), db.metadata)
    assert diff == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_template):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{sqlite_template}")
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()


def test_times_are_stored_and_read_back_in_utc(app, cycle):

    closes = cycle.closes_at.astimezone(timezone(timedelta(hours=5)))
    cycle.closes_at = closes
    db.session.commit()
    db.session.expire_all()
    back = db.session.get(Cycle, cycle.id).closes_at
    assert back == closes and back.utcoffset() == timedelta(0)


def test_the_production_entry_point_freezes_its_start_up_objects(tmp_path):
    """Frozen objects are skipped by the garbage collector, so a full collection no longer
    pauses a worker for tens of milliseconds (docs/performance.md)."""
    env = dict(
        os.environ, HEALTHCHECK_CONFIG="development", DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite", SECRET_KEY="s" * 40
    )
    out = subprocess.run(
        [sys.executable, "-c", "import gc, healthcheck.wsgi; print(gc.get_freeze_count())"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert int(out.stdout.strip()) > 50_000


def test_the_answers_stored_as_rows_move_into_each_returns_document_and_back(tmp_path):
    """Migration 0004: answer rows and page states become the return's document, a link without
    a return gets one, and the downgrade puts them back as rows."""

    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.sqlite'}")
    with app.app_context():
        upgrade(revision="0003")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO cycle (id, year, questionnaire_id, questionnaire_version, opens_at, "
                    "closes_at, results_published_at) VALUES (1, 2017, 'health-check', '2017.1', "
                    "'2017-01-01', '2099-01-01', NULL)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO organisation (id, name, authority_type) VALUES (1, 'A', 'Shire County'), "
                    "(2, 'B', 'Shire County')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO response (id, cycle_id, organisation_id, status, version, created_at, "
                    "consent_to_name) VALUES (1, 1, 1, 'in_progress', 2, '2017-02-01', 0)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO answer (response_id, question_id, value) VALUES "
                    "(1, 'posts', '40'), (1, 'profession_opportunities', '[\"mentoring\", \"other\"]'), "
                    "(1, 'workforce_planning_comments', '\"Café – 10 %\"')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO section_state (response_id, section_id, version, saved_at, saved_by) "
                    "VALUES (1, 'workforce_planning', 2, '2017-02-01 10:00:00', 'Priya Shah')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO access_link (cycle_id, organisation_id, token_hash, created_at) VALUES "
                    "(1, 2, 'h', '2017-02-01')"
                )
            )
        upgrade()
        with db.engine.connect() as conn:
            rows = {r.organisation_id: r for r in conn.execute(text("SELECT * FROM response"))}
        assert json.loads(rows[1].answers) == {
            "posts": 40,
            "profession_opportunities": ["mentoring", "other"],
            "workforce_planning_comments": "Café – 10 %",
        }
        assert json.loads(rows[1].pages) == {
            "workforce_planning": {"version": 2, "saved_by": "Priya Shah", "saved_at": "2017-02-01T10:00:00+00:00"}
        }
        assert rows[2].status == "not_started" and json.loads(rows[2].answers) == {}
        downgrade(revision="0003")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM answer WHERE response_id = 1")).scalar() == 3
            assert conn.execute(text("SELECT version FROM section_state")).scalar() == 2
        db.engine.dispose()


def test_the_module_runs_every_command_as_serve_starts_its_worker():
    """``serve`` starts its worker with ``python -m healthcheck.cli``: every command must be defined by then."""

    done = subprocess.run(
        [sys.executable, "-m", "healthcheck.cli", "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    for command in ("worker", "retention", "neighbours", "regional-reports"):
        assert command in done.stdout, command


def test_a_template_one_process_compiled_is_not_compiled_again_by_the_next(tmp_path):
    """Compiled templates are kept in the instance folder, so a gunicorn worker started in place
    of one that died renders its first pages without Jinja's compiler (Jinja compiles a template
    afresh when its source has changed)."""
    url = f"sqlite:///{tmp_path / 'site.sqlite'}"
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
    app.jinja_env.bytecode_cache.clear()  # what other tests compiled: the others compile it again
    assert app.test_client().get("/").status_code == 200  # compiled here, and kept
    # A process of its own, as a new worker is: how often its first page called Jinja's compiler.
    script = (
        "from healthcheck import create_app\n"
        f"app = create_app('test', SQLALCHEMY_DATABASE_URI={url!r})\n"
        "calls = []\n"
        "compile = app.jinja_env.compile\n"
        "app.jinja_env.compile = lambda *a, **k: calls.append(a) or compile(*a, **k)\n"
        "assert app.test_client().get('/').status_code == 200\n"
        "print(len(calls))\n"
    )
    first_page = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert first_page.returncode == 0, first_page.stderr
    assert first_page.stdout.strip() == "0"


def test_compiled_templates_that_cannot_be_kept_cost_the_saving_not_the_page(tmp_path):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'site.sqlite'}")
    app.jinja_env.bytecode_cache.directory = str(tmp_path / "not-there")  # as a folder not writable would
    assert app.test_client().get("/").status_code == 200
    assert not (tmp_path / "not-there").exists()
