"""The API's endpoints. Each reads a published edition's files (those its users download) and
answers with JSON, or with the same rows as CSV (``aggregation.sheets``, which neutralises formulas)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, jsonify, request, url_for

from aggregation import outputs, score_files, scores, sheets
from aggregation.tables import SUPPRESSED, Table

from .. import transfer
from ..downloads import download, edition_path
from ..extensions import writing
from ..models import ApiToken, Cycle, Edition, User, utcnow
from ..store import Actor, accounts, audit, collection, publication
from .blueprint import bp, error, wanted_edition, wanted_format
from .openapi import document

# Each grouping of the national tables and the edition file that publishes it. A grouping is listed
# for an edition only where that edition has its file: editions published before a grouping existed
# simply lack it.
GROUPINGS = {"type": "tables/tables.json", "region": "tables/regional-tables.json"}
PUBLIC_LEVELS = ("types", "regions", "national")  # the staff survey's; "organisations" needs a token
FIGURES = ("value", "percent", "count", "printed")  # a withheld row's, never served
UNAUTHORISED = {"WWW-Authenticate": 'Bearer realm="healthcheck", charset="UTF-8"'}


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(document())


# ---------------------------------------------------------------- editions


def _edition(year: int) -> tuple[Cycle, Edition, int]:
    """The cycle, its current edition (or ``?edition=N``) and its latest edition's number; a cycle
    with nothing published is as unknown as one that does not exist."""
    number = wanted_edition()
    cycle = collection.cycle_by_year(year)
    latest = publication.latest_edition(cycle) if cycle else None
    if cycle is None or latest is None:
        abort(404, f"Nothing has been published for {year}")
    found = publication.edition(cycle, number) if number else latest
    if found is None:
        abort(404, f"{year} has no edition {number}")
    return cycle, found, latest.number


def _about(edition: Edition, latest: int) -> dict[str, Any]:
    return {
        "year": edition.cycle.year,
        "edition": edition.number,
        "published_at": edition.published_at.isoformat(),
        "current": edition.number == latest,
        "superseded_by": None if edition.number == latest else latest,
    }


def _published_json(edition: Edition, path: str) -> Any:
    """One of the edition's files, read as JSON; None where the edition has no such file to serve."""
    found = publication.edition_file(edition, path)
    if found is None or found.kind in publication.NEVER_SERVED or found.organisation_id is not None:
        return None
    return json.loads(edition_path(edition, found).read_text(encoding="utf-8"))


def _respond(body: dict[str, Any], rows: list[list[Any]], name: str, fmt: str) -> Any:
    return download(sheets.csv_text(rows), f"{name}.csv") if fmt == "csv" else jsonify(body)


@bp.get("/editions")
def editions() -> Any:
    fmt = wanted_format()
    cycles: list[dict[str, Any]] = [
        {
            "year": cycle.year,
            "current_edition": every[0].number,
            "editions": [_about(e, every[0].number) for e in every],
        }
        for cycle, every in publication.published()
    ]
    rows = [["year", "edition", "published_at", "current"]]
    rows += [[e["year"], e["edition"], e["published_at"], e["current"]] for c in cycles for e in c["editions"]]
    return _respond({"cycles": cycles}, rows, "editions", fmt)


def _tables(edition: Edition, grouping: str) -> list[Table] | None:
    published = _published_json(edition, GROUPINGS[grouping])
    return None if published is None else list(published["tables"])


def _summary(edition: Edition, grouping: str, table: Table) -> dict[str, Any]:
    """What the API says of a table: its base is the one it prints ("Base = 51"), or null where it
    prints one for each measure ("Base = 49 and 51"; then ``bases`` in the table's answer)."""
    printed = outputs.printed_bases(table)
    return {
        "grouping": grouping,
        "id": table["id"],
        "number": table["number"],
        "title": table["title"],
        "kind": table["kind"],
        "base": printed[0] if len(printed) == 1 else None,
        "url": url_for(
            "api.table", year=edition.cycle.year, grouping=grouping, table_id=table["id"], edition=edition.number
        ),
    }


SUMMARY_COLUMNS = ["grouping", "id", "number", "title", "kind", "base", "url"]


