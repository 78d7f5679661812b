"""The employer's whole journey through Flask's test client, on each database."""

import io
import re
import shutil
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import event, select, update

import forms
from healthcheck import create_app
from healthcheck.extensions import db, writing
from healthcheck.models import AccessLink, AuditEvent, Response, ResponseStatus, SubmittedVersion
from healthcheck.store import Actor, returns
from tests.answers import FULL_RETURN
from tests.environment import CheckingClient, now
from tests.helpers import fill_everything, save, seed_cycle, sign_in, signed_in


def answers(response_id=None):
    """A return's working answers as stored now (the first organisation's, unless one is named)."""
    db.session.expire_all()
    if response_id is None:
        return db.session.scalar(select(Response.answers).order_by(Response.id).limit(1))
    return db.session.get(Response, response_id).answers


def test_task_list_shows_each_standard_with_its_status(client, employers):
    sign_in(client, employers["a"][1])
    page = client.get("/return").get_data(as_text=True)
    for title in (
        "Standard 2: Effective Workforce Planning",
        "Standard 8: Effective Partnerships",
        "Your contact details",
        "Clear Social Work Accountability Framework",
    ):
        assert title in page
    assert page.count("Not started") == 9
    save(client, "safe_workloads", {"caseload_team_member": "20"}, action="later")
    page = client.get("/return?saved=1").get_data(as_text=True)
    assert page.count("Not started") == 8 and "In progress" in page
    save(client, "registration", FULL_RETURN["registration"])
    page = client.get("/return").get_data(as_text=True)
    assert "Completed" in page and page.count("Not started") == 7


def test_save_and_continue_goes_to_the_next_standard_and_answers_persist(client, employers):
    sign_in(client, employers["a"][1])
    response = save(client, "workforce_planning", FULL_RETURN["workforce_planning"])
    assert response.headers["Location"].endswith("/return/section/safe_workloads")
    page = client.get("/return/section/workforce_planning").get_data(as_text=True)
    assert 'value="40"' in page and "Shadowing and secondments" in page
    assert 'value="most" checked' in page or re.search(r'value="most"\s+checked', page)


def test_coming_back_later_through_the_same_link_continues(app, employers):
    first = app.test_client()
    sign_in(first, employers["a"][1])
    save(first, "workforce_planning", FULL_RETURN["workforce_planning"])
    later = app.test_client()  # a new browser, days later: no cookies
    assert later.get("/return").status_code == 403
    sign_in(later, employers["a"][1], name="Priya Shah")
    page = later.get("/return/section/workforce_planning").get_data(as_text=True)
    assert 'value="37"' in page


def test_whole_journey_check_submit_pdf_amend_resubmit(client, employers):
    org, token = employers["a"]
    sign_in(client, token)
    fill_everything(client)
    check = client.get("/return/check").get_data(as_text=True)
    # Every answer asked has a Change link, and routed-out questions are absent.
    # 50 questions, less "what is being done" (feedback was positive): 49 rows, each with Change.
    assert check.count(">Change<") == 49
    assert "What is being done to address this?" not in check
    assert "New case system in 2018." in check and "There are no senior practitioners" in check
    refused = client.post_form("/return/check", {})
    assert refused.status_code == 400 and "Select “I confirm”" in refused.get_data(as_text=True)
    done = client.post_form("/return/check", {"confirm": "y"})
    assert done.status_code == 302
    confirmation = client.get(done.headers["Location"]).get_data(as_text=True)
    reference = re.search(r"id=.reference.>([A-Z0-9-]+)<", confirmation).group(1)
    assert reference.startswith("HC2017-")

    pdf = client.get("/return/submitted/1.pdf")
    assert pdf.mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert reference in text and "Northmoor County Council" in text and "New case system in 2018." in text
    assert "Peer group" in text or "in a peer group" in text

    # Submitted: pages are read-only, and a save from a tab left open is refused, showing what was
    # typed and that it was not saved (issue 18: it used to vanish behind a "Return submitted" banner).
    assert "Save and continue" not in client.get("/return/section/registration").get_data(as_text=True)
    response = client.post_form(
        "/return/section/registration", {"regulator_process": "very", "section_version": "1"}, token_from="/return"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "Your answers on this page were not saved" in page
    assert re.search(r'value="very"[^>]*checked', page) and "amend it from your task list" in page
    assert answers()["regulator_process"] == "fairly"

    # Amend and resubmit: both versions kept.
    client.post_form("/return/amend", {}, token_from="/return")
    assert save(client, "registration", {"regulator_process": "very"}).status_code == 302
    client.post_form("/return/check", {"confirm": "y"})
    versions = db.session.scalars(select(SubmittedVersion).order_by(SubmittedVersion.number)).all()
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].answers["regulator_process"] == "fairly" and versions[1].answers["regulator_process"] == "very"
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    actions = [e.action for e in events]
    assert actions.count("submit") == 2 and "reopen" in actions
    amendment = [e for e in events if e.action == "save" and e.section_id == "registration"][-1]
    assert amendment.detail == {"changes": {"regulator_process": ["fairly", "very"]}}
    assert amendment.actor.startswith("Priya Shah (link ")
    assert versions[0].submitted_by == "Priya Shah"


