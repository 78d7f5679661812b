"""The employer's benchmark (once results are published) and its action plan."""
from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for

from aggregation import benchmark, plan_export
from aggregation.benchmark_pdf import benchmark_pdf

from .. import data
from ..form_fields import as_input_date
from . import bp
from .plan_forms import ActionForm, UpdateForm
from .routes import with_return
from flask import g


def _benchmark():
    if g.cycle.results_published_at is None:
        return None, render_template("employer/results_pending.html", reason="unpublished")
    if not data.submitted_versions(g.response.id):
        return None, render_template("employer/results_pending.html", reason="no_return")
    result = benchmark.compute(data.dataset_for(g.cycle), g.organisation.name,
                               current_app.config["BENCHMARK_MIN_GROUP"])
    return result, None


def _download(body: bytes | str, mimetype: str, filename: str):
    response = make_response(body)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/return/results")
@with_return
def results():
    result, page = _benchmark()
    if page:
        return page
    return render_template("employer/results.html", result=result, quarters=benchmark.QUARTERS, fmt=benchmark._fmt)


@bp.get("/return/results.csv")
@with_return
def results_csv():
    result, page = _benchmark()
    if page:
        return page, 404
    return _download(benchmark.to_csv(result), "text/csv; charset=utf-8",
                     f"benchmark-{g.cycle.year}.csv")


@bp.get("/return/results.pdf")
@with_return
def results_pdf():
    result, page = _benchmark()
    if page:
        return page, 404
    return _download(benchmark_pdf(result, current_app.config["SERVICE_NAME"]), "application/pdf",
                     f"benchmark-{g.cycle.year}.pdf")


# ---------------------------------------------------------------- the action plan

def plan_dicts(actions) -> list[dict]:
    return [{"id": a.id, "section_id": a.section_id, "description": a.description, "finding": a.finding,
             "lead": a.lead, "starts_on": a.starts_on, "due_on": a.due_on, "outcome": a.outcome,
             "evidence": a.evidence, "status": a.status,
             "updates": [{"at": u.at, "by": u.by, "text": u.text, "status_from": u.status_from,
                          "status_to": u.status_to} for u in a.updates]} for a in actions]


def standards():
    return [s for s in g.questionnaire.sections if s.standard]


@bp.get("/return/plan")
@with_return
def plan():
    actions = data.actions_of(g.response.id)
    today = date.today()
    counts = {status: sum(a.status == status for a in actions) for status in plan_export.RAG_COLOURS}
    return render_template("employer/plan.html", actions=actions, sections=standards(), counts=counts,
                           overdue=[a for a in actions if a.is_overdue(today)], today=today,
                           said_did=plan_export.you_said_we_did(standards(), plan_dicts(actions)))


def _section_choices(form):
    form.section_id.choices = [("", "Choose a standard")] + [(s.id, s.heading) for s in standards()]


def _values(form) -> dict:
    return {"section_id": form.section_id.data, "description": form.description.data,
            "finding": form.finding.data or None, "lead": form.lead.data or None,
            "starts_on": form.starts_on.day, "due_on": form.due_on.day,
            "outcome": form.outcome.data or None, "evidence": form.evidence.data or None}


@bp.route("/return/plan/new", methods=["GET", "POST"])
@with_return
def new_action():
    form = ActionForm(data={"section_id": request.args.get("section", "")} if request.method == "GET" else None)
    _section_choices(form)
    if form.validate_on_submit():
        action = data.save_action(g.response, _values(form), g.actor)
        flash("Action added")
        return redirect(url_for("employer.action", action_id=action.id))
    return render_template("employer/action_form.html", form=form, action=None), (400 if form.errors else 200)


@bp.route("/return/plan/<int:action_id>", methods=["GET", "POST"])
@with_return
def action(action_id):
    item = data.action_of(g.response.id, action_id) or abort(404)
    form = ActionForm(data={"section_id": item.section_id, "description": item.description, "finding": item.finding,
                            "lead": item.lead, "starts_on": as_input_date(item.starts_on),
                            "due_on": as_input_date(item.due_on), "outcome": item.outcome,
                            "evidence": item.evidence} if request.method == "GET" else None)
    _section_choices(form)
    if form.validate_on_submit():
        data.save_action(g.response, _values(form), g.actor, item)
        flash("Action saved")
        return redirect(url_for("employer.action", action_id=item.id))
    update = UpdateForm(formdata=None, data={"status": item.status})
    return render_template("employer/action.html", item=item, form=form, update=update,
                           today=date.today()), (400 if form.errors else 200)


@bp.post("/return/plan/<int:action_id>/progress")
@with_return
def action_progress(action_id):
    item = data.action_of(g.response.id, action_id) or abort(404)
    update = UpdateForm()
    if update.validate_on_submit():
        data.add_update(item, update.text.data, g.actor, update.status.data)
        flash("Progress recorded")
        return redirect(url_for("employer.action", action_id=item.id))
    form = ActionForm(formdata=None, data={"section_id": item.section_id, "description": item.description,
                                           "finding": item.finding, "lead": item.lead,
                                           "starts_on": as_input_date(item.starts_on),
                                           "due_on": as_input_date(item.due_on), "outcome": item.outcome,
                                           "evidence": item.evidence})
    _section_choices(form)
    return render_template("employer/action.html", item=item, form=form, update=update, today=date.today()), 400


@bp.get("/return/plan.xlsx")
@with_return
def plan_xlsx():
    body = plan_export.plan_xlsx(g.organisation.name, g.cycle.year, standards(),
                                 plan_dicts(data.actions_of(g.response.id)))
    return _download(body, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     f"action-plan-{g.cycle.year}.xlsx")


@bp.get("/return/plan.pdf")
@with_return
def plan_pdf():
    body = plan_export.plan_pdf(g.organisation.name, g.cycle.year, standards(),
                                plan_dicts(data.actions_of(g.response.id)), date.today())
    return _download(body, "application/pdf", f"action-plan-{g.cycle.year}.pdf")
