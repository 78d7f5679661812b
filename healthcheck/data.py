"""The data-access layer: every query the views and commands make lives here."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import JSON, bindparam, case, delete, func, insert, select, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import contains_eager
from sqlalchemy.sql.functions import FunctionElement

import forms
from forms.rules import prune

from .extensions import db
from .models import (RAG, AccessLink, Action, ActionUpdate, Answer, AuditEvent, AuthorityType, Coding,
                     CodingCategory, CommentReview, Cycle, CycleDates, CyclePopulation, EmailSend, Organisation,
                     Response, ResponseStatus, ReturnDeadline, SectionState, SubmittedVersion, utcnow)

@dataclass(frozen=True)
class Actor:
    """Who did something: a person's name, and how they got in (for the audit trail)."""

    name: str
    via: str = ""

    def __str__(self) -> str:
        return f"{self.name} ({self.via})" if self.via else self.name


EDITABLE = (ResponseStatus.NOT_STARTED.value, ResponseStatus.IN_PROGRESS.value, ResponseStatus.REOPENED.value)


# ---------------------------------------------------------------- access links

def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_link(cycle: Cycle, organisation: Organisation, *, revoke_existing: bool = True) -> str:
    """Create a link for an organisation's return; returns the token (shown once, stored hashed)."""
    now = utcnow()
    if revoke_existing:
        db.session.execute(
            update(AccessLink)
            .where(AccessLink.cycle_id == cycle.id, AccessLink.organisation_id == organisation.id,
                   AccessLink.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    token = secrets.token_urlsafe(32)
    db.session.add(AccessLink(cycle_id=cycle.id, organisation_id=organisation.id, token_hash=hash_token(token),
                              created_at=now))
    return token


def find_link(token: str) -> AccessLink | None:
    """The link for a token, revoked or not (the caller tells the person which)."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(AccessLink).where(AccessLink.token_hash == hash_token(token)))


# The statements every page and save of a return runs are built once: building a statement
# took as long as running it (docs/performance.md).
_LINK = (select(AccessLink, Response)
         .join(AccessLink.cycle).join(AccessLink.organisation)
         .options(contains_eager(AccessLink.cycle), contains_eager(AccessLink.organisation))
         .outerjoin(Response, (Response.cycle_id == AccessLink.cycle_id)
                    & (Response.organisation_id == AccessLink.organisation_id))
         .where(AccessLink.id == bindparam("link_id")))


def get_link(link_id: int) -> tuple[AccessLink, Response] | None:
    """A live link with its cycle, organisation and return, in one query: every page of a
    return needs all four. The return is created if the link has never been used."""
    row = db.session.execute(_LINK, {"link_id": link_id}).first()
    if row is None or row[0].revoked_at is not None:
        return None
    link, response = row
    return link, response or response_for(link.cycle_id, link.organisation_id)


class Snapshot:
    """A read-only copy of one row, with its model's own methods (through the same mixins),
    for the pages of a return that only read: an employer's GET. Loading the link, its cycle,
    organisation and return as ORM objects cost 175 µs more than reading the same row and
    copying it (a fifth of a questionnaire page; docs/performance.md). A copy is in no
    session: anything not copied is an AttributeError, never a quiet load, and a change is
    refused rather than silently not saved."""

    table = None  # the model's table; ``columns`` its column names, in the table's order
    columns: tuple[str, ...] = ()

    @classmethod
    def of(cls, values) -> "Snapshot":
        copy = object.__new__(cls)
        copy.__dict__.update(zip(cls.columns, values))
        return copy

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is a read-only copy: change the row through the session")


def _snapshot_class(model, *mixins) -> type[Snapshot]:
    columns = tuple(column.key for column in model.__table__.columns)
    return type(f"{model.__name__}Snapshot", (*mixins, Snapshot), {"columns": columns, "table": model.__table__})


LinkSnapshot = _snapshot_class(AccessLink)
CycleSnapshot = _snapshot_class(Cycle, CycleDates)
OrganisationSnapshot = _snapshot_class(Organisation)
ResponseSnapshot = _snapshot_class(Response, ReturnDeadline)
_COPIED = (LinkSnapshot, CycleSnapshot, OrganisationSnapshot, ResponseSnapshot)
# Every column of the four tables, in the order the copies are cut from the row.
_LINK_ROW = (select(*(column for kind in _COPIED for column in kind.table.columns))
             .select_from(AccessLink.__table__.join(Cycle.__table__).join(Organisation.__table__)
                          .outerjoin(Response.__table__, (Response.cycle_id == AccessLink.cycle_id)
                                     & (Response.organisation_id == AccessLink.organisation_id)))
             .where(AccessLink.id == bindparam("link_id")))


def read_link(link_id: int) -> tuple[AccessLink, Response] | None:
    """``get_link`` for a page that only reads: the same four rows as read-only copies
    (``Snapshot``), or the ORM objects when the return has yet to be created."""
    found = _copies(_core(_LINK_ROW, {"link_id": link_id}).first(), link_id)
    return found and found[:2]


def read_page(link_id: int, section_id: str) -> tuple[AccessLink, Response, dict, int] | None:
    """``read_link`` for one page of a return, with what ``page_state`` gives (the return's
    answers and the page's version) read in the same statement: one round trip to the
    database instead of two (docs/performance.md)."""
    found = _copies(_core(_PAGE_ROW, {"link_id": link_id, "section_id": section_id}).first(), link_id)
    if found is None:
        return None
    link, response, extra = found  # no extra columns: the return was created just now
    return link, response, *_state(*(extra or (0, {})))


def _copies(row, link_id: int) -> tuple[AccessLink, Response, tuple | None] | None:
    """The link and its return from a row of ``_LINK_ROW``'s columns (and any after them, given
    back as they are), or None for a link that is unknown or revoked."""
    if row is None:
        return None
    copies, start = [], 0
    for kind in _COPIED:
        copies.append(kind.of(row[start:start + len(kind.columns)]))
        start += len(kind.columns)
    link, cycle, organisation, response = copies
    if link.revoked_at is not None:
        return None
    if response.id is None:
        return (*get_link(link_id), None)
    for copy in (link, response):
        copy.__dict__.update(cycle=cycle, organisation=organisation)
    return link, response, tuple(row[start:])


def touch_link(link: AccessLink) -> None:
    link.last_used_at = utcnow()
    db.session.commit()


# ---------------------------------------------------------------- cycles and organisations

def cycle_by_year(year: int) -> Cycle | None:
    return db.session.scalar(select(Cycle).where(Cycle.year == year))


def questionnaire_for(cycle: Cycle) -> forms.Questionnaire:
    return forms.load(cycle.questionnaire_id, cycle.questionnaire_version)


def organisation_by_name(name: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(func.lower(Organisation.name) == name.strip().lower()))


def organisation_index() -> tuple[dict[str, Organisation], dict[str, Organisation]]:
    """Every organisation by lower-case name and by upper-case ONS code, for matching file rows."""
    everyone = list(db.session.scalars(select(Organisation)))
    return ({o.name.strip().lower(): o for o in everyone},
            {o.ons_code.strip().upper(): o for o in everyone if o.ons_code})


def response_statuses(cycle: Cycle) -> dict[int, str]:
    """Each organisation's return status in a cycle, for returns that exist."""
    return dict(db.session.execute(select(Response.organisation_id, Response.status)
                                   .where(Response.cycle_id == cycle.id)).all())


def organisations(include_retired: bool = False) -> list[Organisation]:
    stmt = select(Organisation).order_by(Organisation.name)
    if not include_retired:
        stmt = stmt.where(Organisation.retired_at.is_(None))
    return list(db.session.scalars(stmt))


def cycles() -> list[Cycle]:
    return list(db.session.scalars(select(Cycle).order_by(Cycle.year.desc())))


def latest_cycle() -> Cycle | None:
    return db.session.scalar(select(Cycle).order_by(Cycle.year.desc()).limit(1))


def audit(actor: "Actor", action: str, *, response_id: int | None = None, detail: dict | None = None,
          note: str | None = None) -> None:
    """Record a change in the audit trail (committed with the change it describes)."""
    db.session.add(AuditEvent(actor=str(actor), action=action, response_id=response_id, detail=detail, note=note))


# ---------------------------------------------------------------- populations (Table 1's denominators)

# Councils with social services responsibilities in England, as counted in the 2017 report.
DEFAULT_POPULATIONS = {
    AuthorityType.SHIRE_COUNTY.value: 27, AuthorityType.LONDON_BOROUGH.value: 33,
    AuthorityType.METROPOLITAN_DISTRICT.value: 36, AuthorityType.UNITARY_AUTHORITY.value: 55,
}
COUNCIL_TYPES = [t.value for t in (AuthorityType.SHIRE_COUNTY, AuthorityType.LONDON_BOROUGH,
                                   AuthorityType.METROPOLITAN_DISTRICT, AuthorityType.UNITARY_AUTHORITY)]


def populations(cycle: Cycle) -> dict[str, int]:
    rows = db.session.scalars(select(CyclePopulation).where(CyclePopulation.cycle_id == cycle.id))
    return {r.authority_type: r.population for r in rows}


def set_populations(cycle: Cycle, values: dict[str, int | None]) -> None:
    db.session.execute(delete(CyclePopulation).where(CyclePopulation.cycle_id == cycle.id))
    db.session.add_all(CyclePopulation(cycle_id=cycle.id, authority_type=t, population=n)
                       for t, n in values.items() if n is not None)


# ---------------------------------------------------------------- cycles

def create_cycle(year: int, questionnaire: forms.Questionnaire, opens_at: datetime, closes_at: datetime,
                 actor: "Actor", previous: Cycle | None = None) -> Cycle:
    cycle = Cycle(year=year, questionnaire_id=questionnaire.id, questionnaire_version=questionnaire.version,
                  opens_at=opens_at, closes_at=closes_at, previous_cycle_id=previous.id if previous else None)
    db.session.add(cycle)
    db.session.flush()
    set_populations(cycle, populations(previous) if previous else DEFAULT_POPULATIONS)
    audit(actor, "cycle_create", detail={"year": year, "questionnaire": questionnaire.key,
                                         "previous": previous.year if previous else None})
    return cycle


def extend_deadline(response: Response, closes_at: datetime, actor: "Actor") -> None:
    response.closes_at_override = closes_at
    audit(actor, "extend_deadline", response_id=response.id, detail={"closes_at": closes_at.isoformat()})
    db.session.commit()


# ---------------------------------------------------------------- tracking

@dataclass
class TrackingRow:
    organisation: Organisation
    status: str
    last_activity: datetime | None
    response: Response | None
    last_email: EmailSend | None


STATUS_LABELS = {"not_invited": "Not invited", "invited": "Invited", "not_started": "Not started",
                 "in_progress": "In progress", "submitted": "Submitted", "reopened": "Reopened"}


def tracking(cycle: Cycle) -> list[TrackingRow]:
    """Every active organisation's progress in the cycle, from four set-based queries."""
    orgs = organisations()
    responses = {r.organisation_id: r for r in db.session.scalars(select(Response).where(Response.cycle_id == cycle.id))}
    opened = dict(db.session.execute(
        select(AccessLink.organisation_id, func.max(AccessLink.last_used_at))
        .where(AccessLink.cycle_id == cycle.id).group_by(AccessLink.organisation_id)).all())
    emails: dict[int, EmailSend] = {}
    for send in db.session.scalars(select(EmailSend).where(EmailSend.cycle_id == cycle.id).order_by(EmailSend.id)):
        emails[send.organisation_id] = send
    invited = set(db.session.scalars(select(EmailSend.organisation_id).where(
        EmailSend.cycle_id == cycle.id, EmailSend.outcome == "sent")))
    rows = []
    for org in orgs:
        response = responses.get(org.id)
        if response is not None and response.status != ResponseStatus.NOT_STARTED.value:
            status = response.status
        elif opened.get(org.id):
            status = "not_started"
        elif org.id in invited:
            status = "invited"
        else:
            status = "not_invited"
        moments = [m for m in (response.updated_at if response else None, opened.get(org.id),
                               emails[org.id].attempted_at if org.id in emails else None) if m]
        moments = [m.replace(tzinfo=timezone.utc) if m.tzinfo is None else m for m in moments]
        rows.append(TrackingRow(org, status, max(moments) if moments else None, response, emails.get(org.id)))
    return rows


@dataclass
class RateRow:
    group: str
    responses: int
    population: int | None

    @property
    def percent(self) -> float | None:
        return 100 * self.responses / self.population if self.population else None


def response_rates(cycle: Cycle, rows: list[TrackingRow] | None = None) -> list[RateRow]:
    """Table 1: returns received (submitted at least once) by authority type, against the population."""
    rows = rows if rows is not None else tracking(cycle)
    pops = populations(cycle)
    received: dict[str, int] = {}
    for row in rows:
        if row.status in (ResponseStatus.SUBMITTED.value, ResponseStatus.REOPENED.value):
            received[row.organisation.authority_type] = received.get(row.organisation.authority_type, 0) + 1
    table = [RateRow(t, received.get(t, 0), pops.get(t)) for t in COUNCIL_TYPES]
    table.append(RateRow("Total (councils)", sum(r.responses for r in table),
                         sum(r.population for r in table if r.population) or None))
    for other in (AuthorityType.NHS_TRUST.value, AuthorityType.OTHER.value):
        if received.get(other) or pops.get(other):
            table.append(RateRow(other, received.get(other, 0), pops.get(other)))
    return table


# ---------------------------------------------------------------- responses

def response_for(cycle_id: int, organisation_id: int, commit: bool = True) -> Response:
    """The organisation's return for the cycle, created on first use (safely under concurrency).

    ``commit=False`` keeps the creation inside the caller's transaction (an import, which must
    write everything or nothing)."""
    stmt = select(Response).where(Response.cycle_id == cycle_id, Response.organisation_id == organisation_id)
    found = db.session.scalar(stmt)
    if found:
        return found
    if commit:
        # End the read first: on SQLite a transaction that read and then writes fails at once if
        # another writer committed in between; a fresh one waits for the lock instead.
        db.session.commit()
    _insert_ignore(Response, cycle_id=cycle_id, organisation_id=organisation_id,
                   status=ResponseStatus.NOT_STARTED.value, version=0, created_at=utcnow())
    if commit:
        db.session.commit()
    return db.session.scalar(stmt)


def _insert_ignore(model, **values) -> None:
    """INSERT ... ON CONFLICT DO NOTHING, on SQLite and PostgreSQL alike."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(model).values(**values).on_conflict_do_nothing())


class answers_object(FunctionElement):
    """Every answer of a return, as one JSON object of question id → value (``answers_of``).

    One value for the database to build and the driver to parse instead of a row for each
    answer: reading a return of 44 answers with its link took 0.26 ms this way against 0.50 ms
    on PostgreSQL, and 0.07 ms against 0.15 ms on SQLite (docs/performance.md)."""

    type = JSON()
    inherit_cache = True


@compiles(answers_object)  # SQLite, whose JSON is text: json() keeps each value a value, not a string
def _answers_object_sqlite(element, compiler, **kw):
    question_id, value = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"json_group_object({question_id}, json({value}))"


@compiles(answers_object, "postgresql")
def _answers_object_postgresql(element, compiler, **kw):
    return f"json_object_agg({compiler.process(element.clauses, **kw)})"


def _answers_of(response_id) -> object:
    """The answers of the return ``response_id`` (a column or a parameter) as one JSON value:
    an object, or NULL on PostgreSQL when there are none."""
    return (select(answers_object(Answer.question_id, Answer.value))
            .where(Answer.response_id == response_id).scalar_subquery())


_ANSWERS = select(_answers_of(bindparam("response_id")))


def _core(statement, params):
    """Run a statement on the session's connection, in its transaction, without the ORM's
    execution machinery: ``session.execute`` cost 23 µs more for a page's read than this, and
    84 µs more for an UPDATE of a mapped class (docs/performance.md). Only for what needs
    nothing of the ORM (no pending objects to flush first, no objects to load or refresh):
    reads of a return's plain rows and a save's statements."""
    return db.session.connection().execute(statement, params)


def answers_of(response_id: int) -> dict:
    return _core(_ANSWERS, {"response_id": response_id}).scalar() or {}


def section_states(response_id: int) -> dict[str, SectionState]:
    rows = db.session.scalars(select(SectionState).where(SectionState.response_id == response_id))
    return {s.section_id: s for s in rows}


def _with_page(statement):
    """``statement``, which reads a return, with the page ``section_id``'s version and the
    return's answers added to its columns."""
    return (statement.add_columns(SectionState.version, _answers_of(Response.id))
            .outerjoin(SectionState, (SectionState.response_id == Response.id)
                       & (SectionState.section_id == bindparam("section_id"))))


_PAGE = _with_page(select().select_from(Response).where(Response.id == bindparam("response_id")))
# read_page's statement: the link and its return (read_link), with the page's state.
_PAGE_ROW = _with_page(_LINK_ROW)


def page_state(response_id: int, section_id: str) -> tuple[dict, int]:
    """A return's answers and how many times one page has been saved, in one query (what a
    page needs to show itself)."""
    return _state(*(_core(_PAGE, {"response_id": response_id, "section_id": section_id}).first() or (0, {})))


def _state(version: int | None, answers: dict | None) -> tuple[dict, int]:
    """``page_state`` from a row of ``_with_page``'s two columns: a page never saved has no
    version, and a return without answers none on PostgreSQL."""
    return answers or {}, version or 0


@dataclass
class SaveResult:
    saved: bool
    state: SectionState | None = None  # on conflict: the state that won
    closed: bool = False  # the return was submitted before this save reached it


_CLAIM = (update(SectionState)
          .where(SectionState.response_id == bindparam("rid"),
                 SectionState.section_id == bindparam("sid"), SectionState.version == bindparam("expected"))
          .values(version=SectionState.version + 1, saved_at=bindparam("at"), saved_by=bindparam("by"))
          .execution_options(synchronize_session=False))
_CLEAR = (delete(Answer).where(Answer.response_id == bindparam("rid"),
                               Answer.question_id.in_(bindparam("keys", expanding=True)))
          .execution_options(synchronize_session=False))
# A save first marks its return as changed, and only while the return can still be changed:
# the check is made on the row itself, under the save's write lock, not on what was read
# before (a return submitted meanwhile refuses the save rather than being quietly reopened).
_TOUCH = (update(Response).where(Response.id == bindparam("rid"), Response.status.in_(EDITABLE))
          .values(version=Response.version + 1, updated_at=bindparam("at"),
                  status=case((Response.status == ResponseStatus.NOT_STARTED.value, ResponseStatus.IN_PROGRESS.value),
                              else_=Response.status))
          .execution_options(synchronize_session=False))


_ADD_ANSWERS = insert(Answer.__table__)
_ADD_AUDIT = insert(AuditEvent.__table__)

WRITE_LOCK = "sqlite_write_lock"  # set on a connection by the transaction's begin (healthcheck/__init__.py)


def begin_writing() -> None:
    """Hold the database's write lock from here to the commit.

    SQLite has one write lock for the whole file. A request that reads and checks a while
    before it writes (a page's save) begins with a plain BEGIN, so other writers go on while
    it does; here it trades that read snapshot for the lock (BEGIN IMMEDIATE, waiting its turn),
    committing first anything it wrote before (a return created on its first visit). Callers
    read again what they decide on. PostgreSQL locks rows as they are written: nothing to do.
    """
    connection = db.session.connection()
    if connection.dialect.name == "sqlite" and not connection.info.get(WRITE_LOCK):
        connection.exec_driver_sql("COMMIT")
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        connection.info[WRITE_LOCK] = True


def save_section(response: Response, section: forms.Section, values: dict, expected_version: int,
                 actor: Actor, questionnaire: forms.Questionnaire) -> SaveResult:
    """Store one page's answers if nobody else saved that page since ``expected_version``.

    A compare-and-set on the page's version makes concurrent saves safe across processes:
    the later of two saves from the same version is refused, never silently applied. What
    the page read before (the return, its answers) may be out of date by now: everything
    this decides on is read again from here on, with the write lock held.
    """
    now = utcnow()
    begin_writing()
    if _core(_TOUCH, {"rid": response.id, "at": now}).rowcount != 1:
        db.session.rollback()
        return SaveResult(False, closed=True)
    claim = {"rid": response.id, "sid": section.id, "expected": expected_version, "at": now, "by": actor.name}
    updated = _core(_CLAIM, claim).rowcount
    if updated == 0 and expected_version == 0:  # the page's first save: its state row may not exist yet
        _insert_ignore(SectionState, response_id=response.id, section_id=section.id, version=0)
        updated = _core(_CLAIM, claim).rowcount
    if updated != 1:
        db.session.rollback()
        state = db.session.scalar(select(SectionState).where(
            SectionState.response_id == response.id, SectionState.section_id == section.id))
        # Nobody has saved the page yet: the client claimed a version that never existed.
        return SaveResult(False, state or SectionState(response_id=response.id, section_id=section.id, version=0))

    keys = [k for q in section.questions for k in (q.id, q.other_id) if k]
    stored = answers_of(response.id)
    old = {k: stored[k] for k in keys if k in stored}
    new = {k: v for k, v in values.items() if v not in (None, "", [])}
    # Answers elsewhere that routing no longer asks are dropped too.
    everything = {k: v for k, v in stored.items() if k not in keys} | new
    kept = prune(questionnaire, everything)
    dropped = [k for k in everything if k not in kept and k not in keys]
    _core(_CLEAR, {"rid": response.id, "keys": keys + dropped})
    rows = [{"response_id": response.id, "question_id": k, "value": v} for k, v in kept.items() if k in keys]
    if rows:
        _core(_ADD_ANSWERS, rows)
    changes = {k: [old.get(k), kept.get(k)] for k in sorted(set(old) | set(new)) if old.get(k) != kept.get(k)}
    _core(_ADD_AUDIT, [{
        "at": now, "actor": str(actor), "action": "save", "response_id": response.id, "section_id": section.id,
        "detail": {"changes": changes, "dropped": dropped} if dropped else {"changes": changes}}])
    db.session.commit()
    return SaveResult(True)


def submit(response: Response, actor: Actor, questionnaire: forms.Questionnaire, *,
           commit: bool = True, answers: dict | None = None) -> SubmittedVersion:
    """Freeze the return as submitted; every submission is kept as a numbered version, and its
    open answers join the queue for redaction review."""
    now = utcnow()
    # Saves of this return wait for the submission (they lock the same row first), and the
    # answers are read after the lock, so a save that got in first is in what is submitted.
    db.session.execute(select(Response.id).where(Response.id == response.id).with_for_update())
    answers = prune(questionnaire, answers if answers is not None else answers_of(response.id))
    number = (db.session.scalar(select(func.max(SubmittedVersion.number))
                                .where(SubmittedVersion.response_id == response.id)) or 0) + 1
    version = SubmittedVersion(response_id=response.id, number=number, reference=new_reference(response.cycle.year),
                               submitted_at=now, submitted_by=actor.name, answers=answers)
    db.session.add(version)
    response.status = ResponseStatus.SUBMITTED.value
    response.submitted_at = now
    response.updated_at = now
    db.session.add(AuditEvent(at=now, actor=str(actor), action="submit", response_id=response.id,
                              detail={"version": number, "reference": version.reference}))
    sync_reviews(response, questionnaire, answers)
    if commit:
        db.session.commit()
    return version


def store_submitted(response: Response, answers: dict, actor: Actor, questionnaire: forms.Questionnaire,
                    action: str) -> None:
    """Replace one return's answers wholesale and submit it, uncommitted (demo data, tests)."""
    store_submitted_many(response.cycle, [(response.organisation, answers)], actor, questionnaire, action)
    db.session.expire(response)


IMPORT_CHUNK = 500


def store_submitted_many(cycle: Cycle, returns: list[tuple[Organisation, dict]], actor: Actor,
                         questionnaire: forms.Questionnaire, action: str,
                         progress: Callable[[int], None] | None = None) -> None:
    """Replace returns' answers wholesale and submit each one, uncommitted: what an import does.

    The effect on each return is that of someone saving every page and submitting (answers,
    page versions, a numbered submitted version, audit events, open answers queued for review),
    but written set by set, a few statements for each chunk of returns rather than dozens per
    return: 10,000 returns import in seconds (docs/performance.md).
    """
    for start in range(0, len(returns), IMPORT_CHUNK):
        chunk = returns[start:start + IMPORT_CHUNK]
        _store_chunk(cycle, chunk, actor, questionnaire, action)
        if progress:
            progress(len(chunk))


def _store_chunk(cycle: Cycle, chunk: list[tuple[Organisation, dict]], actor: Actor,
                 questionnaire: forms.Questionnaire, action: str) -> None:
    now = utcnow()
    org_ids = [org.id for org, _ in chunk]

    def existing_responses(ids):
        return {org_id: (rid, version) for org_id, rid, version in db.session.execute(
            select(Response.organisation_id, Response.id, Response.version)
            .where(Response.cycle_id == cycle.id, Response.organisation_id.in_(ids)))}

    found = existing_responses(org_ids)
    missing = [org_id for org_id in org_ids if org_id not in found]
    if missing:
        db.session.execute(insert(Response), [
            {"cycle_id": cycle.id, "organisation_id": org_id, "status": ResponseStatus.NOT_STARTED.value,
             "version": 0, "created_at": now} for org_id in missing])
        found |= existing_responses(missing)
    ids = [found[org.id][0] for org, _ in chunk]
    pruned = [prune(questionnaire, answers) for _, answers in chunk]

    states = {(rid, sid): version for rid, sid, version in db.session.execute(
        select(SectionState.response_id, SectionState.section_id, SectionState.version)
        .where(SectionState.response_id.in_(ids)))}
    numbers = dict(db.session.execute(
        select(SubmittedVersion.response_id, func.max(SubmittedVersion.number))
        .where(SubmittedVersion.response_id.in_(ids)).group_by(SubmittedVersion.response_id)).all())
    reviewed = {}
    for review_id, rid, key, original in db.session.execute(
            select(CommentReview.id, CommentReview.response_id, CommentReview.question_id, CommentReview.original)
            .where(CommentReview.response_id.in_(ids))):
        reviewed.setdefault(rid, {})[key] = (review_id, original)

    db.session.execute(delete(Answer).where(Answer.response_id.in_(ids)))
    db.session.execute(delete(SectionState).where(SectionState.response_id.in_(ids)))
    db.session.execute(insert(Answer.__table__), [{"response_id": rid, "question_id": key, "value": value}
                                        for rid, (_, answers) in zip(ids, chunk) for key, value in answers.items()])
    db.session.execute(insert(SectionState.__table__), [
        {"response_id": rid, "section_id": s.id, "version": states.get((rid, s.id), 0) + 1, "saved_at": now,
         "saved_by": actor.name} for rid in ids for s in questionnaire.sections])
    versions, events, new_reviews, changed_reviews, gone_reviews = [], [], [], [], []
    for rid, (org, answers), kept in zip(ids, chunk, pruned):
        number = numbers.get(rid, 0) + 1
        reference = new_reference(cycle.year)
        versions.append({"response_id": rid, "number": number, "reference": reference, "submitted_at": now,
                         "submitted_by": actor.name, "answers": kept})
        events += [{"at": now, "actor": str(actor), "action": action, "response_id": rid,
                    "detail": {"answers": len(answers)}},
                   {"at": now, "actor": str(actor), "action": "submit", "response_id": rid,
                    "detail": {"version": number, "reference": reference}}]
        before = reviewed.get(rid, {})
        add, change, remove = review_changes(questionnaire, kept, org.name,
                                             {key: original for key, (_, original) in before.items()})
        new_reviews += [{"response_id": rid, "question_id": key, "original": text, "redacted": auto,
                         "status": "pending"} for key, (text, auto) in add.items()]
        changed_reviews += [{"id": before[key][0], "original": text, "redacted": auto, "status": "pending",
                             "reviewed_by": None, "reviewed_at": None} for key, (text, auto) in change.items()]
        gone_reviews += [before[key][0] for key in remove]
    db.session.execute(insert(SubmittedVersion.__table__), versions)
    db.session.execute(insert(AuditEvent.__table__), events)
    if new_reviews:
        db.session.execute(insert(CommentReview.__table__), new_reviews)
    if changed_reviews:
        db.session.execute(update(CommentReview), changed_reviews)
    if gone_reviews:
        db.session.execute(delete(CommentReview).where(CommentReview.id.in_(gone_reviews)))
    db.session.execute(update(Response), [
        {"id": rid, "status": ResponseStatus.SUBMITTED.value, "version": found[org.id][1] + 1, "updated_at": now,
         "submitted_at": now} for rid, (org, _) in zip(ids, chunk)])


def new_reference(year: int) -> str:
    """A submission's reference, e.g. HC2017-7KQ2M9XP: short enough to read out on the phone."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
    return f"HC{year}-" + "".join(secrets.choice(alphabet) for _ in range(8))


def reopen(response: Response, actor: Actor, note: str | None = None) -> None:
    response.status = ResponseStatus.REOPENED.value
    response.updated_at = utcnow()
    db.session.add(AuditEvent(actor=str(actor), action="reopen", response_id=response.id, note=note))
    db.session.commit()


def submitted_versions(response_id: int) -> list[SubmittedVersion]:
    return list(db.session.scalars(select(SubmittedVersion).where(SubmittedVersion.response_id == response_id)
                                   .order_by(SubmittedVersion.number)))


def submitted_version(response_id: int, number: int) -> SubmittedVersion | None:
    return db.session.scalar(select(SubmittedVersion).where(SubmittedVersion.response_id == response_id,
                                                            SubmittedVersion.number == number))


def audit_trail(response_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.response_id == response_id)
                                   .order_by(AuditEvent.at, AuditEvent.id)))


# ---------------------------------------------------------------- exports

def returns_for_export(cycle: Cycle, include_drafts: bool = False) -> list[tuple[Response, dict]]:
    """(response, answers) for each return: the latest submitted version, or current answers for drafts."""
    out = []
    responses = db.session.scalars(select(Response).where(Response.cycle_id == cycle.id)
                                   .join(Organisation).order_by(Organisation.name))
    for response in responses:
        versions = submitted_versions(response.id)
        if versions:
            out.append((response, versions[-1].answers))
        elif include_drafts and response.status != ResponseStatus.NOT_STARTED.value:
            out.append((response, answers_of(response.id)))
    return out


# ---------------------------------------------------------------- open answers: review and coding

def open_answer_keys(questionnaire: forms.Questionnaire) -> list[tuple[str, forms.Question]]:
    """(answer key, question) for every free-text answer and 'please specify' text, contact details aside."""
    keys = []
    for section in questionnaire.sections:
        if section.kind == "contact":
            continue
        for q in section.questions:
            if q.type == "text":
                keys.append((q.id, q))
            if q.other_id:
                keys.append((q.other_id, q))
    return keys


def sync_reviews(response: Response, questionnaire: forms.Questionnaire, answers: dict) -> None:
    """Queue each open answer for review; a changed answer goes back to pending with a fresh redaction."""
    existing = {r.question_id: r for r in db.session.scalars(
        select(CommentReview).where(CommentReview.response_id == response.id))}
    add, change, remove = review_changes(questionnaire, answers, response.organisation.name,
                                         {key: r.original for key, r in existing.items()})
    for key, (text, auto) in add.items():
        db.session.add(CommentReview(response_id=response.id, question_id=key, original=text, redacted=auto,
                                     status="pending"))
    for key, (text, auto) in change.items():
        review = existing[key]
        review.original, review.redacted, review.status = text, auto, "pending"
        review.reviewed_by = review.reviewed_at = None
    for key in remove:
        db.session.delete(existing[key])


def review_changes(questionnaire: forms.Questionnaire, answers: dict, organisation_name: str,
                   reviewed: dict[str, str]) -> tuple[dict, dict, list]:
    """Which open answers join the review queue (new), go back to it (changed) or leave it (blank now).

    ``reviewed`` holds the text already queued, by answer key. New and changed come with
    their automatic redaction: {key: (text, redacted)}. Unchanged answers keep their review.
    """
    from .redaction import redact

    people = [" ".join(filter(None, (answers.get("contact_first_name"), answers.get("contact_surname")))),
              answers.get("contact_surname") or ""]
    add, change, remove = {}, {}, []
    for key, _question in open_answer_keys(questionnaire):
        text = answers.get(key)
        if not text:
            if key in reviewed:
                remove.append(key)
        elif key not in reviewed:
            add[key] = (text, redact(text, organisation_name, people))
        elif reviewed[key] != text:
            change[key] = (text, redact(text, organisation_name, people))
    return add, change, remove


def reviews(cycle: Cycle, status: str | None = None) -> list[CommentReview]:
    stmt = (select(CommentReview).join(Response).where(Response.cycle_id == cycle.id)
            .order_by(CommentReview.question_id, CommentReview.id))
    if status:
        stmt = stmt.where(CommentReview.status == status)
    return list(db.session.scalars(stmt))


def review(cycle: Cycle, review_id: int) -> CommentReview | None:
    return db.session.scalar(select(CommentReview).join(Response).where(
        CommentReview.id == review_id, Response.cycle_id == cycle.id))


def decide_review(item: CommentReview, redacted: str, status: str, actor: Actor) -> None:
    item.redacted, item.status = redacted, status
    item.reviewed_by, item.reviewed_at = actor.name, utcnow()
    audit(actor, f"comment_{status}", response_id=item.response_id, detail={"question": item.question_id})
    db.session.commit()


def approved_comments(cycle: Cycle) -> list[CommentReview]:
    """Only approved, redacted comments ever reach published outputs."""
    return reviews(cycle, "approved")


def coding_frame(cycle: Cycle, question: forms.Question) -> list[tuple[str, str]]:
    """(value, label) categories for coding a question's open answers: its printed options
    (less 'Other' and exclusive ones) plus those coordinators added."""
    frame = [(o.value, o.label) for o in question.options if not o.specify and not o.exclusive]
    added = db.session.scalars(select(CodingCategory).where(CodingCategory.cycle_id == cycle.id,
                                                            CodingCategory.question_id == question.id)
                               .order_by(CodingCategory.id))
    return frame + [(c.value, c.label) for c in added]


def add_category(cycle: Cycle, question: forms.Question, label: str, actor: Actor) -> str:
    import re as _re

    base = "x_" + (_re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:40] or "category")
    taken = {v for v, _ in coding_frame(cycle, question)}
    value, n = base, 2
    while value in taken:
        value, n = f"{base}_{n}", n + 1
    db.session.add(CodingCategory(cycle_id=cycle.id, question_id=question.id, value=value, label=label))
    audit(actor, "coding_category", detail={"cycle": cycle.year, "question": question.id, "label": label})
    db.session.commit()
    return value


def open_answers(cycle: Cycle, key: str) -> list[tuple[Response, str, list[str]]]:
    """(response, text, coded categories) for each return's open answer under ``key``."""
    codings = {c.response_id: c.categories for c in db.session.scalars(
        select(Coding).join(Response).where(Response.cycle_id == cycle.id, Coding.question_id == key))}
    out = []
    for response, answers in returns_for_export(cycle):
        if answers.get(key):
            out.append((response, answers[key], codings.get(response.id, [])))
    return out


def set_coding(response: Response, key: str, categories: list[str], actor: Actor) -> None:
    row = db.session.scalar(select(Coding).where(Coding.response_id == response.id, Coding.question_id == key))
    if row is None:
        row = Coding(response_id=response.id, question_id=key, categories=categories, coded_by=actor.name)
        db.session.add(row)
    old = list(row.categories or [])
    row.categories, row.coded_by, row.coded_at = categories, actor.name, utcnow()
    audit(actor, "code", response_id=response.id, detail={"question": key, "old": old, "new": categories})


def codings(cycle: Cycle) -> dict[int, dict[str, list[str]]]:
    """{response id: {answer key: categories}}: what aggregation adds to ticked answers."""
    out: dict[int, dict[str, list[str]]] = {}
    for c in db.session.scalars(select(Coding).join(Response).where(Response.cycle_id == cycle.id)):
        out.setdefault(c.response_id, {})[c.question_id] = list(c.categories)
    return out


# ---------------------------------------------------------------- national outputs

def dataset_for(cycle: Cycle, with_previous: bool = True):
    """Everything ``aggregation`` needs for a cycle's national outputs, as plain data: the latest
    submitted version of each return, coded categories, approved comments, populations, and the
    previous cycle's returns renamed to this questionnaire's ids."""
    from aggregation.dataset import Dataset, Return
    from forms import tablespec

    questionnaire = questionnaire_for(cycle)
    coded = codings(cycle)
    returns = [Return(r.organisation.name, r.organisation.authority_type, answers, coded.get(r.id, {}))
               for r, answers in returns_for_export(cycle)]
    labels = {k: q for k, q in open_answer_keys(questionnaire)}
    comments = [{"question_id": c.question_id, "label": labels[c.question_id].label if c.question_id in labels
                 else c.question_id, "section_id": labels[c.question_id].section_id if c.question_id in labels
                 else None, "text": c.redacted} for c in approved_comments(cycle)]
    categories: dict[str, list[tuple[str, str]]] = {}
    for c in db.session.scalars(select(CodingCategory).where(CodingCategory.cycle_id == cycle.id)
                                .order_by(CodingCategory.id)):
        parent = c.question_id
        categories.setdefault(parent, []).append((c.value, c.label))
    previous = None
    if with_previous and cycle.previous_cycle_id:
        earlier = db.session.get(Cycle, cycle.previous_cycle_id)
        previous = dataset_for(earlier, with_previous=True)
        renamed = questionnaire.previous.get("renamed", {}) \
            if questionnaire.previous.get("version") == earlier.questionnaire_version else {}

        def rename(key: str) -> str:
            if key in renamed:
                return renamed[key]
            if key.endswith("_other") and key[:-6] in renamed:
                return renamed[key[:-6]] + "_other"
            return key

        level = previous
        while level is not None:  # every earlier year, in this year's question ids
            for r in level.returns:
                r.answers = {rename(k): v for k, v in r.answers.items()}
                r.coded = {rename(k): v for k, v in r.coded.items()}
            level.questionnaire, level.tables = questionnaire, tablespec.load(questionnaire)
            level = level.previous
    return Dataset(year=cycle.year, questionnaire=questionnaire, tables=tablespec.load(questionnaire),
                   returns=returns, populations=populations(cycle), comments=comments, categories=categories,
                   previous=previous, named=named_respondents(cycle))


# ---------------------------------------------------------------- benchmarks

def publish_results(cycle: Cycle, actor: Actor) -> None:
    cycle.results_published_at = utcnow()
    audit(actor, "publish_results", detail={"cycle": cycle.year})
    db.session.commit()


def previous_response(response: Response) -> Response | None:
    """The same organisation's return in the cycle before this one."""
    if not response.cycle.previous_cycle_id:
        return None
    return db.session.scalar(select(Response).where(Response.cycle_id == response.cycle.previous_cycle_id,
                                                    Response.organisation_id == response.organisation_id))


def set_consent(response: Response, consent: bool, actor: Actor) -> None:
    if response.consent_to_name != consent:
        response.consent_to_name = consent
        audit(actor, "consent", response_id=response.id, detail={"consent_to_name": consent})


def named_respondents(cycle: Cycle) -> list[str]:
    """Organisations that submitted and agreed to be named; published outputs name no others."""
    return [r.organisation.name for r, _ in returns_for_export(cycle) if r.consent_to_name]


# ---------------------------------------------------------------- action plans

def actions_of(response_id: int) -> list[Action]:
    return list(db.session.scalars(select(Action).where(Action.response_id == response_id)
                                   .order_by(Action.section_id, Action.id)))


def action_of(response_id: int, action_id: int) -> Action | None:
    """An action only through its own return: another employer's id finds nothing."""
    return db.session.scalar(select(Action).where(Action.id == action_id, Action.response_id == response_id))


ACTION_FIELDS = ("section_id", "description", "finding", "lead", "starts_on", "due_on", "outcome", "evidence")


def save_action(response: Response, values: dict, actor: Actor, action: Action | None = None) -> Action:
    if action is None:
        action = Action(response_id=response.id, created_by=actor.name, status=RAG.RED.value)
        db.session.add(action)
        before = None
    else:
        before = {k: _plain(getattr(action, k)) for k in ACTION_FIELDS}
    for key in ACTION_FIELDS:
        setattr(action, key, values.get(key))
    db.session.flush()
    audit(actor, "action_edit" if before else "action_add", response_id=response.id,
          detail={"action": action.id, "before": before, "after": {k: _plain(values.get(k)) for k in ACTION_FIELDS}})
    db.session.commit()
    return action


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def add_update(action: Action, text: str, actor: Actor, status: str | None = None) -> ActionUpdate:
    """A dated progress note; with a status, the change of RAG status and why."""
    update_ = ActionUpdate(action_id=action.id, by=actor.name, text=text,
                           status_from=action.status if status and status != action.status else None,
                           status_to=status if status and status != action.status else None)
    if update_.status_to:
        action.status = status
    db.session.add(update_)
    audit(actor, "action_status" if update_.status_to else "action_progress", response_id=action.response_id,
          detail={"action": action.id, "from": update_.status_from, "to": update_.status_to})
    db.session.commit()
    return update_


def delete_action(action: Action, actor: Actor) -> None:
    audit(actor, "action_delete", response_id=action.response_id,
          detail={"action": action.id, "description": action.description})
    db.session.delete(action)
    db.session.commit()
