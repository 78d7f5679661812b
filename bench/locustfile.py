"""Load for bench/http_load.py. Each simulated user is an employer already signed in through its
own organisation's link (bench/http_load.py signs them in and passes the session cookies).

BENCH_TASK selects one endpoint for capacity runs (no think time): bare, page, save, check.
Without it, users mix all four with 1-2 s think time, as people do.
"""

import gc
import json
import os
import random
import re
from http.cookiejar import Cookie
from pathlib import Path

import gevent
from locust import FastHttpUser, between, constant, task
from raw_times import record_from_env

SESSIONS = json.loads(Path(os.environ["BENCH_SESSIONS"]).read_text())
ONLY = os.environ.get("BENCH_TASK", "")
_next = {"i": 0}


def _csrf(html):
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return match.group(1) if match else ""


class Employer(FastHttpUser):
    """FastHttpUser (geventhttpclient) rather than HttpUser (requests): it takes a fraction of the
    CPU per request, which matters when Locust shares the machine with the server it measures."""

    wait_time = constant(0) if ONLY else between(1, 2)

    def on_start(self):
        # Redirects are never followed: a save's figures are the save's alone. (Locust's own
        # allow_redirects=False reads a misspelt attribute of this geventhttpclient.)
        self.client.client.redirect_response_codes = frozenset()
        for c in SESSIONS[_next["i"] % len(SESSIONS)]:
            self.client.cookiejar.set_cookie(
                Cookie(
                    0,
                    c["name"],
                    c["value"],
                    None,
                    False,
                    c["domain"],
                    True,
                    False,
                    c["path"],
                    True,
                    False,
                    None,
                    False,
                    None,
                    None,
                    {},
                )
            )
        _next["i"] += 1
        self.n, self.version, self.csrf = 0, None, ""
        if not ONLY:
            # People do not all click at the same instant: without this, each batch Locust
            # starts sends its first requests together, and that queue was the slowest 1 %.
            gevent.sleep(random.uniform(0, 2))

    @task(2)
    def bare(self):
        self.client.get("/_bare", name="bare route")

    @task(2)
    def page(self):
        self.client.get("/return/section/workforce_planning", name="questionnaire page GET")

    @task(1)
    def save(self):
        """A save of the registration page. People read a page before saving it, so in the mixed
        run each save follows a read; a capacity run measures saves alone, re-reading the page
        only for its first save or after a conflict."""
        if ONLY != "save" or self.version is None:
            page = self.client.get("/return/section/registration", name="(page read before save)")
            version = re.search(r'name="section_version" type="hidden" value="(\d+)"', page.text)
            self.version, self.csrf = int(version.group(1)) if version else 0, _csrf(page.text)
        self.n += 1
        with self.client.post(
            "/return/section/registration",
            name="save POST",
            catch_response=True,
            data={
                "csrf_token": self.csrf,
                "section_version": str(self.version),
                "regulator_process": "fairly",
                "registration_comments": f"save {self.n}",
                "action": "later",
            },
        ) as response:
            if response.status_code == 302:
                self.version += 1
                response.success()
            elif response.status_code == 409:
                self.version = None
                response.success()

    @task(1)
    def check(self):
        self.client.get("/return/check", name="check answers GET")


record_from_env()


if ONLY:  # a capacity run: this one endpoint only, as fast as it will go
    Employer.tasks = [getattr(Employer, ONLY)]

# Locust's own garbage collections pause every user at once, and any request in flight then
# looks slow: freeze what is loaded (as the server does) so collections stay short.
gc.freeze()
