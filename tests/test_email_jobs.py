"""Every email a job (issue 32), and every message about it true (issues 31 and 32): a request
records what is to be sent and hands it to the worker; the worker writes and sends it through a
real SMTP server (aiosmtpd) and records the outcome in words; a job taken up again after its
worker stopped sends nothing twice; "retry failed" sends what failed."""

from __future__ import annotations

import re
import socket
from datetime import timedelta

from sqlalchemy import select, update

from healthcheck import jobs, notices
from healthcheck.extensions import db, writing
from healthcheck.models import EmailSend, Job, Response, SubmittedVersion
from healthcheck.store import Actor, contributors
from healthcheck.store import returns as return_rows
from tests.environment import now
from tests.helpers import fill_everything, sign_in, signed_in


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_new_users_link_that_cannot_be_emailed_is_said_to_have_failed_and_shown_once(app, accounts):
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=_closed_port())
    coordinator = signed_in(app, "coordinator")
    added = coordinator.post_form(
        "/admin/users/new",
        {"email": "val@example.org", "name": "Val Idate", "role": "viewer"},
        token_from="/admin/users/new",
    )
    page = added.get_data(as_text=True)
    assert added.status_code == 200 and "The email to val@example.org could not be sent" in page
    assert "The mail server could not be reached" in page and "[Errno" not in page and "refused" not in page
    assert "has been sent a link" not in page
    link = re.search(r'id="password-link">([^<]+)<', page).group(1)
    assert coordinator.get(link.split("127.0.0.1:5000", 1)[1]).status_code == 200  # the link shown works
    listed = coordinator.get("/admin/users").get_data(as_text=True)
    assert "Not sent: The mail server could not be reached" in listed and "[Errno" not in listed
    # The email's own link (made by the job, never delivered) does not work; only the one shown does.
    send = db.session.scalar(select(EmailSend).where(EmailSend.kind == "account"))
    assert send.outcome == "failed" and send.user.email == "val@example.org" and send.job_id is not None


def test_a_new_users_link_is_emailed_by_a_job_and_the_message_says_so(app, accounts, smtp):
    coordinator = signed_in(app, "coordinator")
    added = coordinator.post_form(
        "/admin/users/new",
        {"email": "val@example.org", "name": "Val Idate", "role": "viewer"},
        token_from="/admin/users/new",
    )
    assert added.status_code == 302
    listed = coordinator.get("/admin/users").get_data(as_text=True)
    assert "val@example.org has been emailed a link to set a password" in listed and "Sent (" in listed
    [message] = smtp.messages
    assert message["To"] == "val@example.org" and "/admin/reset/" in message.get_content()
    job = db.session.scalar(select(Job).where(Job.kind == "email"))
    assert job.status == "done" and job.detail["sent"] == 1


def test_a_reset_request_does_the_same_work_whether_or_not_the_account_exists(app, accounts, smtp):
    client = app.test_client()
    for typed in ("nobody@example.org", "Coord@example.org"):
        assert client.post_form("/admin/forgot-password", {"email": typed}).status_code == 200
    unknown, known = db.session.scalars(select(Job).where(Job.kind == "email").order_by(Job.id)).all()
    assert unknown.status == known.status == "done"
    assert unknown.detail == {"kind": "reset", "sent": 0, "failed": 0}  # the address typed is not kept
    assert known.detail == {"kind": "reset", "sent": 1, "failed": 0}
    [send] = db.session.scalars(select(EmailSend)).all()
    assert send.job_id == known.id and send.to_address == "coord@example.org" and send.outcome == "sent"
    assert [m["To"] for m in smtp.messages] == ["coord@example.org"]


