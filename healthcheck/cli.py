"""The ``healthcheck`` command: every operation on the platform, from the shell.

``healthcheck db upgrade`` (Flask-Migrate) applies migrations; ``healthcheck demo`` loads a demo
cycle and prints links; ``healthcheck serve`` serves the app; ``healthcheck codebook`` prints
the questionnaire contract.
"""
from __future__ import annotations

import csv
import sys
from datetime import datetime, timedelta, timezone

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

import forms
from forms.rules import describe

from . import create_app, data
from .extensions import db
from .models import AuthorityType, Cycle, Organisation

DEMO_ORGANISATIONS = [
    ("Northmoor County Council", AuthorityType.SHIRE_COUNTY, "Eastern"),
    ("London Borough of Eastwick", AuthorityType.LONDON_BOROUGH, "London"),
    ("Kelvingate Metropolitan Borough Council", AuthorityType.METROPOLITAN_DISTRICT, "North West"),
    ("Ashby Vale Council", AuthorityType.UNITARY_AUTHORITY, "South West"),
    ("Fernbridge Partnership NHS Foundation Trust", AuthorityType.NHS_TRUST, "Yorkshire and the Humber"),
]


def main() -> None:
    cli = FlaskGroup(create_app=lambda: create_app(), help=__doc__, add_version_option=False,
                     load_dotenv=False, set_debug_flag=False)
    for command in (codebook, demo, serve):
        cli.add_command(command)
    cli.main(prog_name="healthcheck")


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


def codebook_rows(q: forms.Questionnaire) -> list[dict]:
    def label_of(qid, value):
        try:
            return q.question(qid).option_label(str(value))
        except KeyError:
            return value

    rows = []
    for section in q.sections:
        for question in section.questions:
            constraints = []
            if question.type == "number":
                constraints.append(f"whole number {question.min}-{question.max}")
                if question.at_most:
                    constraints.append(f"at most {question.at_most}")
                if question.not_applicable:
                    constraints.append(f'"{forms.NOT_APPLICABLE}" = {question.not_applicable}')
            if question.type == "text":
                constraints.append(f"up to {question.max_length} characters")
                if question.format:
                    constraints.append(question.format)
            if question.required:
                constraints.append("required")
            if any(o.exclusive for o in question.options):
                constraints.append("exclusive: " + ", ".join(o.value for o in question.options if o.exclusive))
            rows.append({
                "column": question.id, "section": section.id, "standard": section.standard or "",
                "type": question.type, "question": question.label,
                "options": "; ".join(f"{o.value}={o.label}" for o in question.options),
                "constraints": "; ".join(constraints),
                "routing": ("asked if " + describe(question.when, label_of)) if question.when else "",
            })
            if question.other_id:
                spec = question.specify_option
                rows.append({
                    "column": question.other_id, "section": section.id, "standard": section.standard or "",
                    "type": "text", "question": f"{question.label} – {spec.label}",
                    "options": "", "constraints": "up to 500 characters",
                    "routing": f'asked if {question.id} includes "{spec.label}"',
                })
    return rows


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
@with_appcontext
def demo(year, days_open):
    """Load a demo cycle with fictional organisations and print a fresh link for each."""
    now = datetime.now(timezone.utc)
    version = f"{year}.1"
    forms.load("health-check", version)  # fail early if the questionnaire is missing
    cycle = data.cycle_by_year(year)
    if cycle is None:
        cycle = Cycle(year=year, questionnaire_id="health-check", questionnaire_version=version,
                      opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=days_open))
        db.session.add(cycle)
    else:
        cycle.closes_at = max(cycle.closes_at, now + timedelta(days=days_open))
    links = []
    for name, kind, region in DEMO_ORGANISATIONS:
        org = data.organisation_by_name(name)
        if org is None:
            org = Organisation(name=name, authority_type=kind.value, region=region)
            db.session.add(org)
            db.session.flush()
        links.append((org.name, data.issue_link(cycle, org)))
    db.session.commit()
    base = current_app.config["BASE_URL"].rstrip("/")
    click.echo(f"Demo cycle {year} is open until {cycle.closes_at:%d %B %Y}. Links (new each run):")
    for name, token in links:
        click.echo(f"  {name}:\n    {base}/start/{token}")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def serve(host, port):
    """Serve the app for development and demos (production runs under gunicorn)."""
    from werkzeug.serving import run_simple

    click.echo(f"Serving on http://{host}:{port}/ (Ctrl+C to stop)")
    run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)
