"""The employer's whole journey through Flask's test client, on each database."""
import io
import re

from pypdf import PdfReader
from sqlalchemy import select

from healthcheck import data
from healthcheck.extensions import db
from healthcheck.models import AccessLink, AuditEvent, Response, SubmittedVersion
from tests.answers import FULL_RETURN
from tests.conftest import PG_URL, sign_in


def save(client, section_id, form, action="continue"):
    path = f"/return/section/{section_id}"
    page = client.get(path).get_data(as_text=True)
    version = re.search(r'name="section_version" type="hidden" value="(\d+)"', page).group(1)
    return client.post_form(path, {**form, "section_version": version, "action": action}, token_from=path)


def fill_everything(client):
    for section_id, form in FULL_RETURN.items():
        response = save(client, section_id, form)
        assert response.status_code == 302, (section_id, response.get_data(as_text=True)[:2000])


def test_task_list_shows_each_standard_with_its_status(client, employers):
    sign_in(client, employers["a"][1])
    page = client.get("/return").get_data(as_text=True)
    for title in ("Standard 2: Effective Workforce Planning", "Standard 8: Effective Partnerships",
                  "Your contact details", "Clear Social Work Accountability Framework"):
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
    reference = re.search(r'id=.reference.>([A-Z0-9-]+)<', confirmation).group(1)
    assert reference.startswith("HC2017-")

    pdf = client.get("/return/submitted/1.pdf")
    assert pdf.mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert reference in text and "Northmoor County Council" in text and "New case system in 2018." in text
    assert "Peer group" in text or "in a peer group" in text

    # Submitted: pages are read-only and a save is refused.
    assert "Save and continue" not in client.get("/return/section/registration").get_data(as_text=True)
    response = client.post_form("/return/section/registration", {"regulator_process": "very", "section_version": "1"})
    assert response.status_code == 302
    assert data.answers_of(db.session.scalar(select(Response.id)))["regulator_process"] == "fairly"

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
    bad = {**FULL_RETURN["workforce_planning"], "posts": "10", "posts_unfilled": "12", "hours_per_week": "81",
           "posts_agency": "three", "profession_opportunities_other": ""}
    response = save(client, "workforce_planning", bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page and page.startswith("<!DOCTYPE html>")
    assert '<title>Error: ' in page
    for href, message in (("#posts_unfilled", "must be no more than the number of posts (10)"),
                          ("#hours_per_week", "must be 80 or fewer"),
                          ("#posts_agency", "as a whole number"),
                          ("#profession_opportunities_other", "Enter details for “Other”")):
        assert f'href="{href}"' in page and message in page
    # What was typed is still there, including the bad values.
    assert 'value="three"' in page and 'value="81"' in page and "Vacancy figures are for 31 October." in page
    # Nothing was saved.
    assert data.answers_of(db.session.scalar(select(Response.id))) == {}


def test_routing_drops_answers_to_questions_no_longer_asked(client, employers):
    sign_in(client, employers["a"][1])
    save(client, "supervision", {"welfare_system": "yes", "welfare_access": "yes"})
    save(client, "supervision", {"welfare_system": "no", "welfare_access": "yes"})
    answers = data.answers_of(db.session.scalar(select(Response.id)))
    assert answers["welfare_system"] == "no" and "welfare_access" not in answers


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
    second = hr.post_form(path, {"regulator_process": "not_very", "section_version": version,
                                 "registration_comments": "From HR"})
    page = second.get_data(as_text=True)
    assert second.status_code == 409
    assert "Someone else changed this page" in page and "Priya Shah saved it" in page
    assert "Your changes were not saved" in page and "From HR" in page  # their unsaved answer is shown
    assert re.search(r'value="very"\s+checked', page)  # the form now shows the saved answer
    answers = data.answers_of(db.session.scalar(select(Response.id)))
    assert answers["regulator_process"] == "very" and "registration_comments" not in answers
    # Saving again from the fresh page works.
    again = hr.post_form(path, {"regulator_process": "not_very", "section_version": str(int(version) + 1)})
    assert again.status_code == 302


def test_bad_and_replaced_links_get_clear_pages(app, client, employers, cycle):
    response = client.get("/start/not-a-real-token")
    assert response.status_code == 404 and "This link is not valid" in response.get_data(as_text=True)
    org, old = employers["a"]
    data.issue_link(cycle, org)
    db.session.commit()
    response = client.get(f"/start/{old}")
    assert response.status_code == 410 and "This link has been replaced" in response.get_data(as_text=True)
    assert client.get("/return/section/nope").status_code == 403
    assert client.get("/no/such/page").status_code == 404


def test_a_closed_cycle_refuses_edits_with_a_message(client, employers, cycle):
    from datetime import timedelta
    from tests.conftest import now
    sign_in(client, employers["a"][1])
    save(client, "registration", {"regulator_process": "very"})
    cycle.closes_at = now() - timedelta(minutes=1)
    db.session.commit()
    page = client.get("/return/section/registration").get_data(as_text=True)
    assert "This return is closed" in page and "Save and continue" not in page
    response = client.post_form("/return/section/registration", {"regulator_process": "not_very", "section_version": "1"})
    assert response.status_code == 403 and "can no longer be changed" in response.get_data(as_text=True)
    assert data.answers_of(db.session.scalar(select(Response.id)))["regulator_process"] == "very"


def test_one_employer_never_sees_or_changes_another_return(app, employers):
    a, b = app.test_client(), app.test_client()
    sign_in(a, employers["a"][1])
    sign_in(b, employers["b"][1])
    save(a, "contact", FULL_RETURN["contact"])
    page_b = b.get("/return/section/contact").get_data(as_text=True)
    assert "priya.shah@example.org" not in page_b and "London Borough of Eastwick" in page_b
    save(b, "contact", {**FULL_RETURN["contact"], "contact_email": "b@example.org"})
    responses = {r.organisation_id: r.id for r in db.session.scalars(select(Response))}
    assert data.answers_of(responses[employers["a"][0].id])["contact_email"] == "priya.shah@example.org"
    assert data.answers_of(responses[employers["b"][0].id])["contact_email"] == "b@example.org"


def test_every_post_needs_a_csrf_token(client, employers):
    sign_in(client, employers["a"][1])
    for path, form in (("/return/section/registration", {"regulator_process": "very", "section_version": "0"}),
                       ("/return/check", {"confirm": "y"}), ("/return/amend", {}),
                       (f"/start/{employers['a'][1]}", {"name": "X"})):
        response = client.post(path, data=form)
        assert response.status_code == 400, path
    assert data.answers_of(db.session.scalar(select(Response.id))) == {}


def test_link_tokens_are_stored_hashed(app, employers):
    token = employers["a"][1]
    stored = [row.token_hash for row in db.session.scalars(select(AccessLink))]
    assert token not in stored and data.hash_token(token) in stored


def test_postgresql_employer_pages_read_outside_a_transaction_and_keep_prepared_statements(request):
    """On PostgreSQL an employer's page runs without BEGIN or ROLLBACK, so psycopg keeps the
    statements it prepares after a few uses (a ROLLBACK throws them all away), and is one
    statement (data.read_page); a save is still one transaction from its first statement to COMMIT."""
    from psycopg.pq import TransactionStatus
    from sqlalchemy import event, text

    from healthcheck import create_app
    from tests.conftest import CheckingClient, empty_postgres, seed_cycle

    url = request.getfixturevalue("pg_migrated")
    empty_postgres(url)
    token = seed_cycle(url, ["Prepared Council"])[0]
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
    app.test_client_class = CheckingClient
    seen = []
    with app.app_context():
        client = app.test_client()
        sign_in(client, token)

        @event.listens_for(db.engine, "before_cursor_execute")
        def status(conn, cursor, statement, parameters, context, executemany):
            from flask import request as current
            seen.append((current.method, conn.connection.driver_connection.info.transaction_status))

        for _ in range(8):
            assert client.get("/return/section/workforce_planning").status_code == 200
        gets = [s for method, s in seen if method == "GET"]
        assert len(gets) == 8 and set(gets) == {TransactionStatus.IDLE}
        seen.clear()
        assert save(client, "registration", FULL_RETURN["registration"]).status_code == 302
        posts = [s for method, s in seen if method == "POST"]
        assert len(posts) >= 4 and set(posts[1:]) == {TransactionStatus.INTRANS}
        event.remove(db.engine, "before_cursor_execute", status)
        db.session.remove()
        with db.engine.connect() as conn:  # the one pooled connection the pages used
            prepared = conn.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
        assert prepared >= 1
        db.engine.dispose()



def test_a_save_that_reaches_a_return_submitted_meanwhile_is_refused_not_applied(client, employers):
    """A page is read and checked before its save takes the lock, so the return may have been
    submitted in between: the save is refused, and the submitted return is not reopened."""
    from sqlalchemy import update

    import forms
    from healthcheck.models import ResponseStatus

    org_id = employers["a"][0].id
    sign_in(client, employers["a"][1])
    save(client, "registration", FULL_RETURN["registration"], action="later")
    db.session.remove()
    link_id = db.session.scalar(select(AccessLink.id).where(AccessLink.organisation_id == org_id))
    stale = data.get_link(link_id)[1]  # read as the page reads it
    assert stale.status == ResponseStatus.IN_PROGRESS.value
    rid = stale.id
    with db.engine.begin() as other:  # someone else submits meanwhile
        other.execute(update(Response).where(Response.id == rid).values(status=ResponseStatus.SUBMITTED.value))
    questionnaire = forms.load("health-check", "2017.1")
    section = questionnaire.section("registration")
    result = data.save_section(stale, section, {"regulator_process": "not_at_all"}, 1, data.Actor("Late"),
                               questionnaire)
    assert not result.saved and result.closed
    db.session.remove()
    assert db.session.get(Response, rid).status == ResponseStatus.SUBMITTED.value
    assert data.answers_of(rid)["regulator_process"] == FULL_RETURN["registration"]["regulator_process"]


def test_sqlite_save_holds_the_write_lock_for_its_writes_alone(sqlite_template, tmp_path):
    """SQLite has one write lock: a save reads its return and checks the answers first, in a
    plain transaction, and takes the lock (BEGIN IMMEDIATE) only to write, so other writers do
    not wait on its reading and validation."""
    import shutil

    from sqlalchemy import event

    from healthcheck import create_app
    from tests.conftest import CheckingClient, seed_cycle

    url = f"sqlite:///{tmp_path / 'lock.sqlite'}"
    shutil.copy(sqlite_template, tmp_path / "lock.sqlite")
    token = seed_cycle(url, ["Locking Council"])[0]
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
    app.test_client_class = CheckingClient
    with app.app_context():
        client = app.test_client()
        sign_in(client, token)
        path = "/return/section/registration"
        page = client.get(path).get_data(as_text=True)
        version = re.search(r'name="section_version" type="hidden" value="(\d+)"', page).group(1)
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda conn, cursor, statement, *rest:
                     statements.append(statement.split()[0] if statement != "BEGIN IMMEDIATE" else statement))
        posted = client.post_form(path, {**FULL_RETURN["registration"], "section_version": version,
                                         "action": "later"}, token_from=path)
        assert posted.status_code == 302
        locked = statements.index("BEGIN IMMEDIATE")
        assert statements[0] == "BEGIN" and "SELECT" in statements[1:locked]
        assert "UPDATE" not in statements[:locked] and "INSERT" not in statements[:locked]
        assert statements[locked + 1] == "UPDATE" and statements.count("BEGIN IMMEDIATE") == 1
        db.session.remove()
        assert data.answers_of(1)["regulator_process"] == FULL_RETURN["registration"]["regulator_process"]
        db.engine.dispose()

