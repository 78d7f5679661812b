"""Imports and exports by the codebook's columns, through the command line."""

import json
import re

from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select

import forms
from healthcheck.cli import export, import_, invite, orgs, template
from healthcheck.extensions import db
from healthcheck.models import AuditEvent, CommentReview, Organisation, Response, SubmittedVersion
from healthcheck.store import Actor, collection, publication, returns, review
from healthcheck.transfer import columns
from tests.helpers import GOOD, fill_everything, save, sign_in, signed_in, write_csv

Q = forms.load("health-check", "2017.1")


def run(command, args):
    return CliRunner().invoke(command, args, catch_exceptions=False)


def test_template_writes_the_codebook_columns(app, cycle, tmp_path):
    result = run(template, ["--cycle", "2017", "--out", str(tmp_path / "returns.xlsx")])
    assert result.exit_code == 0
    book = load_workbook(tmp_path / "returns.xlsx")
    assert [c.value for c in book["returns"][1]] == columns(Q)
    assert book["codebook"]["A2"].value == "contact_first_name"
    run(template, ["--cycle", "2017", "--out", str(tmp_path / "returns.csv")])
    assert (tmp_path / "returns.csv").read_text().splitlines()[0] == ",".join(columns(Q))
    assert (tmp_path / "returns-codebook.csv").exists()


def test_an_import_with_bad_rows_reports_every_bad_cell_and_writes_nothing(app, employers, cycle, tmp_path):
    bad = [
        {**GOOD, "posts": "ten", "posts_agency": "50", "line_management_supervision": "Sometimes"},
        {**GOOD, "organisation": "Nowhere Council"},
        {
            **GOOD,
            "organisation": "London Borough of Eastwick",
            "welfare_system": "No",
            "welfare_access": "Yes",
            "profession_opportunities": "Mentoring programmes;other",
            "hours_per_week": "81",
        },
        {**GOOD, "organisation": "northmoor county council"},
    ]
    path = write_csv(tmp_path / "bad.csv", bad, columns(Q) + ["shoe_size"])
    result = CliRunner().invoke(import_, ["--cycle", "2017", str(path)])
    assert result.exit_code == 1
    out = result.output
    for line in (
        "row 1, column shoe_size: not a column of this cycle's codebook",
        "row 2, column posts: Enter the number of posts as a whole number, like 12",
        "row 2, column line_management_supervision: Select one of the options shown",
        "row 3, column organisation: no organisation with this name or ONS code in the register",
        "row 4, column welfare_access: answered, but not asked given the answers to welfare_system",
        "row 4, column profession_opportunities_other: Enter details for “Other”",
        "row 4, column hours_per_week: The average hours worked a week must be 80 or fewer",
        "row 5, column organisation: Northmoor County Council is also on row 2",
    ):
        assert line in out, line
    # posts_agency 50 > posts would be reported too, but posts itself is invalid on that row.
    assert "nothing was imported" in out
    assert {r.status for r in db.session.scalars(select(Response))} == {"not_started"}  # nothing written
    assert db.session.scalars(select(SubmittedVersion)).all() == []


