"""The employer's benchmark (from the latest edition of the results) and its action plan."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for

from aggregation import benchmark, plan_export, scores

from .. import clock
from ..downloads import download, edition_path, send_edition_file
from ..extensions import writing
from ..form_fields import as_input_date
from ..models import Action
from ..store import plans, publication, staff
from .blueprint import bp
from .plan_forms import ActionForm, UpdateForm
from .routes import with_return


def published_file(kind: str, suffix: str) -> tuple[Any, Any] | None:
    """The latest edition and this organisation's file of that kind in it (its benchmark, its staff
    survey report), if there is one."""
    edition = publication.latest_edition(g.cycle)
    found = publication.organisation_file(edition, g.organisation, kind, suffix) if edition else None
    return (edition, found) if edition and found else None


def _benchmark(suffix: str) -> tuple[Any, Any] | None:
    return published_file("benchmark", suffix)


def _pending() -> str:
    reason = "unpublished" if publication.latest_edition(g.cycle) is None else "no_return"
    return render_template("employer/results_pending.html", reason=reason)


@bp.get("/return/results")
@with_return
def results() -> Any:
    found = _benchmark(".json")
    if found is None:
        return _pending()
    edition, file = found
    result = json.loads(edition_path(edition, file).read_text(encoding="utf-8"))
    return render_template(
        "employer/results.html",
        result=result,
        edition=edition,
        fmt=benchmark._fmt,
        figure=benchmark.figure,
        measure_cells=benchmark.measure_cells,
        fallback=benchmark.fallback_sentence(result),
        near=any("neighbours" in m for m in result["measures"]),
    )


@bp.get("/return/results.<any(csv, pdf):kind>")
@with_return
def results_file(kind: str) -> Any:
    found = _benchmark(f".{kind}")
    if found is None:
        return _pending(), 404
    return send_edition_file(*found)


# ---------------------------------------------------------------- the action plan


def plan_dicts(actions: list[Action]) -> list[dict]:
    return [
        {
            "id": a.id,
            "section_id": a.section_id,
            "description": a.description,
            "finding": a.finding,
            "lead": a.lead,
            "starts_on": a.starts_on,
            "due_on": a.due_on,
            "outcome": a.outcome,
            "evidence": a.evidence,
            "status": a.status,
            "staff_standard": a.staff_standard,
            "updates": [
                {"at": u.at, "by": u.by, "text": u.text, "status_from": u.status_from, "status_to": u.status_to}
                for u in a.updates
            ],
        }
        for a in actions
    ]


def standards() -> list:
    return [s for s in g.questionnaire.sections if s.standard]


def staff_standards() -> list[scores.Standard]:
    """The 2020 Standards of the cycle's staff survey (none without one)."""
    survey = staff.survey_of(g.cycle)
    return scores.standards(staff.questionnaire_of(survey)) if survey else []


def lowest_scoring() -> list[dict]:
    """This organisation's 2020 Standards with a published staff survey score, lowest first."""
    found = published_file("staff_report", ".json")
    if found is None:
        return []
    report = json.loads(edition_path(*found).read_text(encoding="utf-8"))
    return sorted((r for r in report["standards"] if r["own"]["score"] is not None), key=lambda r: r["own"]["score"])


@bp.get("/return/plan")
@with_return
def plan() -> Any:
    actions = plans.actions_of(g.response.id)
    today = clock.today()
    counts = {status: sum(a.status == status for a in actions) for status in plan_export.RAG_COLOURS}
    numbering = g.questionnaire.version
    return render_template(
        "employer/plan.html",
        actions=actions,
        sections=standards(),
        counts=counts,
        overdue=[a for a in actions if a.is_overdue(today)],
        today=today,
        lowest=lowest_scoring(),
        staff_titles=staff_titles(),
        numbering=numbering.split(".", 1)[0],
        heading=lambda section: plan_export.standard_heading(section, numbering),
        staff_title=plan_export.staff_title,
        said_did=plan_export.you_said_we_did(standards(), plan_dicts(actions), numbering),
    )


def staff_titles() -> dict[str, str]:
    """Each 2020 Standard's name as the plan writes it ("2020 Standard 4: Wellbeing"), by id."""
    return {s.id: plan_export.staff_title(s.number, s.title) for s in staff_standards()}


def _action_form(item: Action | None = None, *, posted: bool = True) -> ActionForm:
    """The action's form: as posted (a POST, unless ``posted`` is False), else as stored."""
    if posted and request.method == "POST":
        form = ActionForm()
    elif item is not None:
        form = ActionForm(
            formdata=None,
            data={
                "section_id": item.section_id,
                "staff_standard": item.staff_standard,
                "description": item.description,
                "finding": item.finding,
                "lead": item.lead,
                "starts_on": as_input_date(item.starts_on),
                "due_on": as_input_date(item.due_on),
                "outcome": item.outcome,
                "evidence": item.evidence,
                "version": str(item.version),
            },
        )
    else:
        form = ActionForm(
            formdata=None, data=_starting_with(request.args.get("section", ""), request.args.get("standard", ""))
        )
    form.section_id.choices = [("", "Choose a standard")] + [
        (s.id, plan_export.standard_heading(s, g.questionnaire.version)) for s in standards()
    ]
    form.staff_standard.choices = [("", "Not tied to a 2020 Standard")] + list(staff_titles().items())
    return form


