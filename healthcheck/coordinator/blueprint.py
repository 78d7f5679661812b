"""The blueprint the pages of coordinator/ register on, and what they share."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request
from flask_login import current_user

from ..auth import login_manager
from ..jobs import TITLES
from ..models import Cycle
from ..store import Actor, collection

bp = Blueprint("coordinator", __name__, url_prefix="/admin")


OPEN = {
    "coordinator.sign_in",
    "coordinator.second_factor",
    "coordinator.set_up",
    "coordinator.forgot_password",
    "coordinator.reset_password",
}  # the pages before one is signed in


@bp.before_request
def require_sign_in() -> Any:
    """Every page here needs an account, except signing in."""
    if request.endpoint not in OPEN and not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.context_processor
def job_titles() -> dict:
    return {"job_titles": TITLES}


def me() -> Actor:
    return Actor(current_user.name, via=f"coordinator {current_user.email}")


def cycle_or_404(year: int) -> Cycle:
    return collection.cycle_by_year(year) or abort(404)
