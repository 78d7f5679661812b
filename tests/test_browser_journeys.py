"""Issue 31: the employer's, the contributor's and the practitioner's journeys have no dead ends,
in real Chromium (Debian's, through Playwright), each page checked by axe-core.
"""

from __future__ import annotations

import random
import shutil
import threading
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

import forms
from forms.synthetic import answers
from healthcheck import create_app, jobs
from healthcheck.extensions import db, writing
from healthcheck.models import Cycle, Organisation, Response
from healthcheck.store import Actor, collection, contributors, returns, staff
from healthcheck.store import jobs as job_rows
from tests.browser import assert_accessible
from tests.environment import now

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 640}
TYPES = ("Unitary Authority", "Shire County")
REGIONS = ("Eastern", "South West")


@pytest.fixture(scope="module")
def live(tmp_path_factory, sqlite_template):
    """The app over real HTTP: twelve organisations of two types and two regions, ten of them with a
    submitted return and the results published; the other two left to fill in."""
    path = tmp_path_factory.mktemp("journeys") / "live.sqlite"
    shutil.copy(sqlite_template, path)
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", EDITIONS_FOLDER=str(path.parent / "editions"))
    tokens = {}
    with app.app_context():
        cycle = Cycle(
            year=2017,
            questionnaire_id="health-check",
            questionnaire_version="2017.1",
            opens_at=now() - timedelta(days=1),
            closes_at=now() + timedelta(days=30),
        )
        db.session.add(cycle)
        q = forms.load("health-check", "2017.1")
        for i in range(12):
            org = Organisation(
                name=f"Council {chr(65 + i)}",
                authority_type=TYPES[i % 2],
                region=REGIONS[i % 2],
                ons_code=f"E0600{i:04d}",
            )
            db.session.add(org)
            db.session.flush()
            tokens[org.name] = returns.issue_link(cycle, org)
            if i >= 2:
                returns.submit(
                    returns.find_return(cycle, org),
                    Actor("Test"),
                    q,
                    replace_with=answers(q, random.Random(i), org.name),
                )
        collection.set_populations(cycle, collection.DEFAULT_POPULATIONS)
        db.session.commit()
        job = job_rows.new_job("publish", Actor("Test"), cycle)
        db.session.commit()
        jobs.run(job.id)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"base": f"http://127.0.0.1:{server.server_port}", "tokens": tokens, "app": app}
    server.shutdown()


def start(page, live, organisation: str, name: str = "Priya Shah") -> None:
    page.goto(f"{live['base']}/start/{live['tokens'][organisation]}")
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Start now").click()


def test_a_follow_up_left_blank_is_an_error_beside_it_and_check_answers_leads_to_each_gap(live, browser):
    page = browser.new_page()
    start(page, live, "Council A")
    # The follow-up asked by "No", left blank: an error next to it, linked from the summary.
    page.get_by_role("link", name="Standard 4: Managing Risks and Resources").click()
    page.get_by_role("group", name="Is the provision of ICT aligned").get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator("#ict_plans-error")).to_contain_text("Enter the plans to address this")
    assert_accessible(page)
    page.get_by_role("link", name="Enter the plans to address this").click()
    expect(page.get_by_label("What plans are in place to address this?")).to_be_focused()
    page.keyboard.type("Laptops for every team by March.")
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.locator("#saved")).to_contain_text("Your answers have been saved")

    # Contact details, so that the only thing between them and submitting is what is unanswered.
    page.get_by_role("link", name="Your contact details").click()
    for label, value in (
        ("First name", "Priya"),
        ("Surname", "Shah"),
        ("Council or organisation", "Council A"),
        ("Job title", "Principal Social Worker"),
        ("Telephone", "01632 960 001"),
        ("Email address", "priya@example.org"),
    ):
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Save and come back later").click()
    page.get_by_role("link", name="Check your answers and submit").click()
    gaps = page.locator("#unanswered")
    expect(gaps).to_contain_text("Standard 2: Effective Workforce Planning: not started")
    expect(gaps).to_contain_text("“Does your organisation have a digital workplace vision")
    assert_accessible(page)
    page.get_by_label("I confirm").check()
    page.get_by_role("button", name="Submit your return").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Answer the questions listed, or select “Submit with these questions unanswered”")
    assert_accessible(page)
    summary.get_by_role("link", name="Standard 4: Managing Risks and Resources: “Does your organisation have").click()
    expect(page.locator("h1")).to_have_text("Standard 4: Managing Risks and Resources")
    assert page.url.endswith("/return/section/risks_resources#digital_vision")
    expect(page.locator("#digital_vision")).to_be_in_viewport()
    page.get_by_role("group", name="Does your organisation have a digital workplace vision").get_by_label(
        "Yes", exact=True
    ).check()
    page.get_by_role("button", name="Save and continue").click()
    page.goto(f"{live['base']}/return/check")
    expect(page.locator("#unanswered")).not_to_contain_text("digital workplace vision")
    # Told, they may still submit without the rest: they say so.
    page.get_by_label("Submit with these questions unanswered").check()
    page.get_by_label("I confirm").check()
    page.get_by_role("button", name="Submit your return").click()
    expect(page.get_by_role("heading", name="Return submitted")).to_be_visible()
    page.close()


