"""The ``healthcheck`` command: every operation on the platform, from the shell.

``healthcheck db upgrade`` (Flask-Migrate) applies migrations; ``healthcheck demo`` loads a demo
cycle and prints links; ``healthcheck serve`` serves the app with a worker beside it;
``healthcheck codebook`` prints the questionnaire contract.
"""

from __future__ import annotations

import csv
import logging
import os
import random
import secrets
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from werkzeug.serving import run_simple

import forms
from aggregation import charts, findings, outputs, regional_report, score_files, scores
from aggregation.batch import build_all
from aggregation.report import national_report
from aggregation.tables import compute, regional
from forms import synthetic
from forms.codebook import codebook_rows
from forms.synthetic import answers as synthetic_answers

from . import clock, jobs, mail, transfer
from .app import create_app
from .auth import create_user, hash_password, unthrottle
from .config import Refused
from .extensions import db, writing
from .form_fields import LONDON
from .models import Cycle, Job, Role, StaffSurvey
from .store import Actor, accounts, audit, collection, publication, retention, returns, staff
from .store import jobs as job_rows
from .store import neighbours as neighbour_rows

DEMO_FILE = Path(__file__).resolve().parent.parent / "demo" / "organisations.csv"
CLI_ACTOR = Actor(os.environ.get("USER", "command line"), via="cli")


def main() -> None:
    cli = FlaskGroup(
        create_app=lambda: create_app(), help=__doc__, add_version_option=False, load_dotenv=False, set_debug_flag=False
    )
    for command in (
        codebook,
        questionnaires,
        demo,
        serve,
        worker,
        user,
        orgs,
        neighbours,
        cycle,
        invite,
        remind,
        import_,
        template,
        export,
        links,
        tables,
        report,
        regional_reports,
        benchmarks,
        publish,
        editions,
        staff_group,
        retention_group,
    ):
        cli.add_command(command)
    try:
        cli.main(prog_name="healthcheck")
    except Refused as refused:  # production's settings are unsafe: one line says why
        sys.exit(f"healthcheck will not start: {refused}")


class _Out(click.ParamType):
    """Where a command writes: a file whose folder exists, or a folder (made if only it is
    missing). A path that can't be written to is one line of error, before any work is done."""

    def __init__(self, folder: bool) -> None:
        self.folder = folder
        self.name = "folder" if folder else "file"

    def convert(self, value: Any, param: Any, ctx: Any) -> Path:
        path = Path(value)
        where = path if self.folder and path.exists() else path.parent
        if self.folder and path.exists() and not path.is_dir():
            raise click.ClickException(f"Can't write into {path}: it is a file, not a folder")
        if not self.folder and path.is_dir():
            raise click.ClickException(f"Can't write {path}: it is a folder; give a file name inside it")
        if not where.is_dir():
            raise click.ClickException(f"Can't write {path}: the folder {where} does not exist")
        if not os.access(where, os.W_OK):
            raise click.ClickException(f"Can't write {path}: the folder {where} is not writable")
        return path


OUT_FILE, OUT_FOLDER = _Out(folder=False), _Out(folder=True)


def _read(path: Path) -> list[dict[str, str]]:
    """A CSV or XLSX file's rows, or one line saying why it can't be read."""
    try:
        return transfer.read_rows(path)
    except transfer.FileProblem as problem:
        raise click.ClickException(str(problem)) from None


def _cycle(year: int) -> Cycle:
    found = collection.cycle_by_year(year)
    if found is None:
        raise click.ClickException(f"No {year} cycle. Create one with: healthcheck cycle create --year {year} ...")
    return found


def _date(text: str, end_of_day: bool = False) -> datetime:
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=LONDON)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date like 2017-12-15") from None
    moment = day.replace(hour=23, minute=59, second=59) if end_of_day else day
    return moment.astimezone(UTC)


def _report_errors(errors: list, what: str) -> None:
    for error in errors[:200]:
        click.echo(f"  {error}", err=True)
    if len(errors) > 200:
        click.echo(f"  ... and {len(errors) - 200} more", err=True)
    raise click.ClickException(f"{len(errors)} problem{'s' if len(errors) != 1 else ''} found: {what}")


def _questionnaire(key: str) -> forms.Questionnaire:
    try:
        return forms.load(*key.split("@", 1))
    except (KeyError, TypeError):
        raise click.ClickException(
            f"No questionnaire {key}. Known: " + ", ".join(f"{q}@{v}" for q, v in forms.available())
        ) from None


# ---------------------------------------------------------------- the questionnaire