def _starting_with(section_id: str, staff_standard: str) -> dict[str, str]:
    """A new action's standards, from the link followed: a 2020 Standard brings the return's
    standard of the same number with it."""
    chosen = next((s for s in staff_standards() if s.id == staff_standard), None)
    if chosen is not None and not section_id:
        section_id = next((s.id for s in standards() if s.standard == chosen.number), "")
    return {"section_id": section_id, "staff_standard": chosen.id if chosen else ""}


def _values(form: ActionForm) -> dict:
    return {
        "section_id": form.section_id.data,
        "staff_standard": form.staff_standard.data or None,
        "description": form.description.data,
        "finding": form.finding.data or None,
        "lead": form.lead.data or None,
        "starts_on": form.starts_on.day,
        "due_on": form.due_on.day,
        "outcome": form.outcome.data or None,
        "evidence": form.evidence.data or None,
    }


@bp.route("/return/plan/new", methods=["GET", "POST"])
@with_return
def new_action() -> Any:
    form = _action_form()
    if form.validate_on_submit():
        with writing():
            action_id = plans.save_action(g.response, _values(form), g.actor).id
        flash("Action added")
        return redirect(url_for("employer.action", action_id=action_id))
    return render_template("employer/action_form.html", form=form, action=None), (400 if form.errors else 200)


@bp.route("/return/plan/<int:action_id>", methods=["GET", "POST"])
@with_return
def action(action_id: int) -> Any:
    item = plans.action_of(g.response.id, action_id) or abort(404)
    form = _action_form(item)
    conflict = None
    if form.validate_on_submit():
        try:
            with writing():
                plans.save_action(g.response, _values(form), g.actor, item, expected=_version(form.version.data))
            flash("Action saved")
            return redirect(url_for("employer.action", action_id=action_id))
        except plans.Conflict as found:
            conflict = found
            item = plans.action_of(g.response.id, action_id) or abort(404)
            form, conflict.both = _merged(item)
    update = UpdateForm(formdata=None, data={"status": item.status})
    status = 409 if conflict else 400 if form.errors else 200
    return render_template(
        "employer/action.html", item=item, action=item, form=form, update=update, conflict=conflict, today=clock.today()
    ), status


def _merged(item: Action) -> tuple[ActionForm, list[str]]:
    """After a conflict, the form to save again: what this person changed on their page, and
    what is stored now for everything they left alone; and the fields both changed."""
    stored = _action_form(item, posted=False)
    merged, both = {}, []
    for name in EDITABLE:
        typed, was = (" ".join(request.form.get(key, "").split()) for key in (name, f"was_{name}"))
        now = " ".join((stored[name].data or "").split())  # compared as words: a browser sends CR LF
        merged[name] = request.form.get(name, "") if typed != was else stored[name].data
        if typed != was and now != was and typed != now:
            both.append(stored[name].label.text.replace(" (optional)", ""))
    form = ActionForm(formdata=None, data={**merged, "version": str(item.version)})
    form.section_id.choices, form.staff_standard.choices = stored.section_id.choices, stored.staff_standard.choices
    return form, both


EDITABLE = (
    "section_id",
    "staff_standard",
    "description",
    "finding",
    "lead",
    "starts_on",
    "due_on",
    "outcome",
    "evidence",
)


def _version(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 10 else None


@bp.post("/return/plan/<int:action_id>/progress")
@with_return
def action_progress(action_id: int) -> Any:
    item = plans.action_of(g.response.id, action_id) or abort(404)
    update = UpdateForm()
    if update.validate_on_submit():
        with writing():
            plans.add_update(item, update.text.data, g.actor, update.status.data)
        flash("Progress recorded")
        return redirect(url_for("employer.action", action_id=action_id))
    return render_template(
        "employer/action.html",
        item=item,
        action=item,
        form=_action_form(item, posted=False),
        update=update,
        today=clock.today(),
    ), 400


@bp.get("/return/plan.<any(xlsx, pdf):kind>")
@with_return
def plan_file(kind: str) -> Any:
    actions = plan_dicts(plans.actions_of(g.response.id))
    numbering, titles = g.questionnaire.version, staff_titles()
    if kind == "xlsx":
        body = plan_export.plan_xlsx(g.organisation.name, g.cycle.year, standards(), actions, numbering, titles)
    else:
        body = plan_export.plan_pdf(
            g.organisation.name, g.cycle.year, standards(), actions, clock.today(), numbering, titles
        )
    return download(body, f"action-plan-{g.cycle.year}.{kind}")
