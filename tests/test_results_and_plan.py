"""The employer's benchmark and action plan through the web, and who may see them."""

import io
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

from openpyxl import load_workbook

import forms
from aggregation.plan_export import plan_pdf, plan_xlsx, you_said_we_did
from forms import load
from healthcheck import clock
from healthcheck.extensions import db
from healthcheck.models import Action
from healthcheck.store import Actor, collection, publication, returns
from tests.environment import now
from tests.helpers import fill_everything, publish, sign_in, signed_in, submit_return, text_of, with_peers

Q = forms.load("health-check", "2017.1")


def test_benchmark_waits_for_publication_then_shows_own_figures(app, accounts, employers, cycle):
    employer = submit_return(app, employers["a"][1])
    assert "have not been published yet" in employer.get("/return/results").get_data(as_text=True)
    assert employer.get("/return/results.pdf").status_code == 404
    with_peers(cycle)
    publish(app)
    page = employer.get("/return/results").get_data(as_text=True)
    assert "Your benchmark 2017" in page and "Northmoor County Council" in page
    assert re.search(r"Average hours worked a week.*?</th>\s*<td[^>]*>37.0</td>", page, re.S)  # its own 37 hours
    pdf = text_of(employer.get("/return/results.pdf").data)
    assert (
        "Northmoor County Council: health check benchmark 2017" in pdf
        and "Average hours worked a week (hours; Table 5) 37.0" in pdf
    )
    assert "Peer Council" not in pdf and "Peer Council" not in page
    csv_text = employer.get("/return/results.csv").get_data(as_text=True)
    assert "measure,Table 5,Average hours worked a week,hours,37.0," in csv_text
    # Another employer's benchmark is its own.
    other = app.test_client()
    sign_in(other, employers["b"][1])
    assert "did not submit" in other.get("/return/results").get_data(as_text=True)


def _add_action(client, **overrides):
    form = {
        "section_id": "workforce_planning",
        "description": "Recruit to the four unfilled posts",
        "finding": "10% of posts are unfilled",
        "lead": "Head of HR",
        "starts_on": "01/04/2018",
        "due_on": "31/03/2019",
        "outcome": "Vacancies below 5%",
        "evidence": "Monthly HR report",
        **overrides,
    }
    return client.post_form("/return/plan/new", form)


def test_the_action_plan_keeps_its_whole_history_and_exports_it(app, employers, cycle):
    employer = app.test_client()
    sign_in(employer, employers["a"][1], "Priya Shah")
    bad = _add_action(employer, description=" ", due_on="31/02/2019", starts_on="01/05/2019")
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Enter what will be done" in page and "Enter a real date" in page
    assert "Head of HR" in page  # what was typed is kept
    response = _add_action(employer)
    action_path = response.headers["Location"]
    action_id = int(action_path.rsplit("/", 1)[1])
    for status, text in (
        ("Amber", "Two posts advertised; interviews in May."),
        ("Amber", "One appointment made."),
        ("Complete", "All four posts filled."),
    ):
        assert (
            employer.post_form(
                f"{action_path}/progress", {"status": status, "text": text}, token_from=action_path
            ).status_code
            == 302
        )
    missing = employer.post_form(f"{action_path}/progress", {"status": "Green", "text": ""}, token_from=action_path)
    assert missing.status_code == 400 and "Enter the progress made" in missing.get_data(as_text=True)
    action = db.session.get(Action, action_id)
    history = [(u.status_from, u.status_to, u.by, u.text) for u in action.updates]
    assert history == [
        ("Red", "Amber", "Priya Shah", "Two posts advertised; interviews in May."),
        (None, None, "Priya Shah", "One appointment made."),
        ("Amber", "Complete", "Priya Shah", "All four posts filled."),
    ]
    assert action.status == "Complete"
    page = employer.get("/return/plan").get_data(as_text=True)
    assert "1 action: 0 Red, 0 Amber, 0 Green, 1 Complete. <strong>0 overdue.</strong>" in page
    assert "You said: 10% of posts are unfilled. We did: Recruit to the four unfilled posts" in page

    book = load_workbook(io.BytesIO(employer.get("/return/plan.xlsx").data))
    plan = book["Action plan"]
    assert [c.value for c in plan[2]] == [
        "Standard",
        "2020 Standard",
        "Action",
        "Finding it answers",
        "Lead",
        "Start",
        "Due",
        "Outcome",
        "Evidence",
        "Latest progress",
        "Status",
    ]
    row = [c.value for c in plan[3]]
    assert row[0] == "2017 Standard 2: Effective Workforce Planning" and row[1] is None  # no 2020 Standard tied
    assert row[2:5] == ["Recruit to the four unfilled posts", "10% of posts are unfilled", "Head of HR"]
    assert [d.date() for d in row[5:7]] == [date(2018, 4, 1), date(2019, 3, 31)]  # dates, not text
    assert plan.cell(row=3, column=6).number_format == "DD/MM/YYYY"
    assert row[9].endswith("All four posts filled.") and row[10] == "Complete"
    assert [r[3:5] for r in book["History"].iter_rows(min_row=2, values_only=True)] == [
        ("Red", "Amber"),
        (None, None),
        ("Amber", "Complete"),
    ]  # openpyxl reads empty cells as None
    pdf = text_of(employer.get("/return/plan.pdf").data)
    for expected in (
        "Northmoor County Council: health check action plan 2017",
        "Recruit to the four unfilled posts",
        "Latest progress",
        "Complete",
        "You said, we did",
    ):
        assert expected in pdf


