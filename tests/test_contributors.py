"""Named contributors: the PSW invites colleagues by email (a real SMTP server), each with a
personal link the PSW can withdraw; every change carries their name; only the PSW or the
signatory they name can submit, and the confirmation carries the submitted PDF."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import select

from healthcheck.extensions import db
from healthcheck.models import AuditEvent, Contributor, SubmittedVersion
from tests.answers import FULL_RETURN
from tests.environment import now
from tests.helpers import contribute, fill_everything, save, sign_in, signed_in


def invite(psw, smtp, name, email, *, sections=None, sign_off=False):
    """The PSW invites a colleague; the link from the email they receive."""
    form = {
        "name": name,
        "email": email,
        "job_title": "Head of HR",
        "scope": "chosen" if sections else "all",
        "sign_off": "yes" if sign_off else "no",
    }
    if sections:
        form["sections"] = sections
    done = psw.post_form("/return/contributors", form, token_from="/return/contributors")
    assert done.status_code == 302, done.get_data(as_text=True)[:3000]
    message = smtp.messages[-1]
    assert message["To"] == email
    return re.search(r"http://\S+/contribute/(\S+)", message.get_content()).group(1), message.get_content()


def test_a_contributor_edits_their_standards_under_their_name_and_cannot_submit(app, employers, smtp):
    employers["a"][0].contact_email = "psw@northmoor.example.org"
    db.session.commit()
    psw = app.test_client()
    sign_in(psw, employers["a"][1])
    token, text = invite(psw, smtp, "Sam Okoro", "sam.okoro@example.org", sections=["workforce_planning"])
    assert "Sam Okoro" in text and "Standard 2: Effective Workforce Planning" in text and "signatory" not in text
    listed = psw.get("/return/contributors").get_data(as_text=True)
    assert "Sam Okoro, Head of HR" in listed and "Standard 2: Effective Workforce Planning" in listed

    sam = app.test_client()
    contribute(sam, token)
    page = sam.get("/return").get_data(as_text=True)
    assert "You are contributing as <strong>Sam Okoro</strong>" in page
    assert "/return/section/safe_workloads" not in page and "/return/contributors" not in page
    assert save(sam, "workforce_planning", FULL_RETURN["workforce_planning"]).status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "save").order_by(AuditEvent.id.desc()))
    assert event.actor.startswith("Sam Okoro (contributor ")
    assert "Last saved by Sam Okoro" in psw.get("/return").get_data(as_text=True)

    # Outside their standards, and the PSW's own pages: a clear page.
    for path in ("/return/section/safe_workloads", "/return/contributors", "/return/plan", "/return/results"):
        refused = sam.get(path)
        assert refused.status_code == 403, path
        assert "not part of what you were asked to do" in refused.get_data(as_text=True)

    # Everything filled in by the PSW; Sam still cannot submit.
    fill_everything(psw)
    check = sam.get("/return/check").get_data(as_text=True)
    assert "Only the Principal Social Worker can sign off" in check and "Submit your return" not in check
    refused = sam.post_form("/return/check", {"confirm": "y"}, token_from="/return/check")
    assert refused.status_code == 403 and "Only the signatory can do this" in refused.get_data(as_text=True)
    assert db.session.scalar(select(SubmittedVersion)) is None


def test_a_withdrawn_link_and_a_withdrawn_session_get_a_clear_page(app, employers, smtp):
    psw = app.test_client()
    sign_in(psw, employers["a"][1])
    token, _ = invite(psw, smtp, "Sam Okoro", "sam.okoro@example.org")
    sam = app.test_client()
    assert sam.get(f"/contribute/{token}").status_code == 200 and sam.get("/return").status_code == 403
    contribute(sam, token)
    assert sam.get("/return").status_code == 200
    someone = db.session.scalar(select(Contributor))
    done = psw.post_form(f"/return/contributors/{someone.id}/revoke", {}, token_from="/return/contributors")
    assert done.status_code == 302
    assert "link no longer works" in psw.get("/return/contributors").get_data(as_text=True)
    now_refused = sam.get("/return")  # the session they had stops at once
    assert now_refused.status_code == 403 and "This link has been withdrawn" in now_refused.get_data(as_text=True)
    again = app.test_client().get(f"/contribute/{token}")
    text = again.get_data(as_text=True)
    assert again.status_code == 410 and "Priya Shah withdrew it" in text and "ask Priya Shah for a new link" in text
    assert app.test_client().get("/contribute/not-a-token").status_code == 404
    # Another organisation's PSW cannot withdraw Northmoor's contributor.
    other = app.test_client()
    sign_in(other, employers["b"][1])
    assert (
        other.post_form(f"/return/contributors/{someone.id}/revoke", {}, token_from="/return/contributors").status_code
        == 404
    )


def test_the_named_signatory_signs_off_and_the_confirmation_carries_the_pdf(app, accounts, employers, smtp):
    employers["a"][0].contact_email = "psw@northmoor.example.org"
    db.session.commit()
    psw = app.test_client()
    sign_in(psw, employers["a"][1])
    token, text = invite(psw, smtp, "Dana Reid", "dana.reid@example.org", sign_off=True)
    assert "You have been named as the signatory" in text
    fill_everything(psw)
    dana = app.test_client()
    contribute(dana, token)
    check = dana.get("/return/check").get_data(as_text=True)
    assert (
        "I, Dana Reid, Head of HR, signatory named by the Principal Social Worker, sign off this return for "
        "Northmoor County Council."
    ) in check
    sent_before = len(smtp.messages)
    assert dana.post_form("/return/check", {"confirm": "y"}).status_code == 302
    version = db.session.scalar(select(SubmittedVersion))
    assert version.submitted_by == "Dana Reid"
    assert version.signed_off_as == "Head of HR, signatory named by the Principal Social Worker"

    listed = dana.get("/return/submitted/1").get_data(as_text=True)  # where the signatory looks
    assert "psw@northmoor.example.org: sent" in listed and "dana.reid@example.org: sent" in listed
    confirmations = smtp.messages[sent_before:]
    assert sorted(m["To"] for m in confirmations) == [
        "dana.reid@example.org",
        "priya.shah@example.org",
        "psw@northmoor.example.org",
    ]
    for message in confirmations:
        assert version.reference in message["Subject"]
        [pdf] = list(message.iter_attachments())
        assert pdf.get_content_type() == "application/pdf" and pdf.get_filename() == f"{version.reference}.pdf"
        assert pdf.get_content().startswith(b"%PDF")

    coordinator = signed_in(app, "coordinator")
    page = coordinator.get(f"/admin/cycles/2017/returns/{employers['a'][0].id}").get_data(as_text=True)
    assert "by Dana Reid (Head of HR, signatory named by the Principal Social Worker)" in page
    assert "Dana Reid, Head of HR: the whole return, named signatory" in page

    # The coordinator reopens the return, then extends its deadline: the organisation is told each time.
    before = len(smtp.messages)
    path = f"/admin/cycles/2017/returns/{employers['a'][0].id}"
    coordinator.post_form(f"{path}/reopen", {"message": "Please check the vacancy figures."}, token_from=path)
    closes = now() + timedelta(days=60)
    assert (
        coordinator.post_form(f"{path}/extend", {"closes": closes.strftime("%d/%m/%Y")}, token_from=path).status_code
        == 302
    )
    notes = smtp.messages[before:]
    assert [m["To"] for m in notes] == ["psw@northmoor.example.org"] * 2
    assert "Please check the vacancy figures." in notes[0].get_content()
    assert "deadline" in notes[1]["Subject"] and closes.strftime("%-d %B %Y") in notes[1].get_content()


def test_invitation_problems_are_shown_beside_the_fields_and_an_unsent_email_shows_the_link(app, employers, smtp):
    psw = app.test_client()
    sign_in(psw, employers["a"][1])
    page = psw.post_form(
        "/return/contributors",
        {"name": "", "email": "not-an-email", "scope": "chosen", "sign_off": "no"},
        token_from="/return/contributors",
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    for message in (
        "Enter their full name",
        "Enter an email address in the correct format",
        "Select the standards they are asked to contribute to",
    ):
        assert message in text
    assert 'value="not-an-email"' in text  # nothing typed is lost
    page = psw.post_form(
        "/return/contributors",
        {"name": "Rae Ject", "email": "reject@example.org", "scope": "all", "sign_off": "no"},
        token_from="/return/contributors",
    )
    text = page.get_data(as_text=True)
    assert "We could not email Rae Ject" in text
    token = re.search(r"/contribute/([\w-]+)", text).group(1)
    contribute(app.test_client(), token)


def test_a_contributors_last_save_lands_on_their_overview_which_offers_only_what_they_may_do(app, employers, smtp):
    """Issue 31: Sam, asked for Standards 3 and 4, saves Standard 4 and lands on their own overview
    told it saved (not on Standard 5's "not part of what you were asked to do"); the pages link
    only among their standards; nothing offers to submit or amend."""
    psw = app.test_client()
    sign_in(psw, employers["a"][1])
    token, _ = invite(psw, smtp, "Sam Okoro", "sam.okoro@example.org", sections=["safe_workloads", "risks_resources"])
    sam = app.test_client()
    contribute(sam, token)
    overview = sam.get("/return").get_data(as_text=True)
    assert "Check your answers</a>" in overview and "Check your answers and submit" not in overview
    assert "Check and submit" not in overview
    page = sam.get("/return/section/safe_workloads").get_data(as_text=True)
    assert "/return/section/workforce_planning" not in page  # its Back link goes to the overview
    third = save(sam, "safe_workloads", FULL_RETURN["safe_workloads"])
    assert third.headers["Location"].endswith("/return/section/risks_resources")
    last = save(sam, "risks_resources", FULL_RETURN["risks_resources"])
    assert last.headers["Location"].endswith("/return?saved=1")
    landed = sam.get(last.headers["Location"])
    text = landed.get_data(as_text=True)
    assert landed.status_code == 200 and "Saved" in text and "Your answers have been saved" in text
    assert "Only the Principal Social Worker can submit the return: tell them when your part is ready" in text
    back = sam.get("/return/section/risks_resources").get_data(as_text=True)
    assert "/return/section/safe_workloads" in back and "/return/section/supervision" not in back

    fill_everything(psw)
    psw.post_form("/return/check", {"confirm": "y"})
    submitted = sam.get("/return").get_data(as_text=True)
    assert "Return submitted" in submitted and "Amend your return" not in submitted
    assert "Only the Principal Social Worker can amend it" in submitted


def test_a_contributor_asked_for_one_standard_sees_only_it_on_check_and_in_the_pdf(app, employers, smtp):
    """Issue 32: a contributor invited for Standard 2 alone read every standard's answers and the
    PSW's contact details on the check page and in the submitted PDF."""

    psw = app.test_client()
    sign_in(psw, employers["a"][1])
    token, _ = invite(psw, smtp, "Sam Okoro", "sam.okoro@example.org", sections=["workforce_planning"])
    fill_everything(psw)
    save(psw, "final", {"final_comments": "Secret final comment"})
    assert psw.post_form("/return/check", {"confirm": "y"}).status_code == 302
    sam = app.test_client()
    contribute(sam, token)
    check = sam.get("/return/check").get_data(as_text=True)
    assert 'id="check-workforce_planning"' in check
    assert 'id="check-safe_workloads"' not in check and 'id="check-contact"' not in check
    assert "priya.shah@example.org" not in check and "Secret final comment" not in check
    whole = psw.get("/return/submitted/1.pdf").data
    part = sam.get("/return/submitted/1.pdf").data

    def text(pdf):
        return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)

    assert "priya.shah@example.org" in text(whole) and "Secret final comment" in text(whole)
    assert "Standard 2" in text(part) and "Standard 3" not in text(part)
    assert "priya.shah@example.org" not in text(part) and "Secret final comment" not in text(part)
