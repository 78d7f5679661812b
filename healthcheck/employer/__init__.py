"""The employer's side: one organisation's return, reached through its access link."""
from flask import Blueprint

bp = Blueprint("employer", __name__)

from . import results, routes, staff  # noqa: E402,F401