def test_an_email_job_taken_up_again_after_its_worker_stopped_sends_nothing_twice(app, employers, cycle, smtp):
    """Two confirmations queued; the first attempt sent one and its worker died before the job
    finished. The attempt that takes it up sends the other alone."""

    org = employers["a"][0]
    org.contact_email = "psw@northmoor.example.org"
    db.session.commit()
    client = app.test_client()
    sign_in(client, employers["a"][1])
    fill_everything(client)
    assert client.post_form("/return/check", {"confirm": "y"}).status_code == 302
    assert len(smtp.messages) == 2  # the return's contact and the organisation's
    response = db.session.scalar(select(Response).where(Response.organisation_id == org.id))
    version = db.session.scalar(select(SubmittedVersion).where(SubmittedVersion.response_id == response.id))
    with writing():
        job = notices.queue_submitted(response, version, None, Actor("Test"))
    job_id = job.id
    first, second = db.session.scalars(select(EmailSend).where(EmailSend.job_id == job_id).order_by(EmailSend.id)).all()
    with writing():  # what the first attempt left: one sent, and the job running, its worker gone
        db.session.execute(update(EmailSend).where(EmailSend.id == first.id).values(outcome="sent"))
        db.session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(status="running", attempt=1, worker="a machine that died", heartbeat_at=now() - timedelta(hours=1))
        )
    assert jobs.take_up_stalled() == [job_id]
    stored = db.session.get(Job, job_id)
    db.session.refresh(stored)
    assert stored.status == "done" and stored.attempt == 2 and stored.detail["sent"] == 1
    assert [m["To"] for m in smtp.messages[2:]] == [second.to_address]
    assert [s.outcome for s in db.session.scalars(select(EmailSend).where(EmailSend.job_id == job_id))] == [
        "sent",
        "sent",
    ]


def test_a_reopen_note_that_cannot_be_sent_is_said_so_and_retry_failed_sends_it(app, accounts, employers, cycle, smtp):
    org = employers["a"][0]
    org.contact_email = "psw@northmoor.example.org"
    db.session.commit()
    client = app.test_client()
    sign_in(client, employers["a"][1])
    fill_everything(client)
    assert client.post_form("/return/check", {"confirm": "y"}).status_code == 302
    working_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = _closed_port()  # the mail server goes away
    coordinator = signed_in(app, "coordinator")
    path = f"/admin/cycles/2017/returns/{org.id}"
    done = coordinator.post_form(f"{path}/reopen", {"message": "Please check the vacancy figures."}, token_from=path)
    assert done.status_code == 302
    page = coordinator.get(path).get_data(as_text=True)
    assert "The email telling the organisation could not be sent" in page and "[Errno" not in page
    dashboard = coordinator.get("/admin/cycles/2017").get_data(as_text=True)
    assert "1 email could not be sent" in dashboard and "return reopened" in dashboard
    assert "The mail server could not be reached" in dashboard and "[Errno" not in dashboard
    app.config["MAIL_PORT"] = working_port
    before = len(smtp.messages)
    coordinator.post_form("/admin/cycles/2017/send/retry", {}, token_from="/admin/cycles/2017")
    [note] = smtp.messages[before:]
    assert note["To"] == "psw@northmoor.example.org" and "Please check the vacancy figures." in note.get_content()
    assert "could not be sent" not in coordinator.get("/admin/cycles/2017").get_data(as_text=True)


def test_a_withdrawn_contributors_queued_invitation_is_not_sent(app, employers, cycle, smtp):

    psw = app.test_client()
    sign_in(psw, employers["a"][1])
    with writing():
        response = return_rows.return_for(cycle, employers["a"][0])
    with writing():
        someone, _ = contributors.invite(
            response,
            Actor("Priya Shah"),
            name="Sam Okoro",
            email="sam@example.org",
            job_title=None,
            sections=None,
            can_sign_off=False,
        )
        job = notices.queue_invitation(someone, Actor("Priya Shah"))
        contributors.revoke(someone, Actor("Priya Shah"))
    jobs.send_later(job)
    assert smtp.messages == []
    send = db.session.scalar(select(EmailSend).where(EmailSend.kind == "contributor"))
    assert send.outcome == "cancelled"
    listed = psw.get("/return/contributors").get_data(as_text=True)
    assert "Not sent: no longer needed" in listed