@click.command()
@click.option("--cycle", "year", type=int, help="The cycle's year, e.g. 2017.")
@click.option(
    "--survey",
    type=click.Choice(["return", "staff"]),
    default="return",
    show_default=True,
    help="With --cycle: the organisations' return, or the cycle's staff survey.",
)
@click.option("--questionnaire", help="Or a questionnaire as id@version, e.g. health-check@2017.1.")
@click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text", show_default=True)
@with_appcontext
def codebook(year: int | None, survey: str, questionnaire: str | None, fmt: str) -> None:
    """Print every answer column: id, wording, type, options, routing and (for a staff survey's
    scored statements) the Standard it is scored for."""
    if not year and not questionnaire:
        raise click.UsageError("Give --cycle YEAR or --questionnaire ID@VERSION.")
    if questionnaire:
        q = _questionnaire(questionnaire)
    elif survey == "staff":
        q = staff.questionnaire_of(_survey(year or 0))
    else:
        q = _questionnaire_of_year(year or 0)
    rows = codebook_rows(q)
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return
    click.echo(f"Codebook: {q.title} ({q.key}), {len(rows)} columns\n")
    current = None
    for row in rows:
        if row["section"] != current:
            current = row["section"]
            click.echo(click.style(q.section(current).heading, bold=True))
        click.echo(f"  {row['column']}  [{row['type']}]  {row['question']}")
        for key in ("options", "constraints", "routing"):
            if row[key]:
                click.echo(f"      {key}: {row[key]}")
    click.echo("")


@click.command()
def questionnaires() -> None:
    """List every questionnaire version: ID@VERSION, its kind (return or staff) and its title."""
    for qid, version in forms.available():
        q = forms.load(qid, version)
        click.echo(f"{q.key}  {q.kind}  {q.title}")


def _questionnaire_of_year(year: int) -> forms.Questionnaire:
    """The cycle's questionnaire or, with no such cycle, the latest questionnaire of that year."""
    found = collection.cycle_by_year(year)
    if found is not None:
        return collection.questionnaire_for(found)
    matches = [(qid, v) for qid, v in forms.available("return") if v.startswith(f"{year}.")]
    if not matches:
        raise click.ClickException(
            f"No cycle or questionnaire for {year}. Known: " + ", ".join(f"{q}@{v}" for q, v in forms.available())
        )
    return forms.load(*matches[-1])


# ---------------------------------------------------------------- running the service