def test_overdue_actions_are_flagged(app, employers, cycle):
    employer = app.test_client()
    sign_in(employer, employers["a"][1])
    past = (clock.today() - timedelta(days=3)).strftime("%d/%m/%Y")
    _add_action(employer, starts_on="", due_on=past)
    page = employer.get("/return/plan").get_data(as_text=True)
    assert "<strong>1 overdue.</strong>" in page and "Overdue: Recruit to the four unfilled posts" in page
    pdf = text_of(employer.get("/return/plan.pdf").data)
    assert f"{past} Overdue" in " ".join(pdf.split()) and "Page 1" in pdf and "1 overdue" in pdf


def test_one_employer_can_never_reach_anothers_plan_or_benchmark(app, accounts, employers, cycle):
    a, b = app.test_client(), app.test_client()
    sign_in(a, employers["a"][1])
    sign_in(b, employers["b"][1])
    action_id = int(_add_action(a).headers["Location"].rsplit("/", 1)[1])
    for path in (f"/return/plan/{action_id}",):
        assert b.get(path).status_code == 404
    assert (
        b.post_form(
            f"/return/plan/{action_id}/progress",
            {"status": "Complete", "text": "Hijacked"},
            token_from="/return/plan/new",
        ).status_code
        == 404
    )
    assert (
        b.post_form(
            f"/return/plan/{action_id}", {"section_id": "cpd", "description": "Hijacked"}, token_from="/return/plan/new"
        ).status_code
        == 404
    )
    for path in ("/return/plan", "/return/plan.xlsx", "/return/plan.pdf"):
        body = b.get(path).data
        assert b"Recruit to the four unfilled posts" not in body, path
    assert db.session.get(Action, action_id).status == "Red" and not db.session.get(Action, action_id).updates
    # Coordinator pages are not reachable with a link, whatever the ids.
    for path in (
        f"/admin/cycles/2017/returns/{employers['a'][0].id}/plan",
        f"/admin/cycles/2017/returns/{employers['a'][0].id}",
    ):
        assert b.get(path).status_code == 302
    # A coordinator can read the plan.
    coordinator = signed_in(app, "viewer")
    page = coordinator.get(f"/admin/cycles/2017/returns/{employers['a'][0].id}/plan").get_data(as_text=True)
    assert "Recruit to the four unfilled posts" in page


def test_next_year_shows_last_years_actions_and_answers(app, accounts, employers, cycle):
    org, token = employers["a"]
    employer = submit_return(app, token)
    _add_action(employer)
    actor = Actor("Test")
    cycle.closes_at = now() - timedelta(days=1)
    c2018 = collection.create_cycle(
        2018, Q, now() - timedelta(hours=1), now() + timedelta(days=30), actor, previous=cycle
    )
    new_token = returns.issue_link(c2018, org)
    db.session.commit()
    next_year = app.test_client()
    sign_in(next_year, new_token)
    task_list = next_year.get("/return").get_data(as_text=True)
    assert (
        "Review last year’s actions" in task_list
        and "Recruit to the four unfilled posts – <strong>Red</strong>" in task_list
    )
    page = next_year.get("/return/section/workforce_planning").get_data(as_text=True)
    assert "Your answers in 2017" in page and "Shadowing and secondments" in page
    assert 'value="40"' not in page  # last year's answers are shown beside the form, not filled in


def test_consent_to_be_named_reaches_the_report(app, accounts, employers, cycle):
    from healthcheck.cli import report  # noqa: F401  (the same code path as the web download)

    employer = app.test_client()
    sign_in(employer, employers["a"][1])
    fill_everything(employer)
    employer.post_form("/return/check", {"confirm": "y", "consent": "y"})
    submit_return(app, employers["b"][1])  # no consent
    assert publication.dataset(cycle).named == ["Northmoor County Council"]
    publish(app)
    pdf = text_of(signed_in(app, "viewer").get("/admin/cycles/2017/editions/1/report.pdf").data)
    assert "Respondents that agreed to be named: Northmoor County Council." in pdf
    assert "London Borough of Eastwick" not in pdf


