"""Subject access: everything held about a named person, downloaded, and erased where the law
allows (``store.people``). Coordinators only; every export and erasure is audited."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Response, current_app, flash, render_template

from ..auth import coordinator_required
from ..extensions import writing
from ..store import audit, people, retention
from .blueprint import bp, me
from .forms import EraseForm, PersonForm


def _editions() -> Path:
    return Path(current_app.config["EDITIONS_FOLDER"])


@bp.route("/people", methods=["GET", "POST"])
@coordinator_required
def people_search() -> Any:
    form = PersonForm()
    if not form.validate_on_submit():
        return render_template("coordinator/people.html", form=form), (400 if form.errors else 200)
    person = form.person.data or ""
    return render_template(
        "coordinator/people.html",
        form=form,
        person=person,
        erase=EraseForm(person=person),
        records=people.held(person, _editions()),
    )


@bp.post("/people/export")
@coordinator_required
def people_export() -> Any:
    form = PersonForm()
    if not form.validate_on_submit():
        return render_template("coordinator/people.html", form=form), 400
    person = form.person.data or ""
    records = people.held(person, _editions())
    with writing():
        audit(me(), "subject_access_export", detail={"subject": people.subject(person), "records": len(records)})
    body = json.dumps(people.export(person, records), indent=1, ensure_ascii=False, default=str)
    return Response(
        body, mimetype="application/json", headers={"Content-Disposition": 'attachment; filename="subject-access.json"'}
    )


@bp.post("/people/erase")
@coordinator_required
def people_erase() -> Any:
    form, person = EraseForm(), ""
    if form.validate_on_submit():
        person = form.person.data or ""
        records = people.held(person, _editions())
        with writing():
            files = people.erase(person, records, me(), _editions())
        retention.rewrite(files)
        kept = sum(r.kept_because is not None for r in records)
        flash(f"Erased {len(records) - kept} record{'s' * (len(records) - kept != 1)}; {kept} kept, as listed")
        return render_template(
            "coordinator/people.html",
            form=PersonForm(person=person),
            person=person,
            erase=EraseForm(person=person),
            records=people.held(person, _editions()),
        )
    person = form.person.data or ""
    return render_template(
        "coordinator/people.html",
        form=PersonForm(person=person),
        person=person,
        erase=form,
        records=people.held(person, _editions()),
    ), 400
