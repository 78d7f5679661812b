"""Soft checks through the web: a warning after a save, confirmed or changed, listed on check
answers and shown to the coordinator; the employer is never blocked."""

import io
import re
from datetime import timedelta

from click.testing import CliRunner

import forms
from healthcheck.cli import import_
from healthcheck.extensions import db
from healthcheck.models import AuditEvent, Response
from healthcheck.store import Actor, checks, collection, publication, returns
from tests.answers import FULL_RETURN
from tests.environment import now
from tests.helpers import GOOD, publish, save, sign_in, signed_in, submit_return, with_peers, write_csv

Q = forms.load("health-check", "2017.1")
FALL = "You entered 15 posts; last year&#39;s return had 40. Check this is right."


def next_year(app, cycle, employers, key="a"):
    """Last year (2017) submitted with 40 posts; a 2018 cycle following it, signed in to ``key``'s link."""
    submit_return(app, employers[key][1])
    cycle.closes_at = now() - timedelta(days=1)
    c2018 = collection.create_cycle(
        2018, Q, now() - timedelta(hours=1), now() + timedelta(days=30), Actor("Test"), previous=cycle
    )
    token = returns.issue_link(c2018, employers[key][0])
    db.session.commit()
    employer = app.test_client()
    sign_in(employer, token)
    return employer, c2018


def workforce(**changes):
    return {**FULL_RETURN["workforce_planning"], **changes}