@click.command()
@click.option("--year", default=2017, show_default=True)
@click.option("--days-open", default=60, show_default=True, help="Days from now until the demo cycle closes.")
@click.option(
    "--blank",
    default=5,
    show_default=True,
    help="How many organisations (first by name) are left to fill in; the rest get synthetic "
    "submitted returns, so the national tables have something to show.",
)
@with_appcontext
def demo(year: int, days_open: int, blank: int) -> None:
    """Load the demo register and cycle, print a fresh link per organisation and a coordinator sign-in."""
    now = datetime.now(UTC)
    questionnaire = forms.load("health-check", f"{year}.1")
    with writing():
        errors, _, _ = transfer.import_organisations(transfer.read_rows(DEMO_FILE), CLI_ACTOR)
        if errors:
            _report_errors(errors, str(DEMO_FILE))
    kept = collection.cycle_by_year(year) is not None
    where = db.engine.url.render_as_string(hide_password=True)
    what = (
        f"Kept the demo already in {where}: what was typed into it stays; only the links and the password "
        "are new. To start afresh: make run RESET=1"
        if kept
        else f"Loaded a new demo into {where}."
    )
    click.echo(what)
    with writing():
        cycle = collection.cycle_by_year(year) or collection.create_cycle(
            year, questionnaire, now - timedelta(days=1), now + timedelta(days=days_open), CLI_ACTOR
        )
        cycle.closes_at = max(cycle.closes_at, now + timedelta(days=days_open))
        links = [(org.name, returns.issue_link(cycle, org)) for org in collection.organisations()]
        for index, org in enumerate(collection.organisations()):
            response = returns.return_for(cycle, org)
            if index >= blank and response.status == "not_started":
                returns.submit(
                    response,
                    CLI_ACTOR,
                    questionnaire,
                    how="demo",
                    replace_with=synthetic_answers(questionnaire, random.Random(index), org.name),
                )
        statuses = collection.response_statuses(cycle)
        names = {org.id: org.name for org in collection.organisations()}
        blank_ones = {names[i] for i, status in statuses.items() if status == "not_started" and i in names}
        password = secrets.token_urlsafe(12)
        account = accounts.user_by_email("coordinator@example.org")
        if account is None:
            create_user("coordinator@example.org", "Demo Coordinator", Role.COORDINATOR.value, password)
        else:
            account.password_hash = hash_password(password)
        closes = cycle.closes_at
        survey = staff.survey_of(cycle) or staff.open_survey(
            cycle, forms.load("staff-survey", "2020.1"), now - timedelta(days=1), closes, CLI_ACTOR
        )
        survey.closes_at = max(survey.closes_at, closes)
        first = collection.organisations()[0]
        staff_code = staff.code_for(survey, first).code
        if not staff.counts(survey):  # practitioners' answers for the rest, so there are results to preview
            staff_q = staff.questionnaire_of(survey)
            rng = random.Random(year)
            for org in collection.organisations()[1:]:  # each organisation rated well or poorly, standard by standard
                lean = synthetic.leaning(rng)
                for _ in range(rng.randint(6, 40)):
                    staff.submit(
                        survey,
                        org.id,
                        synthetic.staff_answers(staff_q, rng, org.name, lean),
                        staff_q,
                        org.name,
                        now=now - timedelta(days=1),
                        paced=False,
                    )  # sent yesterday
                if rng.random() < 0.75:  # most PSWs enter their headcount, the response rate's denominator
                    staff.set_headcount(
                        staff.code_for(survey, org),
                        {
                            "social_workers": {"adults": rng.randint(20, 60), "children": rng.randint(20, 70)},
                            "occupational_therapists": {"adults": rng.randint(0, 15)},
                        },
                        CLI_ACTOR,
                    )
    base = current_app.config["BASE_URL"].rstrip("/")
    click.echo(
        f"Demo cycle {year} is open until {closes:%d %B %Y}; {len(links)} organisations, "
        f'all but {len(blank_ones)} with a synthetic submitted return (those are marked "to fill in"; '
        "the others have a benchmark once results are published). Employer links (new each run):"
    )
    for name, token in links:
        click.echo(f"  {name}{'  (to fill in)' if name in blank_ones else ''}:\n    {base}/start/{token}")
    click.echo(
        f"\nStaff survey, as a practitioner at {first.name} answers it: {base}/survey/{staff_code}"
        "\n  (each PSW finds their organisation's link and code through their return's link; the other "
        "organisations have synthetic answers. To see the results, close the survey by giving it dates "
        f"in the past: .venv/bin/healthcheck staff open --cycle {year} --questionnaire staff-survey@2020.1 "
        f"--opens {(now - timedelta(days=2)):%Y-%m-%d} --closes {(now - timedelta(days=1)):%Y-%m-%d}; then "
        "publish from the coordinator's Results page)"
    )
    click.echo(f"\nCoordinator: {base}/admin/sign-in  email coordinator@example.org  password {password}")
    click.echo(what)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option(
    "--worker/--no-worker",
    "with_worker",
    default=True,
    show_default=True,
    help="Run a worker beside the server for the jobs the site queues.",
)
def serve(host: str, port: int, with_worker: bool) -> None:
    """Serve the app for development and demos (production runs under gunicorn, its worker apart)."""
    app = create_app()
    beside = subprocess.Popen([sys.executable, "-m", "healthcheck.cli", "worker"]) if with_worker else None
    click.echo(f"Serving on http://{host}:{port}/ (Ctrl+C to stop)" + (", with a worker" if beside else ""))
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))  # stopped by kill too: the worker goes with it
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if beside is not None:
            beside.terminate()
            beside.wait(timeout=30)


@click.command()
@click.option("--workers", default=2, show_default=True, help="Jobs run at once, each in a process of its own.")
def worker(workers: int) -> None:
    """Run the jobs the site and the commands queue (publishing, emails, imports) until stopped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = create_app()  # the queue it reads is the application's (REDIS_URL, or QUEUE_FILE)
    where = app.config["REDIS_URL"] or app.config["QUEUE_FILE"]
    click.echo(f"Worker: {workers} process{'es' * (workers > 1)} taking jobs from {where}")
    # and its scheduler: the nightly deletion of personal data past its time (jobs.retention_daily), the
    # staff survey's rows rewritten in the order of their random ids (jobs.reorder_daily), and
    # taking up again the jobs of any worker, here or on another machine, that stopped (jobs.take_up_stalled)
    jobs.consumer(workers, create_app).run()  # the worker's bootstrap: its processes' application


# ---------------------------------------------------------------- accounts


@click.group()
def user() -> None:
    """Coordinator and viewer accounts."""


@user.command("add")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@with_appcontext
def user_add(email: str, name: str, role: str, password_stdin: bool) -> None:
    """Create an account. The password is asked for twice unless --password-stdin is given."""
    if accounts.user_by_email(email) is not None:
        raise click.ClickException(f"There is already an account for {email}")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with writing():
            create_user(email, name, role, password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {role} {email}")


@user.command("unlock")
@click.argument("email")
@with_appcontext
def user_unlock(email: str) -> None:
    """Let EMAIL sign in again from anywhere at once: forget its recent failed sign-ins."""
    with writing():
        count = unthrottle(email)
        audit(CLI_ACTOR, "sign_in_unthrottled", detail={"email": email.strip().lower(), "failures": count})
    click.echo(f"Forgot {count} failed sign-in{'' if count == 1 else 's'} for {email.strip().lower()}")


# ---------------------------------------------------------------- the register and cycles


@click.group()
def orgs() -> None:
    """The register of organisations."""


@orgs.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file; write nothing.")
@with_appcontext
def orgs_import(path: Path, dry_run: bool) -> None:
    """Add or update organisations from a CSV or XLSX file (columns: name, authority_type, ons_code,
    region, contact_email). Nothing is written unless every row is valid."""
    rows = _read(path)
    click.echo(f"Checking {len(rows):,} rows of {path.name}")
    errors, clean = transfer.check_organisations(rows)  # before the write lock: employers keep saving
    if errors:
        _report_errors(errors, "nothing was imported")
    if dry_run:
        click.echo("File is valid; nothing written (--dry-run)")
        return
    with writing():
        added, updated = collection.store_organisations(clean, CLI_ACTOR)
    click.echo(f"{added} added, {updated} updated")


@click.group()
def neighbours() -> None:
    """Each organisation's statistical neighbours, compared with in every benchmark."""