def test_import_marks_returns_submitted_and_export_reimports_unchanged(app, employers, cycle, tmp_path):
    path = write_csv(
        tmp_path / "good.csv",
        [GOOD, {**GOOD, "organisation": "London Borough of Eastwick", "posts": "12", "posts_unfilled": "0"}],
    )
    result = run(import_, ["--cycle", "2017", str(path)])
    assert "2 returns imported" in result.output
    response = db.session.scalar(select(Response).join(Organisation).where(Organisation.name == GOOD["organisation"]))
    assert response.status == "submitted"
    answers = returns.submitted_versions(response.id)[-1].answers
    assert answers["line_management_supervision"] == "monthly"
    assert answers["profession_opportunities"] == ["mentoring", "research"]
    assert answers["caseload_senior_practitioner"] == "n/a" and answers["welfare_access"] == "dont_know"
    assert answers["professional_supervision_other"] == '=HYPERLINK("x")'
    assert "import" in [e.action for e in db.session.scalars(select(AuditEvent))]

    # A second import of the same file needs --replace.
    again = CliRunner().invoke(import_, ["--cycle", "2017", str(path)])
    assert again.exit_code == 1 and "use --replace to overwrite it" in again.output

    before = {r.organisation.name: a for r, a in publication.returns_for_export(cycle)}
    for fmt in ("csv", "xlsx", "json"):
        out = tmp_path / f"export.{fmt}"
        run(export, ["--cycle", "2017", "--format", fmt, "--out", str(out)])
        if fmt == "json":
            payload = json.loads(out.read_text())
            assert payload["codebook"][0]["column"] == "contact_first_name"
            assert payload["returns"][1]["organisation"] == "Northmoor County Council"
            continue
        if fmt == "csv":
            text = out.read_text()
            assert "'=HYPERLINK" in text and "'- new system" in text and "'@all thanks" in text
            assert (tmp_path / "export-codebook.csv").exists()
        else:
            sheet = load_workbook(out)["returns"]  # the text exactly as typed, in a cell marked as text
            cells = [c for row in sheet.iter_rows() for c in row]
            assert '=HYPERLINK("x")' in [c.value for c in cells] and not any(c.data_type == "f" for c in cells)
        replaced = run(import_, ["--cycle", "2017", "--replace", str(out)])
        assert "2 returns imported" in replaced.output, replaced.output
        after = {r.organisation.name: a for r, a in publication.returns_for_export(cycle)}
        assert after == before, fmt


def test_organisations_import_reports_rows_and_is_all_or_nothing(app, tmp_path):
    header = ["name", "authority_type", "ons_code", "region", "contact_email"]
    bad = write_csv(
        tmp_path / "orgs.csv",
        [
            {"name": "Fenwick Council", "authority_type": "unitary authority", "ons_code": "E06000903"},
            {"name": "", "authority_type": "Parish", "ons_code": "123", "contact_email": "nope"},
            {"name": "fenwick council", "authority_type": "Unitary Authority"},
        ],
        header,
    )
    result = CliRunner().invoke(orgs, ["import", str(bad)])
    assert result.exit_code == 1
    for line in (
        "row 3, column name: enter the organisation's name",
        "row 3, column authority_type: must be one of: Shire County, London Borough",
        "row 3, column ons_code: must be a letter and 8 digits",
        "row 3, column contact_email: is not an email",
        "row 4, column name: also on row 2",
    ):
        assert line in result.output, line
    assert db.session.scalars(select(Organisation)).all() == []
    good = write_csv(
        tmp_path / "orgs.csv",
        [
            {
                "name": "Fenwick Council",
                "authority_type": "unitary authority",
                "ons_code": "e06000903",
                "contact_email": "PSW@fenwick.example.org",
            }
        ],
        header,
    )
    assert "1 added, 0 updated" in run(orgs, ["import", str(good)]).output
    org = collection.organisation_by_name("Fenwick Council")
    assert (org.authority_type, org.ons_code, org.contact_email) == (
        "Unitary Authority",
        "E06000903",
        "psw@fenwick.example.org",
    )
    assert "0 added, 1 updated" in run(orgs, ["import", str(good)]).output


