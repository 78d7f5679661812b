"""Issue 31: the coordinator reviews a queue of comments in real Chromium: filters, pages,
decisions by keyboard shortcut and without JavaScript, and bulk approval; axe checks each page.

Uses Debian's Chromium through Playwright, with the set-up of tests/test_browser.py.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bench.review_queue import fill_queue
from healthcheck.auth import create_user
from healthcheck.extensions import db
from healthcheck.models import CommentReview, Cycle
from tests.browser import assert_accessible

pytestmark = pytest.mark.browser

EMAIL, PASSWORD = "queue@example.org", "a long enough password"


@pytest.fixture(scope="module")
def queue(live):

    with live["app"].app_context():
        create_user(EMAIL, "Quinn Ewe", "coordinator", PASSWORD)
        cycle = db.session.scalar(select(Cycle))
        fill_queue(cycle.id, 180, 24)
        db.session.commit()
    return live


def signed_in_page(browser, live, *, javascript: bool = True):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{live['base']}/admin/")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    return page


def status_of(live, review_id: int) -> tuple[str, str]:
    with live["app"].app_context():
        item = db.session.get(CommentReview, review_id)
        return item.status, item.redacted


def shown_ids(page) -> list[int]:
    return [int(i.split("-")[1]) for i in page.locator("li.app-queue__item").evaluate_all("els => els.map(e => e.id)")]


def test_filters_and_pages_keep_each_other(queue, browser):
    page = signed_in_page(browser, queue)
    page.goto(f"{queue['base']}/admin/cycles/2017/comments")
    expect(page.locator("#results")).to_contain_text(re.compile(r"Showing 1 to 50 of \d+ comments"))
    assert len(shown_ids(page)) == 50
    assert_accessible(page)
    # Filter by organisation with the keyboard: each item then names it.
    page.get_by_label("Organisation", exact=True).select_option(label="Queue Borough 002")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"organisation=\d+"))
    names = page.locator("li.app-queue__item h3").all_inner_texts()
    assert names and set(names) == {"Queue Borough 002"}
    expect(page.get_by_label("Organisation", exact=True)).to_have_value(re.compile(r"\d+"))
    # Return only, then the next page: the filter stays, and the page moves on.
    page.get_by_role("link", name="Clear filters").click()
    page.get_by_label("Survey", exact=True).select_option("return")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"survey=return"))
    first = shown_ids(page)
    page.get_by_role("navigation", name="Pages of comments").get_by_role("link", name=re.compile("Next")).click()
    expect(page.locator("#results")).to_contain_text("Showing 51 to")
    expect(page.get_by_label("Survey", exact=True)).to_have_value("return")
    assert "survey=return" in page.url and not set(first) & set(shown_ids(page))
    assert page.locator("text=Staff survey ·").count() == 0
    assert_accessible(page)
    page.context.close()


def test_keyboard_decisions_move_on_and_say_what_was_done(queue, browser):
    page = signed_in_page(browser, queue)
    page.goto(f"{queue['base']}/admin/cycles/2017/comments?standard=5")
    ids = shown_ids(page)
    page.locator("li.app-queue__item a.govuk-link").first.click()
    expect(page.get_by_role("heading", name="Review a comment")).to_be_visible()
    assert_accessible(page)
    page.locator("h1").click()  # focus outside the text box
    page.keyboard.press("a")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Approved as redacted: the comment from")
    expect(page).to_have_url(re.compile(rf"/comments/{ids[1]}\?.*standard=5"))
    assert status_of(queue, ids[0])[0] == "approved"
    assert_accessible(page)
    # e: into the text box; Escape out of it; a: approve the edit.
    page.keyboard.press("e")
    expect(page.get_by_label("Text to publish")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("An edited comment.")
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Approved as edited")
    assert status_of(queue, ids[1]) == ("approved", "An edited comment.")
    page.wait_for_load_state()  # the banner shows while the page parses; the keys work once its script has run
    page.keyboard.press("r")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Rejected (excluded from publication)")
    assert status_of(queue, ids[2])[0] == "excluded"
    page.wait_for_load_state()
    page.keyboard.press("n")  # skip: nothing decided
    expect(page).to_have_url(re.compile(rf"/comments/{ids[4]}\?"))
    assert status_of(queue, ids[3])[0] == "pending"
    page.get_by_text("Keyboard shortcuts").click()
    expect(page.locator("#shortcuts")).to_contain_text("reject (exclude from publication)")
    page.context.close()

    # Without JavaScript: Tab to the button, Enter.
    page = signed_in_page(browser, queue, javascript=False)
    page.goto(f"{queue['base']}/admin/cycles/2017/comments/{ids[3]}?standard=5")
    page.get_by_label("Text to publish").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Approve")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Approved as redacted")
    assert status_of(queue, ids[3])[0] == "approved"
    page.context.close()


def test_a_page_of_comments_with_nothing_suggested_is_approved_in_bulk(queue, browser):
    page = signed_in_page(browser, queue)
    page.goto(f"{queue['base']}/admin/cycles/2017/comments?survey=return")
    boxes = page.get_by_role("checkbox", name=re.compile("Approve as written"))
    offered = boxes.count()
    assert 0 < offered < 50
    ticked = [int(v.split(":")[0]) for v in boxes.evaluate_all("els => els.map(e => e.value)")]
    boxes.first.focus()
    page.keyboard.press("Space")  # untick one, with the keyboard
    expect(boxes.first).not_to_be_checked()
    page.get_by_role("button", name="Approve the ticked comments as written").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"Approved {offered - 1} comments as written")
    assert "survey=return" in page.url
    assert [status_of(queue, i)[0] for i in ticked] == ["pending"] + ["approved"] * (offered - 1)
    assert_accessible(page)
    page.context.close()
