"""The worker's queue and the jobs it runs: publishing a cycle's results, sending invitations
and reminders, and checking then importing a returns file.

A job is a row (``models.Job``) that records what it is asked, how far it has got and how it
ended; the queue (Huey: SQLite in the instance folder, or Redis when ``REDIS_URL`` is set)
carries only its id. Routes and commands make the row, commit, then ``enqueue`` it;
``healthcheck worker`` runs what is queued, and a command may ``run`` a job in its own process.
A job commits as it goes, so its page shows its progress, and a job that fails says why.

A worker may stop mid-job (killed, its machine lost), taking the queue's message with it. The
row is what counts: a running job's worker renews its heartbeat (``Heartbeat``), and every
worker's scheduler hands a job whose heartbeat is older than ``JOB_STALLED_AFTER`` to the queue
again (``take_up_stalled``), where the next worker claims it from the row as a new attempt and
runs it from the start; the old attempt, should its worker come back, can record nothing.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import smtplib
import socket
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey, crontab
from huey.consumer import Consumer, Scheduler
from huey.storage import RedisStorage, SqliteStorage
from redis import ConnectionPool

from aggregation import edition as edition_files
from aggregation.dataset import Dataset

from . import clock, mail, notices, transfer
from .extensions import db, done_reading, writing
from .models import Edition, Job, Organisation, utcnow
from .store import Actor, audit, collection, emails, jobs, preflight, publication, retention, returns, staff

huey = Huey("healthcheck", results=False, immediate=True)  # the real storage is set by init_app
TITLES = {
    "publish": "Publishing the results",
    "emails": "Sending emails",
    "email": "Sending an email",
    "check": "Checking a returns file",
    "import": "Importing a returns file",
    "retention": "Deleting personal data past its time",
    "register_check": "Checking an organisation register",
    "register_import": "Importing an organisation register",
}
Watch = Callable[[Job], None]


def init_app(app: Flask) -> None:
    """The queue this application uses: in memory and run at once (``JOBS_IMMEDIATE``, for
    tests), Redis at ``REDIS_URL``, or else a SQLite file in the instance folder."""
    if app.config.get("REDIS_URL"):  # a Redis out of reach is given up on within seconds, not waited on
        pool = ConnectionPool.from_url(app.config["REDIS_URL"], socket_connect_timeout=5)
        huey.storage_class, huey.storage_kwargs = RedisStorage, {"connection_pool": pool}
    else:
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": app.config["QUEUE_FILE"]}
    huey.immediate = app.config["JOBS_IMMEDIATE"]
    huey.storage = huey.create_storage()


def enqueue(job: Job) -> None:
    """Hand a committed job to the worker; a job the queue does not take fails, saying why."""
    try:
        _run_queued(job.id)
    except Exception as failure:  # the queue's store is down or misconfigured: the job is not lost in it
        db.session.rollback()
        current_app.logger.error("job %s could not be queued: %s", job.id, failure)
        with writing():
            jobs.give_up(job.id, f"The job could not be queued: {describe(failure)}")


def send_later(job: Job) -> str:
    """Hand a committed email job to the worker: ``sent``, ``failed`` or ``queued``, as its emails
    stand after that (sent already when jobs run at once). Should the queue refuse the job, its
    emails are marked failed, saying why, for "Retry failed emails" to send."""
    job_id = job.id
    enqueue(job)
    stored = jobs.job(job_id)
    if stored is not None and stored.status == jobs.FAILED:
        with writing():
            for send in collection.sends_of_job(job_id):
                if send.outcome == "queued":
                    send.outcome, send.error = "failed", "It could not be handed to the worker: try again"
    return notices.outcome_of(job)


@huey.task()
def _run_queued(job_id: int) -> None:
    if has_app_context():  # run at once, in the caller's own application
        run(job_id)
        return
    with _worker_application().app_context():
        run(job_id)


_make_app: Callable[[], Flask] | None = None  # the worker's bootstrap gives it (``consumer``)
_worker_app: tuple[int, Flask] | None = None


def _worker_application() -> Flask:
    """The application a worker process runs its jobs in, made on its first job by the factory
    the worker's bootstrap handed to ``consumer`` (each process forked from it makes its own, so
    that no two share a database connection)."""
    global _worker_app
    if _worker_app is None or _worker_app[0] != os.getpid():
        if _make_app is None:
            raise RuntimeError(
                "A queued job ran outside an application and outside a worker: start one with `healthcheck worker`."
            )
        _worker_app = (os.getpid(), _make_app())
    return _worker_app[1]


class GivenUp(Exception):
    """The job was given up while it ran (its page's "Try again"), or queued again and taken up by
    another worker after this one stopped reporting: it stops, and records nothing."""


class Claim:
    """A worker's hold on the job it runs: the attempt it claimed the job by. Called with a step,
    it records how far the job has got (a heartbeat too) and tells ``watch``; once the job is no
    longer held by this attempt, it raises ``GivenUp`` instead."""

    def __init__(self, job: Job, attempt: int, watch: Watch = lambda job: None) -> None:
        self.job, self.job_id, self.attempt, self.watch = job, job.id, attempt, watch

    def __call__(self, step: str, done: int = 0, total: int = 0) -> None:
        with writing():
            if not jobs.progress(self.job_id, self.attempt, step, done, total):
                raise GivenUp
        self.watch(self.job)

    def hold(self) -> None:
        """Inside a unit of work: the job's row locked while this attempt still holds it; GivenUp
        otherwise (so that what the unit records, it records as the job's one holder)."""
        if not jobs.holds(self.job_id, self.attempt):
            raise GivenUp


class Heartbeat:
    """While a job runs, a thread of its own renews the row's heartbeat four times in each
    ``JOB_STALLED_AFTER``, whatever the job is doing: a long step never makes a healthy job look
    stopped. It stops with the job, or once another attempt holds the job."""

    def __init__(self, app: Flask, job_id: int, attempt: int) -> None:
        self.app, self.job_id, self.attempt = app, job_id, attempt
        self.every = app.config["JOB_STALLED_AFTER"].total_seconds() / 4
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"heartbeat of job {job_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()

    def _beat(self) -> None:
        with self.app.app_context():
            while not self.stopped.wait(self.every):
                try:
                    with writing():
                        if not jobs.beat(self.job_id, self.attempt):
                            return
                except Exception as failure:  # the database out of reach for a moment: the next beat tries again
                    self.app.logger.warning("job %s: heartbeat not recorded: %s", self.job_id, describe(failure))


def worker_name() -> str:
    """Which machine and process runs a job, for its page and the logs."""
    return f"{socket.gethostname()} (process {os.getpid()})"


def run(job_id: int, watch: Watch = lambda job: None) -> Job | None:
    """Run a queued job to its end; ``watch(job)`` after each step it reports. A job that is not
    queued (run already, taken by another worker, or given up) is left alone."""
    with writing():
        attempt = jobs.start(job_id, worker_name())
    job = jobs.job(job_id)
    if attempt is None or job is None:
        return job
    watch(job)
    claim = Claim(job, attempt, watch)
    with Heartbeat(current_app._get_current_object(), job_id, attempt):  # type: ignore[attr-defined]
        try:
            RUNNERS[job.kind](job, claim)
        except GivenUp:
            db.session.rollback()
        except Exception as failure:  # whatever went wrong, the job says so and can be tried again
            db.session.rollback()
            current_app.logger.error("job %s (%s) failed:\n%s", job.id, job.kind, traceback.format_exc())
            with writing():
                jobs.finish(job_id, attempt, error=describe(failure))
        else:
            with writing():
                jobs.finish(job_id, attempt)
    watch(job)
    return job


def take_up_stalled() -> list[int]:
    """Every job no worker has reported on for ``JOB_STALLED_AFTER`` (its worker stopped, or its
    message never reached a queue a worker reads) handed to the queue again from its row; a job
    whose worker stopped ``MAX_ATTEMPTS`` times fails. The ids queued again."""
    after = current_app.config["JOB_STALLED_AFTER"]
    with writing():
        again = {job.id: (job.status, job.attempt, job.worker) for job in jobs.queue_again(after)}
    for job_id, (status, attempt, worker) in again.items():
        if status == jobs.RUNNING:
            current_app.logger.warning(
                "job %s: no heartbeat for %s s from the worker running it (%s): queued again "
                "for another worker to run from the start (attempt %s of %s)",
                job_id,
                after.total_seconds(),
                worker,
                attempt + 1,
                jobs.MAX_ATTEMPTS,
            )
        else:
            current_app.logger.warning(
                "job %s: queued %s s ago and taken by no worker: queued again", job_id, after.total_seconds()
            )
        _run_queued(job_id)
    return list(again)


def give_up_stalled(job: Job) -> str | None:
    """A job no worker has reported on for ``JOB_STALLED_AFTER`` (never taken from the queue, or
    its worker stopped), failed with why, so that it can be tried again as a new job (the web
    page's "Try again", ``healthcheck publish``): why, or None if it had not stalled (or ended
    meanwhile). Call it inside ``writing``."""
    if not jobs.stalled(job, current_app.config["JOB_STALLED_AFTER"]):
        return None
    reason = "No worker took this job" if job.status == jobs.QUEUED else "The worker stopped while running this job"
    return reason if jobs.give_up(job.id, reason) else None


class _Scheduler(Scheduler):
    """Huey's scheduler (tasks due later and the nightly ones, looked at each second) which also
    looks, four times in each ``JOB_STALLED_AFTER``, for jobs to take up again."""

    def initialize(self) -> None:
        super().initialize()
        self.app = _worker_application()
        self.every = self.app.config["JOB_STALLED_AFTER"].total_seconds() / 4
        self.next_look = time.monotonic()

    def loop(self, now: Any = None) -> None:
        if time.monotonic() >= self.next_look:
            self.next_look = time.monotonic() + self.every
            with self.app.app_context():
                try:
                    take_up_stalled()
                except Exception as failure:  # the database or the queue out of reach: looked at again next time
                    self.app.logger.warning("stalled jobs not looked for: %s", describe(failure))
        super().loop(now)


class _Consumer(Consumer):
    scheduler_class = _Scheduler


def consumer(workers: int, make_app: Callable[[], Flask]) -> Consumer:
    """``healthcheck worker``: ``workers`` processes running the queued jobs, and a scheduler that
    runs the nightly ones and takes up the jobs of workers that stopped. An idle worker looks at
    a SQLite queue at least each second (Redis wakes it at once). ``make_app`` builds the
    application each of its processes runs jobs in (this module does not import the factory:
    the application imports the jobs)."""
    global _make_app
    _make_app = make_app
    return _Consumer(huey, workers=workers, worker_type="process", periodic=True, max_delay=1.0)


def describe(failure: Exception) -> str:
    """One line for a person: what failed, without a traceback."""
    if isinstance(failure, transfer.ImportRefused):
        return str(failure)
    if isinstance(failure, OSError) and failure.strerror:
        where = f" ({failure.filename})" if failure.filename else ""
        return f"Could not write the files: {failure.strerror}{where}"
    text = str(failure).strip().splitlines()
    return f"{type(failure).__name__}: {text[0] if text else 'no details'}"[:500]


# What a job's ``detail`` says it was asked to do (the rest: what it did).
ASKED = ("kind", "everyone", "replace", "checked_by_job")


def actor_of(job: Job) -> Actor:
    return Actor(job.created_by, via=f"job {job.id}")


# ---------------------------------------------------------------- publishing results

BUILDING = re.compile(r"\.building-(\d+)(?:-\d+)?")  # a folder being built: the job's id, then its attempt


def _publish(job: Job, claim: Claim) -> None:
    """Read the cycle's dataset once, build every output into a folder of its own, then make it
    the next edition in one step: the folder is renamed into place and its files recorded in
    the same commit that creates the edition, so nothing half-built is ever served. A job taken
    up again after its worker stopped builds afresh, in a folder of this attempt's own; one whose
    edition was recorded just before its worker stopped finds it done."""
    cycle = job.cycle
    assert cycle is not None
    config = current_app.config
    if publication.edition_made_by(job.id) is not None:  # recorded, with the job's detail, by an attempt
        return  # whose worker stopped before the job could finish
    dataset = publication.dataset(cycle)
    approved = preflight.approved_comments(cycle)  # read with the dataset, to tell the next edition what is new
    survey = staff.survey_of(cycle)
    staff_data = staff.data(survey) if survey is not None and survey.has_closed() else None
    root = Path(config["EDITIONS_FOLDER"]) / str(cycle.year)
    unfinished = [(int(m.group(1)), p) for p in root.glob(".building-*") if (m := BUILDING.fullmatch(p.name))]
    stale = set(jobs.stale_jobs([i for i, _ in unfinished]))  # left by a worker that stopped mid-build
    for path in [p for i, p in unfinished if i in stale or i == job.id] + list(root.glob(f"job-{job.id}-*")):
        shutil.rmtree(path, ignore_errors=True)  # this job's own are an earlier attempt's, never recorded
    latest = publication.latest_edition(cycle)  # the publication lock keeps it the latest till recorded
    expected = (latest.number if latest else 0) + 1
    done_reading()  # the dataset is read: hold no transaction while building
    work, final = root / f".building-{job.id}-{claim.attempt}", root / f"job-{job.id}-{claim.attempt}"
    try:
        made = edition_files.build(
            dataset,
            work,
            publication_min=config["PUBLICATION_MIN_GROUP"],
            benchmark_min=config["BENCHMARK_MIN_GROUP"],
            service=config["SERVICE_NAME"],
            staff=staff_data,
            staff_min=config["STAFF_MIN_GROUP"],
            publisher=config["PUBLISHER"],
            number=expected,
            progress=lambda step, done, total: claim(edition_files.STEPS[step], done, total),
        )
        files = [(m, *_digest(work / m.path)) for m in made]
        work.replace(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)  # given up, or failed: half-built, so never kept
        raise
    try:
        with writing():
            claim.hold()
            number = _record(
                job,
                dataset,
                final.relative_to(Path(config["EDITIONS_FOLDER"])).as_posix(),
                files,
                len(staff_data.respondents) if staff_data else None,
                approved,
            )
            job.detail = {**job.detail, "edition": number}
    except BaseException:
        shutil.rmtree(final, ignore_errors=True)  # not recorded, so never served
        raise


def _record(
    job: Job,
    dataset: Dataset,
    folder: str,
    files: list[tuple[edition_files.Made, str, int]],
    staff_respondents: int | None,
    approved: list[int],
) -> int:
    """The built folder, made the cycle's next edition (by the job's one holder, which holds the
    cycle's publication lock)."""
    assert job.cycle is not None
    config = current_app.config
    latest = publication.latest_edition(job.cycle)
    number = (latest.number if latest else 0) + 1
    references = {r.organisation: r.reference for r in dataset.returns}
    edition = Edition(
        cycle_id=job.cycle.id,
        number=number,
        folder=folder,
        returns=references,
        published_by=job.created_by,
        published_at=clock.now(),
        job_id=job.id,
        summary={
            "returns": len(dataset.returns),
            "by_type": dict(Counter(r.authority_type for r in dataset.returns)),
            "publication_min": config["PUBLICATION_MIN_GROUP"],
            "benchmark_min": config["BENCHMARK_MIN_GROUP"],
            "staff_respondents": staff_respondents,
            "staff_min": config["STAFF_MIN_GROUP"],
            "comments": approved,
            "changes": preflight.compare(latest, references, staff_respondents, approved),
        },
    )
    publication.add_edition(edition, [(m.path, m.kind, m.organisation, size, digest) for m, digest, size in files])
    audit(actor_of(job), "publish_results", detail={"cycle": job.cycle.year, "edition": number})
    return number


def _digest(path: Path) -> tuple[str, int]:
    data = path.read_bytes()
    return hashlib.sha256(data).hexdigest(), len(data)


def changes(before: dict[str, str] | None, after: dict[str, str]) -> dict[str, list[str]] | None:
    """Which returns an edition has that the one before did not (added), has in another version
    (changed) or lacks (removed), by organisation; None for a first edition."""
    if before is None:
        return None
    return {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "changed": sorted(k for k in set(after) & set(before) if after[k] != before[k]),
    }


# ---------------------------------------------------------------- invitations and reminders

EMAIL_KINDS = {"invitation": "invitations", "reminder": "reminders", "retry": "emails that failed"}
WAITING = {"invited", "not_started", "in_progress", "reopened"}


def email_targets(job: Job) -> list[tuple[Organisation, str]]:
    """(organisation, kind of email) for everyone a sending job is for, worked out when it runs."""
    assert job.cycle is not None
    kind = job.detail["kind"]
    if kind == "retry":
        return list(
            {
                (s.organisation_id, s.kind): (s.organisation, s.kind)
                for s in collection.failed_sends(job.cycle)
                if s.kind in mail.KINDS and s.organisation is not None
            }.values()
        )
    wanted = (
        (set(collection.STATUS_LABELS) - {"submitted"} if job.detail.get("everyone") else {"not_invited"})
        if kind == "invitation"
        else WAITING
    )
    return [(row.organisation, kind) for row in collection.tracking(job.cycle) if row.status in wanted]


def _send(job: Job, report: Claim) -> None:
    """Email each organisation a fresh link. An invitation's link replaces earlier ones once it
    is delivered; a reminder's is added beside them; a link never delivered is revoked. Every
    attempt is recorded with its outcome; no transaction is held while the mail server talks.
    Retrying also sends again every other email of the cycle that failed (confirmations, notes,
    contributors' invitations). An attempt taken up after its worker stopped skips what an
    earlier attempt sent."""
    targets = email_targets(job)
    if job.detail["kind"] == "retry":
        with writing():
            report.hold()
            for failed in collection.failed_sends(job.cycle):  # type: ignore[arg-type]
                if failed.kind in notices.SINGLE_KINDS:
                    notices.again(failed, job)
    sent_before = {(s.organisation_id, s.kind) for s in collection.sends_of_job(job.id) if s.outcome == "sent"}
    singles = [s.id for s in collection.sends_of_job(job.id) if s.kind in notices.SINGLE_KINDS and s.outcome != "sent"]
    counts = {"sent": 0, "failed": 0}  # by outcome
    mailer = mail.Mailer(current_app.config)
    step, total = f"Sending {EMAIL_KINDS[job.detail['kind']]}", len(targets) + len(singles)
    try:
        for done, (organisation, kind) in enumerate(targets):
            report(step, done, total)
            outcome = "sent" if (organisation.id, kind) in sent_before else _send_one(job, organisation, kind, mailer)
            counts[outcome] += 1
        for done, send_id in enumerate(singles, start=len(targets)):
            report(step, done, total)
            outcome = deliver(job, report, send_id, mailer)
            counts["sent" if outcome == "sent" else "failed"] += outcome in ("sent", "failed")
    finally:
        mailer.close()
    report(step, total, total)
    with writing():
        job.detail = {**job.detail, "sent": counts["sent"], "failed": counts["failed"]}


def _send_one(job: Job, organisation: Organisation, kind: str, mailer: mail.Mailer) -> str:
    cycle = job.cycle
    assert cycle is not None
    with writing():
        token = returns.issue_link(cycle, organisation, revoke_existing=False)
        response = returns.return_for(cycle, organisation)
        message = mail.message(cycle, organisation, kind, mail.link_url(token), response.closes_at)
    error = None
    try:
        if not organisation.contact_email:
            raise mail.NoAddress("No contact email address for this organisation")
        mailer.send(message)
    except (smtplib.SMTPException, OSError, ValueError) as failure:
        current_app.logger.warning("job %s: %s to organisation %s not sent: %s", job.id, kind, organisation.id, failure)
        error = mail.why_not_sent(failure)
    with writing():
        returns.settle_link(cycle, organisation, token, delivered=not error, replaces=kind == "invitation")
        collection.record_send(cycle, organisation, kind, job.id, error)
        audit(
            actor_of(job),
            f"email_{kind}",
            response_id=response.id,
            detail={"to": organisation.contact_email, "outcome": "failed" if error else "sent", "error": error},
        )
    return "failed" if error else "sent"


# ---------------------------------------------------------------- one email, or a few (notices)


def _email(job: Job, claim: Claim) -> None:
    """Send the emails a request queued (``notices``): each not marked sent already, so an attempt
    taken up again after its worker stopped sends none twice. A reset first finds out whether the
    address typed is an account's."""
    if job.detail.get("kind") == "reset":
        with writing():
            claim.hold()
            notices.reset_rows(job)
    pending = [s.id for s in collection.sends_of_job(job.id) if s.outcome in ("queued", "failed")]
    db.session.rollback()
    mailer = mail.Mailer(current_app.config)
    counts: Counter[str] = Counter()
    try:
        for done, send_id in enumerate(pending):
            claim("Sending", done, len(pending))
            counts[deliver(job, claim, send_id, mailer)] += 1
    except GivenUp:
        raise
    except Exception as failure:  # the job fails, and so does every email it had not sent: "retry failed" sends it
        db.session.rollback()
        with writing():
            for send in collection.sends_of_job(job.id):
                if send.outcome == "queued":
                    send.outcome, send.error = "failed", "The email could not be written: try again"
        raise failure
    finally:
        mailer.close()
    with writing():
        job.detail = {**job.detail, "sent": counts["sent"], "failed": counts["failed"]}


def deliver(job: Job, claim: Claim, send_id: int, mailer: mail.Mailer) -> str:
    """Write and send one queued email, recording its outcome (``sent``, ``failed``, ``cancelled``);
    one marked sent already is left alone. No transaction is held while the mail server talks."""
    send = emails.send(send_id)
    if send is None or send.outcome == "sent":
        return "sent"
    pdf = notices.attachment(send)  # built before any write: no lock held meanwhile
    error = None
    with writing():
        claim.hold()
        send = emails.locked_send(send_id)
        if send is None or send.outcome == "sent":
            return "sent"
        try:
            message = notices.compose(send, pdf)
        except mail.NoAddress as failure:
            message, error = None, str(failure)
        if message is None:
            send.outcome, send.error, send.attempted_at = (
                ("failed", error, utcnow()) if error else ("cancelled", None, utcnow())
            )
            return send.outcome
    try:
        mailer.send(message)
    except (smtplib.SMTPException, OSError) as failure:
        current_app.logger.warning("job %s: email %s not sent: %s", job.id, send_id, failure)
        error = mail.why_not_sent(failure)
    with writing():
        send = emails.locked_send(send_id)
        assert send is not None
        send.outcome, send.error, send.attempted_at = ("failed" if error else "sent"), error, utcnow()
        if error:
            notices.not_sent(send)
        audit(actor_of(job), f"email_{send.kind}", detail={"email": send.id, "outcome": send.outcome, "error": error})
    return send.outcome


# ---------------------------------------------------------------- a returns file


def _import(job: Job, report: Claim) -> None:
    """Check every cell of an uploaded returns file (``check``), or import it (``import``):
    nothing is written unless every row is valid, and then all of it in one transaction, by the
    job's one holder, with what it found (so an attempt whose worker stopped after it leaves
    nothing for the next to do)."""
    assert job.cycle is not None
    if job.upload is None and "rows" in job.detail:
        return
    assert job.upload is not None
    report("Reading the file")
    replace = job.detail.get("replace", False)
    try:
        rows = transfer.read_upload(job.upload_name or "returns.csv", job.upload)
    except transfer.FileProblem as problem:  # said as the check's one error: nothing is imported
        rows, result = [], transfer.ImportResult(errors=[transfer.CellError(1, "(the file)", str(problem))])
    else:
        report("Checking every cell", 0, len(rows))
        result = transfer.check_returns(job.cycle, rows, replace=replace)
    db.session.rollback()
    importing = job.kind == "import" and not result.errors
    if importing:
        report("Importing returns", 0, len(rows))
    with writing():
        report.hold()
        if importing:
            transfer.store_returns(job.cycle, result, actor_of(job), replace=replace)
        job.detail = {
            **job.detail,
            "rows": result.rows,
            "written": result.written,
            "errors": [str(e) for e in result.errors[:1000]],
            "error_count": len(result.errors),
            "warnings": [str(w) for w in result.warnings[:1000]],
            "warning_count": len(result.warnings),
        }
        if result.errors or job.kind == "import":  # the file will not be read again: it is not kept
            forget_upload(job)
    report("Imported" if job.kind == "import" else "Checked", len(rows), len(rows))


def forget_upload(job: Job) -> None:
    """An uploaded file (and the copy its check kept) deleted once nothing will read it again."""
    job.upload = None
    checked = jobs.job(job.detail.get("checked_by_job", 0))
    if checked is not None:
        checked.upload = None


# ---------------------------------------------------------------- the register of organisations


def _register(job: Job, report: Claim) -> None:
    """Check every cell of an uploaded organisation register (``register_check``: what it would
    add and update), or import it (``register_import``): nothing is written unless every row is
    valid, and then all of it in one transaction, by the job's one holder."""
    if job.upload is None and "rows" in job.detail:
        return
    assert job.upload is not None
    report("Reading the file")
    clean: list[dict[str, Any]] = []
    try:
        rows = transfer.read_upload(job.upload_name or "organisations.csv", job.upload)
    except transfer.FileProblem as problem:  # said as the check's one error: nothing is imported
        rows, errors = [], [transfer.CellError(1, "(the file)", str(problem))]
    else:
        report("Checking every cell", 0, len(rows))
        errors, clean = transfer.check_organisations(rows)
        if not rows:
            errors.append(transfer.CellError(1, "(the file)", "has no rows of organisations under its header"))
    db.session.rollback()
    importing = job.kind == "register_import" and not errors
    if importing:
        report("Importing organisations", 0, len(rows))
    with writing():
        report.hold()
        if importing:
            added, updated = collection.store_organisations(clean, actor_of(job))
        else:
            added, updated = transfer.register_plan(clean) if not errors else (0, 0)
        job.detail = {
            **job.detail,
            "rows": len(rows),
            "added": added,
            "updated": updated,
            "errors": [str(e) for e in errors[:1000]],
            "error_count": len(errors),
        }
        if errors or job.kind == "register_import":  # the file will not be read again: it is not kept
            forget_upload(job)
    report("Imported" if importing else "Checked", len(rows), len(rows))


# ---------------------------------------------------------------- retention

RETENTION_ACTOR = Actor("Retention schedule", via="worker")


@huey.periodic_task(crontab(hour="3", minute="30"))
def retention_daily() -> None:
    """Each night, in the worker: a job that deletes whatever personal data has passed its time
    (none is made when nothing is due)."""
    if has_app_context():
        _retention_if_due()
        return
    with _worker_application().app_context():
        _retention_if_due()


def _retention_if_due() -> Job | None:
    config = current_app.config
    if not retention.plan(clock.now(), config["RETENTION_MONTHS"], Path(config["EDITIONS_FOLDER"])):
        db.session.rollback()
        return None
    try:
        with writing():
            job = jobs.new_job("retention", RETENTION_ACTOR, None)
    except jobs.Locked:  # one is running already
        return None
    return run(job.id)


def _retention(job: Job, report: Claim) -> None:
    config = current_app.config
    editions = Path(config["EDITIONS_FOLDER"])
    items = retention.plan(clock.now(), config["RETENTION_MONTHS"], editions)
    report("Deleting personal data past its time", 0, len(items))
    with writing():
        report.hold()
        files = retention.apply(items, actor_of(job), editions)
        job.detail = {**job.detail, "deleted": dict(Counter(i.what for i in items))}
    retention.rewrite(files)
    report("Deleted personal data past its time", len(items), len(items))


# ---------------------------------------------------------------- the staff survey's rows reordered


@huey.periodic_task(crontab(hour="3", minute="45"))
def reorder_daily() -> None:
    """Each night, in the worker: the staff survey's responses and comments rewritten in the order
    of their random ids (``reorder_staff_rows``). Running twice, on two machines, does no harm."""
    if has_app_context():
        reorder_staff_rows()
        return
    with _worker_application().app_context():
        reorder_staff_rows()


def reorder_staff_rows() -> None:
    """Every row of the staff survey's responses and comments written again in one transaction (on
    PostgreSQL, so that they share its id), each organisation's pace forgetting the hour it last
    counted once its day is over; then, that committed, each table rewritten in the order of the
    rows' random ids (docs/disclosure.md: what a database administrator could still see)."""
    with writing():
        staff.forget_arrival(clock.now().date())
    with writing():
        staff.reorder_rows()


RUNNERS: dict[str, Callable[[Job, Claim], None]] = {
    "publish": _publish,
    "emails": _send,
    "email": _email,
    "check": _import,
    "import": _import,
    "retention": _retention,
    "register_check": _register,
    "register_import": _register,
}
