"""Jobs the coordinating body starts from the web (publishing results, sending emails, importing
a returns file), their progress, and what they produced: editions of the results and their files."""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.utils import secure_filename

from aggregation import charts
from aggregation.edition import STEPS
from aggregation.outputs import base_text, grid, slug

from .. import clock, jobs, transfer
from ..auth import coordinator_required
from ..downloads import download, edition_path, send_edition_file
from ..extensions import writing
from ..models import Cycle, Edition, Job
from ..store import collection, preflight, publication
from ..store import jobs as job_rows
from ..store.submitted import latest_submitted
from .blueprint import bp, cycle_or_404, me
from .forms import ChooseForm, PublishForm, UploadForm


def _start(kind: str, cycle: Cycle | None, detail: dict, **upload: Any) -> Job:
    """Queue a job (for its page); a job that must not run twice at once (``jobs.lock_of``) and
    is already under way is shown instead of starting a second one."""
    try:
        with writing():
            job = job_rows.new_job(kind, me(), cycle, detail=detail, **upload)
    except job_rows.Locked:
        return job_rows.locked_by(job_rows.lock_of(kind, cycle.id if cycle else None, detail) or "") or abort(409)
    jobs.enqueue(job)
    return job


def _job_page(job: Job) -> Any:
    return redirect(url_for("coordinator.job", job_id=job.id))


# ---------------------------------------------------------------- results and publishing


@bp.get("/cycles/<int:year>/results")
def results(year: int) -> Any:
    """The latest edition's tables, as published."""
    cycle = cycle_or_404(year)
    every = publication.editions(cycle)
    number = request.args.get("edition", type=int)
    shown = (publication.edition(cycle, number) or abort(404)) if number else (every[0] if every else None)
    tables, by_region, reports, said = [], [], [], []
    if shown is not None:
        stored = publication.edition_file(shown, "tables/tables.json") or abort(404)
        published = json.loads(edition_path(shown, stored).read_text(encoding="utf-8"))
        tables, said = published["tables"], published.get("key_findings", [])
        regional = publication.edition_file(shown, "tables/regional-tables.json")  # none in older editions
        if regional is not None:
            by_region = json.loads(edition_path(shown, regional).read_text(encoding="utf-8"))["tables"]
        reports = [f for f in shown.files if f.kind == "regional_report"]
    # The sentences are those publishing wrote from the unrounded figures (the report's own); an
    # edition published before they were stored has none, rather than some from rounded figures.
    changed = (
        preflight.in_words(preflight.recorded(shown, next((e for e in every if e.number == shown.number - 1), None)))
        if shown is not None
        else []
    )
    return render_template(
        "coordinator/results.html",
        cycle=cycle,
        editions=every,
        shown=shown,
        tables=tables,
        changed=changed,
        by_region=by_region,
        regional_reports=reports,
        key_findings=said,
        base_text=base_text,
        grid=grid,
        alt_text=charts.alt_text,
        figure=lambda t: f"tables/{slug(t)}.png",
    )


@bp.route("/cycles/<int:year>/publish", methods=["GET", "POST"])
@coordinator_required
def publish(year: int) -> Any:
    """What publishing will produce, then (on confirmation) the job that produces it."""
    cycle = cycle_or_404(year)
    running = job_rows.locked_by(job_rows.lock_of("publish", cycle.id, {}) or "")
    if running is not None:
        return _job_page(running)
    latest = publication.latest_edition(cycle)
    form = PublishForm(data={"after": latest.number if latest else 0} if request.method == "GET" else None)
    if form.validate_on_submit():
        if form.after.data != (latest.number if latest else 0):  # someone else published meanwhile
            flash(
                f"Edition {latest.number if latest else 0} was published while you were deciding: "
                "check it before publishing again"
            )
            return redirect(url_for("coordinator.results", year=year))
        return _job_page(_start("publish", cycle, {}))
    submitted = latest_submitted(cycle)
    by_type = Counter(response.organisation.authority_type for response, _ in submitted)
    state = preflight.unfinished(cycle, clock.now())
    changes = preflight.compare(
        latest,
        {r.organisation.name: v.reference for r, v in submitted},
        state.staff_respondents if state.staff_included else None,
        preflight.approved_comments(cycle),
    )
    return render_template(
        "coordinator/publish.html",
        cycle=cycle,
        form=form,
        latest=latest,
        by_type=by_type,
        count=len(submitted),
        steps=STEPS,
        state=state,
        changes=changes,
        changed=preflight.in_words(changes),
    )


@bp.get("/cycles/<int:year>/editions/<int:number>/<path:path>")
def edition_file(year: int, number: int, path: str) -> Any:
    """A file of an edition, as published (a benchmark's too: the coordinating body may read them all),
    but never the staff survey's frozen responses: one person's answers stay out of every download."""
    edition = publication.edition(cycle_or_404(year), number) or abort(404)
    file = publication.edition_file(edition, path) or abort(404)
    if file.kind in publication.NEVER_SERVED:
        abort(404)
    return send_edition_file(edition, file, inline=path.endswith((".png", ".svg")))


