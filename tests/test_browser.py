"""A person fills the return in real Chromium, with keyboard and mouse; axe-core checks every page.

Uses Debian's Chromium (/usr/bin/chromium) through Playwright; nothing downloads a browser.
"""

from __future__ import annotations

import io
import random
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

import forms
from forms import load
from forms.synthetic import answers
from healthcheck import jobs
from healthcheck.auth import create_user
from healthcheck.extensions import db, writing
from healthcheck.models import CommentReview, Cycle, Organisation
from healthcheck.store import Actor, contributors, publication, returns, staff
from healthcheck.store import jobs as job_rows
from tests.browser import assert_accessible, submitted_by_the_other
from tests.environment import now

pytestmark = pytest.mark.browser


def test_fill_leave_return_check_submit_and_download(live, browser, tmp_path):
    start = f"{live['base']}/start/{live['token']}"
    seen = []

    context = browser.new_context()
    page = context.new_page()
    page.on("pageerror", lambda e: seen.append(f"JS error: {e}"))
    page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(start)
    assert_accessible(page)
    page.get_by_label("Your name").click()
    page.keyboard.type("Priya Shah")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Social Work Health Check 2017")).to_be_visible()
    assert_accessible(page)

    # Contact details, typed field by field with the keyboard.
    page.get_by_role("link", name="Your contact details").click()
    page.get_by_label("First name").focus()
    for value in (
        "Priya",
        "Shah",
        "Ashby Vale Council",
        "Principal Social Worker",
        "01632 960 001",
        "priya.shah@example.org",
    ):
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    assert_accessible(page)
    page.get_by_role("button", name="Save and continue").click()

    # Standard 2 with a mistake first: the error summary links to the field and keeps what was typed.
    expect(page.get_by_role("heading", name="Standard 2: Effective Workforce Planning")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Number of posts in team").fill("30")
    page.get_by_label("How many unfilled posts").fill("31")
    page.get_by_label("How many hours do members").fill("37")
    page.get_by_role("group", name="On average, how often do members of the team have line management").get_by_label(
        "Once a month"
    ).check()
    page.get_by_label("Other (please specify)").nth(2).check()  # the opportunities checkbox
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="The number of unfilled posts must be no more than the number of posts (30)").click()
    expect(page.get_by_label("How many unfilled posts")).to_be_focused()
    expect(page.get_by_label("How many hours do members")).to_have_value("37")
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    page.locator("#profession_opportunities_other").fill("Shadowing")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="Standard 3: Safe Workloads and Case Allocation")).to_be_visible()

    # Leave half-way: the browser closes, cookies and all.
    context.close()

    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(start)
    page.get_by_label("Your name").fill("Priya Shah")
    page.get_by_role("button", name="Start now").click()
    tasks = page.locator(".govuk-task-list")
    # Contact details complete; Standard 2 has unanswered questions, so it is in progress.
    expect(tasks.get_by_text("Completed")).to_have_count(1)
    expect(tasks.get_by_text("In progress")).to_have_count(1)
    page.get_by_role("link", name="Standard 2: Effective Workforce Planning").click()
    expect(page.get_by_label("How many unfilled posts")).to_have_value("3")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_label("There are no senior practitioners").check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="Standard 4: Managing Risks and Resources")).to_be_visible()
    group = page.get_by_role("group", name="Is the provision of ICT aligned")
    group.get_by_label("No", exact=True).check()
    page.get_by_label("What plans are in place to address this?").fill("A new case management system.")
    assert_accessible(page)
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("group", name="Is there an employee welfare system in place?").get_by_label(
        "Yes", exact=True
    ).check()
    page.get_by_role("group", name="Are staff aware of how they can access it?").get_by_label("Don't know").check()
    page.get_by_label("Reflective practice").check()
    assert_accessible(page)
    page.get_by_role("button", name="Save and continue").click()
    for heading in ("Standard 6", "Standard 7", "Standard 8", "Any other comments"):
        expect(page.locator("h1")).to_contain_text(heading)
        assert_accessible(page)
        page.get_by_role("button", name="Save and continue").click()

    # Check your answers, then change one through its Change link.
    expect(page.get_by_role("heading", name="Check your answers before submitting your return")).to_be_visible()
    assert_accessible(page)
    assert page.get_by_text("A new case management system.").is_visible()
    page.get_by_role("link", name="Change How many hours do members of the team work on average a week?").click()
    page.get_by_label("How many hours do members").fill("36")
    page.goto(f"{live['base']}/return/section/workforce_planning")  # abandon without saving: unchanged
    expect(page.get_by_label("How many hours do members")).to_have_value("37")
    page.goto(f"{live['base']}/return/check")
    expect(page.locator("#unanswered")).to_be_visible()  # pages left in progress: said, and chosen
    page.get_by_label("Submit with these questions unanswered").check()
    page.get_by_label("I confirm").check()
    page.get_by_role("button", name="Submit your return").click()
    expect(page.get_by_role("heading", name="Return submitted")).to_be_visible()
    assert_accessible(page)
    reference = page.locator("#reference").inner_text()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download a PDF of exactly what you submitted").click()
    pdf_path = tmp_path / "return.pdf"
    download_info.value.save_as(pdf_path)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf_path.read_bytes())).pages)
    assert reference in text and "Ashby Vale Council" in text and "A new case management system." in text
    assert "There are no senior practitioners" in text
    context.close()
    assert seen == []


