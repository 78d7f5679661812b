"""A real server for fault tests: gunicorn on loopback, on its own SQLite file, killable."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

import requests

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, database_url: str, workers: int = 2, threads: int = 8, preload: bool = False, **env):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(
            os.environ,
            DATABASE_URL=database_url,
            HEALTHCHECK_CONFIG="development",
            SECRET_KEY="fault-tests-secret-key-0123456789abcdef",
            **env,
        )
        self.args = [
            GUNICORN,
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--graceful-timeout",
            "1",
            "--log-level",
            "warning",
            *(["--preload"] if preload else []),
            "healthcheck.wsgi:app",
        ]
        self.process: subprocess.Popen | None = None
        self.killed: list[int] = []

    def start(self) -> Server:
        self.process = subprocess.Popen(
            self.args, env=self.env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60  # four workers importing the app on a busy machine took over 30 s
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        self.kill()
        raise RuntimeError("gunicorn did not start: " + (self.process.stderr.read().decode()[-2000:]))

    def workers(self) -> list[int]:
        """The process ids of the master's workers now."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        return [int(pid) for pid in children.split()]

    def kill_workers(self) -> None:
        """SIGKILL to every worker, mid-request if need be; the master starts new ones."""
        self.killed = self.workers()
        for pid in self.killed:
            os.kill(pid, signal.SIGKILL)

    def wait_for_workers(self, timeout: float = 30) -> None:
        """Until the master has replaced every worker killed, and the new ones answer."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = self.workers()
            if len(now) == len(self.killed) and not set(now) & set(self.killed):
                try:
                    if requests.get(self.base + "/", timeout=5).status_code == 200:
                        return
                except requests.RequestException:
                    pass
            time.sleep(0.05)
        raise RuntimeError("gunicorn started no new workers")

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
        response = self.http.post(
            f"{base}/start/{token}",
            data={"csrf_token": csrf(page.text), "name": name},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, response.status_code

    def open(self, section: str) -> tuple[str, int]:
        page = self.http.get(f"{self.base}/return/section/{section}", timeout=15)
        version = int(re.search(r'name="section_version" type="hidden" value="(\d+)"', page.text).group(1))
        return csrf(page.text), version

    def save(self, section: str, token: str, version: int, form: dict):
        return self.http.post(
            f"{self.base}/return/section/{section}",
            data={"csrf_token": token, "section_version": str(version), **form},
            allow_redirects=False,
            timeout=30,
        )


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


class TcpProxy:
    """A loopback TCP proxy to a real database server that can be cut and restored, so a test
    can make PostgreSQL unavailable to the app without stopping the machine's server."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        import threading

        self.target = (target_host, target_port)
        self.port = free_port()
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.listener: socket.socket | None = None

    def start(self) -> TcpProxy:
        import threading

        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        import threading

        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """The database 'goes away': no new connections, existing ones dropped."""
        if self.listener is not None:
            with suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked in its thread
            self.listener.close()
            self.listener = None
        with self.lock:
            for s in self.sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self.sockets.clear()
