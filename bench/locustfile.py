"""Load for bench/http_load.py. Each simulated user signs in with its own organisation's link.

BENCH_TASK selects one endpoint for capacity runs (no think time): bare, page, save, check.
Without it, users mix all four with 1-2 s think time, as people do.
"""
import json
import os
import re

from locust import HttpUser, between, constant, task

TOKENS = json.loads(open(os.environ["BENCH_TOKENS"]).read())
ONLY = os.environ.get("BENCH_TASK", "")
_next = {"i": 0}


def _csrf(html):
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return match.group(1) if match else ""


class Employer(HttpUser):
    wait_time = constant(0) if ONLY else between(1, 2)

    def on_start(self):
        token = TOKENS[_next["i"] % len(TOKENS)]
        _next["i"] += 1
        page = self.client.get(f"/start/{token}", name="sign in")
        self.client.post(f"/start/{token}", data={"csrf_token": _csrf(page.text), "name": "Load Test"},
                         name="sign in")
        self.n, self.version, self.csrf = 0, None, ""

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
        with self.client.post("/return/section/registration", name="save POST", allow_redirects=False,
                              catch_response=True,
                              data={"csrf_token": self.csrf, "section_version": str(self.version),
                                    "regulator_process": "fairly", "registration_comments": f"save {self.n}",
                                    "action": "later"}) as response:
            if response.status_code == 302:
                self.version += 1
                response.success()
            elif response.status_code == 409:
                self.version = None
                response.success()

    @task(1)
    def check(self):
        self.client.get("/return/check", name="check answers GET")


if ONLY:  # a capacity run: this one endpoint only, as fast as it will go
    Employer.tasks = [getattr(Employer, ONLY)]
