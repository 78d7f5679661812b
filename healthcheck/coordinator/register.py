"""The register of organisations as files: downloaded in the columns it is imported in, and a
file uploaded, checked cell by cell by a job, then imported by a second job on a second click
(as a returns file is): nothing is written unless every row is valid."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for
from werkzeug.utils import secure_filename

from ..auth import coordinator_required
from ..downloads import download
from ..extensions import writing
from ..models import AuthorityType
from ..store import collection
from ..store import jobs as job_rows
from ..transfer import register_files
from .blueprint import bp
from .forms import ChooseForm, RegisterUploadForm
from .results import _job_page, _start


@bp.get("/organisations/register.<any(csv, xlsx):fmt>")
def register_file(fmt: str) -> Any:
    """The active organisations in the import's columns; ``?template=1`` for the header alone."""
    template = request.args.get("template") == "1"
    name = f"organisations{'-template' if template else ''}.{fmt}"
    return download(register_files(fmt, name, [] if template else collection.organisations()), name)


@bp.route("/organisations/import", methods=["GET", "POST"])
@coordinator_required
def register_upload() -> Any:
    form = RegisterUploadForm()
    if form.validate_on_submit():
        file = form.file.data
        return _job_page(
            _start(
                "register_check",
                None,
                {},
                upload=file.read(),
                upload_name=secure_filename(file.filename or "")[:200] or "organisations.csv",
            )
        )
    return render_template(
        "coordinator/register_upload.html", form=form, authority_types=[t.value for t in AuthorityType]
    ), (400 if form.errors else 200)


@bp.post("/jobs/<int:job_id>/import-register")
@coordinator_required
def register_import(job_id: int) -> Any:
    """Import a register its check found valid: the second, deliberate click."""
    checked = job_rows.job(job_id) or abort(404)
    if (
        not ChooseForm().validate_on_submit()
        or checked.kind != "register_check"
        or checked.status != "done"
        or checked.detail.get("error_count")
    ):
        abort(400)
    if checked.detail.get("import_job"):  # imported already (a second click, another tab)
        return redirect(url_for("coordinator.job", job_id=checked.detail["import_job"]))
    job = _start(
        "register_import", None, {"checked_by_job": checked.id}, upload=checked.upload, upload_name=checked.upload_name
    )
    with writing():
        checked.detail = {**checked.detail, "import_job": job.id}
    return _job_page(job)
