"""The ``healthcheck`` command: every operation on the platform, from the shell.

``healthcheck db upgrade`` (Flask-Migrate) applies migrations; ``healthcheck demo`` loads a demo
cycle and prints links; ``healthcheck serve`` serves the app; ``healthcheck codebook`` prints
the questionnaire contract.
"""
from __future__ import annotations

import csv
import os
import sys
from pathlib import Path
from datetime import datetime, timedelta, timezone

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

import forms
from forms.codebook import codebook_rows

from . import create_app, data, mail, transfer
from .extensions import db
from .models import Role
from .priority import BUILD_NICE, GiveWay, lower_priority, pace_for

DEMO_FILE = Path(__file__).resolve().parent.parent / "demo" / "organisations.csv"



def main() -> None:
    cli = FlaskGroup(create_app=lambda: create_app(), help=__doc__, add_version_option=False,
                     load_dotenv=False, set_debug_flag=False)
    for command in (codebook, demo, serve, user, orgs, cycle, invite, remind, import_, template, export, links,
                    tables, report, benchmarks):
        cli.add_command(command)
    cli.main(prog_name="healthcheck")


CLI_ACTOR = data.Actor(os.environ.get("USER", "command line"), via="cli")


def _cycle(year: int):
    found = data.cycle_by_year(year)
    if found is None:
        raise click.ClickException(f"No {year} cycle. Create one with: healthcheck cycle create --year {year} ...")
    return found


def _dataset(year: int):
    """A cycle's data for the national outputs, read in one transaction that is then closed:
    the tables, report and benchmarks need nothing more from the database, and holding the
    transaction for the minutes they take would keep its snapshot (on PostgreSQL an idle
    transaction holds back vacuum; on SQLite it keeps the log from being checkpointed)."""
    dataset = data.dataset_for(_cycle(year))
    db.session.close()
    return dataset


def _date(text: str, end_of_day: bool = False) -> datetime:
    from .form_fields import LONDON
    try:
        day = datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date like 2017-12-15") from None
    moment = day.replace(hour=23, minute=59, second=59) if end_of_day else day
    return moment.replace(tzinfo=LONDON).astimezone(timezone.utc)


def _report_errors(errors, what: str) -> None:
    for error in errors[:200]:
        click.echo(f"  {error}", err=True)
    if len(errors) > 200:
        click.echo(f"  ... and {len(errors) - 200} more", err=True)
    raise click.ClickException(f"{len(errors)} problem{'s' if len(errors) != 1 else ''} found: {what}")


def _questionnaire_for(year: int | None, questionnaire: str | None) -> forms.Questionnaire:
    if questionnaire:
        qid, _, version = questionnaire.partition("@")
        return forms.load(qid, version)
    cycle = data.cycle_by_year(year)
    if cycle is not None:
        return data.questionnaire_for(cycle)
    # No such cycle in the database: fall back to the questionnaire of that year, if one exists.
    matches = [(qid, v) for qid, v in forms.available() if v.startswith(f"{year}.")]
    if not matches:
        raise click.ClickException(f"No cycle or questionnaire for {year}. Known: "
                                   + ", ".join(f"{q}@{v}" for q, v in forms.available()))
    return forms.load(*matches[-1])


@click.command()
@click.option("--cycle", "year", type=int, help="The cycle's year, e.g. 2017.")
@click.option("--questionnaire", help="Or a questionnaire as id@version, e.g. health-check@2017.1.")
@click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text", show_default=True)
@with_appcontext
def codebook(year, questionnaire, fmt):
    """Print every answer column: id, wording, type, options and routing."""
    if not year and not questionnaire:
        raise click.UsageError("Give --cycle YEAR or --questionnaire ID@VERSION.")
    q = _questionnaire_for(year, questionnaire)
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
            section = q.section(current)
            click.echo(click.style(section.heading, bold=True))
        click.echo(f"  {row['column']}  [{row['type']}]  {row['question']}")
        for key in ("options", "constraints", "routing"):
            if row[key]:
                click.echo(f"      {key}: {row[key]}")
    click.echo("")


@click.command()
@click.option("--year", default=2017, show_default=True)
@click.option("--days-open", default=60, show_default=True, help="Days from now until the demo cycle closes.")
@click.option("--blank", default=5, show_default=True,
              help="How many organisations (first by name) are left to fill in; the rest get synthetic "
                   "submitted returns, so the national tables have something to show.")
