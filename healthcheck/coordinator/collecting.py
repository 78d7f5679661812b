"""Coordinator and viewer pages. Viewers see everything here; only coordinators change anything."""
from __future__ import annotations

import csv
import io

from flask import (abort, current_app, flash, make_response, redirect, render_template, request, url_for)
from flask_login import current_user, login_user, logout_user

import forms
from forms.validation import section_status

from .. import data, mail
from ..auth import authenticate, coordinator_required, limiter
from ..extensions import db
from ..models import AuthorityType, Organisation, Response, ResponseStatus, utcnow
from ..return_pages import Urls, section_page, summary, version_pdf
from . import bp
from .forms import (CategoryForm, ChooseForm, CycleForm, CycleSettingsForm, EmailTemplateForm, ExtendForm,
                    OrganisationForm, ReopenForm, ReviewForm, RolloverForm, SignInForm, as_input_date,
                    population_field)


def me() -> data.Actor:
    return data.Actor(current_user.name, via=f"coordinator {current_user.email}")


def cycle_or_404(year: int):
    return data.cycle_by_year(year) or abort(404)


def questionnaire_choices():
    return [(f"{qid}@{v}", f"{forms.load(qid, v).title} ({qid}@{v})") for qid, v in forms.available()]


# ---------------------------------------------------------------- signing in and out

@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGN_IN_RATE_LIMIT"], methods=["POST"])
def sign_in():
    form = SignInForm()
    if form.validate_on_submit():
        user, problem = authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            from flask import session
            session.permanent = True
            session["last_seen"] = utcnow().timestamp()
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/admin") else url_for("coordinator.home"))
        form.password.errors = [problem]
    return render_template("coordinator/sign_in.html", form=form), (400 if form.errors else 200)


@bp.post("/sign-out")
def sign_out():
    form = ChooseForm()
    if form.validate_on_submit():
        logout_user()
    return redirect(url_for("coordinator.sign_in"))


# ---------------------------------------------------------------- home and cycles

@bp.get("/")
def home():
    cycle = data.latest_cycle()
    return redirect(url_for("coordinator.dashboard", year=cycle.year) if cycle else url_for("coordinator.cycles"))


@bp.get("/cycles")
def cycles():
    return render_template("coordinator/cycles.html", cycles=data.cycles())


@bp.route("/cycles/new", methods=["GET", "POST"])
@coordinator_required
def new_cycle():
    form = CycleForm()
    form.questionnaire.choices = questionnaire_choices()
    if form.validate_on_submit():
        if data.cycle_by_year(form.year.data):
            form.year.errors = [f"There is already a {form.year.data} cycle"]
        else:
            qid, _, version = form.questionnaire.data.partition("@")
            data.create_cycle(form.year.data, forms.load(qid, version), form.opens.moment, form.closes.moment, me())
            db.session.commit()
            flash(f"{form.year.data} cycle created")
            return redirect(url_for("coordinator.dashboard", year=form.year.data))
    return render_template("coordinator/cycle_new.html", form=form), (400 if form.errors else 200)


SORTS = {
    "name": lambda r: r.organisation.name.lower(),
    "type": lambda r: (r.organisation.authority_type, r.organisation.name.lower()),
    "status": lambda r: (list(data.STATUS_LABELS).index(r.status), r.organisation.name.lower()),
    "activity": lambda r: (r.last_activity is None, r.last_activity.timestamp() if r.last_activity else 0),
}


@bp.get("/cycles/<int:year>")
def dashboard(year):
    cycle = cycle_or_404(year)
    rows = data.tracking(cycle)
    rates = data.response_rates(cycle, rows)
    status, kind = request.args.get("status", ""), request.args.get("type", "")
    shown = [r for r in rows if (not status or r.status == status) and
             (not kind or r.organisation.authority_type == kind)]
    sort = request.args.get("sort", "name") if request.args.get("sort") in SORTS else "name"
    descending = request.args.get("dir") == "desc"
    shown.sort(key=SORTS[sort], reverse=descending)
    if request.args.get("format") == "csv":
        return _csv_download(f"tracking-{year}.csv", ["organisation", "authority_type", "status", "last_activity",
                                                      "last_email", "last_email_outcome"],
                             [[r.organisation.name, r.organisation.authority_type, data.STATUS_LABELS[r.status],
                               r.last_activity.isoformat() if r.last_activity else "",
                               r.last_email.kind if r.last_email else "",
                               r.last_email.outcome if r.last_email else ""] for r in shown])
    return render_template("coordinator/dashboard.html", cycle=cycle, rows=shown, total=len(rows), rates=rates,
                           status=status, kind=kind, sort=sort, descending=descending,
                           failed=mail.failed_sends(cycle), form=ChooseForm(),
                           types=[t.value for t in AuthorityType], labels=data.STATUS_LABELS)