@neighbours.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file; write nothing.")
@with_appcontext
def neighbours_import(path: Path, dry_run: bool) -> None:
    """Replace the list of statistical neighbours from a CSV or XLSX file: one row an organisation
    (name or ONS code) under organisation, then its neighbours under neighbour_1, neighbour_2 and on.
    Nothing is written unless every row is valid."""
    rows = _read(path)
    errors, pairs = transfer.check_neighbours(rows)
    db.session.rollback()
    if errors:
        _report_errors(errors, "nothing was imported")
    if dry_run:
        click.echo(f"File is valid ({len(pairs)} organisations); nothing written (--dry-run)")
        return
    with writing():
        stored = neighbour_rows.replace(pairs, CLI_ACTOR, path.name)
    click.echo(f"Statistical neighbours replaced: {len(pairs)} organisations, {stored} neighbours")


@neighbours.command("export")
@click.option("--out", type=OUT_FILE, required=True, help="neighbours.csv or .xlsx (with no list yet, the template)")
@with_appcontext
def neighbours_export(out: Path) -> None:
    """Write the list as it stands, in the columns it is imported in."""
    out.write_bytes(transfer.neighbour_files(out.name, neighbour_rows.lists()))
    click.echo(f"Wrote {out}")


@click.group()
def cycle() -> None:
    """Collection cycles."""


@cycle.command("create")
@click.option("--year", type=int, required=True)
@click.option("--questionnaire", required=True, help="id@version, e.g. health-check@2017.1")
@click.option("--opens", required=True, help="YYYY-MM-DD")
@click.option("--closes", required=True, help="YYYY-MM-DD (the end of that day, UK time)")
@with_appcontext
def cycle_create(year: int, questionnaire: str, opens: str, closes: str) -> None:
    """Create a cycle for a year from a questionnaire version."""
    if collection.cycle_by_year(year):
        raise click.ClickException(f"There is already a {year} cycle")
    q = _questionnaire(questionnaire)
    if q.kind != "return":
        raise click.ClickException(f"{q.key} is a {q.kind} survey, not a return: add it with healthcheck staff open")
    with writing():
        collection.create_cycle(year, q, _date(opens), _date(closes, end_of_day=True), CLI_ACTOR)
    click.echo(f"Created the {year} cycle ({q.key})")


@cycle.command("rollover")
@click.option("--from", "from_year", type=int, required=True)
@click.option("--questionnaire", help="id@version for the new cycle (default: the same as the old one)")
@click.option("--opens", required=True)
@click.option("--closes", required=True)
@with_appcontext
def cycle_rollover(from_year: int, questionnaire: str | None, opens: str, closes: str) -> None:
    """Create next year's cycle from this one: same organisations and populations, new links at invitation."""
    old = _cycle(from_year)
    if collection.cycle_by_year(from_year + 1):
        raise click.ClickException(f"There is already a {from_year + 1} cycle")
    q = _questionnaire(questionnaire or f"{old.questionnaire_id}@{old.questionnaire_version}")
    with writing():
        collection.create_cycle(
            from_year + 1, q, _date(opens), _date(closes, end_of_day=True), CLI_ACTOR, previous=_cycle(from_year)
        )
    click.echo(f"Created the {from_year + 1} cycle from {from_year}")


# ---------------------------------------------------------------- invitations and reminders