def test_the_journey_works_without_javascript(live, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live['base']}/start/{live['other_token']}")
    page.get_by_label("Your name").fill("Sam Okafor")
    page.get_by_role("button", name="Start now").click()
    page.goto(f"{live['base']}/return/section/partnerships")
    # Without JavaScript the follow-up question is simply shown; it is kept only when asked.
    expect(page.get_by_label("What is being done to address this?")).to_be_visible()
    page.get_by_role("group", name="Is the feedback from service users positive?").get_by_label(
        "No", exact=True
    ).check()
    page.get_by_label("What is being done to address this?").fill("Listening events each quarter.")
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.get_by_text("Your answers have been saved")).to_be_visible()
    page.goto(f"{live['base']}/return/section/partnerships")
    expect(page.get_by_label("What is being done to address this?")).to_have_value("Listening events each quarter.")
    context.close()


def test_error_pages_are_accessible_too(live, browser):
    page = browser.new_page()
    for path in ("/start/not-a-real-token", "/return", "/no-such-page", "/"):
        page.goto(live["base"] + path)
        expect(page.locator("h1")).to_be_visible()
        assert_accessible(page)
    page.close()


def test_coordinator_pages_are_accessible(live, browser):
    """Sign in as a coordinator in the browser and run axe on every coordinator page."""

    with live["app"].app_context():
        create_user("axe@example.org", "Axel Checker", "coordinator", "a long enough password")
        db.session.commit()
    submitted_by_the_other(live)
    page = browser.new_page()
    base = live["base"]
    page.goto(f"{base}/admin/forgot-password")
    assert_accessible(page)
    page.goto(f"{base}/admin/")
    assert_accessible(page)
    page.get_by_label("Email address").fill("axe@example.org")
    page.get_by_label("Password", exact=True).fill("a long enough password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="2017 collection")).to_be_visible()
    assert_accessible(page)
    paths = [
        "/admin/cycles",
        "/admin/cycles/new",
        "/admin/organisations",
        "/admin/organisations/new",
        "/admin/cycles/2017/settings",
        "/admin/cycles/2017/emails/invitation",
        "/admin/cycles/2017/coding",
        "/admin/cycles/2017/comments",
        "/admin/cycles/2017?sort=status&dir=desc",
        "/admin/account",
        "/admin/account/password",
        "/admin/account/authenticator",
        "/admin/users",
        "/admin/users/new",
        "/admin/neighbours",
    ]
    page.get_by_role("link", name="Ashby Vale Council").click()
    expect(page.locator("h1")).to_have_text("Ashby Vale Council")
    assert_accessible(page)
    page.get_by_role("link", name="Standard 2: Effective Workforce Planning").click()
    assert_accessible(page)
    for path in paths:
        page.goto(base + path)
        expect(page.locator("h1")).to_be_visible()
        assert_accessible(page)
    # Publishing: what will be produced, the job's progress page, then the edition.
    page.goto(f"{base}/admin/cycles/2017/results")
    assert_accessible(page)
    page.get_by_role("button", name="Publish the results").click()
    expect(page.locator("h1")).to_have_text("Publish the results as edition 1")
    assert_accessible(page)
    page.get_by_role("button", name="Publish edition 1").click()
    expect(page.locator("h1")).to_have_text("Publishing the results")
    assert_accessible(page)
    page.get_by_role("link", name="See edition 1 of the results").click()
    expect(page.locator("#editions")).to_contain_text("Current")
    assert_accessible(page)
    page.goto(f"{base}/admin/cycles/2017/import")
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{base}/admin/neighbours")  # a list with a row that names no one: its problems listed
    page.get_by_label("Statistical neighbours file (CSV or XLSX)").set_input_files(
        files=[
            {
                "name": "neighbours.csv",
                "mimeType": "text/csv",
                "buffer": b"organisation,neighbour_1\nNowhere,Ashby Vale Council\n",
            }
        ]
    )
    page.get_by_role("button", name="Check and replace the list").click()
    expect(page.locator("#problems")).to_contain_text("no organisation named or coded")
    assert_accessible(page)
    # An error state too.
    page.goto(f"{base}/admin/organisations/new")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)
    page.close()


