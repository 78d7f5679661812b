"""How a long job on the web server's machine (the benchmark build) keeps out of people's way.

Two layers. ``lower_priority`` asks the kernel: nice, and at 19 SCHED_IDLE. That alone left
pages waiting twice as long for a CPU beside the build (docs/performance.md, "Giving way"):
a CPU running an idle-class task never goes idle, so the kernel does not pull a request that
is queued behind another one onto it. ``GiveWay`` adds the other half: every half
millisecond the build looks at how many tasks want a CPU, and while that is more than the
machine has, somebody is waiting and the build sleeps, which frees its CPU at once.
"""
from __future__ import annotations

import os
import signal
import time
from contextlib import contextmanager
from typing import Iterator

LOADAVG = "/proc/loadavg"
BUILD_NICE = 19  # the benchmark build's default: the lowest priority there is


def lower_priority(nice: int) -> None:
    """Bring this process's CPU priority down to ``nice`` if it is not that low already
    (children inherit it; asking twice changes nothing); at 19 also ask for SCHED_IDLE, CPU
    time nobody else wants, where the system offers it."""
    if nice > os.nice(0):
        os.nice(nice - os.nice(0))
    if nice == 19 and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except OSError:
            pass  # a sandbox that forbids it: nice 19 alone still applies


def runnable(loadavg_fd: int) -> int:
    """Tasks running or waiting for a CPU right now, across the machine, this one included
    (the fourth field of /proc/loadavg is running/total)."""
    return int(os.pread(loadavg_fd, 128, 0).split()[3].split(b"/")[0])


class GiveWay:
    """While entered, pause this process whenever more tasks want a CPU than there are CPUs.

    A timer signal every ``every`` seconds runs the check between two steps of the Python
    code; while the machine is oversubscribed it sleeps ``pause`` at a time, for at most
    ``longest`` in one go, so the build still moves on a machine that is busy for minutes.
    Where there is no /proc/loadavg or no interval timer, outside the main thread (signal
    handlers can only be set there), or inside another one in the same process (the command
    gives way from its start, and the build again), it does nothing and ``active`` is False.
    """

    _running: tuple[int, "GiveWay"] | None = None  # the process whose timer is set, and by which

    def __init__(self, every: float = 0.0005, pause: float = 0.0005, longest: float = 0.05,
                 cores: int | None = None) -> None:
        self.every, self.pause, self.longest = every, pause, longest
        self.cores = cores or os.cpu_count() or 1
        self.active = False
        self.pauses = 0  # checks that found somebody waiting
        self.paused = 0.0  # seconds spent asleep for them
        self._fd = -1
        self._previous = None
        self._resting = False

    def __enter__(self) -> "GiveWay":
        if (not hasattr(signal, "setitimer") or not os.path.exists(LOADAVG)
                or GiveWay._running_here() is not None):
            return self
        try:
            self._previous = signal.signal(signal.SIGALRM, self._check)
        except ValueError:  # not the main thread
            return self
        self._fd = os.open(LOADAVG, os.O_RDONLY)
        self.active = True
        GiveWay._running = (os.getpid(), self)
        signal.setitimer(signal.ITIMER_REAL, self.every)
        return self

    def __exit__(self, *exc) -> None:
        if not self.active:
            return
        self.active = False  # first, so a check already due does not arm the timer again
        GiveWay._running = None
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL if self._previous is None else self._previous)
        os.close(self._fd)

    def _check(self, signum, frame) -> None:
        # One-shot timer, armed again at the end, so a long pause cannot stack up signals.
        if runnable(self._fd) > self.cores:
            self.pauses += 1
            start = time.perf_counter()
            while True:
                time.sleep(self.pause)
                waited = time.perf_counter() - start
                if waited >= self.longest or runnable(self._fd) <= self.cores:
                    break
            self.paused += waited
        if self.active and not self._resting:
            signal.setitimer(signal.ITIMER_REAL, self.every)

    @staticmethod
    def _running_here() -> "GiveWay | None":
        """The GiveWay entered in this process, if any (a forked child has none of its own)."""
        running = GiveWay._running
        return running[1] if running is not None and running[0] == os.getpid() else None

    @staticmethod
    @contextmanager
    def resting() -> Iterator[None]:
        """Stop this process's checks while it only waits for others: the build's parent while
        its worker processes, which give way themselves, do the building. Each check costs CPU
        whether or not the process has work: a process waiting inside GiveWay used 5 % of a
        core, outside it none (docs/performance.md). Nothing to do outside a GiveWay."""
        way = GiveWay._running_here()
        if way is None or way._resting:
            yield
            return
        way._resting = True
        signal.setitimer(signal.ITIMER_REAL, 0)
        try:
            yield
        finally:
            way._resting = False
            if way.active:
                signal.setitimer(signal.ITIMER_REAL, way.every)


def pace_for(nice: int) -> type[GiveWay] | None:
    """What a build at ``nice`` runs inside: at the lowest priority it gives way, otherwise it
    only runs at that priority."""
    return GiveWay if nice >= BUILD_NICE else None
