"""The app as served in production, plus one bare route for comparison: it renders the same
base template with no database work, under the same server, hooks and headers."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import render_template  # noqa: E402

from healthcheck.wsgi import app  # noqa: E402  (the production entry point, as served)


@app.get("/_bare")
def bare():
    return render_template("index.html")