@bp.get("/editions/<int:year>")
def edition(year: int) -> Any:
    fmt = wanted_format()
    _, found, latest = _edition(year)
    listed = {g: _tables(found, g) for g in GROUPINGS}
    tables = [_summary(found, g, t) for g, every in listed.items() for t in every or []]
    levels = list(PUBLIC_LEVELS) if _staff_scores(found) is not None else []
    national = _published_json(found, GROUPINGS["type"]) or {}
    body = _about(found, latest) | {
        "groupings": [g for g, every in listed.items() if every is not None],
        "tables": tables,
        "staff_scores": levels,
        "key_findings": national.get("key_findings", []),
    }
    return _respond(
        body,
        [SUMMARY_COLUMNS, *([t[c] for c in SUMMARY_COLUMNS] for t in tables)],
        f"health-check-{year}-edition-{found.number}",
        fmt,
    )


@bp.get("/editions/<int:year>/tables")
def tables(year: int) -> Any:
    """The edition's tables, of every grouping or of one (``?grouping=``)."""
    fmt = wanted_format()
    grouping = request.args.get("grouping")
    if grouping is not None and grouping not in GROUPINGS:
        abort(400, "grouping must be one of: " + ", ".join(GROUPINGS))
    _, found, latest = _edition(year)
    listed = {g: _tables(found, g) for g in ([grouping] if grouping else GROUPINGS)}
    if grouping and listed[grouping] is None:
        abort(404, f"Edition {found.number} of {year} has no tables by {grouping}")
    summaries = [_summary(found, g, t) for g, every in listed.items() for t in every or []]
    return _respond(
        _about(found, latest) | {"tables": summaries},
        [SUMMARY_COLUMNS, *([t[c] for c in SUMMARY_COLUMNS] for t in summaries)],
        f"health-check-{year}-tables",
        fmt,
    )


def _columns(table: Table) -> list[str]:
    """A table's columns as its CSV publishes them; for a kind of table the files do not know,
    every field its rows have."""
    try:
        return outputs.columns_of(table)
    except KeyError:
        return [k for k in dict.fromkeys(k for row in table["rows"] for k in row) if k != "suppressed"]


def published_rows(table: Table) -> tuple[list[str], list[dict[str, Any]]]:
    """A table's columns and rows as served: a withheld row's figures null, marked ``withheld``."""
    columns = _columns(table)
    rows = []
    for row in table["rows"]:
        withheld = bool(row.get("suppressed")) or row.get("printed") == SUPPRESSED
        rows.append({c: None if withheld and c in FIGURES else row.get(c) for c in columns} | {"withheld": withheld})
    return columns, rows


@bp.get("/editions/<int:year>/tables/<grouping>/<table_id>")
def table(year: int, grouping: str, table_id: str) -> Any:
    fmt = wanted_format()
    if grouping not in GROUPINGS:
        abort(404, "grouping must be one of: " + ", ".join(GROUPINGS))
    _, found, latest = _edition(year)
    every = _tables(found, grouping)
    chosen = next((t for t in every or [] if t["id"] == table_id), None)
    if chosen is None:
        abort(404, f"Edition {found.number} of {year} has no table {table_id} by {grouping}")
    columns, rows = published_rows(chosen)
    reason = next((note for note in chosen["notes"] if note.startswith(SUPPRESSED)), None)
    body = (
        _about(found, latest)
        | _summary(found, grouping, chosen)
        | {
            "bases": chosen.get("bases") or {},
            "columns": columns,
            "rows": rows,
            "notes": chosen["notes"],
            "withheld_reason": reason,
            "threshold": found.summary.get("publication_min"),
            "findings": chosen.get("findings", []),
        }
    )
    csv_rows = [[*columns, "withheld"], *([r[c] for c in columns] + [r["withheld"]] for r in rows)]
    return _respond(body, csv_rows, f"health-check-{year}-{grouping}-{table_id}", fmt)


# ---------------------------------------------------------------- the staff survey's scores


def _staff_scores(edition: Edition) -> dict[str, Any] | None:
    """The edition's scores.json, where it has one in the form this API serves: an edition published
    before counts were withheld by audience (no ``threshold`` in it) has none to serve."""
    found = next((f for f in publication.files_of(edition, "staff_scores") if f.path.endswith("/scores.json")), None)
    result = None if found is None else _published_json(edition, found.path)
    return result if result is not None and "threshold" in result else None