def test_benchmark_and_action_plan_pages_are_accessible(live, browser):

    submitted_by_the_other(live)
    with live["app"].app_context():  # published, as the coordinator's test does through the pages
        cycle = db.session.scalar(select(Cycle))
        if publication.latest_edition(cycle) is None:
            job = job_rows.new_job("publish", Actor("Test"), cycle)
            db.session.commit()
            jobs.run(job.id)
    page = browser.new_page()
    page.goto(f"{live['base']}/start/{live['other_token']}")
    page.get_by_label("Your name").fill("Sam Okafor")
    page.get_by_role("button", name="Start now").click()
    page.get_by_role("link", name="Your benchmark").click()
    expect(page.locator("h1")).to_have_text("Your benchmark 2017")  # published by the coordinator's test
    expect(page.locator("#edition")).to_contain_text("From edition 1")
    assert_accessible(page)
    page.get_by_role("link", name="Your action plan").click()
    assert_accessible(page)
    page.get_by_role("link", name="Add an action").first.click()
    page.get_by_role("button", name="Save action").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Standard").select_option(label="2017 Standard 5: Effective and Appropriate Supervision")
    page.get_by_label("Action", exact=True).fill("Introduce monthly reflective group supervision")
    page.get_by_label("Due date (optional)").fill("31/03/2027")
    page.get_by_role("button", name="Save action").click()
    expect(page.locator("h1")).to_have_text("Introduce monthly reflective group supervision")
    assert_accessible(page)
    page.get_by_label("Amber").check()
    page.get_by_label("Progress, or why the status changed").fill("Pilot running in two teams.")
    page.get_by_role("button", name="Record progress").click()
    expect(page.locator("#current-status")).to_have_text("Amber")
    expect(page.locator("#history")).to_contain_text("status Red → Amber")
    page.goto(f"{live['base']}/return/plan")
    assert_accessible(page)
    page.close()


def _staff_code(live) -> str:
    """The second organisation's code for a staff survey opened on the live site."""

    with live["app"].app_context():
        cycle = db.session.scalar(select(Cycle))
        survey = staff.survey_of(cycle)
        if survey is None:
            with writing():
                survey = staff.open_survey(
                    cycle,
                    forms.load("staff-survey", "2020.1"),
                    now() - timedelta(days=1),
                    now() + timedelta(days=30),
                    Actor("Test"),
                )
        org = db.session.scalar(select(Organisation).where(Organisation.name.startswith("Kelvingate")))
        with writing():
            code = staff.code_for(survey, org).code
    return code


