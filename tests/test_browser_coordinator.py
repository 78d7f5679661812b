"""The coordinator's year in real Chromium (issue 31), axe-core on every page: two-factor set-up by
its QR code, the publish page's pre-flight, closing the staff survey now and reopening it, and the
organisation register uploaded, checked and imported. Debian's Chromium through Playwright, on
the app served over loopback (the fixtures of tests/test_browser.py, a site of this module's own)."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

import forms
from healthcheck.auth import create_user
from healthcheck.extensions import db, writing
from healthcheck.models import Cycle, Organisation, StaffSurvey
from healthcheck.store import Actor, staff
from tests.browser import assert_accessible, submitted_by_the_other
from tests.environment import now

pytestmark = pytest.mark.browser
PASSWORD = "a long enough password"


def _coordinator(live, page, email: str) -> None:

    with live["app"].app_context():
        create_user(email, "Yara Coordinator", "coordinator", PASSWORD)
        db.session.commit()
    page.goto(f"{live['base']}/admin/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="2017 collection")).to_be_visible()


def test_two_factor_is_set_up_from_its_qr_code(live, browser, tmp_path):
    page = browser.new_page()
    _coordinator(live, page, "qr@example.org")
    page.goto(f"{live['base']}/admin/account/authenticator")
    qr = page.get_by_role("img", name=re.compile("QR code of your account"))
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box and box["width"] >= 150 and abs(box["width"] - box["height"]) < 1  # square, big enough to scan
    key = page.locator("#totp-key").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", key)
    assert_accessible(page)
    page.screenshot(path=str(tmp_path / "qr.png"))
    page.get_by_label("Code").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_contain_text("recovery codes")
    page.close()


def test_publish_preflight_close_the_survey_now_and_reopen(live, browser, tmp_path):

    submitted_by_the_other(live)
    with live["app"].app_context():
        cycle = db.session.scalar(select(Cycle))
        org = db.session.scalar(select(Organisation).where(Organisation.name.startswith("Kelvingate")))
        with writing():
            survey = staff.survey_of(cycle) or staff.open_survey(
                cycle,
                forms.load("staff-survey", "2020.1"),
                now() - timedelta(days=1),
                now() + timedelta(days=30),
                Actor("Test"),
            )
            survey.closes_at = now() + timedelta(days=30)
            q = staff.questionnaire_of(survey)
            for _ in range(2):  # both flagged as possible duplicates
                staff.submit(
                    survey, org.id, {"s1_vision": "agree", "comment": "More time for supervision"}, q, org.name
                )
    page = browser.new_page()
    _coordinator(live, page, "preflight@example.org")
    base = live["base"]

    page.goto(f"{base}/admin/cycles/2017/publish")
    preflight = page.locator("#preflight")
    expect(preflight).to_contain_text("1 of 2 organisations have not submitted a return")
    expect(preflight).to_contain_text("comments not reviewed yet")
    expect(preflight).to_contain_text("The staff survey is open until")
    expect(preflight).to_contain_text("flagged as possible duplicates")
    assert_accessible(page)
    page.screenshot(path=str(tmp_path / "publish.png"), full_page=True)

    # "Close it now" leads to the survey's page, whose button closes it at once.
    preflight.get_by_role("link", name="Close it now").click()
    expect(page.locator("h1")).to_have_text("Staff survey")
    assert_accessible(page)
    page.get_by_role("button", name="Close the survey now").click()
    expect(page.locator("#survey-state")).to_have_text("closed")
    expect(page.get_by_text("Staff survey closed: practitioners can no longer answer")).to_be_visible()
    assert_accessible(page)

    # Reopening asks for a day still to come, and says so beside the field.
    page.get_by_label("Reopen until the end of").fill((now() - timedelta(days=2)).strftime("%d/%m/%Y"))
    page.get_by_role("button", name="Reopen the survey").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    page.get_by_role("link", name=re.compile("Enter a day still to come")).click()
    expect(page.get_by_label("Reopen until the end of")).to_be_focused()
    assert_accessible(page)
    page.get_by_label("Reopen until the end of").fill((now() + timedelta(days=7)).strftime("%d/%m/%Y"))
    page.get_by_role("button", name="Reopen the survey").click()
    expect(page.locator("#survey-state")).to_have_text("open")
    page.get_by_role("button", name="Close the survey now").click()
    expect(page.locator("#survey-state")).to_have_text("closed")
    with live["app"].app_context():
        assert db.session.scalar(select(StaffSurvey)).has_closed()

    page.goto(f"{base}/admin/cycles/2017/publish")
    expect(page.locator("#preflight")).to_contain_text("The staff survey has closed: its results from 2 counted")
    assert_accessible(page)
    page.close()


def test_the_organisation_register_is_uploaded_checked_and_imported(live, browser):
    page = browser.new_page()
    _coordinator(live, page, "register@example.org")
    page.goto(f"{live['base']}/admin/organisations")
    assert_accessible(page)
    page.get_by_role("button", name="Import many from a file").click()
    expect(page.locator("h1")).to_have_text("Import the organisation register from a file")
    assert_accessible(page)
    header = b"name,authority_type,ons_code,region,contact_email\n"
    page.get_by_label("Organisation register (CSV or XLSX)").set_input_files(
        files=[
            {
                "name": "register.csv",
                "mimeType": "text/csv",
                "buffer": header + b"Harrowfield Council,Parish,E0600001,,not-an-email\n",
            }
        ]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("h1")).to_have_text("Checking an organisation register")
    cells = page.locator("#bad-cells")
    expect(cells).to_contain_text("row 2, column authority_type: must be one of")
    expect(cells).to_contain_text("row 2, column ons_code: must be a letter and 8 digits")
    expect(cells).to_contain_text("row 2, column contact_email: is not an email address")
    assert_accessible(page)

    page.goto(f"{live['base']}/admin/organisations/import")
    page.get_by_label("Organisation register (CSV or XLSX)").set_input_files(
        files=[
            {
                "name": "register.csv",
                "mimeType": "text/csv",
                "buffer": header
                + b"Harrowfield Council,Unitary Authority,E06000001,North East,psw@harrowfield.example.org\n",
            }
        ]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#register-checked")).to_contain_text("importing it adds 1 organisation and updates 0")
    assert_accessible(page)
    page.get_by_role("button", name="Import 1 organisation").click()
    expect(page.locator("h1")).to_have_text("Importing an organisation register")
    expect(page.locator("#register-imported")).to_contain_text("1 organisation added and 0 updated")
    assert_accessible(page)
    page.get_by_role("link", name="See the register").click()
    expect(page.locator("#organisations")).to_contain_text("Harrowfield Council")
    page.close()