def _csv_download(filename, header, rows):
    from ..transfer import neutralise

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([[neutralise(str(c)) for c in row] for row in rows])
    response = make_response(buffer.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.post("/cycles/<int:year>/send/<kind>")
@coordinator_required
def send(year, kind):
    cycle = cycle_or_404(year)
    form = ChooseForm()
    if kind not in ("invitation", "reminder", "retry") or not form.validate_on_submit():
        abort(400)
    if kind == "retry":
        counts = mail.retry(cycle, mail.failed_sends(cycle), me())
    else:
        targets = [r.organisation for r in data.tracking(cycle)
                   if (kind == "invitation" and r.status == "not_invited")
                   or (kind == "reminder" and r.status in ("invited", "not_started", "in_progress", "reopened"))]
        counts = mail.send_batch(cycle, kind, targets, me())
    flash(f"{counts['sent']} sent, {counts['failed']} failed")
    return redirect(url_for("coordinator.dashboard", year=year))


@bp.post("/cycles/<int:year>/links")
@coordinator_required
def export_links(year):
    """Fresh links for a mail merge. Earlier links keep working: nothing is revoked."""
    cycle = cycle_or_404(year)
    if not ChooseForm().validate_on_submit():
        abort(400)
    rows = []
    for org in data.organisations():
        token = data.issue_link(cycle, org, revoke_existing=False)
        rows.append([org.name, org.authority_type, org.contact_email or "", mail.link_url(token)])
    data.audit(me(), "links_export", detail={"cycle": year, "links": len(rows)})
    db.session.commit()
    return _csv_download(f"links-{year}.csv", ["organisation", "authority_type", "contact_email", "link"], rows)


@bp.route("/cycles/<int:year>/settings", methods=["GET", "POST"])
def cycle_settings(year):
    cycle = cycle_or_404(year)
    PopulationForm = type("PopulationForm", (CycleSettingsForm,),
                          {f"pop_{i}": population_field(t.value) for i, t in enumerate(AuthorityType)})
    form = PopulationForm(data={"opens": as_input_date(cycle.opens_at), "closes": as_input_date(cycle.closes_at),
                                **{f"pop_{i}": data.populations(cycle).get(t.value)
                                   for i, t in enumerate(AuthorityType)}} if request.method == "GET" else None)
    if request.method == "POST":
        if not current_user.can_change:
            abort(403)
        if form.validate_on_submit():
            cycle.opens_at, cycle.closes_at = form.opens.moment, form.closes.moment
            data.set_populations(cycle, {t.value: form[f"pop_{i}"].data for i, t in enumerate(AuthorityType)})
            data.audit(me(), "cycle_settings", detail={"cycle": year})
            db.session.commit()
            flash("Settings saved")
            return redirect(url_for("coordinator.dashboard", year=year))
    return render_template("coordinator/cycle_settings.html", cycle=cycle, form=form,
                           rollover=_rollover_form(cycle)), (400 if form.errors else 200)


def _rollover_form(cycle):
    form = RolloverForm(formdata=None)
    form.questionnaire.choices = questionnaire_choices()
    form.questionnaire.data = f"{cycle.questionnaire_id}@{cycle.questionnaire_version}"
    return form


@bp.post("/cycles/<int:year>/rollover")
@coordinator_required
def rollover(year):
    cycle = cycle_or_404(year)
    form = RolloverForm()
    form.questionnaire.choices = questionnaire_choices()
    if form.validate_on_submit():
        if data.cycle_by_year(year + 1):
            flash(f"There is already a {year + 1} cycle")
            return redirect(url_for("coordinator.dashboard", year=year + 1))
        qid, _, version = form.questionnaire.data.partition("@")
        data.create_cycle(year + 1, forms.load(qid, version), form.opens.moment, form.closes.moment, me(),
                          previous=cycle)
        db.session.commit()
        flash(f"{year + 1} cycle created from {year}: send invitations to give organisations their new links")
        return redirect(url_for("coordinator.dashboard", year=year + 1))
    return render_template("coordinator/cycle_settings.html", cycle=cycle, rollover=form,
                           form=None), 400


@bp.route("/cycles/<int:year>/emails/<kind>", methods=["GET", "POST"])
def email_template(year, kind):
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
            problems = mail.template_problems(form.subject.data, form.body.data)
            for field, message in problems.items():
                form[field].errors = [message]
            if not problems and request.form.get("action") == "save":
                mail.save_template(cycle, kind, form.subject.data, form.body.data, me())
                flash("Template saved")
                return redirect(url_for("coordinator.email_template", year=year, kind=kind))
    if not form.errors:
        sample = data.organisations()[:1]
        org = sample[0] if sample else Organisation(name="Example Council", authority_type="Unitary Authority")
        values = mail.values_for(cycle, org, mail.link_url("EXAMPLE-LINK-TOKEN"))
        preview = (mail.render(form.subject.data, values), mail.render(form.body.data, values))
    return render_template("coordinator/email_template.html", cycle=cycle, kind=kind, form=form, preview=preview,
                           placeholders=mail.PLACEHOLDERS), (400 if form.errors else 200)


# ---------------------------------------------------------------- one organisation's return

def _return(year, org_id) -> Response:
    cycle = cycle_or_404(year)
    org = db.session.get(Organisation, org_id) or abort(404)
    return data.response_for(cycle.id, org.id)


def _return_page(year, org_id, status=200, **overrides):
    response = _return(year, org_id)
    questionnaire = data.questionnaire_for(response.cycle)
    answers = data.answers_of(response.id)
    states = data.section_states(response.id)
    context = dict(response=response, questionnaire=questionnaire, sections=summary(questionnaire, answers),
                   statuses={s.id: section_status(s, answers, bool(states.get(s.id) and states[s.id].version))
                             for s in questionnaire.sections},
                   versions=data.submitted_versions(response.id), trail=data.audit_trail(response.id),
                   reopen=ReopenForm(formdata=None), extend=ExtendForm(formdata=None), form=ChooseForm(),
                   new_link=None)
    context.update(overrides)
    return render_template("coordinator/return.html", **context), status


@bp.get("/cycles/<int:year>/returns/<int:org_id>")
def view_return(year, org_id):
    return _return_page(year, org_id)


@bp.get("/cycles/<int:year>/returns/<int:org_id>/versions/<int:number>.pdf")
def return_version_pdf(year, org_id, number):
    response = _return(year, org_id)
    version = data.submitted_version(response.id, number) or abort(404)
    return version_pdf(response, version)


def _urls(year, org_id) -> Urls:
    return Urls(section=lambda sid: url_for("coordinator.enter_section", year=year, org_id=org_id, section_id=sid),
                task_list=lambda: url_for("coordinator.view_return", year=year, org_id=org_id),
                check=lambda: url_for("coordinator.view_return", year=year, org_id=org_id) + "#submit")


@bp.route("/cycles/<int:year>/returns/<int:org_id>/section/<section_id>", methods=["GET", "POST"])
def enter_section(year, org_id, section_id):
    """Enter a return on an organisation's behalf (one sent by email), page by page."""
    response = _return(year, org_id)
    editable = current_user.can_change and response.status != ResponseStatus.SUBMITTED.value
    return section_page(response, data.questionnaire_for(response.cycle), section_id, me(), _urls(year, org_id),
                        editable=editable, refused=lambda: abort(403))


@bp.post("/cycles/<int:year>/returns/<int:org_id>/<action>")
@coordinator_required
def return_action(year, org_id, action):
    response = _return(year, org_id)
    if action == "reopen":
        form = ReopenForm()
        if not form.validate_on_submit():
            return _return_page(year, org_id, 400, reopen=form)
        if response.status != ResponseStatus.SUBMITTED.value:
            form.message.errors = ["Only a submitted return can be sent back for amendment"]
            return _return_page(year, org_id, 400, reopen=form)
        response.coordinator_message = form.message.data.strip()
        data.reopen(response, me(), note=response.coordinator_message)
        flash("Return reopened: the organisation sees your message on its return’s page")
    elif action == "extend":
        form = ExtendForm()
        if not form.validate_on_submit():
            return _return_page(year, org_id, 400, extend=form)
        data.extend_deadline(response, form.closes.moment, me())
        flash("Deadline extended for this organisation")
    elif action == "submit":
        if ChooseForm().validate_on_submit() and response.status != ResponseStatus.SUBMITTED.value:
            version = data.submit(response, me(), data.questionnaire_for(response.cycle))
            flash(f"Submitted on the organisation’s behalf: reference {version.reference}")
    elif action == "reissue":
        if not ChooseForm().validate_on_submit():
            abort(400)
        token = data.issue_link(response.cycle, response.organisation, revoke_existing=True)
        data.audit(me(), "link_reissue", response_id=response.id)
        db.session.commit()
        # Shown once, on this page; only its hash is stored.
        return _return_page(year, org_id, new_link=mail.link_url(token))
    else:
        abort(404)
    return redirect(url_for("coordinator.view_return", year=year, org_id=org_id))


# ---------------------------------------------------------------- organisations

@bp.get("/organisations")
def organisations():
    include_retired = request.args.get("retired") == "1"
    return render_template("coordinator/organisations.html", organisations=data.organisations(include_retired),
                           include_retired=include_retired, form=ChooseForm())


@bp.route("/organisations/new", methods=["GET", "POST"])
@bp.route("/organisations/<int:org_id>", methods=["GET", "POST"])
def organisation(org_id=None):
    org = (db.session.get(Organisation, org_id) or abort(404)) if org_id else None
    form = OrganisationForm(obj=org if request.method == "GET" else None)
    if request.method == "POST":
        if not current_user.can_change:
            abort(403)
        if form.validate_on_submit():
            clash = data.organisation_by_name(form.name.data)
            if clash is not None and clash is not org:
                form.name.errors = ["There is already an organisation with this name"]
            else:
                before = _org_fields(org) if org else None
                if org is None:
                    org = Organisation()
                    db.session.add(org)
                form.populate_obj(org)
                org.ons_code = org.ons_code or None
                org.region = org.region or None
                org.contact_email = (org.contact_email or "").strip().lower() or None
                db.session.flush()
                data.audit(me(), "organisation_edit" if before else "organisation_add",
                           detail={"organisation": org.id, "before": before, "after": _org_fields(org)})
                db.session.commit()
                flash(f"{org.name} saved")
                return redirect(url_for("coordinator.organisations"))
    return render_template("coordinator/organisation.html", form=form, org=org), (400 if form.errors else 200)


def _org_fields(org):
    return {k: getattr(org, k) for k in ("name", "authority_type", "ons_code", "region", "contact_email")}


@bp.post("/organisations/<int:org_id>/retire")
@coordinator_required
def retire_organisation(org_id):
    org = db.session.get(Organisation, org_id) or abort(404)
    if ChooseForm().validate_on_submit():
        org.retired_at = None if org.retired_at else utcnow()
        data.audit(me(), "organisation_retire" if org.retired_at else "organisation_restore",
                   detail={"organisation": org.id})
        db.session.commit()
        flash(f"{org.name} {'retired' if org.retired_at else 'restored'}")
    return redirect(url_for("coordinator.organisations"))


# ---------------------------------------------------------------- coding open answers

@bp.get("/cycles/<int:year>/coding")
def coding(year):
    cycle = cycle_or_404(year)
    questionnaire = data.questionnaire_for(cycle)
    rows = []
    for key, question in data.open_answer_keys(questionnaire):
        answers = data.open_answers(cycle, key)
        rows.append((key, question, len(answers), sum(1 for _, _, c in answers if c)))
    return render_template("coordinator/coding.html", cycle=cycle, rows=rows)


@bp.route("/cycles/<int:year>/coding/<key>", methods=["GET", "POST"])
def code_question(year, key):
    cycle = cycle_or_404(year)
    questionnaire = data.questionnaire_for(cycle)
    question = dict(data.open_answer_keys(questionnaire)).get(key) or abort(404)
    category_form = CategoryForm()
    form = ChooseForm()
    if request.method == "POST":
        if not current_user.can_change:
            abort(403)
        if request.form.get("action") == "add" and category_form.validate_on_submit():
            data.add_category(cycle, question, category_form.label.data.strip(), me())
            flash("Category added")
            return redirect(url_for("coordinator.code_question", year=year, key=key))
        if request.form.get("action") == "save" and form.validate_on_submit():
            valid = {v for v, _ in data.coding_frame(cycle, question)}
            for response, _text, old in data.open_answers(cycle, key):
                chosen = [v for v in request.form.getlist(f"code-{response.id}") if v in valid]
                if chosen != old:
                    data.set_coding(response, key, chosen, me())
            db.session.commit()
            flash("Coding saved")
            return redirect(url_for("coordinator.code_question", year=year, key=key))
    return render_template("coordinator/code_question.html", cycle=cycle, key=key, question=question,
                           frame=data.coding_frame(cycle, question), answers=data.open_answers(cycle, key),
                           form=form, category_form=category_form), (400 if category_form.errors else 200)


# ---------------------------------------------------------------- reviewing comments for publication

@bp.get("/cycles/<int:year>/comments")
def comments(year):
    cycle = cycle_or_404(year)
    status = request.args.get("status", "pending")
    questionnaire = data.questionnaire_for(cycle)
    labels = {k: q.label for k, q in data.open_answer_keys(questionnaire)}
    items = data.reviews(cycle, status if status in ("pending", "approved", "excluded") else None)
    return render_template("coordinator/comments.html", cycle=cycle, items=items, status=status, labels=labels,
                           counts={s: len(data.reviews(cycle, s)) for s in ("pending", "approved", "excluded")})


@bp.route("/cycles/<int:year>/comments/<int:review_id>", methods=["GET", "POST"])
def comment(year, review_id):
    cycle = cycle_or_404(year)
    item = data.review(cycle, review_id) or abort(404)
    form = ReviewForm(data={"redacted": item.redacted, "decision": item.status} if request.method == "GET" else None)
    if request.method == "POST":
        if not current_user.can_change:
            abort(403)
        if form.validate_on_submit():
            data.decide_review(item, form.redacted.data.strip(), form.decision.data, me())
            flash("Decision saved")
            return redirect(url_for("coordinator.comments", year=year))
    questionnaire = data.questionnaire_for(cycle)
    labels = {k: q.label for k, q in data.open_answer_keys(questionnaire)}
    return render_template("coordinator/comment.html", cycle=cycle, item=item, form=form,
                           label=labels.get(item.question_id, item.question_id)), (400 if form.errors else 200)


# ---------------------------------------------------------------- national results

def _national(year):
    from aggregation.tables import compute

    cycle = cycle_or_404(year)
    dataset = data.dataset_for(cycle)
    return cycle, dataset, compute(dataset, threshold=current_app.config["PUBLICATION_MIN_GROUP"])


@bp.get("/cycles/<int:year>/results")
def results(year):
    from aggregation import findings
    from aggregation.charts import alt_text
    from aggregation.outputs import base_text

    cycle, dataset, tables = _national(year)
    threshold = current_app.config["PUBLICATION_MIN_GROUP"]
    return render_template("coordinator/results.html", cycle=cycle, tables=tables, returns=len(dataset.returns),
                           sentences={t["id"]: findings.sentences(t, threshold) for t in tables},
                           base_text=base_text, alt_text=alt_text)


@bp.get("/cycles/<int:year>/figures/<table_id>.png")
def figure_png(year, table_id):
    from aggregation.charts import png_bytes

    _, _, tables = _national(year)
    table = next((t for t in tables if t["id"] == table_id and t["kind"] == "single"), None) or abort(404)
    response = make_response(png_bytes(table))
    response.headers["Content-Type"] = "image/png"
    return response


@bp.get("/cycles/<int:year>/report.pdf")
def report_pdf(year):
    from aggregation.report import national_report

    cycle = cycle_or_404(year)
    pdf = national_report(data.dataset_for(cycle), threshold=current_app.config["PUBLICATION_MIN_GROUP"],
                          service=current_app.config["SERVICE_NAME"])
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="health-check-{year}-national-report.pdf"'
    return response


@bp.post("/cycles/<int:year>/publish")
@coordinator_required
def publish(year):
    cycle = cycle_or_404(year)
    if ChooseForm().validate_on_submit():
        data.publish_results(cycle, me())
        flash("Results published: each organisation can now see its benchmark through its link")
    return redirect(url_for("coordinator.results", year=year))


@bp.get("/cycles/<int:year>/returns/<int:org_id>/plan")
def view_plan(year, org_id):
    response = _return(year, org_id)
    return render_template("coordinator/plan.html", response=response, actions=data.actions_of(response.id),
                           sections=[s for s in data.questionnaire_for(response.cycle).sections if s.standard])
