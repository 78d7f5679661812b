"""Signing in, cycles and their settings, the collection's dashboard, emails and the register."""

from __future__ import annotations

import re
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

import forms
from aggregation.tables import response_rows

from .. import mail
from ..auth import authenticate, coordinator_required, end_sessions_of, limiter, needs_second_factor, start_session
from ..downloads import download
from ..extensions import writing
from ..form_fields import as_input_date
from ..models import AuthorityType, Organisation, utcnow
from ..store import Actor, audit, checks, collection, jobs
from ..transfer import csv_bytes
from .accounts import begin_second_step
from .blueprint import bp, cycle_or_404, me
from .forms import (
    ChooseForm,
    CycleForm,
    CycleSettingsForm,
    EmailTemplateForm,
    OrganisationForm,
    RolloverForm,
    SignInForm,
    population_field,
)


def questionnaire_choices(kind: str = "return") -> list[tuple[str, str]]:
    return [(f"{qid}@{v}", f"{forms.load(qid, v).title} ({qid}@{v})") for qid, v in forms.available(kind)]


# ---------------------------------------------------------------- signing in and out


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGN_IN_RATE_LIMIT"], methods=["POST"])
def sign_in() -> Any:
    form = SignInForm()
    if form.validate_on_submit():
        with writing():
            user, problem = authenticate(form.email.data, form.password.data, request.remote_addr or "")
            two_steps = user is not None and needs_second_factor(user)
            if not two_steps:  # the second step audits its own outcome
                audit(
                    Actor(form.email.data.strip().lower()[:254], via="web"),
                    "signed_in" if user is not None else "sign_in_failed",
                )
        if user is not None and two_steps:  # signed in only once the code is right
            return begin_second_step(user, safe_next(request.args.get("next", "")))
        if user is not None:
            start_session(user)
            return redirect(safe_next(request.args.get("next", "")))
        form.password.errors = [problem]
    return render_template("coordinator/sign_in.html", form=form), (400 if form.errors else 200)


@bp.post("/sign-out")
def sign_out() -> Any:
    if ChooseForm().validate_on_submit() and current_user.is_authenticated:
        with writing():
            end_sessions_of(current_user)
    return redirect(url_for("coordinator.sign_in"))


def safe_next(target: str) -> str:
    """Where to go after signing in: a page of this site's coordinator area, or its home."""
    if re.fullmatch(r"/admin(/[A-Za-z0-9_\-./]*)?(\?[A-Za-z0-9_\-.=&%]*)?", target) and "//" not in target:
        return target
    return url_for("coordinator.home")


# ---------------------------------------------------------------- cycles


@bp.get("/")
def home() -> Any:
    cycle = collection.latest_cycle()
    return redirect(url_for("coordinator.dashboard", year=cycle.year) if cycle else url_for("coordinator.cycles"))


@bp.get("/cycles")
def cycles() -> Any:
    return render_template("coordinator/cycles.html", cycles=collection.cycles())


@bp.route("/cycles/new", methods=["GET", "POST"])
@coordinator_required
def new_cycle() -> Any:
    form = CycleForm()
    form.questionnaire.choices = questionnaire_choices()
    if form.validate_on_submit():
        if collection.cycle_by_year(form.year.data):
            form.year.errors = [f"There is already a {form.year.data} cycle"]
        else:
            with writing():
                collection.create_cycle(
                    form.year.data, forms.load(*form.questionnaire.data.split("@", 1)), *form.dates, me()
                )
            flash(f"{form.year.data} cycle created")
            return redirect(url_for("coordinator.dashboard", year=form.year.data))
    return render_template("coordinator/cycle_new.html", form=form), (400 if form.errors else 200)


SORTS = {
    "name": lambda r: r.organisation.name.lower(),
    "type": lambda r: (r.organisation.authority_type, r.organisation.name.lower()),
    "status": lambda r: (list(collection.STATUS_LABELS).index(r.status), r.organisation.name.lower()),
    "activity": lambda r: (r.last_activity is None, r.last_activity.timestamp() if r.last_activity else 0),
}


