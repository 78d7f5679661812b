"""The staff survey: practitioners answer anonymously through their organisation's link or code;
the PSW sees the link, the code and counts of at least 10; the coordinator runs it."""

from __future__ import annotations

import copy
import csv
import io
import re
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

import forms
from healthcheck.cli import codebook, questionnaires, staff_group
from healthcheck.extensions import db
from healthcheck.models import CommentReview, Organisation, StaffDraft, StaffResponse
from healthcheck.store import Actor, staff
from tests.environment import now
from tests.helpers import answer, code_of, csrf, sign_in, signed_in

Q = forms.load("staff-survey", "2020.1")


AGREEING = {
    "framework": {"s1_vision": "agree", "s1_leaders": "strongly_agree", "s1_psw": "dont_know"},
    "supervision": {"s5_reflective": "disagree"},
    "workplace": {"intend_to_stay": "agree", "extra_hours": "up_to_2"},
    "about_you": {"role": "social_worker", "service": "children", "age_band": "from_45_to_54"},
    "comments": {"comment": "Ask Jane Smith in Northmoor County Council about the rota."},
}


def test_a_practitioner_answers_anonymously_once_and_is_counted(app, employers, survey):
    org = employers["a"][0]
    code = code_of(survey, org)
    person = app.test_client()
    check = answer(person, code, AGREEING, send=False).get_data(as_text=True)
    assert "Strongly agree" in check and "Don&#39;t know / not applicable" in check and "Not answered" in check
    sent = person.post(f"/survey/{code}/check", data={"csrf_token": csrf(check)})
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/survey/{code}/thanks")
    assert "Your answers have been sent" in person.get(sent.headers["Location"]).get_data(as_text=True)
    [response] = db.session.scalars(select(StaffResponse)).all()
    assert response.organisation_id == org.id and response.submitted_on == now().date() and response.scored
    assert response.answers["s1_vision"] == "agree" and response.answers["role"] == "social_worker"
    assert len(response.id) == 32 and not response.id.isdigit()  # says nothing of the order of responses
    columns = set(StaffResponse.__table__.columns.keys())
    assert not columns & {"created_at", "submitted_at", "ip", "email", "name", "user_agent"}
    assert db.session.scalars(select(StaffDraft)).all() == []  # the draft is gone with the sending
    assert staff.counted(survey, org.id) == 1
    # The same browser cannot answer again, by the link or by posting again.
    again = person.get(f"/survey/{code}")
    assert again.status_code == 403 and "already answered" in again.get_data(as_text=True)
    assert person.post(f"/survey/{code}/check", data={"csrf_token": csrf(check)}).status_code == 403
    assert staff.counted(survey, org.id) == 1
    # Its comment waits for review, redacted.
    item = db.session.scalar(select(CommentReview))
    assert item.staff_response_id == response.id and item.status == "pending"
    assert item.redacted == "Ask <name> in <Organisation name> about the rota."


def test_a_staff_comment_under_review_shows_what_redaction_replaced(app, accounts, employers, survey):
    """Issue 34: the review page marks, in the comment as written, what the rules replaced and
    what they kept but may be a name (the rules run on the comment's organisation)."""
    answer(
        app.test_client(),
        code_of(survey, employers["a"][0]),
        {"comments": {"comment": "Patience is thin. Ask Kwabena Osei-Tutu at Northmoor County Council."}},
    )
    item = db.session.scalar(select(CommentReview))
    assert item.redacted == "Patience is thin. Ask <name> at <Organisation name>."
    page = signed_in(app, "coordinator").get(f"/admin/cycles/2017/comments/{item.id}").get_data(as_text=True)
    assert (
        '<del class="app-redacted"><span class="govuk-visually-hidden">replaced: </span>Kwabena Osei-Tutu</del>'
        '<span class="app-redacted__by"><span class="govuk-visually-hidden"> by </span>&lt;name&gt;</span>'
    ) in page
    assert "Northmoor County Council</del>" in page
    assert '<span class="govuk-visually-hidden">kept, check: </span>Patience' in page
    assert "<strong>Patience</strong>: a first name that is also an everyday word, kept" in page


