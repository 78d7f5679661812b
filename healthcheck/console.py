"""The ``healthcheck`` command's entry point, kept light on purpose.

Importing the application takes about a second of CPU (Flask, SQLAlchemy, Alembic, the
models). For ``healthcheck benchmarks`` that second belongs to the build, so it should give
way to the web server too: this module lowers the priority and starts giving way before
anything heavy is imported, then hands over to ``cli``, which parses and checks the options
as usual (and does the same again, harmlessly, for callers that do not come through here).
"""
from __future__ import annotations

import sys
from contextlib import nullcontext

from .priority import BUILD_NICE, lower_priority, pace_for


def build_nice(argv: list[str]) -> int | None:
    """The ``--nice`` that ``healthcheck benchmarks`` will run at, or None for any other
    command (or a value click will refuse)."""
    if argv[:1] != ["benchmarks"]:
        return None
    nice = str(BUILD_NICE)
    for i, arg in enumerate(argv):
        if arg == "--nice" and i + 1 < len(argv):
            nice = argv[i + 1]
        elif arg.startswith("--nice="):
            nice = arg.partition("=")[2]
    return int(nice) if nice.isdigit() and int(nice) <= 19 else None


def main() -> None:
    nice = build_nice(sys.argv[1:])
    pace = None
    if nice is not None:
        lower_priority(nice)
        pace = pace_for(nice)
    with (pace or nullcontext)():
        from .cli import main as run

        run()
