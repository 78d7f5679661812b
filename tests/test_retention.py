"""Personal data deleted when its time has passed: the dry run lists exactly what the real run
deletes, the published files stay as published, and the nightly job does the same."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from healthcheck import jobs
from healthcheck.cli import retention_apply
from healthcheck.extensions import db
from healthcheck.models import AuditEvent, Base, CommentReview, Edition, EmailSend, Job, Response, SubmittedVersion
from healthcheck.store import Actor, contributors, people, retention, returns
from tests.helpers import answer, code_of, publish, signed_in, submit_return, with_peers

PERSON = ("Priya Shah", "priya.shah@example.org", "01632 960 001")
CONTRIBUTOR = ("Sam Okoro", "sam.okoro@example.org")
STAFF_TEXT = "The rota on Tuesdays is too thin."


@pytest.fixture
def published(app, accounts, employers, cycle, survey, snapshot):
    """Northmoor's return, filled by Priya Shah; an email to her; a practitioner's comment; the
    results published (built once a session)."""

    def build():
        submit_return(app, employers["a"][1])
        with_peers(cycle)
        db.session.add(
            EmailSend(
                cycle_id=cycle.id,
                organisation_id=employers["a"][0].id,
                kind="reminder",
                to_address=PERSON[1],
                outcome="sent",
            )
        )
        northmoor = returns.find_return(cycle, employers["a"][0])  # a warning Priya confirmed as right
        northmoor.pages = {
            **northmoor.pages,
            "workforce_planning": {
                **northmoor.pages["workforce_planning"],
                "confirmed": {"posts:change:40:95": {"by": PERSON[0], "at": "x"}},
            },
        }
        contributors.invite(
            returns.find_return(cycle, employers["a"][0]),
            Actor(PERSON[0], via="link 1"),
            name=CONTRIBUTOR[0],
            email=CONTRIBUTOR[1],
            job_title=None,
            sections=None,
            can_sign_off=False,
        )
        db.session.commit()
        answer(
            app.test_client(),
            code_of(survey, employers["a"][0]),
            {"framework": {"s1_vision": "agree"}, "comments": {"comment": STAFF_TEXT}},
        )
        publish(app)

    snapshot("retention-published", build)
    return publication_files(app, cycle)


def publication_files(app, cycle) -> dict[str, str]:
    edition = db.session.scalar(select(Edition).where(Edition.cycle_id == cycle.id))
    folder = Path(app.config["EDITIONS_FOLDER"]) / edition.folder
    return {f.path: hashlib.sha256((folder / f.path).read_bytes()).hexdigest() for f in edition.files}


def everything_stored() -> str:
    """Every row of every table, as text."""
    rows = []
    for table in Base.metadata.sorted_tables:
        rows += [repr(tuple(row)) for row in db.session.execute(select(table))]
    db.session.rollback()
    return "\n".join(rows)


def published_long_ago(months: int) -> None:
    db.session.execute(update(Edition).values(published_at=datetime.now(UTC) - timedelta(days=31 * months)))
    db.session.commit()


def run(app, *args: str) -> list[str]:
    result = app.test_cli_runner().invoke(retention_apply, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output.splitlines()


def test_the_dry_run_lists_exactly_what_the_real_run_deletes(app, cycle, published):
    assert all(part in everything_stored() for part in PERSON + CONTRIBUTOR + (STAFF_TEXT,))
    before = run(app, "--dry-run")
    assert before[-1] == "0 records hold personal data past its time; nothing was deleted (dry run)"
    assert before[0].startswith("2017: due on ")  # 24 months after today's edition

    published_long_ago(25)
    listed = run(app, "--dry-run")
    items = [line for line in listed if line.startswith("2017  ")]
    assert {line.split(":")[0] for line in items} >= {
        "2017  contact details",
        "2017  names of people who saved answers",
        "2017  name of who submitted",
        "2017  names and contact details in the history",
        "2017  email address an email went to",
        "2017  staff survey free text",
        "2017  staff survey free text under review",
        "2017  a contributor's name and email",
    }
    assert "2017  contact details: the frozen dataset of edition 1" in items
    assert all(part in everything_stored() for part in PERSON + (STAFF_TEXT,))  # the dry run deleted nothing

    deleted = run(app)
    assert [line for line in deleted if line.startswith("2017  ")] == items
    assert deleted[-1] == f"Deleted the personal data of {len(items)} records"
    stored = everything_stored()
    assert [part for part in PERSON + CONTRIBUTOR + (STAFF_TEXT,) if part in stored] == []
    assert db.session.scalar(select(CommentReview).where(CommentReview.staff_response_id.is_not(None))) is None
    assert db.session.scalar(select(EmailSend.to_address)) is None
    versions = db.session.scalars(select(SubmittedVersion)).all()
    assert {v.submitted_by for v in versions} == {"(name removed)"}
    northmoor = db.session.scalar(
        select(Response).join(Response.organisation).where(text("organisation.name = 'Northmoor County Council'"))
    )
    assert northmoor.answers["posts"] == 40 and "contact_email" not in northmoor.answers  # the return stays
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention_applied")).detail == {
        "items": len(items),
        "cycles": [2017],
    }

    # What was published is as published, but for the frozen dataset, recorded afresh.
    after = publication_files(app, cycle)
    assert {p for p in after if after[p] != published[p]} == {"dataset.json"}
    edition = db.session.scalar(select(Edition))
    dataset = Path(app.config["EDITIONS_FOLDER"]) / edition.folder / "dataset.json"
    assert next(f for f in edition.files if f.path == "dataset.json").sha256 == after["dataset.json"]
    assert not any(r["answers"].get("contact_email") for r in json.loads(dataset.read_text())["returns"])

    assert run(app, "--dry-run")[-1].startswith("0 records")  # nothing left to delete


def test_the_worker_deletes_each_night_only_when_something_is_due(app, cycle, published):
    jobs.retention_daily()
    assert db.session.scalar(select(Job).where(Job.kind == "retention")) is None
    app.config["RETENTION_MONTHS"] = 6
    published_long_ago(7)
    returns = sum("contact_email" in r.answers for r in db.session.scalars(select(Response)))
    jobs.retention_daily()
    job = db.session.scalar(select(Job).where(Job.kind == "retention"))
    # each return, its one submitted version, and the edition's frozen dataset
    assert job.status == "done" and job.detail["deleted"]["contact details"] == 2 * returns + 1
    assert PERSON[1] not in everything_stored()
    assert run(app, "--dry-run")[0].startswith("2017: due since ")
    page = signed_in(app, "viewer").get(f"/admin/jobs/{job.id}")
    assert page.status_code == 200 and "Deleting personal data past its time" in page.get_data(as_text=True)


def test_a_cycle_republished_later_keeps_its_data_until_its_final_edition_has_aged(app, cycle, published):
    published_long_ago(25)
    publish(app)  # a second edition, today
    assert run(app, "--dry-run")[-1].startswith("0 records")


@pytest.mark.parametrize(
    ("when", "months", "expected"),
    [
        ((2017, 1, 31), 1, (2017, 2, 28)),
        ((2016, 1, 31), 1, (2016, 2, 29)),
        ((2017, 11, 15), 24, (2019, 11, 15)),
        ((2017, 12, 1), 1, (2018, 1, 1)),
        ((2000, 2, 29), 12, (2001, 2, 28)),
        ((2100, 1, 29), 1, (2100, 2, 28)),
    ],
)
def test_months_after(when, months, expected):
    assert retention.months_after(datetime(*when, tzinfo=UTC), months) == datetime(*expected, tzinfo=UTC)


# ---------------------------------------------------------------- subject access


def test_a_coordinator_exports_what_is_held_about_a_person_and_erases_it(app, cycle, published):
    coordinator = signed_in(app, "coordinator")
    page = coordinator.post_form("/admin/people", {"person": "  priya   SHAH "}, token_from="/admin/people")
    text_ = page.get_data(as_text=True)
    assert page.status_code == 200 and "records held about priya SHAH" in " ".join(text_.split())
    for where in (
        "Northmoor County Council&#39;s 2017 return",
        "named as who submitted it",
        "named as who saved pages",
        "named as who did &#39;submit&#39;",
        "the frozen dataset of an edition",
    ):
        assert where in text_, where

    download = coordinator.post_form("/admin/people/export", {"person": PERSON[1]}, token_from="/admin/people")
    assert download.headers["Content-Disposition"] == 'attachment; filename="subject-access.json"'
    held = json.loads(download.data)["records"]
    assert any(
        re.fullmatch(r"Email \d+ \(reminder\)", r["where"])
        and r["what"] == "the address it was sent to"
        and r["value"] == PERSON[1]
        and r["on_erasure"] == "erased"
        for r in held
    )
    assert any(
        r["value"] and r["value"].get("contact_telephone") == PERSON[2]
        for r in held
        if r["what"] == "contact details" and isinstance(r["value"], dict)
    )
    exported = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "subject_access_export"))
    assert exported.detail == {"subject": people.subject(PERSON[1]), "records": len(held)}
    assert PERSON[1] not in repr(exported.detail) and exported.actor == "Cora Ordinator (coordinator coord@example.org)"

    refused = coordinator.post_form("/admin/people/erase", {"person": PERSON[1]}, token_from="/admin/people")
    assert refused.status_code == 400 and "Confirm that the law allows" in refused.get_data(as_text=True)
    assert PERSON[1] in everything_stored()

    found = coordinator.post_form("/admin/people", {"person": CONTRIBUTOR[1]}, token_from="/admin/people")
    assert "Contributor to Northmoor County Council&#39;s 2017 return" in found.get_data(as_text=True)
    for person in (PERSON[1], PERSON[0], CONTRIBUTOR[1]):
        done = coordinator.post_form(
            "/admin/people/erase", {"person": person, "confirm": "y"}, token_from="/admin/people"
        )
        assert done.status_code == 200 and "Erased " in done.get_data(as_text=True)
        assert "0 records held about" in " ".join(done.get_data(as_text=True).split())
    stored = everything_stored()
    assert not any(part in stored for part in PERSON + CONTRIBUTOR)
    assert STAFF_TEXT in stored  # only what was asked: the staff survey's text names nobody
    erased = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "subject_erased").order_by(AuditEvent.id)
    ).all()
    assert [e.detail["subject"] for e in erased] == [people.subject(p) for p in (PERSON[1], PERSON[0], CONTRIBUTOR[1])]
    # The edition's files still match their recorded checksums.
    edition = db.session.scalar(select(Edition))
    folder = Path(app.config["EDITIONS_FOLDER"]) / edition.folder
    assert all(hashlib.sha256((folder / f.path).read_bytes()).hexdigest() == f.sha256 for f in edition.files)


def test_an_account_is_listed_and_kept_and_viewers_cannot_search(app, cycle, published):
    coordinator = signed_in(app, "coordinator")
    page = coordinator.post_form("/admin/people", {"person": "viewer@example.org"}, token_from="/admin/people")
    text_ = page.get_data(as_text=True)
    assert "Account of the coordinating body" in text_ and "Kept: An account is closed" in text_
    assert "Erase what may be erased" not in text_  # nothing here may be erased
    empty = coordinator.post_form("/admin/people", {"person": ""}, token_from="/admin/people")
    assert empty.status_code == 400 and "Enter their email address or full name" in empty.get_data(as_text=True)
    viewer = signed_in(app, "viewer")
    assert viewer.get("/admin/people").status_code == 403
