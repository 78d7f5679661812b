"""The staff survey's results as the coordinating body reads them, from the latest edition:
England's report and each region's as pages (and PDFs), the files behind every table, and every
organisation's scores in one table to sort. Nothing here is published as it stands: the table is
for the team, and the reports name only organisations that agreed to be named."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, render_template, request

from aggregation import drivers, scores, staff_england, staff_national
from aggregation.batch import filename

from ..downloads import edition_path
from ..store import publication
from .blueprint import bp, cycle_or_404

SORTS = ("organisation", "authority_type", "region", "respondents")


def _edition_json(year: int, kind: str, path_ends: str = ".json") -> tuple[Any, Any, dict]:
    cycle = cycle_or_404(year)
    edition = publication.latest_edition(cycle)
    files = publication.files_of(edition, kind) if edition else []
    found = next((f for f in files if f.path.endswith(path_ends)), None)
    if edition is None or found is None:
        return cycle, None, {}
    return cycle, edition, json.loads(edition_path(edition, found).read_text(encoding="utf-8"))


@bp.get("/cycles/<int:year>/staff/results")
def staff_results(year: int) -> Any:
    """England's report, or a region's (``?region=``), with links to every file behind it."""
    region = request.args.get("region")
    if region:
        stem = filename(region, year, "staff-survey")
        cycle, edition, report = _edition_json(year, "staff_region", f"/{stem}.json")
        if not report and publication.latest_edition(cycle):
            abort(404)
    else:
        cycle, edition, report = _edition_json(year, "staff_national")
    files = (
        {kind: publication.files_of(edition, kind) for kind in ("staff_national", "staff_region", "staff_scores")}
        if edition
        else {}
    )
    return render_template(
        "coordinator/staff_results.html",
        cycle=cycle,
        edition=edition,
        report=report,
        files=files,
        drivers=drivers,
        who=staff_national.who,
        shown=staff_national.SHOWN,
        people=scores.people,
        rate_head=staff_national.RATE_HEAD,
        rate_cells=staff_national.rate_cells,
        rate_note=staff_national.RATE_NOTE,
        families=staff_england.FAMILIES,
        bands=staff_england.BANDS,
        spread_why=staff_england.spread_why,
        threshold=(edition.summary.get("staff_min") if edition else None) or scores.MIN_GROUP,
    )


@bp.get("/cycles/<int:year>/staff/organisations")
def staff_organisations(year: int) -> Any:
    """Every organisation's scores by standard, sorted by any column (``?sort=&order=``): the
    team's working table, never published as a league table."""
    cycle, edition, result = _edition_json(year, "staff_scores", "/scores.json")
    ids = [s["id"] for s in result.get("standards", [])]
    sort = request.args.get("sort", "organisation")
    sort = sort if sort in (*SORTS, *ids) else "organisation"
    descending = request.args.get("order") == "descending"
    rows = result.get("organisations", [])

    def value(o: dict) -> Any:
        return o["scores"][sort]["score"] if sort in ids else o[sort]

    shown = sorted((o for o in rows if value(o) is not None), key=value, reverse=descending)
    rows = shown + [o for o in rows if value(o) is None]  # withheld scores last, by name
    return render_template(
        "coordinator/staff_organisations.html",
        cycle=cycle,
        edition=edition,
        result=result,
        rows=rows,
        sort=sort,
        descending=descending,
    )