def _run_here(job_kind: str, target: Cycle, label: str, detail: dict) -> Job:
    """Run a job in this process (recorded like any other), with a progress bar."""
    try:
        with writing():
            job = job_rows.new_job(job_kind, CLI_ACTOR, target, detail=detail)
    except job_rows.Locked:
        running = job_rows.locked_by(job_rows.lock_of(job_kind, target.id, detail) or "")
        raise click.ClickException(
            f"The same is being done already (job {running.id if running else '?'}): wait for it to finish"
        ) from None
    with click.progressbar(length=1, label=label) as bar:

        def watch(current: Job) -> None:
            bar.length = max(current.total, 1)
            bar.update(current.done - bar.pos)

        finished = jobs.run(job.id, watch=watch)
    assert finished is not None
    if finished.error:
        raise click.ClickException(finished.error)
    return finished


def _send(year: int, kind: str, everyone: bool = False) -> None:
    target = _cycle(year)
    job = _run_here("emails", target, f"Sending {jobs.EMAIL_KINDS[kind]}", {"kind": kind, "everyone": everyone})
    click.echo(f"{job.detail['sent']} sent, {job.detail['failed']} failed")
    for send in collection.failed_sends(target):
        who = send.organisation.name if send.organisation else "an account"
        click.echo(f"  failed: {who} <{send.to_address or 'no address'}>: {send.error}", err=True)


@click.command()
@click.option("--cycle", "year", type=int, required=True)
@click.option("--all", "everyone", is_flag=True, help="Invite every organisation again (new links replace old).")
@click.option("--retry-failed", is_flag=True, help="Resend the emails that failed.")
@with_appcontext
def invite(year: int, everyone: bool, retry_failed: bool) -> None:
    """Email each organisation not yet invited a link to its return."""
    _send(year, "retry" if retry_failed else "invitation", everyone)


@click.command()
@click.option("--cycle", "year", type=int, required=True)
@click.option("--not-submitted", is_flag=True, required=True, help="Remind those who have not submitted.")
@with_appcontext
def remind(year: int, not_submitted: bool) -> None:
    """Email a reminder, with a fresh link, to every organisation that has not submitted."""
    _send(year, "reminder")


@click.command()
@click.option("--cycle", "year", type=int, required=True)
@click.option("--out", type=OUT_FILE, required=True)
@with_appcontext
def links(year: int, out: Path) -> None:
    """Write a CSV of fresh links for a mail merge (earlier links keep working)."""
    target = _cycle(year)
    with writing():
        rows = mail.fresh_links(target, CLI_ACTOR)
        out.write_bytes(transfer.csv_bytes(mail.LINK_COLUMNS, rows))
    click.echo(f"{len(rows)} links written to {out}")


# ---------------------------------------------------------------- returns in and out


@click.command("import")
@click.option("--cycle", "year", type=int, required=True)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite returns that already exist.")
@click.option("--dry-run", is_flag=True, help="Validate every cell; write nothing.")
@with_appcontext
def import_(year: int, path: Path, replace: bool, dry_run: bool) -> None:
    """Import returns from CSV or XLSX: one row per organisation, columns named by the codebook.
    Nothing is written unless every row is valid; imported returns are marked submitted."""
    target = _cycle(year)
    rows = _read(path)
    click.echo(f"Validating {len(rows)} rows of {path.name}")
    result = transfer.check_returns(target, rows, replace=replace)
    for warning in result.warnings[:200]:
        click.echo(f"  warning: {warning}", err=True)
    if len(result.warnings) > 200:
        click.echo(f"  ... and {len(result.warnings) - 200} more warnings", err=True)
    if result.warnings:
        click.echo(
            f"{len(result.warnings)} answer{'s' if len(result.warnings) != 1 else ''} to check "
            "(warnings, which do not stop the import)"
        )
    if result.errors:
        _report_errors(result.errors, "nothing was imported")
    if dry_run:
        click.echo("All rows valid; nothing written (--dry-run)")
        return
    try:
        with click.progressbar(length=len(rows), label="Importing returns") as bar, writing():
            transfer.store_returns(target, result, CLI_ACTOR, replace=replace, progress=bar.update)
    except transfer.ImportRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"{result.written} returns imported")


@click.command()
@click.option("--cycle", "year", type=int, required=True)
@click.option(
    "--out",
    type=OUT_FILE,
    required=True,
    help="returns.csv (with returns-codebook.csv beside it) or returns.xlsx (a codebook sheet)",
)
@with_appcontext
def template(year: int, out: Path) -> None:
    """Write an empty import file with the codebook's columns."""
    for path in transfer.write_files(transfer.template_files(_cycle(year), out.name), out.parent):
        click.echo(f"Wrote {path}")