@pytest.mark.parametrize("javascript", [True, False])
def test_a_practitioner_answers_on_a_phone_by_keyboard_with_and_without_javascript(live, browser, javascript):
    """320 px wide, the code typed rather than carried by the link; with JavaScript every page is
    checked by axe and for anything wider than the phone (both need a script run in the page)."""
    code = _staff_code(live)
    context = browser.new_context(viewport={"width": 320, "height": 640}, java_script_enabled=javascript)
    page = context.new_page()

    def look() -> None:
        if javascript:
            assert page.evaluate("document.documentElement.scrollWidth") <= 320
            assert_accessible(page)

    page.goto(f"{live['base']}/survey/")
    look()
    page.get_by_label("Your organisation’s code").fill(code.lower())
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Social Work Health Check staff survey")
    look()
    page.get_by_role("button", name="Start now").click()
    expect(page.locator("#progress")).to_have_text("Part 1 of 11")
    look()
    # By keyboard: the first statement's "Agree", then on to the next part.
    page.get_by_role(
        "group", name="My organisation has a clear vision for social work that I understand."
    ).get_by_label("Agree", exact=True).focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Continue").click()
    for number in range(2, 12):
        expect(page.locator("#progress")).to_have_text(f"Part {number} of 11")
        look()
        if number == 10:
            page.get_by_role("group", name="Which service do you mostly work in?").get_by_label(
                "Children's services"
            ).check()
        page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_have_text("Check your answers before sending them")
    expect(page.locator("main")).to_contain_text("Children's services")
    look()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.locator("h1")).to_contain_text("Your answers have been sent")
    look()
    page.goto(f"{live['base']}/survey/{code}")
    expect(page.locator("h1")).to_have_text("You have already answered this survey")
    look()
    context.close()


def test_the_staff_survey_pages_of_the_psw_and_the_coordinator_are_accessible(live, browser):
    _staff_code(live)
    page = browser.new_page()
    page.goto(f"{live['base']}/start/{live['other_token']}")
    page.get_by_label("Your name").fill("Sam Okafor")
    page.get_by_role("button", name="Start now").click()
    page.get_by_role("link", name="Your staff survey").click()
    expect(page.locator("#link-and-code")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Registered social workers, Adults' services").fill("many")
    page.get_by_role("button", name="Save the headcount").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Enter your workforce’s profile").click()
    page.get_by_label("Role: Social worker").fill("many")
    page.get_by_role("button", name="Save the profile").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)
    page.close()
    # The coordinator's flagged responses, with a pair of identical ones, then the staff page's error state.

    with live["app"].app_context():
        create_user("staff-axe@example.org", "Stef Checker", "coordinator", "a long enough password")
        survey = staff.survey_of(db.session.scalar(select(Cycle)))
        org = db.session.scalar(select(Organisation).where(Organisation.name.startswith("Kelvingate")))
        with writing():
            for _ in range(2):
                staff.submit(survey, org.id, {"s1_vision": "agree"}, staff.questionnaire_of(survey), org.name)
    page = browser.new_page()
    page.goto(f"{live['base']}/admin/")
    page.get_by_label("Email address").fill("staff-axe@example.org")
    page.get_by_label("Password", exact=True).fill("a long enough password")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live['base']}/admin/cycles/2017/staff/flagged")
    expect(page.locator("#duplicates-1")).to_contain_text("Kelvingate")
    assert_accessible(page)
    page.get_by_role("button", name="Exclude response").first.click()
    expect(page.locator("#duplicates-1")).to_contain_text("Excluded")
    assert_accessible(page)
    page.goto(f"{live['base']}/admin/cycles/2017/staff")
    assert_accessible(page)
    page.get_by_label("Closes at the end of").fill("31/02/2017")
    page.get_by_role("button", name="Save the dates").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)
    page.close()


