"""Invitations and reminders through a real SMTP server on loopback (aiosmtpd)."""

import re

from click.testing import CliRunner
from sqlalchemy import select

from healthcheck.cli import invite, remind
from healthcheck.extensions import db
from healthcheck.models import EmailSend
from healthcheck.store import collection
from tests.helpers import signed_in, submit_return


def with_contacts(employers):
    employers["a"][0].contact_email = "psw@northmoor.example.org"
    employers["b"][0].contact_email = "reject-me@eastwick.example.org"  # the server refuses this mailbox
    db.session.commit()


def link_in(message) -> str:
    return re.search(r"http://127\.0\.0\.1:5000(/start/[\w-]+)", message.get_content()).group(1)


def test_invite_sends_working_links_records_failures_and_retries(app, employers, cycle, smtp):
    with_contacts(employers)
    result = CliRunner().invoke(invite, ["--cycle", "2017"], catch_exceptions=False)
    assert "Sending invitations" in result.output and "1 sent, 1 failed" in result.output
    assert "failed: London Borough of Eastwick <reject-me@eastwick.example.org>" in result.output
    [message] = smtp.messages
    assert message["To"] == "psw@northmoor.example.org"
    assert message["Subject"] == "Social Work Health Check 2017: your organisation's return"
    assert "Northmoor County Council" in message.get_content()
    client = app.test_client()
    # The invitation's link works, and replaced the one issued before.
    assert client.get(link_in(message)).status_code == 200
    assert client.get(f"/start/{employers['a'][1]}").status_code == 410
    # The failed organisation keeps its old link: nothing undelivered works.
    assert client.get(f"/start/{employers['b'][1]}").status_code == 200
    sends = db.session.scalars(select(EmailSend).order_by(EmailSend.to_address)).all()
    assert [(s.outcome, s.to_address) for s in sends] == [
        ("sent", "psw@northmoor.example.org"),
        ("failed", "reject-me@eastwick.example.org"),
    ]
    assert sends[0].error is None and "550" in sends[1].error

    # Inviting again goes only to those not yet invited: the failed one, which fails again.
    again = CliRunner().invoke(invite, ["--cycle", "2017"]).output
    assert "0 sent, 1 failed" in again
    assert len(collection.failed_sends(cycle)) == 1  # the newest failure supersedes the first
    employers["b"][0].contact_email = "psw@eastwick.example.org"
    db.session.commit()
    retry = CliRunner().invoke(invite, ["--cycle", "2017", "--retry-failed"], catch_exceptions=False)
    assert "1 sent, 0 failed" in retry.output
    assert smtp.messages[-1]["To"] == "psw@eastwick.example.org"
    assert collection.failed_sends(cycle) == []


def test_reminders_go_only_to_those_who_have_not_submitted(app, employers, cycle, smtp):

    employers["a"][0].contact_email = "psw@northmoor.example.org"
    employers["b"][0].contact_email = "psw@eastwick.example.org"
    db.session.commit()
    CliRunner().invoke(invite, ["--cycle", "2017"], catch_exceptions=False)
    northmoor = next(m for m in smtp.messages if m["To"] == "psw@northmoor.example.org")
    submit_return(app, link_in(northmoor).rsplit("/", 1)[1])
    result = CliRunner().invoke(remind, ["--cycle", "2017", "--not-submitted"], catch_exceptions=False)
    assert "1 sent, 0 failed" in result.output
    reminder = smtp.messages[-1]
    assert reminder["To"] == "psw@eastwick.example.org" and reminder["Subject"].strip().startswith("Reminder")
    # Both the invitation's link and the reminder's work.
    client = app.test_client()
    eastwick = next(m for m in smtp.messages if m["To"] == "psw@eastwick.example.org")
    assert client.get(link_in(eastwick)).status_code == 200
    assert client.get(link_in(reminder)).status_code == 200


def test_coordinator_edits_previews_and_sends_from_the_web(app, accounts, employers, cycle, smtp):
    with_contacts(employers)
    client = signed_in(app, "coordinator")
    path = "/admin/cycles/2017/emails/invitation"
    bad = client.post_form(path, {"subject": "Hello ((name))", "body": "No link here", "action": "save"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Remove or correct ((name))" in page and "Enter ((link)) in the body" in page
    preview = client.post_form(
        path,
        {
            "subject": "((year)) return for ((organisation))",
            "body": "Open ((link)) by ((deadline)).",
            "action": "preview",
        },
    )
    assert "2017 return for London Borough of Eastwick" in preview.get_data(as_text=True)  # first by name
    client.post_form(
        path,
        {"subject": "((year)) return for ((organisation))", "body": "Open ((link)) by ((deadline)).", "action": "save"},
    )
    sent = client.post_form("/admin/cycles/2017/send/invitation", {}, token_from="/admin/cycles/2017")
    assert [m["Subject"] for m in smtp.messages] == ["2017 return for Northmoor County Council"]
    job_page = client.get(sent.headers["Location"]).get_data(as_text=True)  # the job's page, each send's outcome
    assert "1 sent, 1 not sent." in job_page and re.search(
        r"reject-me@eastwick.example.org.*?Not sent: The mail server refused the address \(its code 550\)",
        job_page,
        re.S,
    )
    # Issue 31: no green "Done" over a failure.
    assert 'id="job-failures"' in job_page and "1 email could not be sent" in job_page and "job-done" not in job_page
    dashboard = client.get("/admin/cycles/2017").get_data(as_text=True)
    assert "1 email could not be sent" in dashboard and "refused the address (its code 550)" in dashboard
    employers["b"][0].contact_email = "psw@eastwick.example.org"
    db.session.commit()
    client.post_form("/admin/cycles/2017/send/retry", {}, token_from="/admin/cycles/2017")
    assert smtp.messages[-1]["To"] == "psw@eastwick.example.org"
    assert "could not be sent" not in client.get("/admin/cycles/2017").get_data(as_text=True)


def test_links_export_for_a_mail_merge(app, accounts, employers, cycle):
    client = signed_in(app, "coordinator")
    response = client.post_form("/admin/cycles/2017/links", {}, token_from="/admin/cycles/2017")
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "organisation,authority_type,contact_email,link" and len(lines) == 3
    path = lines[1].rsplit(",", 1)[1].split("127.0.0.1:5000", 1)[1]
    assert app.test_client().get(path).status_code == 200
    assert app.test_client().get(f"/start/{employers['a'][1]}").status_code == 200  # old links still work
