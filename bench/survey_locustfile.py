"""Load for bench/survey_load.py: practitioners answering the staff survey through their
organisation's link, as people do, a page at a time with 5-15 s to read and answer each.

BENCH_TASK selects one endpoint for capacity runs (no think time): bare (the bare route) or
page (a part of the survey, for a practitioner who has started). Without it, each user is a
practitioner going from the start page to sending their answers, then another one.
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

CODES = json.loads(Path(os.environ["BENCH_CODES"]).read_text())
STARTED = json.loads(Path(os.environ["BENCH_SESSIONS"]).read_text()) if os.environ.get("BENCH_SESSIONS") else []
SECTIONS = json.loads(os.environ["BENCH_SECTIONS"])  # [[section id, [agreement question ids]], ...]
ONLY = os.environ.get("BENCH_TASK", "")
SCALE = ["strongly_disagree", "disagree", "neither", "agree", "strongly_agree", "dont_know"]
_next = {"i": 0}


def _csrf(html):
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return match.group(1) if match else ""


class Practitioner(FastHttpUser):
    wait_time = constant(0) if ONLY else between(5, 15)

    def on_start(self):
        self.client.client.redirect_response_codes = frozenset()  # a redirect is counted on its own
        if ONLY == "page":
            started = STARTED[_next["i"] % len(STARTED)]
            _next["i"] += 1
            self.code = started["code"]
            for c in started["cookies"]:
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
        else:
            gevent.sleep(random.uniform(0, 5))  # people do not all arrive at the same instant
            self.begin()

    def begin(self):
        self.client.cookiejar.clear()
        self.code, self.part = random.choice(CODES), -1
        page = self.client.get(f"/survey/{self.code}", name="start page GET")
        self.csrf = _csrf(page.text)

    @task
    def step(self):
        if ONLY == "bare":
            self.client.get("/_bare", name="bare route")
        elif ONLY == "page":
            self.client.get(f"/survey/{self.code}/workforce", name="survey page GET")
        elif self.part == -1:
            self.client.post(f"/survey/{self.code}", data={"csrf_token": self.csrf}, name="start POST")
            self.show(0)
        elif self.part < len(SECTIONS):
            section, statements = SECTIONS[self.part]
            answers = {q: random.choice(SCALE) for q in statements if random.random() < 0.95}
            self.client.post(
                f"/survey/{self.code}/{section}", data={"csrf_token": self.csrf, **answers}, name="survey page POST"
            )
            self.show(self.part + 1)
        else:
            self.client.post(f"/survey/{self.code}/check", data={"csrf_token": self.csrf}, name="send POST")
            self.begin()  # the next practitioner

    def show(self, part):
        self.part = part
        path = f"/survey/{self.code}/{SECTIONS[part][0]}" if part < len(SECTIONS) else f"/survey/{self.code}/check"
        page = self.client.get(path, name="survey page GET" if part < len(SECTIONS) else "check answers GET")
        self.csrf = _csrf(page.text) or self.csrf


record_from_env()
gc.freeze()