def test_the_psws_staff_survey_results_and_the_plan_started_from_them_are_accessible(live, browser):
    """After the survey closes and the results are published: the PSW's results page (scores, who
    answered against the workforce they entered, what keeps people) and the plan's lowest-scoring
    standards, each checked by axe."""

    _staff_code(live)
    with live["app"].app_context():
        cycle = db.session.scalar(select(Cycle))
        survey = staff.survey_of(cycle)
        q = staff.questionnaire_of(survey)
        rng = random.Random(7)
        with writing():
            for org in db.session.scalars(select(Organisation)):
                for _ in range(25):
                    staff.submit(survey, org.id, answers(q, rng, org.name), q, org.name)
                staff.set_workforce(staff.code_for(survey, org), {"sex": {"female": 80, "male": 20}}, Actor("Test"))
            survey.closes_at = now() - timedelta(minutes=1)
        job = job_rows.new_job("publish", Actor("Test"), cycle)
        db.session.commit()
        jobs.run(job.id)
    page = browser.new_page()
    page.goto(f"{live['base']}/start/{live['other_token']}")
    page.get_by_label("Your name").fill("Sam Okafor")
    page.get_by_role("button", name="Start now").click()
    page.get_by_role("link", name="Your staff survey").click()
    page.get_by_role("link", name="Your staff survey results").click()
    expect(page.locator("h1")).to_have_text("Your staff survey results 2017")
    expect(page.locator("#scores")).to_contain_text("1. ")
    expect(page.locator("#profile-sex")).to_contain_text("80.0%")
    assert_accessible(page)
    page.get_by_role("link", name="Your action plan").click()
    expect(page.locator("#lowest-scoring")).to_be_visible()
    assert_accessible(page)
    lowest = page.locator("#lowest-scoring tbody tr").first.locator("th").inner_text()
    page.locator("#lowest-scoring tbody tr").first.get_by_role("link").click()
    number = lowest.split(":")[0].split()[-1]  # "2020 Standard 3: Safe workloads"
    expect(page.get_by_label("2020 Standard it answers")).to_have_value(f"standard_{number}")
    assert_accessible(page)
    page.close()
    # The coordinator's side: England's report, then the table of every organisation, sorted.

    with live["app"].app_context(), writing():
        create_user("results-axe@example.org", "Rita Reader", "viewer", "a long enough password")
    page = browser.new_page()
    page.goto(f"{live['base']}/admin/")
    page.get_by_label("Email address").fill("results-axe@example.org")
    page.get_by_label("Password", exact=True).fill("a long enough password")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live['base']}/admin/cycles/2017/staff")
    page.get_by_role("link", name="The results").click()
    expect(page.locator("h1")).to_have_text("Results: England")
    assert_accessible(page)
    page.get_by_role("link", name="Every organisation’s scores").click()
    page.get_by_role("link", name="S3", exact=True).click()
    expect(page.locator('th[aria-sort="descending"]')).to_contain_text("S3")
    assert_accessible(page)
    page.close()


def test_an_employer_is_warned_before_an_idle_session_ends_and_can_stay(live, browser):
    """Issue 18: the GOV.UK timeout-warning pattern. Here the hour is 12 seconds, so the warning
    comes 3 seconds before it ends (5 minutes before an hour)."""

    live["app"].config["EMPLOYER_IDLE_TIMEOUT"] = timedelta(seconds=12)
    try:
        page = browser.new_page()
        page.goto(f"{live['base']}/start/{live['token']}")
        page.get_by_label("Your name").fill("Tim Outt")
        page.get_by_role("button", name="Start now").click()
        dialog = page.locator("#timeout-warning")
        expect(dialog).to_be_hidden()
        expect(dialog).to_be_visible(timeout=15_000)
        assert_accessible(page)
        page.get_by_role("button", name="Stay signed in").click()
        expect(dialog).to_be_hidden()
        assert page.url.endswith("/return")  # still here, the session renewed
        expect(page.locator("h1")).to_have_text("You were signed out", timeout=20_000)  # no answer this time
        assert "signed out after an hour without activity" in page.content()
        page.close()
    finally:
        live["app"].config["EMPLOYER_IDLE_TIMEOUT"] = timedelta(minutes=60)


