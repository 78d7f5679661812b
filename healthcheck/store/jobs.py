"""The rows that record what the worker does: each job's progress, outcome and any lock. The
changes of state are single conditional statements, so two workers (or a worker and a person
giving up on it) never both act on the same job: a worker holds a running job by the attempt
it claimed it with, and once the job is given up or queued again after its worker stopped
reporting, what that worker does next changes nothing. Every time here is the database's
(``clock.now``), so machines whose clocks disagree judge a job alike."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..extensions import db
from ..models import Cycle, Job, JobStatus
from . import Actor

QUEUED, RUNNING, DONE, FAILED = (s.value for s in JobStatus)


def lock_of(kind: str, cycle_id: int | None, detail: dict) -> str | None:
    """What a job must not run beside while it is unfinished: another publication, or another
    sending of emails, for the same cycle; another import of the same checked file (of returns or of
    the register); another
    deletion of personal data past its time."""
    if kind == "retention":
        return "retention"
    if kind in ("publish", "emails"):
        return f"{kind}:{cycle_id}"
    if kind in ("import", "register_import"):
        return f"{kind}:{detail['checked_by_job']}"
    return None


class Locked(IntegrityError):
    """``new_job`` refused by the database: another unfinished job holds the lock the new one needs
    (``lock_of``). The caller's unit of work is rolled back; ``locked_by`` finds the other."""


def new_job(
    kind: str,
    actor: Actor,
    cycle: Cycle | None,
    *,
    detail: dict | None = None,
    upload: bytes | None = None,
    upload_name: str | None = None,
) -> Job:
    """A queued job; ``Locked`` while another unfinished job holds the lock this one needs
    (``lock_of``)."""
    now = clock.now()
    job = Job(
        kind=kind,
        cycle=cycle,
        lock=lock_of(kind, cycle.id if cycle else None, detail or {}),
        detail=detail or {},
        upload=upload,
        upload_name=upload_name,
        created_by=str(actor),
        status=QUEUED,
        created_at=now,
        heartbeat_at=now,
    )
    db.session.add(job)
    try:
        db.session.flush()
    except IntegrityError as clash:
        assert clash.orig is not None  # the driver's error, which every IntegrityError carries
        raise Locked(clash.statement, clash.params, clash.orig) from clash
    return job


def job(job_id: int) -> Job | None:
    return db.session.get(Job, job_id) if 0 < job_id < 2**31 else None


def locked_by(lock: str) -> Job | None:
    """The unfinished job holding a lock, if any."""
    return db.session.scalar(select(Job).where(Job.lock == lock))


def recent_jobs(cycle: Cycle, limit: int = 10) -> list[Job]:
    """The cycle's latest jobs, but the many that each send a return's few emails (a confirmation,
    a note): their outcomes are on the collection's page, a failure among "could not be sent"."""
    return list(
        db.session.scalars(
            select(Job).where(Job.cycle_id == cycle.id, Job.kind != "email").order_by(Job.id.desc()).limit(limit)
        )
    )


def _change(job_id: int, from_states: tuple[str, ...], held_by: int | None = None, **values: Any) -> bool:
    """Change a job that is in one of ``from_states`` (and, given ``held_by``, still held by that
    attempt); whether it was."""
    held = [Job.attempt == held_by] if held_by is not None else []
    statement = update(Job).where(Job.id == job_id, Job.status.in_(from_states), *held).values(**values)
    return db.session.connection().execute(statement).rowcount == 1


def start(job_id: int, worker: str) -> int | None:
    """Claim a queued job for ``worker``: the attempt it holds the job by, or None if the job is not
    queued (run already, taken by another worker, or given up)."""
    now = clock.now()
    if not _change(
        job_id,
        (QUEUED,),
        status=RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempt=Job.attempt + 1,
        worker=worker[:200],
    ):
        return None
    return db.session.scalar(select(Job.attempt).where(Job.id == job_id))


def progress(job_id: int, attempt: int, step: str, done: int = 0, total: int = 0) -> bool:
    """Record how far a running job has got: False if this attempt no longer holds it."""
    return _change(job_id, (RUNNING,), attempt, step=step, done=done, total=total, heartbeat_at=clock.now())


def beat(job_id: int, attempt: int) -> bool:
    """The running job's worker is alive: False if this attempt no longer holds it."""
    return _change(job_id, (RUNNING,), attempt, heartbeat_at=clock.now())


def holds(job_id: int, attempt: int) -> bool:
    """Whether this attempt still holds the running job, its row locked till the transaction ends
    (so that what is recorded in it is recorded only by the job's one holder)."""
    return (
        db.session.scalar(
            select(Job.id).where(Job.id == job_id, Job.status == RUNNING, Job.attempt == attempt).with_for_update()
        )
        is not None
    )


def finish(job_id: int, attempt: int, error: str | None = None) -> bool:
    """The running job is over: done, or failed with ``error``; its lock is released either way
    (trying a failed job again is a new job). False if this attempt no longer held it."""
    return _change(
        job_id, (RUNNING,), attempt, status=FAILED if error else DONE, error=error, finished_at=clock.now(), lock=None
    )


def give_up(job_id: int, reason: str) -> bool:
    """A job that will not finish (its worker stopped, or it never reached one): failed, unlocked."""
    return _change(job_id, (QUEUED, RUNNING), status=FAILED, error=reason, finished_at=clock.now(), lock=None)


def stalled(job: Job, after: timedelta) -> bool:
    """A job no worker has reported on for ``after``, by the database's clock: queued that long
    without a worker taking it, or running that long without a heartbeat (its worker stopped)."""
    return not job.finished and job.heartbeat_at is not None and clock.now() - job.heartbeat_at > after


MAX_ATTEMPTS = 3  # a job whose worker stops this many times (the job itself may be what stops it) fails
STOPPED_TOO_OFTEN = f"The worker running this job stopped {MAX_ATTEMPTS} times: it is not taken up again by itself"


def queue_again(after: timedelta) -> list[Job]:
    """Every unfinished job no worker has reported on for ``after``, by the database's clock, put
    back in the queue from its row (a worker that stops takes the queue's message with it), its
    heartbeat renewed so that it is not queued twice meanwhile: those jobs, each with the status
    it had (running: its worker stopped; queued: no worker has taken it). A running job whose
    worker has stopped ``MAX_ATTEMPTS`` times fails instead."""
    now = clock.now()
    late = [Job.status.in_((QUEUED, RUNNING)), Job.heartbeat_at < now - after]
    db.session.connection().execute(
        update(Job)
        .where(*late, Job.status == RUNNING, Job.attempt >= MAX_ATTEMPTS)
        .values(status=FAILED, error=STOPPED_TOO_OFTEN, finished_at=now, lock=None)
    )
    found = list(db.session.scalars(select(Job).where(*late).order_by(Job.id)))
    return [
        job
        for job in found
        if db.session.connection()
        .execute(update(Job).where(Job.id == job.id, *late).values(status=QUEUED, heartbeat_at=now, worker=None))
        .rowcount
        == 1
    ]


def stale_jobs(ids: list[int]) -> list[int]:
    """Which of these jobs are over (done or failed) or gone: their unfinished work can go."""
    running = set(
        db.session.scalars(select(Job.id).where(Job.id.in_(ids), or_(Job.status == QUEUED, Job.status == RUNNING)))
    )
    return [i for i in ids if i not in running]