def public_scores(result: dict[str, Any], level: str, minimum: int) -> list[dict[str, Any]]:
    """A level's groups as anyone may read them: the pattern scores.json publishes for everyone
    (``scores.Scored.cell``: a withheld figure or count null, with why), printed scores only, and
    never a figure or count from fewer than ``minimum``."""
    rows = []
    for entry in score_files.rows_by_level(result)[level]:
        cells = {}
        for standard in result["standards"]:
            cell = entry["scores"][standard["id"]]
            shown = cell["score"] is not None and (cell["n"] or 0) >= minimum
            cells[standard["id"]] = {
                "score": cell["printed"] if shown else None,
                "band": cell["band"] if shown else None,
                "respondents": cell["n"] if shown else None,
                "withheld": not shown,
                "why": None if shown else cell.get("withheld") or scores.FEWER,
            }
        people = entry["respondents"] if (entry["respondents"] or 0) >= minimum else None
        rows.append(
            {
                "group": entry["group"].split(":", 1)[-1],
                "scores": cells,
                "respondents": people,
                "respondents_withheld": None
                if people is not None
                else entry.get("respondents_withheld") or scores.FEWER,
            }
        )
    return rows


def _flat(rows: list[dict[str, Any]], lead: list[str], standards: list[str]) -> list[list[Any]]:
    """Rows of scores by standard as one table: the leading columns, then ``standard.field``."""
    fields = list(rows[0]["scores"][standards[0]]) if rows and standards else []
    return [
        [*lead, *(f"{s}.{f}" for s in standards for f in fields)],
        *([row[c] for c in lead] + [row["scores"][s][f] for s in standards for f in fields] for row in rows),
    ]


@bp.get("/editions/<int:year>/staff-scores/<level>")
def staff_scores(year: int, level: str) -> Any:
    """A level's staff survey scores by standard; every organisation's only with a coordinator's token."""
    fmt = wanted_format()
    if level not in score_files.LEVELS:
        abort(404, "level must be one of: " + ", ".join(score_files.LEVELS))
    if level not in PUBLIC_LEVELS:
        bearer()
    _, found, latest = _edition(year)
    result = _staff_scores(found)
    if result is None:
        abort(
            404,
            f"Edition {found.number} of {year} has no staff survey scores to serve (an edition published "
            "before counts were withheld by audience has none: publish again)",
        )
    minimum = max(int(found.summary.get("staff_min") or scores.MIN_GROUP), scores.MIN_GROUP)
    if level in PUBLIC_LEVELS:
        rows, lead = public_scores(result, level, minimum), ["group", "respondents"]
    else:
        rows, lead = result["organisations"], ["organisation", "authority_type", "region", "respondents"]
    standards = [s["id"] for s in result["standards"]]
    body = (
        _about(found, latest)
        | {"level": level, "minimum": minimum, "standards": result["standards"], "rows": rows}
        | ({"reasons": {code: scores.why(code, minimum) for code in scores.REASONS}} if level in PUBLIC_LEVELS else {})
    )
    return _respond(body, _flat(rows, lead, standards), f"staff-survey-{year}-{level}", fmt)


# ---------------------------------------------------------------- the raw export, with a token


def bearer() -> tuple[ApiToken, User]:
    """The token in ``Authorization: Bearer ...`` and its account, or a 401 that says how to send one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    found = accounts.api_token_user(token.strip()) if scheme.lower() == "bearer" else None
    if found is None:
        abort(error(401, "Send a valid API token: Authorization: Bearer <token>", **UNAUTHORISED))
    return found


@bp.get("/raw/<int:year>")
def raw(year: int) -> Any:
    """Every submitted return of a cycle in the import's columns (JSON with the codebook, or CSV)."""
    fmt = wanted_format()
    token, user = bearer()
    cycle = collection.cycle_by_year(year)
    if cycle is None:
        abort(404, f"There is no {year} cycle")
    with writing():
        used = accounts.api_token(token.id)
        assert used is not None
        used.last_used_at = utcnow()
        audit(
            Actor(user.name, via=f"API token {used.name!r} of {user.email}"),
            "api_raw_read",
            detail={"cycle": year, "format": fmt, "token": used.id, "client": request.remote_addr},
        )
    name = f"returns-{year}.{fmt}"
    body = transfer.export_files(cycle, fmt, name)[name]
    out = Response(body, mimetype="application/json" if fmt == "json" else "text/csv")
    if fmt == "csv":
        out.headers["Content-Type"] = "text/csv; charset=utf-8"
        out.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    out.headers["Cache-Control"] = "no-store"
    return out
