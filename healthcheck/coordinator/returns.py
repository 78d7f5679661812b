"""One organisation's return as the coordinating body sees it, and the review of open answers."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from forms.validation import section_status

from .. import mail, notices, trail
from ..auth import coordinator_required
from ..extensions import writing
from ..jobs import send_later
from ..models import Response, ResponseStatus, utcnow
from ..return_pages import Urls, section_page, summary, version_pdf
from ..store import audit, checks, collection, contributors, plans, returns, review, review_queue
from .blueprint import bp, cycle_or_404, me
from .forms import BulkApproveForm, CategoryForm, ChooseForm, ExtendForm, ReopenForm, ReviewForm


def _return(year: int, org_id: int) -> Response:
    """The organisation's return, or (for an organisation that has none yet) an empty one that
    is stored only once something is entered or submitted."""
    cycle = cycle_or_404(year)
    org = collection.organisation(org_id) or abort(404)
    return returns.find_return(cycle, org) or Response(
        cycle=cycle, organisation=org, status="not_started", answers={}, pages={}, created_at=utcnow()
    )


def _stored(year: int, org_id: int) -> Response:
    """The return, stored now if it was not (call it inside ``writing``)."""
    response = _return(year, org_id)
    return (
        returns.lock_return(response.id) if response.id else returns.return_for(response.cycle, response.organisation)
    )


def _return_page(year: int, org_id: int, status: int = 200, **overrides: Any) -> Any:
    response = _return(year, org_id)
    questionnaire = collection.questionnaire_for(response.cycle)
    answers = response.answers or {}
    context = dict(
        response=response,
        questionnaire=questionnaire,
        sections=summary(questionnaire, answers),
        statuses={s.id: section_status(s, answers, response.page_version(s.id) > 0) for s in questionnaire.sections},
        versions=returns.submitted_versions(response.id) if response.id else [],
        trail=trail.in_words(questionnaire, returns.audit_trail(response.id)) if response.id else [],
        contributors=contributors.of_return(response) if response.id else [],
        reopen=ReopenForm(formdata=None),
        extend=ExtendForm(formdata=None),
        form=ChooseForm(),
        new_link=None,
        raised=checks.raised(response),
    )
    context.update(overrides)
    return render_template("coordinator/return.html", **context), status


@bp.get("/cycles/<int:year>/warnings")
def warnings(year: int) -> Any:
    """Returns whose answers raised warnings: those not yet confirmed, or (``?show=all``) all."""
    cycle = cycle_or_404(year)
    found = checks.cycle_warnings(cycle)
    everything = request.args.get("show") == "all"
    shown = [(r, ws) for r, ws in found if everything or any(not w.confirmed for w in ws)]
    return render_template(
        "coordinator/warnings.html", cycle=cycle, rows=shown, everything=everything, counts=checks.counts(found)
    )


@bp.get("/cycles/<int:year>/returns/<int:org_id>")
def view_return(year: int, org_id: int) -> Any:
    return _return_page(year, org_id)


@bp.get("/cycles/<int:year>/returns/<int:org_id>/versions/<int:number>.pdf")
def return_version_pdf(year: int, org_id: int, number: int) -> Any:
    response = _return(year, org_id)
    version = (returns.submitted_version(response.id, number) if response.id else None) or abort(404)
    return version_pdf(response, version)


def _urls(year: int, org_id: int) -> Urls:
    return Urls(
        section=lambda sid: url_for("coordinator.enter_section", year=year, org_id=org_id, section_id=sid),
        task_list=lambda: url_for("coordinator.view_return", year=year, org_id=org_id),
        check=lambda: url_for("coordinator.view_return", year=year, org_id=org_id) + "#submit",
    )


@bp.route("/cycles/<int:year>/returns/<int:org_id>/section/<section_id>", methods=["GET", "POST"])
def enter_section(year: int, org_id: int, section_id: str) -> Any:
    """Enter a return on an organisation's behalf (one sent by email), page by page."""
    response = _return(year, org_id)
    editable = current_user.can_change and response.status != ResponseStatus.SUBMITTED.value
    if editable and request.method == "POST" and not response.id:
        with writing():
            _stored(year, org_id)
        response = _return(year, org_id)
    return section_page(
        response,
        collection.questionnaire_for(response.cycle),
        section_id,
        me(),
        _urls(year, org_id),
        editable=editable,
        refused=lambda: abort(403),
        may_change=current_user.can_change,
    )


