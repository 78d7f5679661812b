"""A real server for fault tests: gunicorn on loopback, on its own SQLite file, killable."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, database_url: str, workers: int = 2, threads: int = 8, **env):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, DATABASE_URL=database_url, HEALTHCHECK_CONFIG="development",
                        SECRET_KEY="fault-tests-secret-key-0123456789abcdef", **env)
        self.args = [GUNICORN, "--workers", str(workers), "--threads", str(threads), "--bind",
                     f"127.0.0.1:{self.port}", "--graceful-timeout", "1", "--log-level", "warning",
                     "healthcheck.wsgi:app"]
        self.process: subprocess.Popen | None = None

    def start(self) -> "Server":
        self.process = subprocess.Popen(self.args, env=self.env, start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        self.kill()
        raise RuntimeError("gunicorn did not start: " + (self.process.stderr.read().decode()[-2000:]))

    def kill(self) -> None:
        """SIGKILL to the master and every worker, mid-request if need be."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


class Contributor:
    """One person with the link, saving pages as a browser would."""

    def __init__(self, base: str, token: str, name: str):
        self.base, self.http = base, requests.Session()
        page = self.http.get(f"{base}/start/{token}", timeout=10)
        response = self.http.post(f"{base}/start/{token}", data={"csrf_token": csrf(page.text), "name": name},
                                  allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.status_code

    def open(self, section: str) -> tuple[str, int]:
        page = self.http.get(f"{self.base}/return/section/{section}", timeout=15)
        version = int(re.search(r'name="section_version" type="hidden" value="(\d+)"', page.text).group(1))
        return csrf(page.text), version

    def save(self, section: str, token: str, version: int, form: dict):
        return self.http.post(f"{self.base}/return/section/{section}",
                              data={"csrf_token": token, "section_version": str(version), **form},
                              allow_redirects=False, timeout=30)


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