def test_a_wrong_code_a_survey_not_yet_open_and_a_closed_one_say_so(app, employers, survey):
    client = app.test_client()
    unknown = client.get("/survey/NOTACODE")
    assert unknown.status_code == 404 and "This code is not recognised" in unknown.get_data(as_text=True)
    form = client.get("/survey/").get_data(as_text=True)
    wrong = client.post("/survey/", data={"csrf_token": csrf(form), "code": "nope"})
    assert wrong.status_code == 400 and "Enter the code exactly as it is in the email" in wrong.get_data(as_text=True)
    code = code_of(survey, employers["a"][0])
    typed = client.post("/survey/", data={"csrf_token": csrf(form), "code": f" {code[:4].lower()}-{code[4:]} "})
    assert typed.status_code == 302 and typed.headers["Location"].endswith(f"/survey/{code}")
    survey.opens_at = now() + timedelta(days=2)
    db.session.commit()
    assert "has not opened yet" in client.get(f"/survey/{code}").get_data(as_text=True)
    survey.opens_at, survey.closes_at = now() - timedelta(days=9), now() - timedelta(minutes=1)
    db.session.commit()
    closed = client.get(f"/survey/{code}/framework")
    assert closed.status_code == 410 and "This survey has closed" in closed.get_data(as_text=True)


def test_a_response_without_a_scored_answer_is_kept_but_not_counted(app, employers, survey):
    org = employers["a"][0]
    answer(
        app.test_client(),
        code_of(survey, org),
        {"about_you": {"role": "manager"}, "framework": {"s1_vision": "dont_know"}},
    )
    [response] = db.session.scalars(select(StaffResponse)).all()
    assert not response.scored and staff.counted(survey, org.id) == 0


def test_answers_wait_on_the_same_device_for_a_week_and_bad_input_is_kept(app, employers, survey):
    code = code_of(survey, employers["a"][0])
    person = app.test_client()
    page = person.get(f"/survey/{code}").get_data(as_text=True)
    person.post(f"/survey/{code}", data={"csrf_token": csrf(page)})
    html = person.get(f"/survey/{code}/framework").get_data(as_text=True)
    assert "Part 1 of 11" in html
    bad = person.post(
        f"/survey/{code}/framework", data={"csrf_token": csrf(html), "s1_vision": "hugely", "s1_leaders": "agree"}
    )
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Select one of the options shown" in page
    assert re.search(r'value="agree"\s+checked', page)  # what was chosen is still chosen
    person.post(f"/survey/{code}/framework", data={"csrf_token": csrf(html), "s1_leaders": "agree"})
    later = person.get(f"/survey/{code}")  # the browser closed and came back: it continues
    assert "Continue where you left off" in later.get_data(as_text=True)
    assert re.search(r'value="agree"\s+checked', person.get(f"/survey/{code}/framework").get_data(as_text=True))
    elsewhere = app.test_client()  # another device has nothing of it
    assert elsewhere.get(f"/survey/{code}/framework").status_code == 302
    draft = db.session.scalar(select(StaffDraft))
    draft.updated_on = now().date() - timedelta(days=8)
    db.session.commit()
    assert "Start now" in person.get(f"/survey/{code}").get_data(as_text=True)  # a week on, it is gone
    page = elsewhere.get(f"/survey/{code}").get_data(as_text=True)
    elsewhere.post(f"/survey/{code}", data={"csrf_token": csrf(page)})  # and deleted as someone else starts
    assert db.session.scalar(select(func.count()).select_from(StaffDraft)) == 1
    assert db.session.scalar(select(StaffDraft.updated_on)) == now().date()