@with_appcontext
def demo(year, days_open, blank):
    """Load the demo register and cycle, print a fresh link per organisation and a coordinator sign-in."""
    import secrets

    from .auth import create_user

    now = datetime.now(timezone.utc)
    questionnaire = forms.load("health-check", f"{year}.1")
    errors, added, updated = transfer.import_organisations(transfer.read_rows(DEMO_FILE), CLI_ACTOR)
    if errors:
        _report_errors(errors, str(DEMO_FILE))
    cycle = data.cycle_by_year(year)
    if cycle is None:
        cycle = data.create_cycle(year, questionnaire, now - timedelta(days=1), now + timedelta(days=days_open),
                                  CLI_ACTOR)
    else:
        cycle.closes_at = max(cycle.closes_at, now + timedelta(days=days_open))
    links = [(org.name, data.issue_link(cycle, org)) for org in data.organisations()]
    import random

    from forms.synthetic import answers as synthetic_answers
    for index, org in enumerate(data.organisations()):
        response = data.response_for(cycle.id, org.id)
        if index >= blank and response.status == "not_started":
            data.store_submitted(response, synthetic_answers(questionnaire, random.Random(index), org.name),
                                 CLI_ACTOR, questionnaire, action="demo")
    password = secrets.token_urlsafe(12)
    from .models import User
    from sqlalchemy import select
    existing = db.session.scalar(select(User).where(User.email == "coordinator@example.org"))
    if existing is None:
        create_user("coordinator@example.org", "Demo Coordinator", Role.COORDINATOR.value, password)
    else:
        from werkzeug.security import generate_password_hash
        existing.password_hash = generate_password_hash(password, method="scrypt")
    db.session.commit()
    base = current_app.config["BASE_URL"].rstrip("/")
    click.echo(f"Demo cycle {year} is open until {cycle.closes_at:%d %B %Y}; {len(links)} organisations, "
               f"all but {blank} with a synthetic submitted return. Employer links (new each run):")
    for name, token in links:
        click.echo(f"  {name}:\n    {base}/start/{token}")
    click.echo(f"\nCoordinator: {base}/admin/sign-in  email coordinator@example.org  password {password}")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def serve(host, port):
    """Serve the app for development and demos (production runs under gunicorn)."""
    from werkzeug.serving import run_simple

    click.echo(f"Serving on http://{host}:{port}/ (Ctrl+C to stop)")
    run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)


# ---------------------------------------------------------------- accounts

@click.group()
def user():
    """Coordinator and viewer accounts."""