def test_a_warning_after_saving_is_confirmed_or_changed_and_never_blocks(app, accounts, employers, cycle):
    employer, c2018 = next_year(app, cycle, employers)
    saved = save(employer, "workforce_planning", workforce(posts="15", posts_agency="3"))
    assert saved.status_code == 302 and saved.headers["Location"].endswith(
        "/return/section/workforce_planning?saved=1#warnings"
    )
    response = db.session.query(Response).filter_by(cycle_id=c2018.id).one()
    assert response.answers["posts"] == 15  # saved regardless
    page = employer.get("/return/section/workforce_planning?saved=1").get_data(as_text=True)
    assert "govuk-warning-text" in page and FALL in page and "govuk-error-summary" not in page
    assert "Yes, this is right" in page
    assert "1 answer to check" in employer.get("/return").get_data(as_text=True)
    # A share of agency cover up by more than 20 points: 3 of 15 (20 %) against 3 of 40 (7.5 %) is 12.5
    assert "agency or temporary" not in page

    key = re.search(r'name="confirmed" type="checkbox" value="([^"]+)"', page).group(1)
    confirmed = employer.post_form("/return/section/workforce_planning", {"action": "confirm", "confirmed": key})
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith("/return/section/safe_workloads")
    page = employer.get("/return/section/workforce_planning").get_data(as_text=True)
    assert FALL in page and "Confirmed as right by Priya Shah" in page and 'name="confirmed"' not in page
    assert db.session.query(AuditEvent).filter_by(action="confirm_warnings").count() == 1
    assert "to check" not in employer.get("/return").get_data(as_text=True)

    # Saving the same answer again keeps the confirmation; a changed answer raises the warning afresh.
    assert save(employer, "workforce_planning", workforce(posts="15")).headers["Location"].endswith("/safe_workloads")
    again = save(employer, "workforce_planning", workforce(posts="16", posts_agency="12"))
    assert again.headers["Location"].endswith("?saved=1#warnings")
    page = employer.get("/return/section/workforce_planning").get_data(as_text=True)
    assert "You entered 16 posts; last year&#39;s return had 40." in page and "Confirmed as right" not in page
    assert (
        "You entered 12 of 16 posts covered by agency or temporary staff (75%); last year&#39;s return had 3 "
        "of 40 (7.5%)." in page
    )

    # Check answers lists every warning and whether it was confirmed; submission is not blocked.
    for section_id, form in FULL_RETURN.items():
        if section_id != "workforce_planning":
            save(employer, section_id, form)
    save(employer, "safe_workloads", {**FULL_RETURN["safe_workloads"], "caseload_team_member": "60"})
    check = employer.get("/return/check").get_data(as_text=True)
    assert "Answers to check (3)" in check and "You entered 16 posts" in check and "covered by agency" in check
    assert "You entered an average caseload of 60 for team members; last year&#39;s return had 24." in check
    assert check.count("Not confirmed") == 3
    assert employer.post_form("/return/check", {"confirm": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Response, response.id).status == "submitted"


def test_confirming_is_refused_without_a_token_and_ignores_stale_keys(app, accounts, employers, cycle):
    employer, c2018 = next_year(app, cycle, employers)
    save(employer, "workforce_planning", workforce(posts="15"))
    path = "/return/section/workforce_planning"
    assert employer.post(path, data={"action": "confirm", "confirmed": "posts:change:15/40"}).status_code == 400
    stale = employer.post_form(path, {"action": "confirm", "confirmed": "posts:change:99/40"})
    assert stale.headers["Location"].endswith("#warnings")
    assert db.session.query(AuditEvent).filter_by(action="confirm_warnings").count() == 0


def test_no_previous_return_means_no_warning(client, employers):
    sign_in(client, employers["a"][1])
    saved = save(client, "workforce_planning", workforce(posts="15"))
    assert saved.headers["Location"].endswith("/return/section/safe_workloads")
    assert "govuk-warning-text" not in client.get("/return/section/workforce_planning").get_data(as_text=True)


def test_the_coordinator_sees_returns_with_warnings_and_each_warning(app, accounts, employers, cycle):
    employer, c2018 = next_year(app, cycle, employers)
    save(employer, "workforce_planning", workforce(posts="15"))
    coordinator = signed_in(app, "coordinator")
    dashboard = coordinator.get("/admin/cycles/2018").get_data(as_text=True)
    assert "1 return with answers not yet confirmed, 0 with every answer to check confirmed" in dashboard
    listed = coordinator.get("/admin/cycles/2018/warnings").get_data(as_text=True)
    assert employers["a"][0].name in listed and FALL in listed
    org_id = employers["a"][0].id
    page = coordinator.get(f"/admin/cycles/2018/returns/{org_id}").get_data(as_text=True)
    assert "Answers to check (1)" in page and FALL in page and "Not confirmed" in page

    key = "posts:change:15/40"
    employer.post_form("/return/section/workforce_planning", {"action": "confirm", "confirmed": key})
    dashboard = coordinator.get("/admin/cycles/2018").get_data(as_text=True)
    assert "0 returns with answers not yet confirmed, 1 with every answer to check confirmed" in dashboard
    assert employers["a"][0].name not in coordinator.get("/admin/cycles/2018/warnings").get_data(as_text=True)
    assert employers["a"][0].name in coordinator.get("/admin/cycles/2018/warnings?show=all").get_data(as_text=True)
    page = coordinator.get(f"/admin/cycles/2018/returns/{org_id}").get_data(as_text=True)
    assert "Confirmed</strong> by Priya Shah" in page

    # A coordinator entering answers on the organisation's behalf gets the same warnings.
    path = f"/admin/cycles/2018/returns/{org_id}/section/safe_workloads"
    form = coordinator.get(path).get_data(as_text=True)
    version = re.search(r'name="section_version" type="hidden" value="(\d+)"', form).group(1)
    entered = coordinator.post_form(
        path,
        {
            **FULL_RETURN["safe_workloads"],
            "caseload_team_member": "5",
            "section_version": version,
            "action": "continue",
        },
    )
    assert entered.status_code == 302 and entered.headers["Location"].endswith("?saved=1#warnings")
    page = coordinator.get(path).get_data(as_text=True)
    assert "You entered an average caseload of 5 for team members; last year&#39;s return had 24." in page


# ---------------------------------------------------------------- the importer


def import_file(tmp_path, **changes):

    return write_csv(tmp_path / "returns.csv", [{**GOOD, **changes}], header=list(GOOD))


def test_the_import_command_reports_warnings_per_cell_and_imports_anyway(app, accounts, employers, cycle, tmp_path):

    next_year(app, cycle, employers)
    result = CliRunner().invoke(import_, ["--cycle", "2018", str(import_file(tmp_path, posts="15"))])
    assert result.exit_code == 0, result.output
    assert (
        "warning: row 2, column posts: You entered 15 posts; last year's return had 40. Check this is right."
        in result.output
    )
    assert "1 answer to check (warnings, which do not stop the import)" in result.output
    assert "1 returns imported" in result.output
    # The imported return keeps its warning, unconfirmed, for the coordinator to follow up.
    page = signed_in(app, "viewer").get(f"/admin/cycles/2018/returns/{employers['a'][0].id}").get_data(as_text=True)
    assert "Answers to check (1)" in page and FALL in page and "Not confirmed" in page


def test_errors_still_refuse_the_file_and_warnings_are_listed_with_them(app, accounts, employers, cycle, tmp_path):

    next_year(app, cycle, employers)
    result = CliRunner().invoke(
        import_, ["--cycle", "2018", str(import_file(tmp_path, posts="15", posts_unfilled="99"))]
    )
    assert result.exit_code == 1
    assert "warning: row 2, column posts: You entered 15 posts" in result.output
    assert "row 2, column posts_unfilled:" in result.output and "nothing was imported" in result.output
    assert db.session.query(Response).filter(Response.cycle_id != cycle.id, Response.status == "submitted").count() == 0


def test_an_uploaded_file_is_checked_with_its_warnings_then_imported(app, accounts, employers, cycle, tmp_path):

    next_year(app, cycle, employers)
    coordinator = signed_in(app, "coordinator")
    content = import_file(tmp_path, posts="15").read_bytes()
    checked = coordinator.post_form("/admin/cycles/2018/import", {"file": (io.BytesIO(content), "returns.csv")})
    page = coordinator.get(checked.headers["Location"]).get_data(as_text=True)
    assert "1 answer to check" in page and "row 2, column posts: " + FALL in page
    assert "Every cell of the 1 rows of returns.csv is valid" in page
    done = coordinator.post_form(checked.headers["Location"] + "/import", {}, token_from=checked.headers["Location"])
    page = coordinator.get(done.headers["Location"]).get_data(as_text=True)
    assert "1 returns imported" in page and "row 2, column posts: " + FALL in page


# ---------------------------------------------------------------- against last year's national figures


def test_an_answer_outside_last_years_national_range_is_questioned(app, accounts, employers, cycle):

    with_peers(cycle, count=12)
    employer, c2018 = next_year(app, cycle, employers)
    publish(app)

    edition = publication.latest_edition(cycle)
    ranges = checks.peer_ranges(c2018, Q, __import__("pathlib").Path(app.config["EDITIONS_FOLDER"]), 3)
    low, high = ranges["hours_per_week"]
    assert edition is not None and low <= 37 <= high
    saved = save(employer, "workforce_planning", workforce(hours_per_week=str(int(high) + 5)))
    assert saved.headers["Location"].endswith("?saved=1#warnings")
    page = employer.get("/return/section/workforce_planning").get_data(as_text=True)
    assert (
        f"You entered {int(high) + 5} hours a week, which is higher than 19 in 20 of the figures employers "
        "returned last year. Check this is right."
    ) in page
    within = save(employer, "workforce_planning", workforce(hours_per_week="37"))
    assert within.headers["Location"].endswith("/return/section/safe_workloads")


def test_a_coordinator_confirms_on_the_organisations_behalf_and_a_viewer_cannot(app, accounts, employers, cycle):
    employer, c2018 = next_year(app, cycle, employers)
    save(employer, "workforce_planning", workforce(posts="15"))
    path = f"/admin/cycles/2018/returns/{employers['a'][0].id}/section/workforce_planning"
    viewer = signed_in(app, "viewer")
    page = viewer.get(path).get_data(as_text=True)
    assert FALL in page and 'name="confirmed"' not in page
    coordinator = signed_in(app, "coordinator")
    assert 'name="confirmed"' in coordinator.get(path).get_data(as_text=True)
    done = coordinator.post_form(path, {"action": "confirm", "confirmed": "posts:change:15/40"})
    assert done.headers["Location"].endswith("/section/safe_workloads")
    assert "Confirmed as right by Cora Ordinator" in employer.get("/return/section/workforce_planning").get_data(
        as_text=True
    )
