"""Time one practitioner's send (staff.submit and its commit, what the send POST writes) on a
database holding 5,000 responses of 145 organisations already: median, p95 and p99 of 1,000 sends.

    .venv/bin/python bench/staff_submit.py DATABASE_URL   (an empty database, e.g. sqlite:////tmp/b.sqlite)

Run it on two checkouts (PYTHONPATH=their folder) to compare a change's cost to sending.
"""

import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from flask_migrate import upgrade

import forms
from forms import synthetic
from healthcheck import create_app
from healthcheck.extensions import db, writing
from healthcheck.models import Organisation
from healthcheck.store import Actor, collection, staff

url = sys.argv[1]
app = create_app("development", SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="x" * 40)
with app.app_context():
    upgrade()
    q = forms.load("health-check", "2017.1")
    sq = forms.load("staff-survey", "2020.1")
    now = datetime.now(UTC)
    with writing():
        for i in range(145):
            db.session.add(Organisation(name=f"Org {i}", authority_type="Shire County"))
        cycle = collection.create_cycle(2017, q, now - timedelta(days=1), now + timedelta(days=30), Actor("b"))
    with writing():
        survey = staff.open_survey(cycle, sq, now - timedelta(days=1), now + timedelta(days=30), Actor("b"))
    orgs = collection.organisations()
    rng = random.Random(1)
    answers = [synthetic.staff_answers(sq, rng, "x", synthetic.leaning(rng)) for _ in range(200)]
    with writing():
        for i in range(5000):
            o = orgs[i % len(orgs)]
            staff.submit(survey, o.id, answers[i % 200], sq, o.name)
    times = []
    for _ in range(1000):
        o = orgs[rng.randrange(len(orgs))]
        t = time.perf_counter()
        with writing():
            staff.submit(survey, o.id, answers[rng.randrange(200)], sq, o.name)
        times.append(time.perf_counter() - t)
    times.sort()
    print(
        f"{url.split(':')[0]}: median {1000 * statistics.median(times):.2f} ms, "
        f"p95 {1000 * times[950]:.2f} ms, p99 {1000 * times[990]:.2f} ms"
    )
