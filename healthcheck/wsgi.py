"""The WSGI entry point for production servers: ``gunicorn healthcheck.wsgi:app``.

Configuration comes from the environment (HEALTHCHECK_CONFIG, SECRET_KEY, DATABASE_URL, ...).
"""

import gc

from . import create_app
from .config import Refused

try:
    app = create_app()
except Refused as refused:  # gunicorn prints this error as one line, no traceback, and stops rather than retrying
    from gunicorn.errors import AppImportError  # gunicorn is there only when the app runs under it

    raise AppImportError(f"healthcheck will not start: {refused}") from None

# The app, its libraries (SQLAlchemy, Jinja, pandas, matplotlib, reportlab) and their modules
# are some 180,000 objects that live as long as the process. A full garbage collection scanned
# them all, pausing every request in the worker for about 70 ms, and that was most of the
# slowest 1 % of requests under load (docs/performance.md). Frozen, collections skip them.
gc.freeze()
