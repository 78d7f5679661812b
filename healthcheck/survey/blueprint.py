"""The blueprint the pages of survey/ register on, and what they share."""

from flask import Blueprint

bp = Blueprint("survey", __name__, url_prefix="/survey")