def test_the_psw_sees_the_link_code_and_counts_of_10_or_more_never_a_response(app, employers, survey):
    org, token = employers["a"]
    code = code_of(survey, org)
    psw = app.test_client()
    sign_in(psw, token)
    page = psw.get("/return/staff-survey").get_data(as_text=True)
    assert f"/survey/{code}" in page and code in page and "Fewer than 10 people had answered" in page
    form = {
        "csrf_token": csrf(page),
        "social_workers_adults": "40",
        "social_workers_children": "60",
        "occupational_therapists_adults": "",
        "other_practitioners_children": "oops",
    }
    refused = psw.post("/return/staff-survey", data=form)
    assert refused.status_code == 400 and "Enter a whole number of people" in refused.get_data(as_text=True)
    assert psw.post("/return/staff-survey", data={**form, "other_practitioners_children": "20"}).status_code == 302
    assert "You have not entered your workforce’s profile yet" in psw.get("/return/staff-survey").get_data(as_text=True)
    workforce = psw.get("/return/staff-survey/workforce").get_data(as_text=True)
    form = {
        "csrf_token": csrf(workforce),
        "role__social_worker": "70",
        "role__manager": "30",
        "role__other": "oops",
        "sex__female": "90",
        "sex__male": "10",
        "ethnicity__white": "",
    }
    refused = psw.post("/return/staff-survey/workforce", data=form).get_data(as_text=True)
    assert "Enter a whole number of people" in refused and 'value="70"' in refused  # nothing typed is lost
    assert psw.post("/return/staff-survey/workforce", data={**form, "role__other": "20"}).status_code == 302
    assert "You have entered your workforce’s profile" in psw.get("/return/staff-survey").get_data(as_text=True)
    assert 'value="20"' in psw.get("/return/staff-survey/workforce").get_data(as_text=True)
    for i in range(9):
        answer(app.test_client(), code, {"framework": {"s1_vision": "agree"}, "comments": {"comment": f"note {i}"}})
    page = psw.get("/return/staff-survey").get_data(as_text=True)
    assert "Fewer than 10 people had answered by the end of yesterday" in page and ">9<" not in page
    answer(app.test_client(), code, {"framework": {"s1_vision": "agree"}})
    # Issue 28: the count is up to the end of yesterday, so the tenth answer today changes nothing
    # a reload could time...
    assert staff.counted(survey, org.id) == 10
    page = psw.get("/return/staff-survey").get_data(as_text=True)
    assert "Fewer than 10 people had answered" in page and ">10<" not in page
    yesterday = now().date() - timedelta(days=1)
    db.session.execute(update(StaffResponse).values(submitted_on=yesterday))
    db.session.commit()
    # ...and once counted, it is rounded down to a multiple of 5.
    page = psw.get("/return/staff-survey").get_data(as_text=True)
    assert (
        "At least <strong>10</strong> people had answered by the end of yesterday: at least <strong>8%</strong> "
        "of the 120" in page
    )
    for _ in range(4):
        staff.submit(survey, org.id, {"s1_vision": "agree"}, Q, org.name, now=now() - timedelta(days=1))
    db.session.commit()
    assert "At least <strong>10</strong> people" in psw.get("/return/staff-survey").get_data(as_text=True)
    staff.submit(survey, org.id, {"s1_vision": "agree"}, Q, org.name, now=now() - timedelta(days=1))
    db.session.commit()
    answer(app.test_client(), code, {"framework": {"s1_vision": "agree"}})  # today's: not yet
    page = psw.get("/return/staff-survey").get_data(as_text=True)
    assert (
        "At least <strong>15</strong> people had answered by the end of yesterday: at least <strong>12%</strong>"
        in page
        and staff.counted(survey, org.id) == 16
    )
    assert "note 1" not in page and "s1_vision" not in page  # nothing of any one response
    other = app.test_client()
    sign_in(other, employers["b"][1])
    assert code not in other.get("/return/staff-survey").get_data(as_text=True)


