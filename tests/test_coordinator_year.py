"""The coordinator's national year on the web (issue 31): the publish page's pre-flight and what an
edition changes, closing and reopening the staff survey, a stalled publication retried from the
command line, pages free of "None" and option codes, the organisation register as a checked job,
and two-factor set-up with a QR code. Through Flask's test client, on each database."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import pyotp
from openpyxl import load_workbook
from sqlalchemy import select

from healthcheck import cli, transfer
from healthcheck.extensions import db, writing
from healthcheck.models import AuditEvent, Edition, Job, Organisation, StaffSurvey
from healthcheck.store import Actor, collection, preflight, publication, review, review_queue, staff
from healthcheck.store import jobs as job_rows
from tests.answers import FULL_RETURN
from tests.environment import now
from tests.helpers import publish, save, signed_in, submit_return


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


# ---------------------------------------------------------------- no "None", the trail in words


def test_dashboard_and_return_pages_say_nothing_yet_instead_of_none(app, accounts, employers, cycle):
    org = employers["a"][0]
    client = signed_in(app, "coordinator")
    dashboard = client.get("/admin/cycles/2017").get_data(as_text=True)
    table = dashboard[dashboard.index('id="tracking"') :]
    assert ">None<" not in table and "None sent" in table and "Nothing yet" in table
    page = client.get(f"/admin/cycles/2017/returns/{org.id}").get_data(as_text=True)
    assert ">None<" not in page and "None\n" not in page
    assert "No message sent: the return has not been sent back for amendment" in page


def test_the_audit_trail_reads_in_the_questionnaires_words(app, accounts, employers, cycle):
    org, token = employers["a"]
    employer = submit_return(app, token)
    client = signed_in(app, "coordinator")
    path = f"/admin/cycles/2017/returns/{org.id}"
    client.post_form(f"{path}/reopen", {"message": "Please check the meetings."}, token_from=path)

    workload = {**FULL_RETURN["safe_workloads"], "cancelled_meetings": "two_three"}
    development = {**FULL_RETURN["workforce_planning"]}
    development["profession_opportunities"] = ["student_supervision", "mentoring"]
    assert save(employer, "safe_workloads", workload).status_code == 302
    assert save(employer, "workforce_planning", development).status_code == 302
    trail = client.get(path).get_data(as_text=True)
    audit = trail[trail.index('id="audit"') :]
    assert "two_three" not in audit and "student_supervision" not in audit and "['" not in audit
    assert "2-3 times a week" in audit
    assert "Supervision of students on placement; Mentoring programmes" in audit
    assert "Sent back for amendment" in audit and "Standard 3: Safe Workloads and Case Allocation" in audit


# ---------------------------------------------------------------- the staff survey: close now, reopen


def test_close_the_staff_survey_now_then_reopen_it_audited(app, accounts, survey, cycle):
    client = signed_in(app, "coordinator")
    page = client.get("/admin/cycles/2017/staff").get_data(as_text=True)
    assert "Close the survey now" in page and 'id="survey-state">open<' in page
    closed = client.post_form(
        "/admin/cycles/2017/staff/close", token_from="/admin/cycles/2017/staff", follow_redirects=True
    ).get_data(as_text=True)
    assert "Staff survey closed" in closed and 'id="survey-state">closed<' in closed
    assert "Reopen the survey" in closed and "Close the survey now" not in closed
    db.session.expire_all()
    stored = db.session.scalar(select(StaffSurvey))
    assert stored.has_closed() and [e.detail["cycle"] for e in _events("staff_survey_closed")] == [2017]
    assert app.test_client().get("/survey/").status_code in (200, 302)  # the survey's own pages still answer

    # A past day is refused beside its field; a day to come reopens it.
    yesterday = (stored.closes_at - timedelta(days=1)).strftime("%d/%m/%Y")
    refused = client.post_form(
        "/admin/cycles/2017/staff/reopen", {"reopen-closes": yesterday}, token_from="/admin/cycles/2017/staff"
    )
    assert refused.status_code == 400
    assert "Enter a day still to come" in refused.get_data(as_text=True)
    later = (stored.closes_at + timedelta(days=10)).strftime("%d/%m/%Y")
    reopened = client.post_form(
        "/admin/cycles/2017/staff/reopen",
        {"reopen-closes": later},
        token_from="/admin/cycles/2017/staff",
        follow_redirects=True,
    )
    assert "Staff survey reopened until the end of" in reopened.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(StaffSurvey)).is_open()
    assert len(_events("staff_survey_reopened")) == 1


def test_a_viewer_cannot_close_the_staff_survey(app, accounts, survey):
    viewer = signed_in(app, "viewer")
    page = viewer.get("/admin/cycles/2017/staff").get_data(as_text=True)
    assert "Close the survey now" not in page
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    response = viewer.post("/admin/cycles/2017/staff/close", data={"csrf_token": token.group(1) if token else ""})
    assert response.status_code in (302, 403)
    db.session.expire_all()
    assert db.session.scalar(select(StaffSurvey)).is_open() and not _events("staff_survey_closed")


# ---------------------------------------------------------------- two-factor set-up


def test_two_factor_set_up_shows_a_qr_code_of_the_key_beside_the_key(app, accounts):
    import segno  # noqa: F401  (the library drawing it is installed)

    client = signed_in(app, "coordinator")
    page = client.get("/admin/account/authenticator").get_data(as_text=True)
    key = re.search(r'id="totp-key">([A-Z2-7]+)<', page).group(1)
    svg = re.search(r'<svg role="img"[^>]*id="totp-qr".*?</svg>', page, re.S)
    assert svg and "<title>QR code of your account" in svg.group(0) and "<path" in svg.group(0)
    assert (
        client.post_form(
            "/admin/account/authenticator", {"code": pyotp.TOTP(key).now(), "password": "correct horse battery staple"}
        ).status_code
        == 200
    )


# ---------------------------------------------------------------- a stalled publication, from the command line


def test_healthcheck_publish_retries_a_stalled_publication_and_waits_on_a_live_one(app, accounts, employers, cycle):

    submit_return(app, employers["a"][1])
    with writing():  # queued while no worker ran, three hours ago
        lost = job_rows.new_job("publish", Actor("Web"), cycle)
        lost.heartbeat_at = now() - timedelta(hours=3)
    lost_id = lost.id
    listed = app.test_cli_runner().invoke(cli.editions, ["--cycle", "2017"], catch_exceptions=False)
    assert (
        f"Stalled: job {lost_id}, queued, last heard of 3 hours ago (healthcheck publish --cycle 2017 tries it "
        "again)" in listed.output
    )
    result = app.test_cli_runner().invoke(cli.publish, ["--cycle", "2017"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first == (
        f"The earlier publication (job {lost_id}) had stalled: queued 3 hours ago and no worker took "
        "it. Trying it again as a new job."
    ), result.output
    db.session.expire_all()
    assert db.session.get(Job, lost_id).status == "failed"
    assert db.session.get(Job, lost_id).error == "No worker took this job"
    assert [e.number for e in publication.editions(cycle)] == [1]  # the retry ran (at once, in tests)

    with writing():  # a publication whose worker reported a moment ago is left alone
        live = job_rows.new_job("publish", Actor("Web"), cycle)
        job_rows.start(live.id, "a busy worker")
    live_id = live.id
    refused = app.test_cli_runner().invoke(cli.publish, ["--cycle", "2017"])
    assert refused.exit_code == 1 and len(refused.output.strip().splitlines()) == 1, refused.output
    assert f"being published already (job {live_id}, queued, last heard of " in refused.output
    db.session.expire_all()
    assert db.session.get(Job, live_id).status == "running"


# ---------------------------------------------------------------- publishing, knowing what goes out


def test_the_publish_page_lists_what_is_unfinished_and_what_edition_2_adds(app, accounts, employers, survey, cycle):
    """Issue 31: edition 2, adding the staff survey's results, said "0 changed, 0 new, 0 withdrawn";
    and the publish page said nothing of unreviewed comments or the survey still open."""

    submit_return(app, employers["a"][1])  # "b" never submits
    q = staff.questionnaire_of(survey)
    with writing():
        for _ in range(2):  # the same answers twice: both flagged as possible duplicates (issue 28)
            staff.submit(survey, employers["b"][0].id, {"s1_vision": "agree"}, q, employers["b"][0].name)
    coordinator = signed_in(app, "coordinator")
    page = coordinator.get("/admin/cycles/2017/publish").get_data(as_text=True)
    preflight = page[page.index('id="preflight"') : page.index("Returns by authority type")]
    pending = review_queue.counts(cycle)["pending"]  # "please specify" texts are coded, not reviewed
    assert 0 < pending <= len(review.reviews(cycle, "pending"))
    assert "1 of 2 organisations have not submitted a return: they are left out." in preflight
    assert f"{pending} comments not reviewed yet: left out until approved." in preflight
    assert "The staff survey is open until" in preflight and "its results are not included until it closes" in preflight
    assert "2 staff survey responses are flagged as possible duplicates: counted unless you exclude them." in preflight
    assert "This is the first edition of the 2017 results." in page
    publish(app)

    # The survey closes now; one comment is approved; edition 2 says what it adds.
    coordinator.post_form("/admin/cycles/2017/staff/close", token_from="/admin/cycles/2017/staff")
    with writing():
        item = review.reviews(cycle, "pending", returns_only=True)[0]
        review.decide_review(item, item.redacted, "approved", Actor("Test"))
    page = coordinator.get("/admin/cycles/2017/publish").get_data(as_text=True)
    preflight = page[page.index('id="preflight"') : page.index("Returns by authority type")]
    assert "The staff survey has closed: its results from 2 counted responses are included." in preflight
    assert f"{pending - 1} comment" in preflight
    changes = page[page.index('id="changes"') : page.index("Disclosure control")]
    assert "The staff survey’s results added, from 2 counted responses" in changes
    assert "1 comment newly approved for publication" in changes and "0 changed" not in changes
    publish(app)
    results = coordinator.get("/admin/cycles/2017/results").get_data(as_text=True)
    listed = results[results.index('id="edition-changes"') :]
    assert "The staff survey’s results added, from 2 counted responses" in listed
    assert "1 comment newly approved for publication" in listed

    # Nothing new: edition 3 would change nothing, and says so.
    page = coordinator.get("/admin/cycles/2017/publish").get_data(as_text=True)
    assert "Nothing has changed since edition 2" in page


# ---------------------------------------------------------------- everything on the web: files


def test_the_import_page_offers_the_template_and_no_command(app, accounts, cycle):

    coordinator = signed_in(app, "coordinator")
    page = coordinator.get("/admin/cycles/2017/import").get_data(as_text=True)
    assert "healthcheck template" not in page and "/admin/cycles/2017/import/template.xlsx" in page
    book = load_workbook(io.BytesIO(coordinator.get("/admin/cycles/2017/import/template.xlsx").data))
    assert book.sheetnames == ["returns", "codebook"]
    header = [c.value for c in book["returns"][1]]
    assert header == transfer.columns(collection.questionnaire_for(cycle)) and book["returns"].max_row == 1
    archive = zipfile.ZipFile(io.BytesIO(coordinator.get("/admin/cycles/2017/import/template.csv").data))
    assert sorted(archive.namelist()) == ["returns-2017-template-codebook.csv", "returns-2017-template.csv"]
    for path in ("/admin/organisations", "/admin/neighbours", "/admin/cycles/2017/import"):
        assert "healthcheck " not in coordinator.get(path).get_data(as_text=True).replace("healthcheck-", ""), path


def _csv(text: str):

    return io.BytesIO(text.encode())


def test_the_organisation_register_is_checked_by_a_job_then_imported_on_a_second_click(app, accounts, employers):

    coordinator = signed_in(app, "coordinator")
    register = coordinator.get("/admin/organisations").get_data(as_text=True)
    assert "healthcheck orgs" not in register and "Import many from a file" in register
    exported = coordinator.get("/admin/organisations/register.csv").get_data(as_text=True)
    assert exported.splitlines()[0] == "name,authority_type,ons_code,region,contact_email"
    assert "Northmoor County Council,Shire County" in exported

    refused = coordinator.post_form("/admin/organisations/import", {"file": (_csv("x"), "register.pdf")})
    assert refused.status_code == 400 and "The file must be a CSV or an XLSX file" in refused.get_data(as_text=True)
    bad = (
        "name,authority_type,ons_code,region,contact_email\n"
        "Westmarsh Council,Unitary Authority,E0600009,South East,westmarsh@example.org\n"
        ",Shire County,,,not-an-email\n"
    )
    checked = coordinator.post_form("/admin/organisations/import", {"file": (_csv(bad), "register.csv")})
    page = coordinator.get(checked.headers["Location"]).get_data(as_text=True)
    cells = page[page.index('id="bad-cells"') :]
    assert "3 problems in register.csv: nothing was imported" in page
    for problem in (
        "row 2, column ons_code: must be a letter and 8 digits",
        "row 3, column name: enter the",
        "row 3, column contact_email: is not an email address",
    ):
        assert problem in cells, problem
    assert db.session.scalar(select(Organisation).where(Organisation.name == "Westmarsh Council")) is None

    good = (
        "name,authority_type,ons_code,region,contact_email\n"
        "Westmarsh Council,Unitary Authority,E06000009,South East,westmarsh@example.org\n"
        "Northmoor County Council,Shire County,E10000099,North West,psw@northmoor.example.org\n"
    )
    checked = coordinator.post_form("/admin/organisations/import", {"file": (_csv(good), "register.csv")})
    job_page = checked.headers["Location"]
    page = coordinator.get(job_page).get_data(as_text=True)
    assert (
        "Every cell of the 2 rows of register.csv is valid: importing it adds 1 organisation and updates 1. "
        "Nothing has been written yet."
    ) in page
    assert db.session.scalar(select(Organisation).where(Organisation.name == "Westmarsh Council")) is None
    imported = coordinator.post_form(f"{job_page}/import-register", {}, token_from=job_page)
    done = coordinator.get(imported.headers["Location"]).get_data(as_text=True)
    assert "1 organisation added and 1 updated from register.csv" in done
    db.session.expire_all()
    assert (
        db.session.scalar(select(Organisation.ons_code).where(Organisation.name == "Westmarsh Council")) == "E06000009"
    )
    assert (
        db.session.scalar(select(Organisation.region).where(Organisation.name == "Northmoor County Council"))
        == "North West"
    )
    assert [e.detail for e in _events("organisations_import")] == [{"added": 1, "updated": 1}]
    again = coordinator.post_form(f"{job_page}/import-register", {}, token_from=job_page)  # a second click
    assert again.headers["Location"] == imported.headers["Location"]
    assert len(_events("organisations_import")) == 1


def test_an_edition_recorded_before_staff_results_were_compared_still_says_it_added_them():
    """Edition 2 of a year published before this change recorded only its returns' changes, and the
    results page read it as "0 changed, 0 new, 0 withdrawn" though it added the staff results."""

    first = Edition(number=1, summary={"returns": 140, "staff_respondents": None, "changes": None}, returns={})
    second = Edition(
        number=2,
        summary={"returns": 140, "staff_respondents": 15873, "changes": {"added": [], "removed": [], "changed": []}},
        returns={},
    )
    assert preflight.in_words(preflight.recorded(second, first)) == [
        "The staff survey’s results added, from 15,873 counted responses"
    ]
    assert preflight.in_words(preflight.recorded(first, None)) == []
    assert preflight.in_words(
        {
            "added": ["A"],
            "removed": [],
            "changed": ["B", "C"],
            "staff": {"before": 10, "after": 12},
            "comments": {"approved": 1, "withdrawn": 2},
        }
    ) == [
        "The staff survey’s results rebuilt from 12 counted responses (10 before)",
        "New returns: A",
        "Returns changed: B, C",
        "1 comment newly approved for publication",
        "2 comments no longer approved, so left out",
    ]
