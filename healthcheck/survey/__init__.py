"""The practitioners' side: the anonymous staff survey, reached through an organisation's link
or its code. Nothing identifies the person: answers wait in a draft only their browser can reach
(for a week), and a submitted response keeps its date alone."""
from flask import Blueprint

bp = Blueprint("survey", __name__, url_prefix="/survey")

from . import routes  # noqa: E402,F401