@bp.post("/cycles/<int:year>/returns/<int:org_id>/<action>")
@coordinator_required
def return_action(year: int, org_id: int, action: str) -> Any:
    forms: dict[str, Any] = {"reopen": ReopenForm, "extend": ExtendForm, "submit": ChooseForm, "reissue": ChooseForm}
    if action not in forms:
        abort(404)
    form = forms[action]()
    if not form.validate_on_submit():
        return _return_page(year, org_id, 400, **{action: form}) if action in ("reopen", "extend") else abort(400)
    if action == "reopen" and _return(year, org_id).status != ResponseStatus.SUBMITTED.value:
        form.message.errors = ["Only a submitted return can be sent back for amendment"]
        return _return_page(year, org_id, 400, reopen=form)
    job = None
    with writing():
        response = _stored(year, org_id)
        message = _act(response, action, form)
        if action == "reopen":
            job = notices.queue_reopened(response, response.coordinator_message, me())
        elif action == "extend":
            job = notices.queue_extended(response, response.closes_at, me())
    if action == "reissue":  # shown once, on this page; only its hash is stored
        return _return_page(year, org_id, new_link=mail.link_url(message or ""))
    if job is not None:
        message = f"{message}. {_told(send_later(job), bool(response.organisation.contact_email))}"
    if message:
        flash(message)
    return redirect(url_for("coordinator.view_return", year=year, org_id=org_id))


def _told(outcome: str, has_address: bool) -> str:
    """What became of the email telling the organisation, in words."""
    if not has_address:
        return "The organisation has no contact email address, so it has not been told"
    return {
        "sent": "The organisation has been emailed",
        "failed": "The email telling the organisation could not be sent: the collection's page lists it, "
        "with a button to retry",
    }.get(outcome, "An email telling the organisation is queued: it will be sent in a moment")


def _act(response: Response, action: str, form: Any) -> str | None:
    if action == "reopen":
        response.coordinator_message = form.message.data.strip()
        returns.reopen(response, me(), note=response.coordinator_message)
        return "Return reopened: the organisation sees your message on its return’s page"
    if action == "extend":
        returns.extend_deadline(response, form.closes.moment, me())
        return "Deadline extended for this organisation"
    if action == "submit":
        if response.status == ResponseStatus.SUBMITTED.value:
            return None
        version = returns.submit(response, me(), collection.questionnaire_for(response.cycle))
        return f"Submitted on the organisation’s behalf: reference {version.reference}"
    token = returns.issue_link(response.cycle, response.organisation, revoke_existing=True)
    audit(me(), "link_reissue", response_id=response.id)
    return token


@bp.get("/cycles/<int:year>/returns/<int:org_id>/plan")
def view_plan(year: int, org_id: int) -> Any:
    response = _return(year, org_id)
    return render_template(
        "coordinator/plan.html",
        response=response,
        actions=plans.actions_of(response.id) if response.id else [],
        sections=[s for s in collection.questionnaire_for(response.cycle).sections if s.standard],
    )


# ---------------------------------------------------------------- coding open answers


@bp.get("/cycles/<int:year>/coding")
def coding(year: int) -> Any:
    cycle = cycle_or_404(year)
    questionnaire = collection.questionnaire_for(cycle)
    headings = {s.id: s.heading for s in questionnaire.sections}
    rows = []
    for key, question in review.open_answer_keys(questionnaire):
        answers = review.open_answers(cycle, key)
        rows.append((key, question, headings[question.section_id], len(answers), sum(1 for _, _, c in answers if c)))
    return render_template("coordinator/coding.html", cycle=cycle, rows=rows)


@bp.route("/cycles/<int:year>/coding/<key>", methods=["GET", "POST"])
def code_question(year: int, key: str) -> Any:
    cycle = cycle_or_404(year)
    question = dict(review.open_answer_keys(collection.questionnaire_for(cycle))).get(key) or abort(404)
    category_form, form = CategoryForm(), ChooseForm()
    if request.method == "POST":
        if not current_user.can_change:
            abort(403)
        if request.form.get("action") == "add" and category_form.validate_on_submit():
            with writing():
                review.add_category(cycle, question, category_form.label.data.strip(), me())
            flash("Category added")
            return redirect(url_for("coordinator.code_question", year=year, key=key))
        if request.form.get("action") == "save" and form.validate_on_submit():
            with writing():
                valid = {v for v, _ in review.coding_frame(cycle, question)}
                for response, _text, old in review.open_answers(cycle, key):
                    chosen = [v for v in request.form.getlist(f"code-{response.id}") if v in valid]
                    if chosen != old:
                        review.set_coding(response, key, chosen, me())
            flash("Coding saved")
            return redirect(url_for("coordinator.code_question", year=year, key=key))
    return render_template(
        "coordinator/code_question.html",
        cycle=cycle,
        key=key,
        question=question,
        frame=review.coding_frame(cycle, question),
        answers=review.open_answers(cycle, key),
        redacted=review.redactions(cycle, key),
        section=next(s.heading for s in collection.questionnaire_for(cycle).sections if s.id == question.section_id),
        form=form,
        category_form=category_form,
    ), (400 if category_form.errors else 200)


