"""The rows that record what the worker does: each job's progress, outcome and any lock. The
changes of state are single conditional statements, so two workers (or a worker and a person
giving up on it) never both act on the same job."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update

from ..extensions import db
from ..models import Cycle, Job, JobStatus, utcnow
from . import Actor

QUEUED, RUNNING, DONE, FAILED = (s.value for s in JobStatus)


def lock_of(kind: str, cycle_id: int | None, detail: dict) -> str | None:
    """What a job must not run beside while it is unfinished: another publication, or another
    sending of emails, for the same cycle; another import of the same checked file; another
    deletion of personal data past its time."""
    if kind == "retention":
        return "retention"
    if kind in ("publish", "emails"):
        return f"{kind}:{cycle_id}"
    if kind == "import":
        return f"import:{detail['checked_by_job']}"
    return None


def new_job(kind: str, actor: Actor, cycle: Cycle | None, *, detail: dict | None = None, upload: bytes | None = None,
            upload_name: str | None = None) -> Job:
    """A queued job. The flush fails (IntegrityError) while another unfinished job holds the
    lock this one needs (``lock_of``)."""
    job = Job(kind=kind, cycle=cycle, lock=lock_of(kind, cycle.id if cycle else None, detail or {}),
              detail=detail or {}, upload=upload, upload_name=upload_name, created_by=str(actor), status=QUEUED)
    db.session.add(job)
    db.session.flush()
    return job


def job(job_id: int) -> Job | None:
    return db.session.get(Job, job_id) if 0 < job_id < 2**31 else None


def locked_by(lock: str) -> Job | None:
    """The unfinished job holding a lock, if any."""
    return db.session.scalar(select(Job).where(Job.lock == lock))


def recent_jobs(cycle: Cycle, limit: int = 10) -> list[Job]:
    return list(db.session.scalars(select(Job).where(Job.cycle_id == cycle.id)
                                   .order_by(Job.id.desc()).limit(limit)))


def _change(job_id: int, from_states: tuple[str, ...], **values: Any) -> bool:
    """Change a job that is in one of ``from_states``; whether it was."""
    statement = update(Job).where(Job.id == job_id, Job.status.in_(from_states)).values(**values)
    return db.session.connection().execute(statement).rowcount == 1


def start(job_id: int) -> bool:
    """Claim a queued job for this worker: False if it is not queued (run, or given up)."""
    now = utcnow()
    return _change(job_id, (QUEUED,), status=RUNNING, started_at=now, heartbeat_at=now)


def progress(job_id: int, step: str, done: int = 0, total: int = 0) -> bool:
    """Record how far a running job has got: False if it is no longer running (given up)."""
    return _change(job_id, (RUNNING,), step=step, done=done, total=total, heartbeat_at=utcnow())


def finish(job_id: int, error: str | None = None) -> bool:
    """The running job is over: done, or failed with ``error``; its lock is released either way
    (trying a failed job again is a new job). False if it was not running."""
    return _change(job_id, (RUNNING,), status=FAILED if error else DONE, error=error, finished_at=utcnow(),
                   lock=None)


def give_up(job_id: int, reason: str) -> bool:
    """A job that will not finish (its worker stopped, or it never reached one): failed, unlocked."""
    return _change(job_id, (QUEUED, RUNNING), status=FAILED, error=reason, finished_at=utcnow(), lock=None)


def stalled(job: Job, after: timedelta) -> bool:
    """A job no worker has reported on for ``after``: queued that long without a worker taking
    it, or running that long without news (its worker was stopped)."""
    last = job.heartbeat_at if job.status == RUNNING else job.created_at if job.status == QUEUED else None
    return last is not None and utcnow() - last > after


def stale_jobs(ids: list[int]) -> list[int]:
    """Which of these jobs are over (done or failed) or gone: their unfinished work can go."""
    running = set(db.session.scalars(select(Job.id).where(Job.id.in_(ids), or_(Job.status == QUEUED,
                                                                              Job.status == RUNNING))))
    return [i for i in ids if i not in running]