def test_the_benchmarks_command_writes_every_employer_in_one_process_or_several(app, cycle, tmp_path):

    with_peers(cycle, count=6)
    env = dict(
        os.environ,
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        HEALTHCHECK_CONFIG="development",
        SECRET_KEY="t" * 40,
    )
    command = [str(Path(sys.executable).parent / "healthcheck"), "benchmarks", "--cycle", "2017", "--out"]
    for processes in ("1", "2"):
        out = tmp_path / processes
        done = subprocess.run(
            command + [str(out), "--processes", processes], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        assert "6 benchmarks written" in done.stdout
        assert [len(list(out.glob(f"*.{kind}"))) for kind in ("pdf", "csv", "json")] == [6, 6, 6]


def test_you_said_we_did_ends_each_sentence_once():
    """Issue 19: "quarter.. We did" and "8%.)." from findings and progress typed with full stops."""

    section = next(s for s in load("health-check", "2017.1").sections if s.standard)
    action = {
        "section_id": section.id,
        "finding": "Caseloads rose last quarter.",
        "description": "Review caseloads.",
        "status": "Amber",
        "updates": [{"at": datetime(2027, 1, 5, tzinfo=UTC), "text": "Down to 8%."}],
    }
    line = you_said_we_did([section], [action])[0]
    assert line == (
        "You said: Caseloads rose last quarter. We did: Review caseloads (05/01/2027: Down to 8%). Status: Amber."
    )
    assert ".." not in line and ".)" not in line


def test_the_plan_names_each_standard_with_its_year_and_keeps_the_2020_standard_in_every_format():
    """Issue 30: the PDF and XLSX dropped an action's 2020 Standard; the page mixed "Standard 4: Managing
    Risks and Resources" with "4. Wellbeing"; an action with no finding got "You said: the health check
    raised effective workforce planning"."""

    q = load("health-check", "2017.1")
    risks = next(s for s in q.sections if s.id == "risks_resources")
    action = {
        "section_id": risks.id,
        "staff_standard": "standard_4",
        "description": "Quiet rooms in every office",
        "finding": "",
        "lead": "",
        "starts_on": None,
        "due_on": None,
        "outcome": "",
        "evidence": "",
        "status": "Green",
        "updates": [],
    }
    titles = {"standard_4": "2020 Standard 4: Wellbeing"}
    book = load_workbook(io.BytesIO(plan_xlsx("A", 2017, q.sections, [action], q.version, titles)))
    header, row = ([c.value for c in r] for r in book["Action plan"].iter_rows(min_row=2, max_row=3))
    assert header[:3] == ["Standard", "2020 Standard", "Action"]
    assert row[:3] == [
        "2017 Standard 4: Managing Risks and Resources",
        "2020 Standard 4: Wellbeing",
        "Quiet rooms in every office",
    ]
    pdf = " ".join(text_of(plan_pdf("A", 2017, q.sections, [action], date(2018, 1, 1), q.version, titles)).split())
    assert "2017 Standard 4: Managing Risks and Resources" in pdf
    assert "Quiet rooms in every office Answers 2020 Standard 4: Wellbeing" in pdf
    (line,) = you_said_we_did(q.sections, [action], q.version)
    assert line == (
        "We did, for 2017 Standard 4: Managing Risks and Resources: Quiet rooms in every office. Status: Green."
    )
    assert "You said:" not in pdf and "raised" not in pdf


class _DetailsForm(HTMLParser):
    """The fields of the action page's Details form, as a browser would send them."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.inside = False
        self.field: str | None = None
        self.option: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = "/progress" not in (a.get("action") or "")
        elif self.inside and tag == "input" and a.get("name") and a.get("type") != "submit":
            self.fields[a["name"]] = a.get("value") or ""
        elif self.inside and tag in ("textarea", "select"):
            self.field = a["name"]
            self.fields[self.field] = ""
        elif self.inside and tag == "option" and "selected" in a:
            self.fields[self.field] = a.get("value") or ""

    def handle_data(self, data):
        if self.field and self.inside and self.lasttag == "textarea":
            self.fields[self.field] += data

    def handle_endtag(self, tag):
        if tag in ("textarea", "select"):
            self.field = None
        elif tag == "form":
            self.inside = False


def _edit_form(page: str, **changes) -> dict:
    parser = _DetailsForm()
    parser.feed(page)
    return {k: v.strip() for k, v in parser.fields.items() if k != "csrf_token"} | changes


def test_two_tabs_editing_one_action_meet_a_conflict_not_an_overwrite(app, employers, cycle):
    """Issue 18: the second of two tabs saved over the first, even wiping a field it never touched."""
    employer = app.test_client()
    sign_in(employer, employers["a"][1])
    path = _add_action(employer).headers["Location"]
    first_tab, second_tab = employer.get(path).get_data(as_text=True), employer.get(path).get_data(as_text=True)
    saved = employer.post_form(path, _edit_form(first_tab, lead="Director of HR"), token_from=path)
    assert saved.status_code == 302
    stale = employer.post_form(path, _edit_form(second_tab, outcome="Vacancies below 3%"), token_from=path)
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "Someone else changed this action" in page
    assert "Vacancies below 3%" in page and "Director of HR" in page  # what was typed, and what is stored
    again = employer.post_form(path, _edit_form(page, outcome="Vacancies below 3%"), token_from=path)
    assert again.status_code == 302  # saved knowingly, on the stored version
    final = employer.get(path).get_data(as_text=True)
    assert "Vacancies below 3%" in final and "Director of HR" in final  # the first tab's change survives
