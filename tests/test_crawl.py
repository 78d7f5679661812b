"""Issue 31: every page of the demo that each audience can reach by following links reads in words.

The demo is loaded as `make run` loads it (`healthcheck demo`), its results published, a contributor
invited; then each audience's start page is fetched and every same-origin link followed (GET only,
a few pages of each kind), and no page may show "None", a traceback, raw exception text ("[Errno")
or an answer option's code where its wording should be.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from click.testing import CliRunner
from sqlalchemy import select

import forms
from healthcheck import jobs
from healthcheck.cli import demo
from healthcheck.extensions import db, writing
from healthcheck.models import Cycle, Organisation
from healthcheck.store import Actor, collection, contributors, returns, staff
from healthcheck.store import jobs as job_rows
from tests.environment import now
from tests.helpers import contribute

PER_KIND = 3  # pages of one kind (the same address but for its numbers) visited
MOST = 400  # pages an audience's crawl visits at most

# Option codes that are not words: "two_three", "student_supervision", "dont_know"...
CODES = sorted(
    {
        o.value
        for key in ("health-check@2017.1", "staff-survey@2020.1")
        for q in forms.load(*key.split("@")).questions()
        for o in q.options
        if "_" in o.value
    }
)
FORBIDDEN = [
    (re.compile(r"\bNone\b"), "None"),
    (re.compile(r"Traceback"), "Traceback"),
    (re.compile(r"\[Errno"), "[Errno"),
    (re.compile(r"\['"), "a Python list"),
    (re.compile(r"\b(" + "|".join(map(re.escape, CODES)) + r")\b"), "an option code"),
]
# "None" as English ("None of these", "None agreed"), not a missing value shown as Python's word.
LABELS_WITH_NONE = re.compile(r"\bNone(?= [a-z])")
# An answer option worded "None" (the staff survey's extra hours) is read where it is a choice.
OPTION_LABELS = {
    o.label
    for key in ("health-check@2017.1", "staff-survey@2020.1")
    for q in forms.load(*key.split("@")).questions()
    for o in q.options
}


class _Page(HTMLParser):
    """A page's links and the text a person reads (not scripts, styles or attribute values)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.text: list[str] = []
        self._skip = 0
        self._choice: int | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        if tag in ("label", "option"):
            self._choice = len(self.text)
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        if tag in ("label", "option") and self._choice is not None:
            if "".join(self.text[self._choice :]).strip() in OPTION_LABELS:
                del self.text[self._choice :]  # a choice's own wording
            self._choice = None

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def kind_of(url: str) -> str:
    """An address with its numbers, tokens and query values left out: pages of one kind."""
    parts = urlsplit(url)
    path = re.sub(r"/[0-9]+(?=/|$|\.)", "/N", parts.path)
    path = re.sub(r"/[A-Za-z0-9_-]{20,}", "/T", path)
    query = ",".join(sorted(p.split("=")[0] for p in parts.query.split("&") if p))
    return f"{path}?{query}"


def problems_in(text: str) -> list[str]:
    """Each forbidden thing in a page's text, once, with the line before it to say where."""
    lines = [line for line in (" ".join(raw.split()) for raw in text.splitlines()) if line]
    found: list[str] = []
    for i, line in enumerate(lines):
        for pattern, name in FORBIDDEN:
            checked = LABELS_WITH_NONE.sub("", line) if name == "None" else line
            if pattern.search(checked):
                where = f" (after {lines[i - 1][:60]!r})" if i else ""
                problem = f"{name} in {line[:120]!r}{where}"
                if problem not in found:
                    found.append(problem)
    return found


def crawl(client, starts: list[str], skip: tuple[str, ...] = ()) -> tuple[dict[str, list[str]], int]:
    """Fetch the start pages and every same-origin page linked from them (GET, a few of each kind):
    {address: problems} for the pages with problems, and how many pages were read."""
    queue, seen, kinds, found, read = list(starts), set(starts), Counter(), {}, 0
    while queue and read < MOST:
        url = queue.pop(0)
        response = client.get(url)
        if response.status_code in (301, 302, 303):
            target = urljoin(url, response.headers["Location"])
            if urlsplit(target).netloc in ("", "localhost") and target not in seen:
                seen.add(target)
                queue.append(urlsplit(target).path + (f"?{urlsplit(target).query}" if urlsplit(target).query else ""))
            continue
        if response.mimetype != "text/html":
            continue
        read += 1
        page = _Page()
        page.feed(response.get_data(as_text=True))
        problems = problems_in("\n".join(page.text))
        if problems:
            found[url] = problems
        for href in page.links:
            parts = urlsplit(urljoin(url, href))
            if parts.scheme not in ("", "http") or parts.netloc not in ("", "localhost"):
                continue
            address = parts.path + (f"?{parts.query}" if parts.query else "")
            if address in seen or any(s in address for s in skip) or kinds[kind_of(address)] >= PER_KIND:
                continue
            seen.add(address)
            kinds[kind_of(address)] += 1
            queue.append(address)
    return found, read


