"""What several test modules share: signing in and filling a return through the pages, publishing,
synthetic peers and staff survey respondents, the hand-built tables dataset, import files, and
waiting on a worker. A test module imports these from here, never from another test module."""

from __future__ import annotations

import csv
import hashlib
import io
import random
import re
import time
from datetime import timedelta
from pathlib import Path

from pypdf import PdfReader

import forms
from aggregation.dataset import Dataset, Return
from forms import tablespec
from forms.synthetic import answers
from healthcheck import create_app, jobs
from healthcheck.extensions import db, writing
from healthcheck.models import Cycle, Job, Organisation
from healthcheck.store import Actor, collection, publication, returns, staff
from healthcheck.store import jobs as job_rows
from healthcheck.transfer import columns
from tests.answers import FULL_RETURN
from tests.environment import PASSWORD, CheckingClient, now

HEALTH_CHECK = forms.load("health-check", "2017.1")
STAFF_SURVEY = forms.load("staff-survey", "2020.1")


def submit_return(app, token, name="Priya Shah"):
    employer = app.test_client()
    sign_in(employer, token, name)
    fill_everything(employer)
    assert employer.post_form("/return/check", {"confirm": "y"}).status_code == 302
    return employer


def save(client, section_id, form, action="continue"):
    path = f"/return/section/{section_id}"
    page = client.get(path).get_data(as_text=True)
    version = re.search(r'name="section_version" type="hidden" value="(\d+)"', page).group(1)
    return client.post_form(path, {**form, "section_version": version, "action": action}, token_from=path)


def fill_everything(client):
    for section_id, form in FULL_RETURN.items():
        response = save(client, section_id, form)
        assert response.status_code == 302, (section_id, response.get_data(as_text=True)[:2000])


def with_peers(cycle, count=12):
    """Synthetic submitted returns from other councils, so comparison groups are big enough."""
    actor = Actor("Test")
    rng = random.Random(1)
    for i in range(count):
        org = Organisation(name=f"Peer Council {i}", authority_type=("Shire County", "London Borough")[i % 2])
        db.session.add(org)
        db.session.flush()
        returns.submit(returns.return_for(cycle, org), actor, HEALTH_CHECK, replace_with=answers(HEALTH_CHECK, rng))
    db.session.commit()


def publish(app):
    """The coordinator publishes the 2017 results (the job runs at once, in tests)."""
    coordinator = signed_in(app, "coordinator")
    latest = publication.latest_edition(collection.cycle_by_year(2017))
    done = coordinator.post_form("/admin/cycles/2017/publish", {"after": str(latest.number if latest else 0)})
    assert done.status_code == 302 and "/admin/jobs/" in done.headers["Location"]
    db.session.expire_all()
    return coordinator


def text_of(pdf_bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf_bytes)).pages).split())


def respond(survey, org, count: int, seed: int = 0, **fixed) -> None:
    rng = random.Random(seed)
    with writing():
        for _ in range(count):
            staff.submit(survey, org.id, answers(STAFF_SURVEY, rng) | fixed, STAFF_SURVEY, org.name)


def lone_trust(cycle) -> Organisation:
    """The only NHS trust to send a return: every figure of its type is withheld."""
    org = Organisation(name="Lone NHS Trust", authority_type="NHS Trust")
    db.session.add(org)
    db.session.flush()
    returns.submit(
        returns.return_for(cycle, org),
        Actor("Test"),
        HEALTH_CHECK,
        replace_with=answers(HEALTH_CHECK, random.Random(7)),
    )
    db.session.commit()
    return org


