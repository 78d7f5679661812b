"""The open data API (``/api/v1``): read-only JSON, or CSV with ``?format=csv``, of what has been
published: each cycle's editions, their national tables and the staff survey's scores, read from
the edition's own files, never from the database's working answers; and, for a coordinator's API
token only, the raw export. Every answer here is JSON, errors included (``errors.py``); there is no
POST, so nothing here needs a CSRF token. ``openapi.py`` describes it all."""

from . import views  # the pages: each registers its routes on bp
from .blueprint import bp

__all__ = ["bp", "views"]