if not PG_URL:  # collected only with a PostgreSQL (CI always gives one)
    del test_postgresql_employer_pages_read_outside_a_transaction_and_keep_prepared_statements


def test_a_page_read_with_its_return_is_what_the_separate_reads_give(app, client, employers, cycle):
    """data.read_page reads the link, the return, the return's answers and the page's version in
    one statement: the same as read_link and page_state one after the other, before the return
    exists, before and after the page is saved, and for a page nobody saved."""
    from tests.conftest import now

    org, token = employers["a"]
    link_id = db.session.scalar(select(AccessLink.id).where(AccessLink.organisation_id == org.id,
                                                            AccessLink.revoked_at.is_(None)))

    def both_ways(section_id):
        link, response, answers, version = data.read_page(link_id, section_id)
        db.session.commit()
        link_again, response_again = data.read_link(link_id)
        assert (link.id, response.id, response.status) == (link_again.id, response_again.id, response_again.status)
        assert link.organisation.name == link_again.organisation.name == org.name
        return (answers, version), data.page_state(response.id, section_id)

    assert data.answers_of(0) == {}
    first, separately = both_ways("registration")  # the return is created by this read
    assert first == separately == ({}, 0)
    sign_in(client, token)
    assert save(client, "registration", FULL_RETURN["registration"]).status_code == 302
    assert save(client, "workforce_planning", FULL_RETURN["workforce_planning"]).status_code == 302
    assert save(client, "registration", FULL_RETURN["registration"]).status_code == 302
    for section_id, expected_version in (("registration", 2), ("workforce_planning", 1), ("supervision", 0)):
        together, separately = both_ways(section_id)
        assert together == separately
        answers, version = together
        assert version == expected_version
        assert answers["regulator_process"] == "fairly" and answers["posts"] == 40
    db.session.execute(AccessLink.__table__.update().values(revoked_at=now()))
    db.session.commit()
    assert data.read_page(link_id, "registration") is None


