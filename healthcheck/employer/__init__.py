"""The employer's side: one organisation's return, reached through its access link."""

from . import contributors, results, routes, staff  # the pages: each registers its routes on bp
from .blueprint import bp, has_session, session_ends_in

__all__ = ["bp", "has_session", "session_ends_in", "contributors", "results", "routes", "staff"]