def test_the_coordinator_adds_the_survey_on_the_web_and_sees_counts_by_type(app, accounts, employers, cycle):
    coordinator = signed_in(app, "coordinator")
    page = coordinator.get("/admin/cycles/2017/staff").get_data(as_text=True)
    assert "Add the staff survey" in page and "staff-survey@2020.1" in page and "health-check@2017.1" not in page
    bad = coordinator.post_form(
        "/admin/cycles/2017/staff",
        {"questionnaire": "staff-survey@2020.1", "opens": "31/12/2026", "closes": "01/01/2026"},
    )
    assert bad.status_code == 400 and "Enter a deadline after the opening date" in bad.get_data(as_text=True)
    today = now().date()
    assert (
        coordinator.post_form(
            "/admin/cycles/2017/staff",
            {
                "questionnaire": "staff-survey@2020.1",
                "opens": (today - timedelta(days=1)).strftime("%d/%m/%Y"),
                "closes": (today + timedelta(days=9)).strftime("%d/%m/%Y"),
            },
        ).status_code
        == 302
    )
    survey = staff.survey_of(cycle)
    assert survey.is_open() and len(staff.codes(survey)) == 2
    answer(app.test_client(), code_of(survey, employers["b"][0]), {"framework": {"s1_vision": "agree"}})
    page = coordinator.get("/admin/cycles/2017/staff").get_data(as_text=True)
    assert re.search(r"London Borough</th>\s*<td[^>]*>\s*1\s*</td>", page)
    # Issue 30: 252 responses over the one headcount 12 councils had entered read 135%. The rate divides
    # only the responses of those that entered a headcount by their headcounts, and says how many did.
    other = Organisation(name="Another Borough", authority_type="London Borough")
    db.session.add(other)
    db.session.commit()
    staff.code_for(survey, other)
    staff.set_headcount(staff.code_for(survey, employers["b"][0]), {"social_worker": {"adults": 4}}, Actor("Test"))
    db.session.commit()
    for _ in range(3):
        answer(app.test_client(), code_of(survey, other), {"framework": {"s1_vision": "agree"}})
    page = coordinator.get("/admin/cycles/2017/staff").get_data(as_text=True)
    cells = re.search(r"London Borough</th>((?:\s*<td[^>]*>[^<]*</td>){5})", page)[1]
    assert [c.strip() for c in re.findall(r">([^<]*)</td>", cells)] == ["4", "1 of 2", "1", "4", "25%"]


def run(command, args):
    return CliRunner().invoke(command, args, catch_exceptions=False)


def test_responses_import_with_every_bad_cell_reported_and_export_reimports_unchanged(app, employers, survey, tmp_path):

    header = ["organisation", "s1_vision", "s2_staffing", "role", "comment"]
    bad = tmp_path / "bad.csv"
    with bad.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header + ["shoe_size"])
        writer.writerow(["Northmoor County Council", "Agree", "hugely", "social_worker", "", ""])
        writer.writerow(["Nowhere Council", "agree", "", "", "", ""])
    out = CliRunner().invoke(staff_group, ["import", "--cycle", "2017", str(bad)]).output
    for line in (
        "row 1, column shoe_size: not a column of this survey's codebook",
        "row 2, column s2_staffing: Select one of the options shown",
        "row 3, column organisation: no organisation with this name in the register",
    ):
        assert line in out, out
    assert "nothing was imported" in out and db.session.scalars(select(StaffResponse)).all() == []
    good = tmp_path / "good.csv"
    with good.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerow(["Northmoor County Council", "Agree", "strongly_disagree", "Social worker", "=SUM(A1)"])
        writer.writerow(["London Borough of Eastwick", "dont_know", "", "prefer_not", ""])
    assert "All rows valid" in run(staff_group, ["import", "--cycle", "2017", "--dry-run", str(good)]).output
    assert "2 responses imported" in run(staff_group, ["import", "--cycle", "2017", str(good)]).output
    before = sorted((r.organisation_id, sorted(r.answers.items())) for r in db.session.scalars(select(StaffResponse)))
    assert before[0][1] == [
        ("comment", "=SUM(A1)"),
        ("role", "social_worker"),
        ("s1_vision", "agree"),
        ("s2_staffing", "strongly_disagree"),
    ]
    run(staff_group, ["export", "--cycle", "2017", "--format", "csv", "--out", str(tmp_path / "all.csv")])
    exported = (tmp_path / "all.csv").read_text()
    assert "'=SUM(A1)" in exported and (tmp_path / "all-codebook.csv").exists()
    db.session.execute(StaffResponse.__table__.delete())
    db.session.execute(CommentReview.__table__.delete())
    db.session.commit()
    run(staff_group, ["import", "--cycle", "2017", str(tmp_path / "all.csv")])
    db.session.expire_all()
    after = sorted((r.organisation_id, sorted(r.answers.items())) for r in db.session.scalars(select(StaffResponse)))
    assert after == before