# ---------------------------------------------------------------- reviewing comments for publication


@bp.get("/cycles/<int:year>/comments")
def comments(year: int) -> Any:
    cycle = cycle_or_404(year)
    known = review_queue.questions(cycle)
    filters = review_queue.Filters.parse(request.args, known)
    number = request.args.get("page", "1")
    found = review_queue.page(cycle, known, filters, int(number) if number.isdigit() and len(number) < 7 else 1)
    return render_template(
        "coordinator/comments.html",
        cycle=cycle,
        page=found,
        filters=filters,
        questions=known,
        organisations=review_queue.organisations(cycle),
        form=BulkApproveForm(),
        standards=sorted({q.standard for q in known if q.standard}),
        no_standard=any(q.standard is None for q in known),
    )


@bp.post("/cycles/<int:year>/comments/approve")
def approve_comments(year: int) -> Any:
    """Approve as written the comments ticked on a page, of those with no suggested redaction."""
    cycle = cycle_or_404(year)
    if not current_user.can_change:
        abort(403)
    filters = review_queue.Filters.parse(request.form, review_queue.questions(cycle))
    back = url_for("coordinator.comments", year=year, **filters.args(page=request.form.get("page", "1")))
    if not BulkApproveForm().validate_on_submit():
        abort(400)
    chosen = []
    for value in request.form.getlist("approve"):
        review_id, _, seen = value.partition(":")
        if review_id.isdigit() and len(review_id) <= 19 and int(review_id) < 2**63:  # random 63-bit ids
            chosen.append((int(review_id), seen))
    if not chosen:
        flash("No comments were approved: none was ticked")
        return redirect(back)
    with writing():
        approved, left = review_queue.approve_unchanged(cycle, chosen, me())
    message = f"Approved {approved} comment{'' if approved == 1 else 's'} as written"
    if left:
        message += (
            f". {left} {'was' if left == 1 else 'were'} not approved: changed, decided or given a "
            "suggested redaction since the page was shown, so review them one by one"
        )
    flash(message)
    return redirect(back)


DECIDED = {"approved": "Approved", "excluded": "Rejected (excluded from publication)", "pending": "Left for later"}


@bp.route("/cycles/<int:year>/comments/<int(max=9223372036854775807):review_id>", methods=["GET", "POST"])
def comment(year: int, review_id: int) -> Any:
    cycle = cycle_or_404(year)
    if request.method == "POST" and not current_user.can_change:
        abort(403)
    known = review_queue.questions(cycle)
    filters = review_queue.Filters.parse(request.args, known)
    found = review_queue.find(cycle, known, review_id) or abort(404)
    item = found.review
    form = ReviewForm(data={"redacted": item.redacted, "decision": item.status} if request.method == "GET" else None)
    changed = False
    if request.method == "POST" and form.validate_on_submit():
        suggested, text = item.redacted, form.redacted.data.strip()
        with writing():
            decided = review.decide_review(item, text, form.decision.data, me(), seen=request.form.get("seen", ""))
        if decided:
            verb = DECIDED[form.decision.data]
            if form.decision.data == "approved":
                verb += " as redacted" if text == suggested else " as edited"
            where = f"{found.question.section}, {found.question.short}" if found.question else item.question_id
            survey = "staff survey " if item.staff_response_id else ""
            flash(f"{verb}: the {survey}comment from {found.organisation} ({where})")
            after = review_queue.following(cycle, known, filters, found)
            if after is None:
                return redirect(url_for("coordinator.comments", year=year, **filters.args()))
            return redirect(url_for("coordinator.comment", year=year, review_id=after, **filters.args()))
        found = review_queue.find(cycle, known, review_id) or abort(404)  # changed meanwhile: review it afresh
        item = found.review
        form = ReviewForm(formdata=None, data={"redacted": item.redacted, "decision": item.status})
        changed = True
    status = 409 if changed else 400 if form.errors else 200
    return render_template(
        "coordinator/comment.html",
        cycle=cycle,
        item=item,
        found=found,
        form=form,
        filters=filters,
        next_id=review_queue.following(cycle, known, filters, found),
        seen=review.text_seen(item),
        changed=changed,
        pieces=review.as_written(item),
    ), status