@bp.get("/cycles/<int:year>")
def dashboard(year: int) -> Any:
    cycle = cycle_or_404(year)
    rows = collection.tracking(cycle)
    status, kind = request.args.get("status", ""), request.args.get("type", "")
    shown = [
        r for r in rows if (not status or r.status == status) and (not kind or r.organisation.authority_type == kind)
    ]
    sort = request.args.get("sort", "name") if request.args.get("sort") in SORTS else "name"
    descending = request.args.get("dir") == "desc"
    shown.sort(key=SORTS[sort], reverse=descending)
    if request.args.get("format") == "csv":
        return download(
            csv_bytes(
                ["organisation", "authority_type", "status", "last_activity", "last_email", "last_email_outcome"],
                [
                    [
                        str(c)
                        for c in (
                            r.organisation.name,
                            r.organisation.authority_type,
                            collection.STATUS_LABELS[r.status],
                            r.last_activity.isoformat() if r.last_activity else "",
                            r.last_email.kind if r.last_email else "",
                            r.last_email.outcome if r.last_email else "",
                        )
                    ]
                    for r in shown
                ],
            ),
            f"tracking-{year}.csv",
        )
    rates = response_rows(collection.received_by_type(rows), collection.populations(cycle))
    return render_template(
        "coordinator/dashboard.html",
        cycle=cycle,
        rows=shown,
        total=len(rows),
        rates=rates,
        status=status,
        kind=kind,
        sort=sort,
        descending=descending,
        failed=collection.failed_sends(cycle),
        form=ChooseForm(),
        jobs=jobs.recent_jobs(cycle),
        types=[t.value for t in AuthorityType],
        labels=collection.STATUS_LABELS,
        warned=checks.counts(checks.cycle_warnings(cycle)),
    )


@bp.post("/cycles/<int:year>/links")
@coordinator_required
def export_links(year: int) -> Any:
    """Fresh links for a mail merge. Earlier links keep working: nothing is revoked."""
    cycle = cycle_or_404(year)
    if not ChooseForm().validate_on_submit():
        abort(400)
    with writing():
        rows = mail.fresh_links(cycle, me())
    return download(csv_bytes(mail.LINK_COLUMNS, rows), f"links-{year}.csv")


@bp.route("/cycles/<int:year>/settings", methods=["GET", "POST"])
def cycle_settings(year: int) -> Any:
    cycle = cycle_or_404(year)
    PopulationForm = type(
        "PopulationForm",
        (CycleSettingsForm,),
        {f"pop_{i}": population_field(t.value) for i, t in enumerate(AuthorityType)},
    )
    stored = collection.populations(cycle)
    form = PopulationForm(
        data={
            "opens": as_input_date(cycle.opens_at),
            "closes": as_input_date(cycle.closes_at),
            **{f"pop_{i}": stored.get(t.value) for i, t in enumerate(AuthorityType)},
        }
        if request.method == "GET"
        else None
    )
    if request.method == "POST":
        if not current_user.can_change:
            abort(403)
        if form.validate_on_submit():
            with writing():
                cycle.opens_at, cycle.closes_at = form.dates
                collection.set_populations(cycle, {t.value: form[f"pop_{i}"].data for i, t in enumerate(AuthorityType)})
                audit(me(), "cycle_settings", detail={"cycle": year})
            flash("Settings saved")
            return redirect(url_for("coordinator.dashboard", year=year))
    return render_template("coordinator/cycle_settings.html", cycle=cycle, form=form, rollover=_rollover_form(cycle)), (
        400 if form.errors else 200
    )


def _rollover_form(cycle: Any) -> RolloverForm:
    form = RolloverForm(formdata=None)
    form.questionnaire.choices = questionnaire_choices()
    form.questionnaire.data = f"{cycle.questionnaire_id}@{cycle.questionnaire_version}"
    return form


