"""The coordinating body's side: sign-in, collection, tracking, returns, coding and review."""
from flask import Blueprint, request
from flask_login import current_user

bp = Blueprint("coordinator", __name__, url_prefix="/admin")


@bp.before_request
def require_sign_in():
    """Every page here needs an account, except signing in."""
    from ..auth import login_manager

    if request.endpoint != "coordinator.sign_in" and not current_user.is_authenticated:
        return login_manager.unauthorized()


from . import routes  # noqa: E402,F401