def test_a_comment_under_review_shows_what_redaction_replaced_and_what_it_was_unsure_of(live, browser, tmp_path):
    """Issue 34: the review page marks, in the comment as written, each stretch the rules replace
    (struck through, its placeholder after it) and each word they kept but may be a name (a dashed
    outline and a question mark, listed below with why), in text and shape, not colour alone."""

    with live["app"].app_context():
        create_user("reviewer@example.org", "Rea Viewer", "coordinator", "a long enough password")
        cycle = db.session.scalar(select(Cycle))
        org = Organisation(name="Brackenfield Council", authority_type="Unitary Authority")
        db.session.add(org)
        db.session.flush()
        returns.issue_link(cycle, org)
        q = load("health-check", "2017.1")
        given = answers(q, random.Random(3), org.name) | {
            "final_comments": "Supervision with Adaeze Nwachukwuobi is good.\nPatience is wearing thin in Brackenfield."
        }
        response = returns.find_return(cycle, org)
        returns.submit(response, Actor("Test"), q, replace_with=given)
        review_id = db.session.scalar(
            select(CommentReview.id).where(
                CommentReview.response_id == response.id, CommentReview.question_id == "final_comments"
            )
        )
        db.session.commit()
    page = browser.new_page()
    page.goto(f"{live['base']}/admin/")
    page.get_by_label("Email address").fill("reviewer@example.org")
    page.get_by_label("Password", exact=True).fill("a long enough password")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live['base']}/admin/cycles/2017/comments/{review_id}")
    original = page.locator("#original")
    expect(original.locator("del")).to_have_text(["replaced: Adaeze Nwachukwuobi", "replaced: Brackenfield"])
    expect(original.locator(".app-redacted__by")).to_have_text([" by <name>", " by <area name>"])
    expect(original.locator("mark")).to_have_text(["kept, check: Patience?"])
    expect(page.locator("#unsure li")).to_have_text(["Patience: a first name that is also an everyday word, kept"])
    assert original.locator("del").first.evaluate("e => getComputedStyle(e).textDecorationLine") == "line-through"
    assert original.locator("mark").evaluate("e => getComputedStyle(e).outlineStyle") == "dashed"
    expect(page.get_by_label("Text to publish")).to_have_value(
        "Supervision with <name> is good.\nPatience is wearing thin in <area name>."
    )
    assert_accessible(page)
    page.locator("main").screenshot(path=str(tmp_path / "comment-review.png"))
    page.close()


def test_a_contributors_link_opens_a_page_and_its_button_signs_them_in(live, browser):
    """Issue 32: the personal link signed the browser in on a GET. Now it opens a page naming
    who it is for, and the button starts the session."""

    app = live["app"]
    with app.app_context():
        cycle = db.session.scalar(select(Cycle))
        org = db.session.scalar(
            select(Organisation).where(Organisation.name == "Kelvingate Metropolitan Borough Council")
        )
        response = returns.return_for(cycle, org)
        _, token = contributors.invite(
            response,
            Actor("Priya Shah"),
            name="Sam Okoro",
            email="sam@example.org",
            job_title="Head of HR",
            sections=["workforce_planning"],
            can_sign_off=False,
        )
        db.session.commit()
    page = browser.new_page()
    page.goto(f"{live['base']}/contribute/{token}")
    expect(page.locator("h1")).to_have_text("Contribute to the 2017 return")
    assert "Sam Okoro" in page.locator("main").inner_text()
    assert_accessible(page)
    page.goto(f"{live['base']}/return")  # the GET signed no one in
    assert "You are contributing as" not in page.content()
    page.goto(f"{live['base']}/contribute/{token}")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("main")).to_contain_text("You are contributing as Sam Okoro")
    assert_accessible(page)
    page.close()