def test_the_whole_collection_from_cycle_to_clean_dataset(app, accounts, smtp, tmp_path):
    """Issue 3's story: a coordinator creates a cycle, imports organisations, invites them over
    SMTP; an employer submits; the dashboard shows it; the coordinator reopens it; the employer
    amends; the export re-imports to identical data."""

    coordinator = signed_in(app, "coordinator")
    coordinator.post_form(
        "/admin/cycles/new",
        {"year": "2017", "questionnaire": "health-check@2017.1", "opens": "01/01/2017", "closes": "31/12/2099"},
    )
    register = write_csv(
        tmp_path / "orgs.csv",
        [
            {
                "name": "Northmoor County Council",
                "authority_type": "Shire County",
                "contact_email": "psw@northmoor.example.org",
            },
            {
                "name": "Fenwick Council",
                "authority_type": "Unitary Authority",
                "contact_email": "psw@fenwick.example.org",
            },
        ],
        ["name", "authority_type", "ons_code", "region", "contact_email"],
    )
    run(orgs, ["import", str(register)])
    assert "2 sent, 0 failed" in run(invite, ["--cycle", "2017"]).output
    message = next(m for m in smtp.messages if m["To"] == "psw@northmoor.example.org")
    link = re.search(r"/start/[\w-]+", message.get_content()).group(0)

    employer = app.test_client()
    sign_in(employer, link.rsplit("/", 1)[1])
    fill_everything(employer)
    employer.post_form("/return/check", {"confirm": "y"})
    page = coordinator.get("/admin/cycles/2017").get_data(as_text=True)
    assert re.search(
        r"Northmoor County Council</a></td>\s*<td[^>]*>Shire County</td>\s*<td[^>]*><strong[^>]*>Submitted", page
    )

    org = collection.organisation_by_name("Northmoor County Council")
    base = f"/admin/cycles/2017/returns/{org.id}"
    coordinator.post_form(f"{base}/reopen", {"message": "Check hours."}, token_from=base)
    assert "Check hours." in employer.get("/return").get_data(as_text=True)
    save(
        employer,
        "workforce_planning",
        {**__import__("tests.answers", fromlist=["x"]).FULL_RETURN["workforce_planning"], "hours_per_week": "36"},
    )
    employer.post_form("/return/check", {"confirm": "y"})

    cycle = collection.cycle_by_year(2017)
    before = {r.organisation.name: a for r, a in publication.returns_for_export(cycle)}
    assert before["Northmoor County Council"]["hours_per_week"] == 36
    run(export, ["--cycle", "2017", "--format", "csv", "--out", str(tmp_path / "all.csv")])
    assert "1 returns imported" in run(import_, ["--cycle", "2017", "--replace", str(tmp_path / "all.csv")]).output
    assert {r.organisation.name: a for r, a in publication.returns_for_export(cycle)} == before


def test_a_replacing_import_versions_the_return_and_requeues_only_changed_comments(app, employers, cycle, tmp_path):

    first = {**GOOD, "ict_plans": "Roll out laptops", "final_comments": "Thanks from Northmoor County Council"}
    run(import_, ["--cycle", "2017", str(write_csv(tmp_path / "first.csv", [first]))])
    response = db.session.scalar(select(Response).join(Organisation).where(Organisation.name == GOOD["organisation"]))
    reviews = {
        r.question_id: r
        for r in db.session.scalars(select(CommentReview).where(CommentReview.response_id == response.id))
    }
    assert reviews["final_comments"].redacted == "Thanks from <Organisation name>"
    review.decide_review(reviews["ict_plans"], reviews["ict_plans"].redacted, "approved", Actor("Coordinator"))
    review.decide_review(
        reviews["final_comments"], reviews["final_comments"].redacted, "approved", Actor("Coordinator")
    )
    db.session.commit()

    second = {
        **first,
        "final_comments": "Changed",
        "professional_supervision": "monthly",
        "professional_supervision_other": "",
    }
    result = run(import_, ["--cycle", "2017", "--replace", str(write_csv(tmp_path / "second.csv", [second]))])
    assert "1 returns imported" in result.output, result.output
    db.session.expire_all()
    versions = returns.submitted_versions(response.id)
    assert [v.number for v in versions] == [1, 2] and versions[0].reference != versions[1].reference
    assert versions[1].answers["final_comments"] == "Changed"
    stored = db.session.get(Response, response.id)
    assert stored.answers == versions[1].answers
    assert {page["version"] for page in stored.pages.values()} == {2} and len(stored.pages) == len(Q.sections)
    reviews = {
        r.question_id: r
        for r in db.session.scalars(select(CommentReview).where(CommentReview.response_id == response.id))
    }
    assert reviews["ict_plans"].status == "approved"  # unchanged: its review stands
    assert reviews["final_comments"].status == "pending" and reviews["final_comments"].reviewed_by is None
    assert "professional_supervision_other" not in reviews  # now blank: out of the queue
    actions = [e.action for e in returns.audit_trail(response.id)]
    assert actions.count("import") == 2 and actions.count("submit") == 2
    assert db.session.get(Response, response.id).status == "submitted"