#  org  type                 posts unfilled agency hours  senior-pract.  reflective    welfare  access     opportunities
#  A    Shire County          10    1        0      37     5              individually  yes      yes        student, other (coded: mentoring)
#  B    Shire County           8    1        2      35     n/a            individually  yes      dont_know  student
#  C    London Borough        20    5        4      39     0              peer_group    no       (not asked) mentoring, research
#  D    London Borough        40    2       10      38     10             no            yes      yes        other (not coded)
#  E    NHS Trust             16    0        1      36     7              dont_know     yes      (blank)    (blank)
#  F    Unitary Authority     --    --       --     40     4              individually  yes      no         student, research
RETURNS = [
    Return(
        "A",
        "Shire County",
        {
            "posts": 10,
            "posts_unfilled": 1,
            "posts_agency": 0,
            "hours_per_week": 37,
            "caseload_senior_practitioner": 5,
            "reflective_supervision": "individually",
            "welfare_system": "yes",
            "welfare_access": "yes",
            "profession_opportunities": ["student_supervision", "other"],
            "profession_opportunities_other": "Mentoring NQSWs",
        },
        coded={"profession_opportunities_other": ["mentoring"]},
    ),
    Return(
        "B",
        "Shire County",
        {
            "posts": 8,
            "posts_unfilled": 1,
            "posts_agency": 2,
            "hours_per_week": 35,
            "caseload_senior_practitioner": "n/a",
            "reflective_supervision": "individually",
            "welfare_system": "yes",
            "welfare_access": "dont_know",
            "profession_opportunities": ["student_supervision"],
        },
    ),
    Return(
        "C",
        "London Borough",
        {
            "posts": 20,
            "posts_unfilled": 5,
            "posts_agency": 4,
            "hours_per_week": 39,
            "caseload_senior_practitioner": 0,
            "reflective_supervision": "peer_group",
            "welfare_system": "no",
            "profession_opportunities": ["mentoring", "research"],
        },
    ),
    Return(
        "D",
        "London Borough",
        {
            "posts": 40,
            "posts_unfilled": 2,
            "posts_agency": 10,
            "hours_per_week": 38,
            "caseload_senior_practitioner": 10,
            "reflective_supervision": "no",
            "welfare_system": "yes",
            "welfare_access": "yes",
            "profession_opportunities": ["other"],
            "profession_opportunities_other": "Forums",
        },
    ),
    Return(
        "E",
        "NHS Trust",
        {
            "posts": 16,
            "posts_unfilled": 0,
            "posts_agency": 1,
            "hours_per_week": 36,
            "caseload_senior_practitioner": 7,
            "reflective_supervision": "dont_know",
            "welfare_system": "yes",
        },
    ),
    Return(
        "F",
        "Unitary Authority",
        {
            "hours_per_week": 40,
            "caseload_senior_practitioner": 4,
            "reflective_supervision": "individually",
            "welfare_system": "yes",
            "welfare_access": "no",
            "profession_opportunities": ["student_supervision", "research"],
        },
    ),
]


POPULATIONS = {"Shire County": 27, "London Borough": 33, "Metropolitan District": 36, "Unitary Authority": 55}


def dataset(**extra):
    return Dataset(
        year=2017,
        questionnaire=HEALTH_CHECK,
        tables=tablespec.load(HEALTH_CHECK),
        returns=RETURNS,
        populations=POPULATIONS,
        **extra,
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def queue_publication(cycle) -> int:
    with writing():
        job = job_rows.new_job("publish", Actor("Test"), cycle)
    jobs.enqueue(job)  # to the worker, not run here
    return job.id


def wait_for(job_id: int, until, seconds: float = 120) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.expire_all()
        job = db.session.get(Job, job_id)
        db.session.rollback()
        if until(job):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} is still {job.status}: {job.step} {job.done}/{job.total}")


def awkward_dataset() -> Dataset:
    layout = (
        [("NHS Trust", None)]
        + [("London Borough", "London")] * 3
        + [("Shire County", "Eastern")] * 4
        + [("Shire County", "South East")] * 4
        + [("Metropolitan District", "North West")] * 5
        + [("Metropolitan District", "North East")] * 2
        + [("Unitary Authority", "South West")] * 3
        + [("Unitary Authority", "Eastern")] * 3
    )

    def year(seed: int) -> list[Return]:
        rng = random.Random(seed)
        return [
            Return(f"Org {i:02d}", kind, answers(HEALTH_CHECK, rng), region=region)
            for i, (kind, region) in enumerate(layout)
        ]

    previous = Dataset(2016, HEALTH_CHECK, tablespec.load(HEALTH_CHECK), year(1), {})
    return Dataset(2017, HEALTH_CHECK, tablespec.load(HEALTH_CHECK), year(2), {}, previous=previous)