def _token(line: str) -> str:
    return line.strip().rsplit("/", 1)[1]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # pages, not storage: one database is enough
def test_no_page_any_audience_reaches_in_the_demo_shows_none_a_traceback_or_a_code(app):

    out = CliRunner().invoke(demo, [], catch_exceptions=False).output
    lines = out.splitlines()
    links = [(lines[i - 1].strip(), _token(line)) for i, line in enumerate(lines) if "/start/" in line]
    blank = next(token for name, token in links if "(to fill in)" in name)
    submitted = next(token for name, token in links if "(to fill in)" not in name)
    code = re.search(r"/survey/(\w+)", out).group(1)
    password = out.split("  password ", 1)[1].split()[0]
    everything: dict[str, dict[str, list[str]]] = {}
    counted: dict[str, int] = {}

    # The practitioner, while the survey is open: the start page, then each part and the check page.
    person = app.test_client()
    start = person.get(f"/survey/{code}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', start).group(1)
    person.post(f"/survey/{code}", data={"csrf_token": csrf})
    survey = staff.survey_of(collection.cycle_by_year(2017))
    parts = [f"/survey/{code}/{s.id}" for s in staff.questionnaire_of(survey).sections]
    everything["practitioner"], counted["practitioner"] = crawl(
        person, ["/survey/", f"/survey/{code}", *parts, f"/survey/{code}/check"]
    )

    # Results published, with the staff survey closed, so benchmarks and staff results exist.
    with writing():
        survey = staff.survey_of(collection.cycle_by_year(2017))
        survey.closes_at = now() - timedelta(minutes=1)
    job = job_rows.new_job("publish", Actor("Test"), db.session.scalar(select(Cycle)))
    db.session.commit()
    jobs.run(job.id)

    for audience, token in (("employer (submitted)", submitted), ("employer (to fill in)", blank)):
        psw = app.test_client()
        psw.post_form(f"/start/{token}", {"name": "Priya Shah"})
        everything[audience], counted[audience] = crawl(psw, ["/return"], skip=("/contribute/",))

    with writing():
        org = db.session.scalar(select(Organisation).order_by(Organisation.name))
        response = returns.find_return(collection.cycle_by_year(2017), org)
        _, contributor_token = contributors.invite(
            response,
            Actor("Priya Shah"),
            name="Sam Okoro",
            email="sam@example.org",
            job_title=None,
            sections=["safe_workloads", "risks_resources"],
            can_sign_off=False,
        )
    colleague = app.test_client()
    contribute(colleague, contributor_token)
    everything["contributor"], counted["contributor"] = crawl(colleague, ["/return"])

    coordinator = app.test_client()
    assert (
        coordinator.post_form("/admin/sign-in", {"email": "coordinator@example.org", "password": password}).status_code
        == 302
    )
    everything["coordinator"], counted["coordinator"] = crawl(coordinator, ["/admin/"], skip=("/sign-out",))

    report = [f"{who}: {url}: {p}" for who, pages in everything.items() for url, ps in pages.items() for p in ps]
    assert report == [], "\n".join(report)
    assert all(n >= 4 for n in counted.values()), counted  # each crawl read its pages
    assert counted["coordinator"] >= 40 and counted["employer (submitted)"] >= 10, counted


def test_problems_are_found_where_they_are():
    assert problems_in("Last email\nNone\n") == ["None in 'None' (after 'Last email')"]
    assert problems_in("Answer: two_three") == ["an option code in 'Answer: two_three'"]
    assert problems_in("[Errno 111] Connection refused")[0].startswith("[Errno")
    assert problems_in("['student_supervision', 'mentoring']")
    assert problems_in("None of these\nDon't know\n2-3 times a week\nNone agreed to be named.") == []
    page = _Page()
    page.feed('<label for="a">None</label><p>Last email</p><td>None</td>')
    assert problems_in("\n".join(page.text)) == ["None in 'None' (after 'Last email')"]
    assert kind_of("/admin/cycles/2017/comments/12?page=3") == "/admin/cycles/N/comments/N?page"


def test_a_favicon_is_served_and_every_page_names_it(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/x-icon" and icon.data[:4] == b"\x00\x00\x01\x00"
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" sizes="48x48" href="/favicon.ico">' in page
    svg = re.search(r'<link rel="icon" sizes="any" href="([^"]+)"', page).group(1)
    assert client.get(svg).status_code == 200
