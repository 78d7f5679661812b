"""The PSW's colleagues: invited by email to contribute to the whole return or to chosen
standards, each through a personal link the PSW can withdraw; and the page such a link opens."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovRadioInput, GovTextInput
from wtforms import EmailField, RadioField, SelectMultipleField, StringField
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from .. import notices
from ..extensions import writing
from ..form_fields import single_line
from ..jobs import send_later
from ..models import Contributor
from ..store import contributors, emails
from .blueprint import begin_session, bp
from .routes import PlainForm, with_return


def _strip(value: object) -> object:
    return " ".join(value.split()) if isinstance(value, str) else value


class InviteForm(FlaskForm):
    name = StringField(
        "Full name",
        widget=GovTextInput(),
        filters=[_strip],
        validators=[InputRequired("Enter their full name"), Length(max=200), single_line],
    )
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        filters=[_strip],
        validators=[
            InputRequired("Enter their email address"),
            Email("Enter an email address in the correct format, like name@example.org"),
            Length(max=254),
        ],
    )
    job_title = StringField(
        "Job title (optional)",
        widget=GovTextInput(),
        filters=[_strip],
        validators=[Optional(), Length(max=200), single_line],
    )
    scope = RadioField(
        "What are they asked to contribute to?",
        widget=GovRadioInput(),
        default="all",
        choices=[("all", "The whole return"), ("chosen", "Only the standards chosen below")],
        validators=[InputRequired("Select what they are asked to contribute to")],
    )
    sections = SelectMultipleField(
        "Standards (if only some)", widget=GovCheckboxesInput(), choices=[], validate_choice=True
    )
    sign_off = RadioField(
        "Can they sign off and submit the return?",
        widget=GovRadioInput(),
        default="no",
        choices=[("no", "No"), ("yes", "Yes: they are the signatory we name")],
        validators=[InputRequired("Select whether they can sign off the return")],
    )

    def validate_sections(self, field: Any) -> None:
        if self.scope.data == "chosen" and not field.data:
            raise ValidationError("Select the standards they are asked to contribute to")


def _psw_only() -> Any:
    """The contributors page is the PSW's own."""
    return render_template("employer/not_yours.html"), 403


@bp.route("/return/contributors", methods=["GET", "POST"])
@with_return
def contributors_page() -> Any:
    if g.contributor is not None:
        return _psw_only()
    form = InviteForm()
    form.sections.choices = [(s.id, s.heading) for s in g.questionnaire.sections if s.kind != "contact"]
    if form.validate_on_submit():
        sections = None if form.scope.data == "all" else list(form.sections.data or [])
        with writing():
            contributor, _ = contributors.invite(
                g.response,
                g.actor,
                name=form.name.data or "",
                email=(form.email.data or "").lower(),
                job_title=form.job_title.data,
                sections=sections,
                can_sign_off=form.sign_off.data == "yes",
            )
            job = notices.queue_invitation(contributor, g.actor)
        return _after_sending(contributor, send_later(job))
    return _page(form)


def _after_sending(someone: Contributor, outcome: str) -> Any:
    """What became of an invitation, said truly: sent; queued (the table shows when it goes); or
    not sent, and then a link the PSW can give them, shown once."""
    if outcome == "failed":
        with writing():
            someone = contributors.of_return_by_id(g.response, someone.id) or abort(404)
            token = contributors.new_link(someone, g.actor)
        return _page(InviteForm(formdata=None), link=(someone, notices.contribute_url(token)))
    flash(
        f"{someone.name} has been emailed their link"
        if outcome == "sent"
        else f"An email with {someone.name}'s link is queued: it will be sent in a moment, and the table below "
        "shows when it has gone"
    )
    return redirect(url_for("employer.contributors_page"))


def _page(form: InviteForm, link: Any = None) -> Any:
    form.sections.choices = [(s.id, s.heading) for s in g.questionnaire.sections if s.kind != "contact"]
    headings = dict(form.sections.choices)
    return render_template(
        "employer/contributors.html",
        form=form,
        plain=PlainForm(),
        headings=headings,
        people=contributors.of_return(g.response),
        unsent=link,
        emails=emails.latest_by_contributor(g.response),
        outcomes=notices.OUTCOME_LABELS,
    ), (400 if form.errors else 200)


@bp.post("/return/contributors/<int:contributor_id>/<any(revoke, resend, link):action>")
@with_return
def contributor_action(contributor_id: int, action: str) -> Any:
    """Withdraw a colleague's link, email them a new one, or make one to give them yourself (shown
    once: the one before stops working)."""
    if g.contributor is not None:
        return _psw_only()
    someone = contributors.of_return_by_id(g.response, contributor_id) or abort(404)
    if not PlainForm().validate_on_submit() or someone.revoked_at is not None:
        return redirect(url_for("employer.contributors_page"))
    if action == "link":
        with writing():
            token = contributors.new_link(someone, g.actor)
        return _page(InviteForm(formdata=None), link=(someone, notices.contribute_url(token), "asked"))
    with writing():
        if action == "revoke":
            contributors.revoke(someone, g.actor)
        else:
            job = notices.queue_invitation(someone, g.actor)
    if action == "revoke":
        flash(f"{someone.name}'s link no longer works")
        return redirect(url_for("employer.contributors_page"))
    return _after_sending(someone, send_later(job))


@bp.route("/contribute/<token>", methods=["GET", "POST"])
def contribute(token: str) -> Any:
    """A contributor's personal link: a page whose button (a POST, CSRF-checked) signs them in
    under the name they were invited by. A GET never does: another site cannot switch a browser
    into a return of its choosing."""
    someone = contributors.find(token)
    if someone is None:
        return render_template("employer/link_invalid.html", reason="unknown"), 404
    if someone.revoked_at is not None:
        return render_template(
            "employer/link_invalid.html", reason="contributor_revoked", invited_by=someone.invited_by
        ), 410
    if request.method == "GET" or not PlainForm().validate_on_submit():
        return render_template("employer/contribute.html", someone=someone), (200 if request.method == "GET" else 400)
    begin_session(contributor_id=someone.id, editor=someone.name, organisation=someone.response.organisation.name)
    with writing():
        contributors.touch(someone)
    return redirect(url_for("employer.task_list"))