@click.command()
@click.option("--cycle", "year", type=int, required=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), required=True)
@click.option("--out", type=OUT_FILE, required=True)
@click.option("--include-drafts", is_flag=True, help="Also returns never submitted (their current answers).")
@with_appcontext
def export(year: int, fmt: str, out: Path, include_drafts: bool) -> None:
    """Write the raw returns, one row per organisation, in the import's columns, plus the codebook."""
    files = transfer.export_files(_cycle(year), fmt, out.name, include_drafts)
    for path in transfer.write_files(files, out.parent):
        click.echo(f"Wrote {path}")


# ---------------------------------------------------------------- results


@click.command()
@click.option("--cycle", "year", type=int, required=True)
@click.option("--wait", is_flag=True, help="Wait for the worker to finish, showing its progress.")
@with_appcontext
def publish(year: int, wait: bool) -> None:
    """Queue the publication of a cycle's results as its next edition (the worker builds it)."""
    target = _cycle(year)
    earlier = job_rows.locked_by(job_rows.lock_of("publish", target.id, {}) or "")
    if earlier is not None:  # a publication no worker has reported on for a while is retried, as "Try again" does
        earlier_id, queued, heard = earlier.id, earlier.status == job_rows.QUEUED, _ago(earlier.heartbeat_at)
        step = (earlier.step or "queued").lower()
        with writing():
            stalled = jobs.give_up_stalled(earlier)
        if stalled is None:
            raise click.ClickException(
                f"The {year} results are being published already (job {earlier_id}, "
                f"{step}, last heard of {heard}); healthcheck editions --cycle {year} "
                "shows when it is done"
            )
        click.echo(
            f"The earlier publication (job {earlier_id}) had stalled: "
            + (f"queued {heard} and no worker took it" if queued else f"its worker stopped reporting {heard}")
            + ". Trying it again as a new job."
        )
    try:
        with writing():
            job = job_rows.new_job("publish", CLI_ACTOR, target)
    except job_rows.Locked:
        running = job_rows.locked_by(job_rows.lock_of("publish", target.id, {}) or "")
        raise click.ClickException(
            f"The {year} results are being published already" + (f" (job {running.id})" if running else "")
        ) from None
    job_id = job.id
    jobs.enqueue(job)
    click.echo(
        f"Publishing the {year} results as their next edition: job {job_id} "
        f"(healthcheck editions --cycle {year} lists what is published)"
    )
    if not wait:
        return
    finished = _wait_for(job_id)
    if finished.error:
        raise click.ClickException(f"Publication failed: {finished.error}")
    made = publication.edition(target, finished.detail["edition"])
    assert made is not None
    folder = Path(current_app.config["EDITIONS_FOLDER"]) / made.folder  # as this machine mounts the editions
    click.echo(f"Published edition {made.number} of the {year} results: {folder}")