@bp.post("/cycles/<int:year>/rollover")
@coordinator_required
def rollover(year: int) -> Any:
    cycle = cycle_or_404(year)
    form = RolloverForm()
    form.questionnaire.choices = questionnaire_choices()
    if not form.validate_on_submit():
        return render_template("coordinator/cycle_settings.html", cycle=cycle, rollover=form, form=None), 400
    if collection.cycle_by_year(year + 1):
        flash(f"There is already a {year + 1} cycle")
    else:
        with writing():
            collection.create_cycle(
                year + 1, forms.load(*form.questionnaire.data.split("@", 1)), *form.dates, me(), previous=cycle
            )
        flash(f"{year + 1} cycle created from {year}: send invitations to give organisations their new links")
    return redirect(url_for("coordinator.dashboard", year=year + 1))


@bp.route("/cycles/<int:year>/emails/<kind>", methods=["GET", "POST"])
def email_template(year: int, kind: str) -> Any:
    cycle = cycle_or_404(year)
    if kind not in mail.KINDS:
        abort(404)
    subject, body = mail.template_for(cycle, kind)
    form = EmailTemplateForm(data={"subject": subject, "body": body} if request.method == "GET" else None)
    preview = None
    if request.method == "POST":
        if not current_user.can_change:
            abort(403)
        if form.validate_on_submit():
            for field, message in mail.template_problems(form.subject.data, form.body.data).items():
                form[field].errors = [message]
            if not form.errors and request.form.get("action") == "save":
                with writing():
                    collection.save_email_template(cycle, kind, form.subject.data, form.body.data, me())
                flash("Template saved")
                return redirect(url_for("coordinator.email_template", year=year, kind=kind))
    if not form.errors:
        sample = collection.organisations()[:1]
        org = sample[0] if sample else Organisation(name="Example Council", authority_type="Unitary Authority")
        values = mail.values_for(cycle, org, mail.link_url("EXAMPLE-LINK-TOKEN"))
        preview = (mail.render(form.subject.data, values), mail.render(form.body.data, values))
    return render_template(
        "coordinator/email_template.html",
        cycle=cycle,
        kind=kind,
        form=form,
        preview=preview,
        placeholders=mail.PLACEHOLDERS,
    ), (400 if form.errors else 200)


# ---------------------------------------------------------------- organisations


@bp.get("/organisations")
def organisations() -> Any:
    include_retired = request.args.get("retired") == "1"
    return render_template(
        "coordinator/organisations.html",
        organisations=collection.organisations(include_retired),
        include_retired=include_retired,
        form=ChooseForm(),
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
@bp.route("/organisations/<int:org_id>", methods=["GET", "POST"])
def organisation(org_id: int | None = None) -> Any:
    org = (collection.organisation(org_id) or abort(404)) if org_id else None
    form = OrganisationForm(obj=org if request.method == "GET" else None)
    if request.method == "POST":
        if not current_user.can_change:
            abort(403)
        if form.validate_on_submit():
            clash = collection.organisation_by_name(form.name.data)
            if clash is not None and clash is not org:
                form.name.errors = ["There is already an organisation with this name"]
            else:
                with writing():
                    name = collection.save_organisation(org, form.data, me()).name
                flash(f"{name} saved")
                return redirect(url_for("coordinator.organisations"))
    return render_template("coordinator/organisation.html", form=form, org=org), (400 if form.errors else 200)


@bp.post("/organisations/<int:org_id>/retire")
@coordinator_required
def retire_organisation(org_id: int) -> Any:
    org = collection.organisation(org_id) or abort(404)
    if ChooseForm().validate_on_submit():
        with writing():
            org.retired_at = None if org.retired_at else utcnow()
            audit(
                me(),
                "organisation_retire" if org.retired_at else "organisation_restore",
                detail={"organisation": org.id},
            )
            message = f"{org.name} {'retired' if org.retired_at else 'restored'}"
        flash(message)
    return redirect(url_for("coordinator.organisations"))