def write_csv(path, rows, header=None):
    header = header or columns(HEALTH_CHECK)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


GOOD = {
    "organisation": "Northmoor County Council",
    "contact_first_name": "Priya",
    "contact_surname": "Shah",
    "contact_organisation": "Northmoor CC",
    "contact_job_title": "PSW",
    "contact_telephone": "01632 960 001",
    "contact_email": "priya@example.org",
    "posts": "40",
    "posts_unfilled": "4",
    "hours_per_week": "37",
    "line_management_supervision": "Once a month",
    "professional_supervision": "other",
    "professional_supervision_other": '=HYPERLINK("x")',
    "profession_opportunities": "Mentoring programmes;research",
    "caseload_senior_practitioner": "n/a",
    "welfare_system": "Yes",
    "welfare_access": "Don't know",
    "ict_aligned": "no",
    "ict_plans": "- new system\n- training",
    "final_comments": "@all thanks",
}


def code_of(survey, org) -> str:
    return staff.code_for(survey, org).code


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def answer(client, code: str, parts: dict[str, dict] | None = None, send: bool = True):
    """Go through the survey as a practitioner: start, each part (with ``parts``' answers), check, send."""
    page = client.get(f"/survey/{code}")
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    started = client.post(f"/survey/{code}", data={"csrf_token": csrf(page.get_data(as_text=True))})
    assert started.status_code == 302
    for section in STAFF_SURVEY.sections:
        path = f"/survey/{code}/{section.id}"
        html = client.get(path).get_data(as_text=True)
        saved = client.post(path, data={"csrf_token": csrf(html), **(parts or {}).get(section.id, {})})
        assert saved.status_code == 302, saved.get_data(as_text=True)[:500]
    check = client.get(f"/survey/{code}/check")
    if not send:
        return check
    return client.post(f"/survey/{code}/check", data={"csrf_token": csrf(check.get_data(as_text=True))})


# The staff survey in two years, for England's report: a fixture, imported where it is used.
PLACES = [
    ("Ashby", "Shire County", "North West"),
    ("Birchley", "Unitary Authority", "North West"),
    ("Carrow", "Metropolitan District", "North West"),
    ("Dunmore", "Shire County", "North West"),
    ("Eastwick", "London Borough", "London"),
    ("Fenby", "London Borough", "London"),
    ("Gorse", "London Borough", "London"),
    ("Hollins", "London Borough", "London"),
]


def contribute(client, token: str):
    """A contributor opens their personal link (a page, signing in no one) and presses its button."""
    page = client.get(f"/contribute/{token}")
    assert page.status_code == 200 and "Continue" in page.get_data(as_text=True)
    response = client.post_form(f"/contribute/{token}")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def sign_in(client, token: str, name: str = "Priya Shah"):
    response = client.post_form(f"/start/{token}", {"name": name})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def signed_in(app, role: str) -> CheckingClient:
    client = app.test_client()
    response = client.post_form(
        "/admin/sign-in",
        {"email": f"{'coord' if role == 'coordinator' else 'viewer'}@example.org", "password": PASSWORD},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def seed_cycle(url: str, organisations: list[str]) -> list[str]:
    """On the database at ``url``: an open 2017 cycle and these organisations; their link tokens."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        cycle = Cycle(
            year=2017,
            questionnaire_id="health-check",
            questionnaire_version="2017.1",
            opens_at=now() - timedelta(days=1),
            closes_at=now() + timedelta(days=30),
        )
        db.session.add(cycle)
        tokens = []
        for name in organisations:
            org = Organisation(name=name, authority_type="Unitary Authority")
            db.session.add(org)
            db.session.flush()
            tokens.append(returns.issue_link(cycle, org))
        db.session.commit()
        db.engine.dispose()
    return tokens
