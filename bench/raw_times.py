"""For the Locust files: every response time written to a file (BENCH_RAW), so that runs can be
pooled; one run's p99 rests on its few slowest requests. Counted from when every user has
started, as Locust's --reset-stats does."""

import os
from pathlib import Path

from locust import events


def record_from_env() -> None:
    path = os.environ.get("BENCH_RAW")
    if not path:
        return
    raw, started = Path(path).open("a"), []  # noqa: SIM115  (open while Locust runs, closed as it quits)

    @events.spawning_complete.add_listener
    def _all_started(**kwargs):
        started.append(True)

    @events.request.add_listener
    def _record(request_type, name, response_time, **kwargs):
        if started:
            raw.write(f"{name}\t{response_time:.3f}\n")

    @events.quitting.add_listener
    def _close(**kwargs):
        raw.close()