def _ago(moment: datetime | None, suffix: str = " ago") -> str:
    """How long ago, by the database's clock, in words: "3 hours ago", "40 seconds ago"."""
    if moment is None:
        return "never"
    seconds = max(0, int((clock.now() - moment).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}{suffix}"
    return f"{seconds} second{'s' if seconds != 1 else ''}{suffix}"


def _wait_for(job_id: int) -> Job:
    started, hinted = time.monotonic(), False
    with click.progressbar(length=1, label="Queued", show_pos=True) as bar:
        while True:
            db.session.expire_all()
            job = job_rows.job(job_id)
            assert job is not None
            bar.label, bar.length = job.step or "Queued", max(job.total, 1)
            bar.update(job.done - bar.pos)
            db.session.rollback()
            if job.finished:
                return job
            if job.status == "queued" and time.monotonic() - started > 30 and not hinted:
                click.echo("\nStill queued: is a worker running? Start one with: healthcheck worker", err=True)
                hinted = True
            time.sleep(0.5)


@click.command()
@click.option("--cycle", "year", type=int, required=True)
@with_appcontext
def editions(year: int) -> None:
    """List the editions of a cycle's results, with their dates, status and files."""
    target = _cycle(year)
    every = publication.editions(target)
    running = job_rows.locked_by(job_rows.lock_of("publish", target.id, {}) or "")
    if running is not None and job_rows.stalled(running, current_app.config["JOB_STALLED_AFTER"]):
        click.echo(
            f"Stalled: job {running.id}, {running.step or 'queued'}, last heard of {_ago(running.heartbeat_at)} "
            f"(healthcheck publish --cycle {year} tries it again)"
        )
    elif running is not None:
        click.echo(f"Being published now: job {running.id}, {running.step or 'queued'}")
    if not every:
        click.echo(f"No edition of the {year} results yet. Publish with: healthcheck publish --cycle {year}")
    root = Path(current_app.config["EDITIONS_FOLDER"])
    for item in every:
        state = "current" if item is every[0] else "superseded"
        size = sum(f.size for f in item.files)
        click.echo(
            f"Edition {item.number}  {item.published_at:%d %B %Y %H:%M} UTC  {state}  "
            f"{item.summary['returns']} returns  {len(item.files)} files ({size / 1e6:.1f} MB)  "
            f"{root / item.folder}  by {item.published_by}"
        )


def _dataset(year: int) -> Any:
    """A cycle's data for the national outputs, read in one transaction that is then closed."""
    found = publication.dataset(_cycle(year))
    db.session.close()
    return found


@click.command()
@click.option("--cycle", "year", type=int, required=True)
@click.option("--out", type=OUT_FOLDER, required=True)
@with_appcontext
def tables(year: int, out: Path) -> None:
    """Write the national tables as they stand: tables.json, one CSV per table, tables.xlsx, charts,
    and the tables by region (regional-tables.json and .xlsx, a CSV each)."""
    dataset = _dataset(year)
    computed = compute(dataset, threshold=current_app.config["PUBLICATION_MIN_GROUP"])
    written = outputs.write(
        year, computed, out, key_findings=findings.key_findings(computed, findings.sections_of(dataset.questionnaire))
    )
    written += outputs.write(
        year, regional(dataset, current_app.config["PUBLICATION_MIN_GROUP"]), out, name="regional-tables"
    )
    with click.progressbar(charts.figures(computed), label="Drawing figures") as bar:
        for table in bar:
            written += charts.write(table, out)
    click.echo(f"{len(computed)} tables from {len(dataset.returns)} returns; {len(written)} files in {out}")


@click.command()
@click.option("--cycle", "year", type=int, required=True)
@click.option("--out", type=OUT_FILE, required=True)
@with_appcontext
def report(year: int, out: Path) -> None:
    """Write the national report as it stands, as a PDF."""
    dataset = _dataset(year)
    pdf = national_report(
        dataset,
        threshold=current_app.config["PUBLICATION_MIN_GROUP"],
        service=current_app.config["SERVICE_NAME"],
        publisher=current_app.config["PUBLISHER"],
    )
    out.write_bytes(pdf)
    click.echo(f"Wrote {out} ({len(pdf) // 1024} KB) from {len(dataset.returns)} returns")


@click.command("regional-reports")
@click.option("--cycle", "year", type=int, required=True)
@click.option("--out", type=OUT_FOLDER, required=True)
@with_appcontext
def regional_reports(year: int, out: Path) -> None:
    """Write each region's short report as it stands, a PDF a region."""
    dataset = _dataset(year)
    written = regional_report.build(
        dataset, out, current_app.config["PUBLICATION_MIN_GROUP"], current_app.config["SERVICE_NAME"]
    )
    if not written:
        click.echo(f"No return of {year} names a region: no regional report written")
    for path in written:
        click.echo(f"Wrote {path}")


@click.command()
@click.option("--cycle", "year", type=int, required=True)
@click.option("--out", type=OUT_FOLDER, required=True)
@click.option("--processes", type=click.IntRange(1), default=1, show_default=True, help="Processes building at once.")
@with_appcontext
def benchmarks(year: int, out: Path, processes: int) -> None:
    """Write every employer's benchmark as it stands (JSON, CSV and PDF)."""
    dataset = _dataset(year)
    with click.progressbar(length=len(dataset.returns), label="Building benchmarks") as bar:
        count = build_all(
            dataset,
            out,
            current_app.config["BENCHMARK_MIN_GROUP"],
            processes,
            current_app.config["SERVICE_NAME"],
            progress=lambda name, paths: bar.update(1),
            publication_min=current_app.config["PUBLICATION_MIN_GROUP"],
        )
    click.echo(f"{count} benchmarks written to {out}")


# ---------------------------------------------------------------- the staff survey


def _survey(year: int) -> StaffSurvey:
    found = staff.survey_of(_cycle(year))
    if found is None:
        raise click.ClickException(
            f"The {year} cycle has no staff survey. Add one with: healthcheck staff open "
            f"--cycle {year} --questionnaire ID@VERSION --opens DATE --closes DATE"
        )
    return found


@click.group("staff")
def staff_group() -> None:
    """The staff survey of practitioners."""


@staff_group.command("open")
@click.option("--cycle", "year", type=int, required=True)
@click.option("--questionnaire", required=True, help="id@version of a staff survey, e.g. staff-survey@2020.1")
@click.option("--opens", required=True, help="YYYY-MM-DD")
@click.option("--closes", required=True, help="YYYY-MM-DD (the end of that day, UK time)")
@with_appcontext
def staff_open(year: int, questionnaire: str, opens: str, closes: str) -> None:
    """Add a staff survey to a cycle (or change its dates): every organisation gets its code."""
    target, q = _cycle(year), _questionnaire(questionnaire)
    if q.kind != "staff":
        raise click.ClickException(f"{q.key} is a {q.kind}, not a staff survey (see healthcheck questionnaires)")
    opens_at, closes_at = _date(opens), _date(closes, end_of_day=True)
    if closes_at <= opens_at:
        raise click.BadParameter("the survey must close after it opens", param_hint="--closes")
    with writing():
        survey = staff.open_survey(target, q, opens_at, closes_at, CLI_ACTOR)
        codes = len(staff.codes(survey))
    click.echo(
        f"The {year} staff survey ({q.key}) is open from {opens} to the end of {closes}; "
        f"{codes} organisations have a code"
    )


@staff_group.command("import")
@click.option("--cycle", "year", type=int, required=True)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate every cell; write nothing.")
@with_appcontext
def staff_import(year: int, path: Path, dry_run: bool) -> None:
    """Import staff survey responses from CSV or XLSX: one row a respondent, the organisation's name
    then the codebook's columns (codes or labels). Nothing is written unless every row is valid."""
    survey = _survey(year)
    rows = _read(path)
    with writing():
        result = transfer.import_staff(survey, rows, dry_run=dry_run)
        if result.errors:
            _report_errors(result.errors, "nothing was imported")
    click.echo("All rows valid; nothing written (--dry-run)" if dry_run else f"{result.written} responses imported")


@staff_group.command("export")
@click.option("--cycle", "year", type=int, required=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), required=True)
@click.option("--out", type=OUT_FILE, required=True)
@with_appcontext
def staff_export(year: int, fmt: str, out: Path) -> None:
    """Write every response (but those excluded) in the import's columns, plus the codebook."""
    for path in transfer.write_files(transfer.staff_export_files(_survey(year), fmt, out.name), out.parent):
        click.echo(f"Wrote {path}")