@user.command("add")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@with_appcontext
def user_add(email, name, role, password_stdin):
    """Create an account. The password is asked for twice unless --password-stdin is given."""
    from .auth import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        create_user(email, name, role, password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    except Exception as exc:  # a duplicate email: the unique constraint says so
        db.session.rollback()
        if "unique" in str(exc).lower() or "duplicate" in str(exc).lower():
            raise click.ClickException(f"There is already an account for {email}") from None
        raise
    click.echo(f"Created {role} {email}")


# ---------------------------------------------------------------- the register

@click.group()
def orgs():
    """The register of organisations."""


@orgs.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file; write nothing.")
@with_appcontext
def orgs_import(path, dry_run):
    """Add or update organisations from a CSV or XLSX file (columns: name, authority_type, ons_code,
    region, contact_email). Nothing is written unless every row is valid."""
    errors, added, updated = transfer.import_organisations(transfer.read_rows(path), CLI_ACTOR, dry_run=dry_run)
    if errors:
        _report_errors(errors, "nothing was imported")
    click.echo("File is valid; nothing written (--dry-run)" if dry_run else f"{added} added, {updated} updated")


# ---------------------------------------------------------------- cycles

@click.group()
def cycle():
    """Collection cycles."""


@cycle.command("create")
@click.option("--year", type=int, required=True)
@click.option("--questionnaire", required=True, help="id@version, e.g. health-check@2017.1")
@click.option("--opens", required=True, help="YYYY-MM-DD")
@click.option("--closes", required=True, help="YYYY-MM-DD (the end of that day, UK time)")
@with_appcontext
def cycle_create(year, questionnaire, opens, closes):
    """Create a cycle for a year from a questionnaire version."""
    if data.cycle_by_year(year):
        raise click.ClickException(f"There is already a {year} cycle")
    qid, _, version = questionnaire.partition("@")
    try:
        q = forms.load(qid, version)
    except KeyError as exc:
        raise click.ClickException(str(exc)) from None
    data.create_cycle(year, q, _date(opens), _date(closes, end_of_day=True), CLI_ACTOR)
    db.session.commit()
    click.echo(f"Created the {year} cycle ({q.key})")


@cycle.command("rollover")
@click.option("--from", "from_year", type=int, required=True)
@click.option("--questionnaire", help="id@version for the new cycle (default: the same as the old one)")
@click.option("--opens", required=True)
@click.option("--closes", required=True)
@with_appcontext
def cycle_rollover(from_year, questionnaire, opens, closes):
    """Create next year's cycle from this one: same organisations and populations, new links at invitation."""
    old = _cycle(from_year)
    if data.cycle_by_year(from_year + 1):
        raise click.ClickException(f"There is already a {from_year + 1} cycle")
    qid, _, version = (questionnaire or f"{old.questionnaire_id}@{old.questionnaire_version}").partition("@")
    new = data.create_cycle(from_year + 1, forms.load(qid, version), _date(opens), _date(closes, end_of_day=True),
                            CLI_ACTOR, previous=old)
    db.session.commit()
    click.echo(f"Created the {new.year} cycle from {from_year}")


# ---------------------------------------------------------------- invitations and reminders

def _send(year: int, kind: str, statuses: set[str], retry_failed: bool) -> None:
    target_cycle = _cycle(year)
    if retry_failed:
        sends = mail.failed_sends(target_cycle)
        with click.progressbar(length=len(sends), label=f"Retrying failed emails: {len(sends)}") as bar:
            counts = mail.retry(target_cycle, sends, CLI_ACTOR, progress=lambda org: bar.update(1))
    else:
        targets = [r.organisation for r in data.tracking(target_cycle) if r.status in statuses]
        with click.progressbar(length=len(targets), label=f"Sending {kind}s: {len(targets)}") as bar:
            counts = mail.send_batch(target_cycle, kind, targets, CLI_ACTOR, progress=lambda org: bar.update(1))
    click.echo(f"{counts['sent']} sent, {counts['failed']} failed")
    for send in mail.failed_sends(target_cycle):
        click.echo(f"  failed: {send.organisation.name} <{send.to_address or 'no address'}>: {send.error}", err=True)


@click.command()
@click.option("--cycle", "year", type=int, required=True)
@click.option("--all", "everyone", is_flag=True, help="Invite every organisation again (new links replace old).")
@click.option("--retry-failed", is_flag=True, help="Resend the emails that failed.")
@with_appcontext
def invite(year, everyone, retry_failed):
    """Email each organisation not yet invited a link to its return."""
    statuses = set(data.STATUS_LABELS) - {"submitted"} if everyone else {"not_invited"}
    _send(year, "invitation", statuses, retry_failed)


@click.command()
@click.option("--cycle", "year", type=int, required=True)
@click.option("--not-submitted", is_flag=True, required=True, help="Remind those who have not submitted.")
@with_appcontext
def remind(year, not_submitted):
    """Email a reminder, with a fresh link, to every organisation that has not submitted."""
    _send(year, "reminder", {"invited", "not_started", "in_progress", "reopened"}, False)


@click.command()
@click.option("--cycle", "year", type=int, required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def links(year, out):
    """Write a CSV of fresh links for a mail merge (earlier links keep working)."""
    target = _cycle(year)
    rows = []
    for org in data.organisations():
        rows.append([org.name, org.authority_type, org.contact_email or "",
                     mail.link_url(data.issue_link(target, org, revoke_existing=False))])
    data.audit(CLI_ACTOR, "links_export", detail={"cycle": year, "links": len(rows)})
    db.session.commit()
    transfer._write_csv(out, ["organisation", "authority_type", "contact_email", "link"], rows)
    click.echo(f"{len(rows)} links written to {out}")


# ---------------------------------------------------------------- returns in and out

@click.command("import")
@click.option("--cycle", "year", type=int, required=True)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite returns that already exist.")
@click.option("--dry-run", is_flag=True, help="Validate every cell; write nothing.")
@with_appcontext
def import_(year, path, replace, dry_run):
    """Import returns from CSV or XLSX: one row per organisation, columns named by the codebook.
    Nothing is written unless every row is valid; imported returns are marked submitted."""
    target = _cycle(year)
    rows = transfer.read_rows(path)
    click.echo(f"Validating {len(rows)} rows of {path.name}")
    with click.progressbar(length=len(rows), label="Importing returns", hidden=dry_run) as bar:
        result = transfer.import_returns(target, rows, CLI_ACTOR, replace=replace, dry_run=dry_run,
                                         progress=bar.update)
    if result.errors:
        _report_errors(result.errors, "nothing was imported")
    click.echo("All rows valid; nothing written (--dry-run)" if dry_run else f"{result.written} returns imported")


@click.command()
@click.option("--cycle", "year", type=int, required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="returns.csv (with returns-codebook.csv beside it) or returns.xlsx (a codebook sheet)")
@with_appcontext
def template(year, out):
    """Write an empty import file with the codebook's columns."""
    for path in transfer.write_template(_cycle(year), out):
        click.echo(f"Wrote {path}")


@click.command()
@click.option("--cycle", "year", type=int, required=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--include-drafts", is_flag=True, help="Also returns never submitted (their current answers).")
@with_appcontext
def export(year, fmt, out, include_drafts):
    """Write the raw returns, one row per organisation, in the import's columns, plus the codebook."""
    for path in transfer.write_export(_cycle(year), fmt, out, include_drafts):
        click.echo(f"Wrote {path}")


# ---------------------------------------------------------------- national outputs

@click.command()
@click.option("--cycle", "year", type=int, required=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@with_appcontext
def tables(year, out):
    """Write the national tables: tables.json, one CSV per table, tables.xlsx, and the figures' charts."""
    from aggregation import charts, outputs
    from aggregation.tables import compute

    dataset = _dataset(year)
    computed = compute(dataset, threshold=current_app.config["PUBLICATION_MIN_GROUP"])
    written = outputs.write(year, computed, out)
    figures = [t for t in computed if t["number"].startswith("Figure")]
    with click.progressbar(figures, label="Drawing figures") as bar:
        for table in bar:
            written += charts.write(table, out)
    click.echo(f"{len(computed)} tables from {len(dataset.returns)} returns; {len(written)} files in {out}")


@click.command()
@click.option("--cycle", "year", type=int, required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def report(year, out):
    """Write the national report as a PDF."""
    from aggregation.report import national_report

    dataset = _dataset(year)
    pdf = national_report(dataset, threshold=current_app.config["PUBLICATION_MIN_GROUP"],
                          service=current_app.config["SERVICE_NAME"])
    out.write_bytes(pdf)
    click.echo(f"Wrote {out} ({len(pdf) // 1024} KB) from {len(dataset.returns)} returns")


def build_processes(requested: int | None, nice: int, cores: int) -> int:
    """How many processes build the benchmarks: as asked, else one per core, less one when the
    build gives way to a web server (--nice above 0). Two building processes on a two-core
    machine held pages back by 2-4 ms at the slowest 1 %, even at SCHED_IDLE, because the
    kernel does not interrupt a process's own system work; one left pages as fast as with no
    build at all (docs/performance.md)."""
    if requested:
        return requested
    return max(1, cores - 1) if nice else cores


@click.command()
@click.option("--cycle", "year", type=int, required=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--processes", type=click.IntRange(1), default=None,
              help="Worker processes (default: one per core, less one when --nice is above 0, so a web "
                   "server on the same machine keeps a core of its own).")
@click.option("--nice", type=click.IntRange(0, 19), default=BUILD_NICE, show_default=True,
              help="Lower the build's CPU priority to this nice value, so a web server on the same machine answers "
                   "people first (0: no change). At 19 the build also runs only on CPU time nobody else wants, "
                   "where the system offers that (on Linux: SCHED_IDLE, and a pause whenever another program is "
                   "waiting for a CPU).")
@with_appcontext
def benchmarks(year, out, processes, nice):
    """Write every employer's benchmark, PDF and CSV, using several processes."""
    from contextlib import nullcontext

    lower_priority(nice)  # the worker processes inherit it
    pace = pace_for(nice)
    with (pace or nullcontext)():  # the imports and the read take a second or two of CPU too
        from aggregation.batch import build_all

        processes = build_processes(processes, nice, os.cpu_count() or 1)
        dataset = _dataset(year)
    click.echo(f"Building {len(dataset.returns)} benchmarks in {processes} process{'es' * (processes > 1)}")
    # With worker processes (each giving way itself) this one only waits for them: its own
    # checks would cost CPU for nothing.
    waiting = GiveWay.resting() if processes > 1 else nullcontext()
    with click.progressbar(length=len(dataset.returns), label="Building benchmarks") as bar, waiting:
        count = build_all(dataset, out, current_app.config["BENCHMARK_MIN_GROUP"], processes,
                          current_app.config["SERVICE_NAME"], progress=lambda name: bar.update(1), pace=pace)
    click.echo(f"{count} benchmarks written to {out}")