def test_a_contributor_ends_on_their_own_overview_told_it_saved(live, browser):
    with live["app"].app_context(), writing():
        org = db.session.scalar(select(Organisation).where(Organisation.name == "Council B"))
        response = returns.find_return(db.session.scalar(select(Cycle)), org)
        _, token = contributors.invite(
            response,
            Actor("Priya Shah"),
            name="Sam Okoro",
            email="sam@example.org",
            job_title="Team manager",
            sections=["safe_workloads", "risks_resources"],
            can_sign_off=False,
        )
    page = browser.new_page()
    page.goto(f"{live['base']}/contribute/{token}")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#contributing")).to_contain_text("Sam Okoro")
    expect(page.get_by_role("link", name="Check your answers and submit")).to_have_count(0)
    expect(page.get_by_role("link", name="Check your answers", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Standard 3: Safe Workloads and Case Allocation").click()
    page.get_by_label("There are no senior practitioners").check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("h1")).to_have_text("Standard 4: Managing Risks and Resources")
    page.get_by_role("group", name="Is the provision of ICT aligned").get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()
    banner = page.locator("#saved")
    expect(banner).to_contain_text("Saved")
    expect(banner).to_contain_text("Only the Principal Social Worker can submit the return")
    expect(page.locator("h1")).to_have_text("Social Work Health Check 2017")
    assert_accessible(page)
    page.close()


def test_continue_where_you_left_off_opens_the_part_they_stopped_at(live, browser):
    with live["app"].app_context(), writing():
        survey = staff.open_survey(
            db.session.scalar(select(Cycle)),
            forms.load("staff-survey", "2020.1"),
            now() - timedelta(days=1),
            now() + timedelta(days=30),
            Actor("Test"),
        )
        org = db.session.scalar(select(Organisation).where(Organisation.name == "Council A"))
        code = staff.code_for(survey, org).code
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live['base']}/survey/{code}")
    page.get_by_role("button", name="Start now").click()
    for number in (1, 2, 3):
        expect(page.locator("#progress")).to_have_text(f"Part {number} of 11")
        page.get_by_role("button", name="Continue").click()
    page.goto("about:blank")  # the phone's browser goes elsewhere; the next day they come back
    page.goto(f"{live['base']}/survey/{code}")
    page.get_by_role("button", name="Continue where you left off").click()
    expect(page.locator("#progress")).to_have_text("Part 4 of 11")
    assert_accessible(page)
    context.close()


def test_the_benchmark_reads_on_a_320px_phone(live, browser, tmp_path):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    start(page, live, "Council C")
    page.get_by_role("link", name="Your benchmark").click()
    expect(page.locator("h1")).to_have_text("Your benchmark 2017")
    wider = page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 321)
        .map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 8)""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, wider
    first = page.locator("#measures tbody tr").first
    for label in ("Yours", "Other employers like you", "Others in Eastern", "Your quarter of all"):
        cell = first.locator(f'td[data-label^="{label}"]')
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320, (label, box)
    # Each figure is read with its column's heading: the label is drawn before it.
    assert (
        first.locator('td[data-label="Your quarter of all"]').evaluate("e => getComputedStyle(e, '::before').content")
        == '"Your quarter of all"'
    )
    assert_accessible(page)
    page.locator("#measures tbody tr").nth(1).screenshot(path=str(tmp_path / "benchmark-320.png"))
    context.close()
    wide = browser.new_page(viewport={"width": 1280, "height": 800})  # on a desktop, still a table of columns
    start(wide, live, "Council C")
    wide.goto(f"{live['base']}/return/results")
    expect(wide.locator("#measures thead")).to_be_visible()
    expect(wide.locator("#measures thead th")).to_have_count(6)
    wide.close()


def test_amend_says_nothing_changed_until_a_page_is_saved(live, browser):
    page = browser.new_page()
    start(page, live, "Council D")
    page.get_by_role("button", name="Amend your return").click()
    expect(page.locator("#amending")).to_contain_text("It stays as submitted until you save a change")
    assert_accessible(page)
    with live["app"].app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.name == "Council D"))
        assert db.session.scalar(select(Response.status).where(Response.organisation_id == org.id)) == "submitted"
    page.get_by_role("link", name="Standard 7: Professional Registration").click()
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.get_by_text("You are amending a return you submitted")).to_be_visible()
    with live["app"].app_context():
        assert db.session.scalar(select(Response.status).where(Response.organisation_id == org.id)) == "reopened"
    page.close()
