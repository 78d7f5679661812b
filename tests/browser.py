"""What the browser tests share: Debian's Chromium (Playwright drives it; nothing downloads a
browser), axe-core's check of a page, and the live app's second return submitted. The ``browser``
and ``live`` fixtures are in ``conftest.py``."""

from __future__ import annotations

import random

from sqlalchemy import select

from forms import load
from forms.synthetic import answers
from healthcheck.app import ROOT
from healthcheck.extensions import db
from healthcheck.models import Cycle, Organisation
from healthcheck.store import Actor, returns

CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def assert_accessible(page) -> None:
    assert AXE.exists(), "axe-core is installed by bin/setup from the npm registry"
    # Evaluated through the DevTools protocol: the page's CSP (no inline scripts) stays enforced.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)
    problems = [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes, e.g. {v['nodes'][0]['target']})"
        for v in result["violations"]
    ]
    assert problems == [], f"{page.url}: " + "; ".join(problems)


def submitted_by_the_other(live) -> None:
    """The second organisation's return, submitted (so there is something to publish)."""
    with live["app"].app_context():
        q = load("health-check", "2017.1")
        other = db.session.scalar(select(Organisation).where(Organisation.name.startswith("Kelvingate")))
        response = returns.find_return(db.session.scalar(select(Cycle)), other)
        if response.status != "submitted":
            returns.submit(response, Actor("Test"), q, replace_with=answers(q, random.Random(2), other.name))
        db.session.commit()