@bp.get("/cycles/<int:year>/editions/<int:number>.zip")
def edition_zip(year: int, number: int) -> Any:
    """Every table of an edition as files (JSON, CSV, XLSX, charts), in one download."""
    edition: Edition = publication.edition(cycle_or_404(year), number) or abort(404)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for file in edition.files:
            if file.kind in ("tables", "chart", "report", "regional_report"):
                out.write(edition_path(edition, file), f"health-check-{year}-edition-{number}/{file.path}")
    return download(buffer.getvalue(), f"health-check-{year}-edition-{number}.zip")


# ---------------------------------------------------------------- jobs


@bp.get("/jobs/<int:job_id>")
def job(job_id: int) -> Any:
    found = job_rows.job(job_id) or abort(404)
    stalled = job_rows.stalled(found, current_app.config["JOB_STALLED_AFTER"])
    sends = collection.sends_of_job(found.id) if found.kind in ("emails", "email") else []
    return render_template(
        "coordinator/job.html",
        job=found,
        stalled=stalled,
        sends=sends,
        form=ChooseForm(),
        max_attempts=job_rows.MAX_ATTEMPTS,
        steps=list(STEPS.values()) if found.kind == "publish" else [],
    )


@bp.post("/jobs/<int:job_id>/again")
@coordinator_required
def job_again(job_id: int) -> Any:
    """Try a failed (or stalled) job again, as a new job asking the same."""
    found = job_rows.job(job_id) or abort(404)
    if not ChooseForm().validate_on_submit() or (found.cycle is None and not found.kind.startswith("register_")):
        abort(400)
    with writing():
        jobs.give_up_stalled(found)
    if found.status != "failed":
        return _job_page(found)
    asked = {k: v for k, v in found.detail.items() if k in jobs.ASKED}
    return _job_page(_start(found.kind, found.cycle, asked, upload=found.upload, upload_name=found.upload_name))


# ---------------------------------------------------------------- emails, returns files, exports


@bp.post("/cycles/<int:year>/send/<any(invitation, reminder, retry):kind>")
@coordinator_required
def send(year: int, kind: str) -> Any:
    cycle = cycle_or_404(year)
    if not ChooseForm().validate_on_submit():
        abort(400)
    return _job_page(_start("emails", cycle, {"kind": kind}))


@bp.route("/cycles/<int:year>/import", methods=["GET", "POST"])
@coordinator_required
def upload(year: int) -> Any:
    """A returns file (CSV or XLSX), checked cell by cell by a job before anything is imported."""
    cycle = cycle_or_404(year)
    form = UploadForm()
    if form.validate_on_submit():
        file = form.file.data
        return _job_page(
            _start(
                "check",
                cycle,
                {"replace": bool(form.replace.data)},
                upload=file.read(),
                upload_name=secure_filename(file.filename or "")[:200] or "returns.csv",
            )
        )
    return render_template("coordinator/upload.html", cycle=cycle, form=form), (400 if form.errors else 200)


@bp.get("/cycles/<int:year>/import/template.<any(csv, xlsx):fmt>")
def upload_template(year: int, fmt: str) -> Any:
    """An empty import file with the codebook: an XLSX with a codebook sheet, or a CSV zipped with
    its codebook beside it."""
    cycle = cycle_or_404(year)
    name = f"returns-{year}-template.{fmt}"
    files = transfer.template_files(cycle, name)
    return _one_or_zipped(files, name, f"returns-{year}-template-csv.zip")


@bp.post("/jobs/<int:job_id>/import")
@coordinator_required
def import_checked(job_id: int) -> Any:
    """Import a file its check found valid: the second, deliberate click."""
    checked = job_rows.job(job_id) or abort(404)
    if (
        not ChooseForm().validate_on_submit()
        or checked.kind != "check"
        or checked.status != "done"
        or checked.detail.get("error_count")
        or checked.cycle is None
    ):
        abort(400)
    if checked.detail.get("import_job"):  # imported already (a second click, another tab)
        return redirect(url_for("coordinator.job", job_id=checked.detail["import_job"]))
    job = _start(
        "import",
        checked.cycle,
        {"replace": checked.detail.get("replace", False), "checked_by_job": checked.id},
        upload=checked.upload,
        upload_name=checked.upload_name,
    )
    with writing():
        checked.detail = {**checked.detail, "import_job": job.id}
    return _job_page(job)


@bp.get("/cycles/<int:year>/export.<any(csv, xlsx, json):fmt>")
def export(year: int, fmt: str) -> Any:
    """The raw returns in the import's columns, with the codebook (a CSV comes zipped with its own)."""
    cycle = cycle_or_404(year)
    name = f"returns-{year}.{fmt}"
    files = transfer.export_files(cycle, fmt, name, include_drafts=request.args.get("drafts") == "1")
    return _one_or_zipped(files, name, f"returns-{year}-csv.zip")


def _one_or_zipped(files: dict[str, bytes], name: str, zip_name: str) -> Any:
    """A download of the one file asked for, or of every file zipped (a CSV with its codebook)."""
    if len(files) == 1:
        return download(files[name], name)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for file_name, content in files.items():
            out.writestr(file_name, content)
    return download(buffer.getvalue(), zip_name)