@staff_group.command("results")
@click.option("--cycle", "year", type=int, required=True)
@click.option("--out", type=OUT_FOLDER, required=True)
@with_appcontext
def staff_results(year: int, out: Path) -> None:
    """Score the counted responses by standard into a folder: scores.json, a CSV per level
    (organisations, types, regions, national) and scores.xlsx. While the survey is open, a preview."""
    survey = _survey(year)
    q = staff.questionnaire_of(survey)
    frame = scores.frame(staff.respondents(survey), q)
    result = scores.published(scores.score(frame, q, current_app.config["STAFF_MIN_GROUP"]), frame, q, year)
    for path in score_files.write(result, out):
        click.echo(f"Wrote {path}")
    click.echo(
        "organisations.csv and the Organisations sheet are for the coordinating body only: not for "
        "publication. The other tables withhold what everyone may not see."
    )
    click.echo(
        f"{len(frame)} counted responses from {len(result['organisations'])} organisations"
        + (f"; a preview: the survey is open until {survey.closes_at:%d %B %Y}" if survey.is_open() else "")
    )


@staff_group.command("reorder")
@with_appcontext
def staff_reorder() -> None:
    """Rewrite the staff survey's responses and comments in the order of their random ids, as the
    worker does each night, so that where a row is stored says nothing of when it came."""
    jobs.reorder_staff_rows()
    click.echo("The staff survey's responses and comments are stored in the order of their random ids")


# ---------------------------------------------------------------- retention


@click.group("retention")
def retention_group() -> None:
    """Personal data deleted RETENTION_MONTHS after a cycle's final edition (the worker does it nightly)."""


@retention_group.command("apply")
@click.option("--dry-run", is_flag=True, help="List what would be deleted, and delete nothing.")
@with_appcontext
def retention_apply(dry_run: bool) -> None:
    """Delete the personal data that has passed its time: each record is listed first."""
    months, editions = current_app.config["RETENTION_MONTHS"], Path(current_app.config["EDITIONS_FOLDER"])
    now = clock.now()
    for each, due in retention.due_dates(months):
        click.echo(
            f"{each.year}: {'due since' if due <= now else 'due on'} {due:%d %B %Y} "
            f"({months} months after its final edition)"
        )
    items = retention.plan(now, months, editions)
    for item in items:
        click.echo(item.line())
    if dry_run or not items:
        click.echo(
            f"{len(items)} record{'s' * (len(items) != 1)} hold personal data past its time"
            + ("; nothing was deleted (dry run)" if dry_run else "")
        )
        return
    with writing():
        files = retention.apply(items, CLI_ACTOR, editions)
    retention.rewrite(files)
    click.echo(f"Deleted the personal data of {len(items)} record{'s' * (len(items) != 1)}")


if __name__ == "__main__":  # last, so that every command above is defined (serve runs its worker this way)
    main()