def test_the_questionnaires_and_the_staff_codebook_from_the_command_line(app, survey):

    listed = run(questionnaires, []).output.splitlines()
    assert "health-check@2017.1  return  Social Work Health Check 2017" in listed
    assert "staff-survey@2020.1  staff  Social Work Health Check staff survey" in listed
    rows = list(
        csv.DictReader(io.StringIO(run(codebook, ["--cycle", "2017", "--survey", "staff", "--format", "csv"]).output))
    )
    scored = [r for r in rows if r["standard"]]
    assert len(scored) == 40 and {r["standard"] for r in scored} == {str(n) for n in range(1, 9)}
    assert (
        next(r for r in rows if r["column"] == "s5_reflective")["question"]
        == "I have regular supervision that helps me reflect on my practice."
    )
    assert next(r for r in rows if r["column"] == "intend_to_stay")["standard"] == ""


def test_the_staff_survey_file_needs_three_scored_statements_for_every_standard():

    raw = copy.deepcopy(Q.raw)
    raw["sections"][6]["questions"] = raw["sections"][6]["questions"][:2]  # standard 7: two statements
    with pytest.raises(forms.DefinitionError, match="standard 7: 2 scored statements, at least 3 needed"):
        forms.parse(raw)
    raw = copy.deepcopy(Q.raw)
    raw["sections"][0]["questions"][0]["standard"] = 9
    with pytest.raises(forms.DefinitionError, match="maximum"):
        forms.parse(raw)
    assert all(sum(q.standard == n for q in Q.questions()) >= 3 for n in forms.STANDARDS)
    assert sum(1 for q in Q.questions() if q.standard) == 40
    about = Q.section("about_you")
    assert all(any(o.value == "prefer_not" for o in q.options) for q in about.questions)


def test_continue_where_you_left_off_opens_the_part_where_they_stopped(app, employers, survey):
    """Issue 31: it opened Part 1 whatever had been saved."""
    code = code_of(survey, employers["a"][0])
    person = app.test_client()
    page = person.get(f"/survey/{code}").get_data(as_text=True)
    started = person.post(f"/survey/{code}", data={"csrf_token": csrf(page)})
    assert started.headers["Location"].endswith(f"/survey/{code}/{Q.sections[0].id}")  # none saved: Part 1
    for section in Q.sections[:3]:
        html = person.get(f"/survey/{code}/{section.id}").get_data(as_text=True)
        person.post(f"/survey/{code}/{section.id}", data={"csrf_token": csrf(html)})
    later = person.get(f"/survey/{code}").get_data(as_text=True)  # the phone's browser, the next day
    assert "Continue where you left off" in later
    resumed = person.post(f"/survey/{code}", data={"csrf_token": csrf(later)})
    assert resumed.headers["Location"].endswith(f"/survey/{code}/{Q.sections[3].id}")
    assert "Part 4 of 11" in person.get(resumed.headers["Location"]).get_data(as_text=True)
    for section in Q.sections[3:]:
        html = person.get(f"/survey/{code}/{section.id}").get_data(as_text=True)
        person.post(f"/survey/{code}/{section.id}", data={"csrf_token": csrf(html)})
    later = person.get(f"/survey/{code}").get_data(as_text=True)
    assert (
        person.post(f"/survey/{code}", data={"csrf_token": csrf(later)})
        .headers["Location"]
        .endswith(f"/survey/{code}/check")
    )  # every part saved: on to checking the answers


def test_wrong_codes_are_limited_per_client_address_with_a_clear_page(app, employers, survey):
    """Issue 32: 40 wrong codes were answered, none refused. Wrong codes, typed or in an address,
    count against the client's address; the right code does not."""
    code = code_of(survey, employers["a"][0])
    client = app.test_client()
    form = client.get("/survey/").get_data(as_text=True)
    statuses = [
        client.post("/survey/", data={"csrf_token": csrf(form), "code": f"WRONG{n:03d}"}).status_code for n in range(6)
    ]
    statuses += [client.get(f"/survey/NOPE{n:04d}").status_code for n in range(4)]
    assert statuses == [400] * 6 + [404] * 4
    refused = client.post("/survey/", data={"csrf_token": csrf(form), "code": "WRONG999"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "Too many codes tried" in text and "Wait 10 minutes" in text
    assert client.get("/survey/ANOTHER1").status_code == 429
    elsewhere = app.test_client()  # another address is not held back
    assert elsewhere.get("/survey/NOTACODE", environ_base={"REMOTE_ADDR": "127.0.0.9"}).status_code == 404
    assert elsewhere.get(f"/survey/{code}", environ_base={"REMOTE_ADDR": "127.0.0.9"}).status_code == 200
