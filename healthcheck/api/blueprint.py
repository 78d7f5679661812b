"""The blueprint the pages of api/ register on, and what they share."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request

from ..auth import limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"])(bp)

FORMATS = ("json", "csv")


def error(status: int, message: str, **headers: str) -> Any:
    """The API's error body, ``{"error": message}``, with its status."""
    response = jsonify(error=message)
    response.status_code = status
    response.headers.update(headers)
    return response


def wanted_format() -> str:
    fmt = request.args.get("format", "json")
    if fmt not in FORMATS:
        abort(400, "format must be json or csv")
    return fmt


def wanted_edition() -> int | None:
    """``?edition=N``: a particular edition of the cycle rather than its current one."""
    given = request.args.get("edition")
    if given is None:
        return None
    if not given.isdigit() or int(given) == 0:
        abort(400, "edition must be a whole number from 1")
    return int(given)  # however large: an edition there is not (404)