def test_a_returns_answers_read_as_one_json_object_keep_every_value(app, employers, cycle):
    """answers_of has the database put a return's answers into one JSON object: every kind of
    value an answer holds comes back as it was stored, and unchanged by the way it was read."""
    from healthcheck.models import Answer

    org, _token = employers["a"]
    response = data.response_for(cycle.id, org.id)
    values = {"whole": 12345678901234, "negative": -3, "zero": 0, "fraction": 0.1, "tiny": 1e-07,
              "text": "Ŵelsh \"quoted\" <b>&amp; ✓ 🙂</b>\n\ttab", "empty": "", "none": None,
              "choices": ["a", "Don't know"], "nested": {"kind": "other", "text": "x"}, "flag": True}
    db.session.add_all(Answer(response_id=response.id, question_id=k, value=v) for k, v in values.items())
    db.session.commit()
    rows = dict(db.session.execute(select(Answer.question_id, Answer.value)
                                   .where(Answer.response_id == response.id)).all())
    assert rows == values
    read = data.answers_of(response.id)
    assert read == values
    assert {k: type(v) for k, v in read.items()} == {k: type(v) for k, v in values.items()}
    assert data.page_state(response.id, "registration") == (values, 0)


def test_a_page_that_only_reads_gets_read_only_copies_equal_to_the_rows(app, client, employers, cycle):
    """An employer's GET reads the link, cycle, organisation and return as copies (data.read_link):
    every column as the ORM loads it, the model's own deadline rules, and no way to change them."""
    import pytest
    from datetime import timedelta
    from tests.conftest import now

    org, token = employers["a"]
    link_id = db.session.scalar(select(AccessLink.id).where(AccessLink.organisation_id == org.id,
                                                            AccessLink.revoked_at.is_(None)))
    link, response = data.read_link(link_id)  # no return yet: it is created, as by get_link
    assert isinstance(response, Response)
    data.extend_deadline(response, now() + timedelta(days=60), data.Actor("test"))
    db.session.commit()
    copy_link, copy = data.read_link(link_id)
    db.session.expire_all()
    orm_link, orm = data.get_link(link_id)
    for mine, theirs in ((copy_link, orm_link), (copy, orm), (copy.cycle, orm.cycle),
                         (copy.organisation, orm.organisation), (copy_link.organisation, orm_link.organisation)):
        assert type(mine).__name__.endswith("Snapshot")
        for column in type(theirs).__table__.columns:
            assert getattr(mine, column.key) == getattr(theirs, column.key), column.key
    assert copy.closes_at == orm.closes_at and copy.is_open() == orm.is_open() is True
    assert copy.cycle.is_open() is True
    later = cycle.closes_at + timedelta(days=1)
    assert copy.is_open(later) is orm.is_open(later) is True  # the organisation's extension counts
    with pytest.raises(AttributeError):
        copy.status = "submitted"
    with pytest.raises(AttributeError):
        copy.cycle.previous  # not copied: an error, never a quiet load
    db.session.rollback()
    db.session.execute(AccessLink.__table__.update().values(revoked_at=now()))
    db.session.commit()
    assert data.read_link(link_id) is None and data.get_link(link_id) is None