def test_errors_are_listed_linked_and_everything_typed_is_kept(client, employers):
    sign_in(client, employers["a"][1])
    bad = {
        **FULL_RETURN["workforce_planning"],
        "posts": "10",
        "posts_unfilled": "12",
        "hours_per_week": "81",
        "posts_agency": "three",
        "profession_opportunities_other": "",
    }
    response = save(client, "workforce_planning", bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page and page.startswith("<!DOCTYPE html>")
    assert "<title>Error: " in page
    for href, message in (
        ("#posts_unfilled", "must be no more than the number of posts (10)"),
        ("#hours_per_week", "must be 80 or fewer"),
        ("#posts_agency", "as a whole number"),
        ("#profession_opportunities_other", "Enter details for “Other”"),
    ):
        assert f'href="{href}"' in page and message in page
    # What was typed is still there, including the bad values.
    assert 'value="three"' in page and 'value="81"' in page and "Vacancy figures are for 31 October." in page
    # Nothing was saved.
    assert answers() == {}


def test_routing_drops_answers_to_questions_no_longer_asked(client, employers):
    sign_in(client, employers["a"][1])
    save(client, "supervision", {"welfare_system": "yes", "welfare_access": "yes"})
    save(client, "supervision", {"welfare_system": "no", "welfare_access": "yes"})
    stored = answers()
    assert stored["welfare_system"] == "no" and "welfare_access" not in stored


def test_two_colleagues_editing_the_same_standard_never_overwrite_silently(app, employers):
    psw, hr = app.test_client(), app.test_client()
    sign_in(psw, employers["a"][1], "Priya Shah")
    sign_in(hr, employers["a"][1], "Sam Okafor")
    path = "/return/section/registration"
    psw_page = psw.get(path).get_data(as_text=True)
    hr.get(path)  # both open the page at the same version
    version = re.search(r'name="section_version" type="hidden" value="(\d+)"', psw_page).group(1)
    first = psw.post_form(path, {"regulator_process": "very", "section_version": version})
    assert first.status_code == 302
    second = hr.post_form(
        path, {"regulator_process": "not_very", "section_version": version, "registration_comments": "From HR"}
    )
    page = second.get_data(as_text=True)
    assert second.status_code == 409
    assert "Someone else changed this page" in page and "Priya Shah saved it" in page
    assert "Your changes were not saved" in page and "From HR" in page  # their unsaved answer is shown
    assert re.search(r'value="very"\s+checked', page)  # the form now shows the saved answer
    stored = answers()
    assert stored["regulator_process"] == "very" and "registration_comments" not in stored
    # Saving again from the fresh page works.
    again = hr.post_form(path, {"regulator_process": "not_very", "section_version": str(int(version) + 1)})
    assert again.status_code == 302


def test_bad_and_replaced_links_get_clear_pages(app, client, employers, cycle):
    response = client.get("/start/not-a-real-token")
    assert response.status_code == 404 and "This link is not valid" in response.get_data(as_text=True)
    org, old = employers["a"]
    returns.issue_link(cycle, org)
    db.session.commit()
    response = client.get(f"/start/{old}")
    assert response.status_code == 410 and "This link has been replaced" in response.get_data(as_text=True)
    assert client.get("/return/section/nope").status_code == 403
    assert client.get("/no/such/page").status_code == 404


def test_a_closed_cycle_refuses_edits_with_a_message(client, employers, cycle):

    sign_in(client, employers["a"][1])
    save(client, "registration", {"regulator_process": "very"})
    cycle.closes_at = now() - timedelta(minutes=1)
    db.session.commit()
    page = client.get("/return/section/registration").get_data(as_text=True)
    assert "This return is closed" in page and "Save and continue" not in page
    response = client.post_form(
        "/return/section/registration", {"regulator_process": "not_very", "section_version": "1"}, token_from="/return"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "The deadline for this return has passed" in page
    assert re.search(r'value="not_very"[^>]*checked', page)  # what was typed is still there
    assert answers()["regulator_process"] == "very"


def test_an_expired_page_keeps_what_was_typed_and_saves_with_a_fresh_token(app, employers):
    """Issue 18: when the session or its token expired while someone typed, the page said
    "refresh" and the answers were gone. Now they are shown again, unsaved, with a fresh token."""
    client = app.test_client()
    sign_in(client, employers["a"][1])
    page = client.get("/return/section/registration").get_data(as_text=True)
    form = {
        "regulator_process": "very",
        "registration_comments": "Checked in October.",
        "section_version": "0",
        "questionnaire": "health-check@2017.1",
    }
    with client.session_transaction() as session:  # the token the page carries no longer matches
        session["csrf_token"] = "a different token"
    kept = client.post(
        "/return/section/registration",
        data={"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1), **form},
    )
    text = kept.get_data(as_text=True)
    assert kept.status_code == 400 and "Your page had expired, so nothing on it was saved yet" in text
    assert "Checked in October." in text and re.search(r'value="very"[^>]*checked', text)
    again = client.post(
        "/return/section/registration",
        data={"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text).group(1), **form},
    )
    assert again.status_code == 302 and answers()["regulator_process"] == "very"

    # Signed out altogether (the browser closed): the answers are shown, and the way back in said.
    stranger = app.test_client()
    lost = stranger.post(
        "/return/section/registration", data={"csrf_token": "old", **form, "regulator_process": "fairly"}
    )
    text = lost.get_data(as_text=True)
    assert lost.status_code == 400 and "open your organisation's link again" in text
    assert re.search(r'value="fairly"[^>]*checked', text)


def test_one_employer_never_sees_or_changes_another_return(app, employers):
    a, b = app.test_client(), app.test_client()
    sign_in(a, employers["a"][1])
    sign_in(b, employers["b"][1])
    save(a, "contact", FULL_RETURN["contact"])
    page_b = b.get("/return/section/contact").get_data(as_text=True)
    assert "priya.shah@example.org" not in page_b and "London Borough of Eastwick" in page_b
    save(b, "contact", {**FULL_RETURN["contact"], "contact_email": "b@example.org"})
    responses = {r.organisation_id: r.id for r in db.session.scalars(select(Response))}
    assert answers(responses[employers["a"][0].id])["contact_email"] == "priya.shah@example.org"
    assert answers(responses[employers["b"][0].id])["contact_email"] == "b@example.org"


def test_every_post_needs_a_csrf_token(client, employers):
    sign_in(client, employers["a"][1])
    for path, form in (
        ("/return/section/registration", {"regulator_process": "very", "section_version": "0"}),
        ("/return/check", {"confirm": "y"}),
        ("/return/amend", {}),
        (f"/start/{employers['a'][1]}", {"name": "X"}),
    ):
        response = client.post(path, data=form)
        assert response.status_code == 400, path
    assert answers() == {}


def test_link_tokens_are_stored_hashed(app, employers):
    token = employers["a"][1]
    stored = [row.token_hash for row in db.session.scalars(select(AccessLink))]
    assert token not in stored and returns.hash_token(token) in stored


def test_a_save_that_reaches_a_return_submitted_meanwhile_is_refused_not_applied(client, employers):
    """A page is read and checked before its save locks the return, so the return may have been
    submitted in between: the save is refused, and the submitted return is not reopened."""

    sign_in(client, employers["a"][1])
    save(client, "registration", FULL_RETURN["registration"], action="later")
    rid = db.session.scalar(select(Response.id).order_by(Response.id))
    with db.engine.begin() as other:  # someone else submits meanwhile
        other.execute(update(Response).where(Response.id == rid).values(status=ResponseStatus.SUBMITTED.value))
    questionnaire = forms.load("health-check", "2017.1")
    with writing():  # as the page's save runs it, after the page was read
        result = returns.save_page(
            rid,
            questionnaire.section("registration"),
            {"regulator_process": "not_at_all"},
            1,
            Actor("Late"),
            questionnaire,
        )
    assert not result.saved and result.closed
    assert db.session.get(Response, rid).status == ResponseStatus.SUBMITTED.value
    assert answers(rid)["regulator_process"] == FULL_RETURN["registration"]["regulator_process"]


def test_a_return_is_one_document_with_a_version_per_page(client, employers):
    """Every answer of a return is in one JSON document on its row, each kind of value kept as it
    was stored; each page's saves are counted, with who saved it last."""
    sign_in(client, employers["a"][1], "Priya Shah")
    save(client, "registration", FULL_RETURN["registration"])
    save(client, "workforce_planning", FULL_RETURN["workforce_planning"])
    save(client, "registration", FULL_RETURN["registration"])
    db.session.expire_all()
    response = db.session.scalar(select(Response).order_by(Response.id))
    assert response.answers["posts"] == 40 and response.answers["regulator_process"] == "fairly"
    assert isinstance(response.answers["profession_opportunities"], list)
    assert response.page_version("registration") == 2 and response.page_version("workforce_planning") == 1
    assert response.page_version("supervision") == 0
    assert response.pages["registration"]["saved_by"] == "Priya Shah"
    assert response.status == "in_progress"


def test_sqlite_changes_take_the_write_lock_when_they_begin_and_pages_only_read(sqlite_template, tmp_path):
    """On SQLite a unit of work that changes something begins with BEGIN IMMEDIATE (it waits its
    turn for the write lock rather than failing when another writer got in first); a page that
    only reads begins a plain transaction and writes nothing."""

    url = f"sqlite:///{tmp_path / 'lock.sqlite'}"
    shutil.copy(sqlite_template, tmp_path / "lock.sqlite")
    token = seed_cycle(url, ["Locking Council"])[0]
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
    app.test_client_class = CheckingClient
    with app.app_context():
        client = app.test_client()
        sign_in(client, token)
        path = "/return/section/registration"
        statements = []
        event.listen(
            db.engine,
            "before_cursor_execute",
            lambda conn, cursor, statement, *rest: statements.append(
                statement if statement.startswith("BEGIN") else statement.split()[0]
            ),
        )
        page = client.get(path).get_data(as_text=True)
        assert "BEGIN" in statements and "BEGIN IMMEDIATE" not in statements
        assert "UPDATE" not in statements and "INSERT" not in statements
        version = re.search(r'name="section_version" type="hidden" value="(\d+)"', page).group(1)
        statements.clear()
        posted = client.post_form(
            path, {**FULL_RETURN["registration"], "section_version": version, "action": "later"}, token_from=path
        )
        assert posted.status_code == 302
        locked = statements.index("BEGIN IMMEDIATE")
        assert "UPDATE" not in statements[:locked] and "INSERT" not in statements[:locked]
        assert statements[locked + 1] == "SELECT"  # the return is read again under the lock, then written
        assert "UPDATE" in statements[locked:] and statements.count("BEGIN IMMEDIATE") == 1
        db.engine.dispose()


def test_a_check_answers_page_out_of_date_does_not_submit_what_the_submitter_never_saw(app, employers):
    """Issue 18: the declaration is for the answers the page showed; a colleague's change since
    then brings the new check-answers page back instead of submitting."""
    me, colleague = app.test_client(), app.test_client()
    sign_in(me, employers["a"][1])
    sign_in(colleague, employers["a"][1], "Sam Colleague")
    fill_everything(me)
    seen = re.search(r'name="seen" value="([^"]+)"', me.get("/return/check").get_data(as_text=True)).group(1)
    assert save(colleague, "registration", {"regulator_process": "not_at_all"}).status_code in (302, 409)
    stale = me.post_form("/return/check", {"confirm": "y", "seen": seen})
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "The answers changed since you opened this page" in page
    assert "Not at all effective" in page and db.session.scalar(select(SubmittedVersion.id)) is None
    assert me.post_form("/return/check", {"confirm": "y"}).status_code == 302  # the page as now shown


def test_a_return_with_a_page_in_progress_is_not_submitted_without_saying_which_question(client, employers):
    """Issue 31: check answers names each question that keeps a page in progress, and each page
    not started, linked to the question on its page; submitting refuses until they are answered or
    the person says to submit without them."""
    sign_in(client, employers["a"][1])
    for section_id, form in FULL_RETURN.items():
        if section_id == "cpd":
            continue  # not started
        if section_id == "supervision":
            form = {k: v for k, v in form.items() if k != "exit_interviews"}
        save(client, section_id, form)
    check = client.get("/return/check").get_data(as_text=True)
    assert 'id="unanswered"' in check
    assert (
        "Standard 5: Effective and Appropriate Supervision: “Are exit interviews conducted by a member of "
        "staff outside of the leaver&#39;s line management?” is not answered"
    ) in check
    assert 'href="/return/section/supervision#exit_interviews"' in check
    assert (
        'href="/return/section/cpd"' in check
        and "Standard 6: Continuing Professional Development: not started" in check
    )
    refused = client.post_form("/return/check", {"confirm": "y"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "There is a problem" in text
    summary = text[text.index("govuk-error-summary") : text.index("</ul>", text.index("govuk-error-summary"))]
    assert 'href="/return/section/supervision#exit_interviews"' in summary
    assert "Answer the questions listed, or select “Submit with these questions unanswered”" in summary
    assert db.session.scalar(select(SubmittedVersion)) is None
    done = client.post_form("/return/check", {"confirm": "y", "incomplete": "y"})
    assert done.status_code == 302  # told, and chose to
    assert db.session.scalar(select(SubmittedVersion)) is not None


def test_amend_reopens_the_return_only_when_a_change_is_saved(app, accounts, employers):
    """Issue 31: "Amend your return" writes nothing; the dashboard shows "Reopened" (and reminders
    would go) only once a page is saved. A colleague's new submission meanwhile is never reopened
    by a tab that chose to amend the one before."""

    client = app.test_client()
    sign_in(client, employers["a"][1])
    fill_everything(client)
    client.post_form("/return/check", {"confirm": "y"})
    coordinator = signed_in(app, "coordinator")

    def status():
        db.session.expire_all()
        return db.session.scalar(select(Response.status).order_by(Response.id).limit(1))

    assert client.post_form("/return/amend", {}, token_from="/return").status_code == 302
    assert status() == "submitted"
    overview = client.get("/return").get_data(as_text=True)
    assert "You are amending the return you submitted" in overview and "Amend your return" not in overview
    assert "tag--yellow" not in coordinator.get("/admin/cycles/2017").get_data(as_text=True)  # "Reopened"
    check = client.get("/return/check").get_data(as_text=True)
    assert "You have not changed anything since you submitted" in check and "Submit your return" not in check
    assert "Save and continue" in client.get("/return/section/registration").get_data(as_text=True)

    assert save(client, "registration", {"regulator_process": "very"}).status_code == 302
    assert status() == "reopened"
    assert 'govuk-tag--yellow">Reopened</strong>' in coordinator.get("/admin/cycles/2017").get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "reopen"))
    assert event.note == "Reopened by the employer to amend"
    assert client.post_form("/return/check", {"confirm": "y"}).status_code == 302

    # A tab that chose to amend version 2, after a colleague amended and submitted version 3.
    stale = app.test_client()
    sign_in(stale, employers["a"][1], name="Sam Okoro")
    stale.post_form("/return/amend", {}, token_from="/return")
    page = stale.get("/return/section/registration").get_data(as_text=True)
    version = re.search(r'name="section_version" type="hidden" value="(\d+)"', page).group(1)
    client.post_form("/return/amend", {}, token_from="/return")
    save(client, "registration", {"regulator_process": "fairly"})
    client.post_form("/return/check", {"confirm": "y"})
    late = stale.post_form(
        "/return/section/registration",
        {"regulator_process": "not_very", "section_version": version, "action": "continue"},
        token_from="/return",
    )
    assert late.status_code == 409 and "Your answers on this page were not saved" in late.get_data(as_text=True)
    assert status() == "submitted" and answers()["regulator_process"] == "fairly"
