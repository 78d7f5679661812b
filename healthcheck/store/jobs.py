"""The rows that record what the worker does: each job's progress, outcome and any lock."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import Cycle, Job, JobStatus, utcnow
from . import Actor


def new_job(kind: str, actor: Actor, cycle: Cycle | None = None, *, lock: str | None = None,
            detail: dict | None = None, upload: bytes | None = None, upload_name: str | None = None) -> Job:
    """A queued job. With ``lock``, the flush fails (IntegrityError) while another unfinished
    job holds the same lock."""
    job = Job(kind=kind, cycle=cycle, lock=lock, detail=detail or {}, upload=upload, upload_name=upload_name,
              created_by=str(actor), status=JobStatus.QUEUED.value)
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


def start(job: Job) -> None:
    job.status = JobStatus.RUNNING.value
    job.attempts += 1
    job.started_at = job.heartbeat_at = utcnow()
    job.finished_at = job.error = None
    job.done = job.total = 0


def progress(job: Job, step: str, done: int = 0, total: int = 0) -> None:
    job.step, job.done, job.total, job.heartbeat_at = step, done, total, utcnow()


def finish(job: Job, error: str | None = None) -> None:
    """The job is over: done, or failed with ``error``. Its lock is released either way; trying
    a failed job again is a new job."""
    job.status = JobStatus.FAILED.value if error else JobStatus.DONE.value
    job.error = error
    job.finished_at = utcnow()
    job.lock = None


def stalled(job: Job, after: timedelta) -> bool:
    """A running job the worker has not reported on for ``after``: the worker was stopped."""
    return job.status == JobStatus.RUNNING.value and job.heartbeat_at is not None \
        and utcnow() - job.heartbeat_at > after
