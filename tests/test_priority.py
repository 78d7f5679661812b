"""A long build gives way to the web server: real processes and the real kernel's count of
tasks waiting for a CPU, not a stand-in for either."""
import os
import resource
import signal
import subprocess
import sys
import threading
import time

from healthcheck.priority import GiveWay, runnable


def spin(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_the_kernel_counts_a_busy_process_as_wanting_a_cpu():
    fd = os.open("/proc/loadavg", os.O_RDONLY)
    try:
        busy = subprocess.Popen([sys.executable, "-c", "while True:\n    pass\n"])
        try:
            time.sleep(0.2)
            assert max(runnable(fd) for _ in range(200)) >= 2  # this test and the busy process
        finally:
            busy.kill()
            busy.wait()
    finally:
        os.close(fd)


def test_the_build_pauses_while_another_task_waits_for_a_cpu_and_only_then():
    busy = subprocess.Popen([sys.executable, "-c", "while True:\n    pass\n"])
    try:
        time.sleep(0.2)
        # Told the machine has one CPU, the busy process means somebody is always waiting.
        with GiveWay(cores=1) as crowded:
            assert crowded.active
            spin(0.3)
        # Told it has more CPUs than there are tasks that could run, nobody ever waits.
        with GiveWay(cores=os.cpu_count() + 64) as roomy:
            spin(0.3)
    finally:
        busy.kill()
        busy.wait()
    # Always crowded, so each pause lasts its longest (50 ms) and the spin took twice as long.
    assert crowded.pauses >= 3 and crowded.paused >= 0.15
    assert roomy.pauses == 0 and roomy.paused == 0


def test_a_pause_is_bounded_so_the_build_still_moves_on_a_busy_machine():
    busy = [subprocess.Popen([sys.executable, "-c", "while True:\n    pass\n"]) for _ in range(2)]
    try:
        time.sleep(0.2)
        start = time.perf_counter()
        with GiveWay(cores=1, longest=0.02) as way:
            spin(0.1)  # 0.1 s of this process's time, in at most 0.02 s pauses
        elapsed = time.perf_counter() - start
    finally:
        for process in busy:
            process.kill()
            process.wait()
    assert way.pauses >= 2 and way.paused <= way.pauses * 0.03 and elapsed < 10


def test_giving_way_leaves_no_timer_or_handler_behind():
    before = signal.getsignal(signal.SIGALRM)
    with GiveWay() as way:
        assert signal.getsignal(signal.SIGALRM) != before and signal.getitimer(signal.ITIMER_REAL)[0] > 0
        spin(0.05)
    assert not way.active
    assert signal.getsignal(signal.SIGALRM) == before and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    time.sleep(0.01)  # a timer left armed would now end the test run with SIGALRM


def test_outside_the_main_thread_it_does_nothing_rather_than_fail():
    seen = []

    def build():
        with GiveWay() as way:
            seen.append(way.active)

    thread = threading.Thread(target=build)
    thread.start()
    thread.join()
    assert seen == [False] and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_the_command_knows_a_build_that_gives_way_before_parsing_its_options():
    from healthcheck.console import build_nice

    assert build_nice(["benchmarks", "--cycle", "2017", "--out", "x"]) == 19  # the default
    assert build_nice(["benchmarks", "--nice", "5", "--cycle", "2017"]) == 5
    assert build_nice(["benchmarks", "--cycle", "2017", "--nice=0"]) == 0
    assert build_nice(["benchmarks", "--nice", "25"]) is None  # click refuses it, with its own message
    assert build_nice(["serve"]) is None and build_nice([]) is None
    assert build_nice(["import", "--nice", "19"]) is None  # only the build gives way


def test_the_command_starts_giving_way_before_the_application_is_imported():
    """The second of imports before a build is the build's too: the package must not import
    Flask until something asks for the application."""
    probe = ("import sys\nimport healthcheck.console\n"
             "print(sorted(m for m in ('flask', 'sqlalchemy', 'pandas') if m in sys.modules))\n"
             "from healthcheck import create_app\nprint('flask' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[]", "True"]


def test_a_way_given_inside_another_in_the_same_process_changes_nothing():
    with GiveWay() as outer:
        with GiveWay() as inner:
            assert outer.active and not inner.active
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 0  # the outer one still checks
        spin(0.02)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_lowering_the_priority_twice_lowers_it_once():
    """The command lowers it before importing the application and the build again after."""
    probe = ("import os\nfrom healthcheck.priority import lower_priority\n"
             "lower_priority(5)\nlower_priority(5)\nprint(os.nice(0))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "5"


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)  # microseconds, where os.times counts ticks
    return usage.ru_utime + usage.ru_stime


def test_a_process_that_only_waits_for_its_workers_stops_checking_and_starts_again_after():
    """The build's parent rests while its worker processes build: no timer, no CPU spent on
    checks while it waits, and its checks resume when it has work of its own again."""
    with GiveWay() as way:
        start = cpu_seconds()
        threading.Event().wait(0.5)
        checking = cpu_seconds() - start
        with GiveWay.resting():
            assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
            with GiveWay.resting():  # resting twice is resting
                pass
            assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
            start = cpu_seconds()
            threading.Event().wait(0.5)
            resting = cpu_seconds() - start
        assert way.active and signal.getitimer(signal.ITIMER_REAL)[0] > 0
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert resting < checking / 2, (resting, checking)
    with GiveWay.resting():  # outside a GiveWay there is nothing to stop
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
