"""The list of statistical neighbours: what is stored, a new list uploaded in its place (every row
checked first, nothing written unless all are valid), the list and its template as files."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.utils import secure_filename

from .. import transfer
from ..auth import coordinator_required
from ..downloads import download
from ..extensions import done_reading, writing
from ..store import neighbours
from .blueprint import bp, me
from .forms import NeighboursForm


@bp.get("/neighbours")
def statistical_neighbours() -> Any:
    return _page(NeighboursForm(), [])


def _page(form: NeighboursForm, errors: list[transfer.CellError]) -> Any:
    return render_template(
        "coordinator/neighbours.html", form=form, errors=errors, upload=neighbours.current(), lists=neighbours.lists()
    ), (400 if form.errors else 200)


@bp.post("/neighbours")
@coordinator_required
def neighbours_upload() -> Any:
    """A new list in place of the old, once every row of the file is valid."""
    form = NeighboursForm()
    if not form.validate_on_submit():
        return _page(form, [])
    name = secure_filename(form.file.data.filename or "")[:200] or "neighbours.csv"
    try:
        errors, pairs = transfer.check_neighbours(transfer.read_upload(name, form.file.data.read()))
    except transfer.FileProblem as problem:
        form.file.errors = [str(problem)]
        errors, pairs = [], []
    if not rows_ok(form, errors):
        done_reading()
        return _page(form, errors)
    with writing():
        stored = neighbours.replace(pairs, me(), name)
    flash(f"Statistical neighbours replaced: {len(pairs)} organisations, {stored} neighbours")
    return redirect(url_for("coordinator.statistical_neighbours"))


def rows_ok(form: NeighboursForm, errors: list[transfer.CellError]) -> bool:
    if errors:
        form.file.errors = [
            f"{len(errors)} problem{'s' if len(errors) != 1 else ''} in the file: nothing was "
            "imported. Each is listed below."
        ]
    return not form.file.errors


@bp.get("/neighbours.<any(csv, xlsx):fmt>")
def neighbours_file(fmt: str) -> Any:
    """The stored list in the columns it is read in; ``?template=1`` for the empty template."""
    template = request.args.get("template") == "1"
    name = f"statistical-neighbours{'-template' if template else ''}.{fmt}"
    return download(transfer.neighbour_files(name, [] if template else neighbours.lists()), name)
