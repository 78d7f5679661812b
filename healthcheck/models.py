"""The data model. A return's working answers are one JSON document on its row, with a version per page."""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, date, datetime
from typing import TypedDict

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from .extensions import Base


def utcnow() -> datetime:
    return datetime.now(UTC)


def random_id() -> int:
    """A random positive 63-bit id, for rows whose id must say nothing of the order they came in
    (a staff survey response's comment, a draft): the next row's is no larger than the last's."""
    return secrets.randbelow(2**63 - 1) + 1


# A 63-bit id: BIGINT on PostgreSQL; on SQLite INTEGER, so that it is the row's rowid and the rows
# are stored in the order of their random ids, not of their arrival.
RandomId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on SQLite (which stores naive ones) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class AuthorityType(str, enum.Enum):
    SHIRE_COUNTY = "Shire County"
    LONDON_BOROUGH = "London Borough"
    METROPOLITAN_DISTRICT = "Metropolitan District"
    UNITARY_AUTHORITY = "Unitary Authority"
    NHS_TRUST = "NHS Trust"
    OTHER = "Other"


class ResponseStatus(str, enum.Enum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    REOPENED = "reopened"


class Organisation(Base):
    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    authority_type: Mapped[str] = mapped_column(String(40))
    ons_code: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(60))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    __table_args__ = (
        CheckConstraint(
            "authority_type IN (" + ", ".join(f"'{t.value}'" for t in AuthorityType) + ")",
            name="authority_type",
        ),
    )


class StatisticalNeighbour(Base):
    """One of an organisation's statistical neighbours, from the list the coordinator uploaded
    (licensed by councils: uploading a new list replaces the whole of it). ``rank`` is its place in
    the organisation's row, 1 the nearest."""

    __tablename__ = "statistical_neighbour"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    neighbour_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(200))

    organisation: Mapped[Organisation] = relationship(foreign_keys=[organisation_id])
    neighbour: Mapped[Organisation] = relationship(foreign_keys=[neighbour_id])
    __table_args__ = (
        UniqueConstraint("organisation_id", "neighbour_id", name="uq_statistical_neighbour_pair"),
        CheckConstraint("organisation_id <> neighbour_id", name="not_itself"),
    )


class Cycle(Base):
    __tablename__ = "cycle"
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    questionnaire_version: Mapped[str] = mapped_column(String(20))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    previous_cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycle.id"))

    previous: Mapped[Cycle | None] = relationship(remote_side="Cycle.id")

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.opens_at <= now < self.closes_at


class CyclePopulation(Base):
    """How many employers of each authority type exist, for response rates (Table 1)."""

    __tablename__ = "cycle_population"
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"))
    authority_type: Mapped[str] = mapped_column(String(40))
    population: Mapped[int] = mapped_column(Integer)
    __table_args__ = (UniqueConstraint("cycle_id", "authority_type", name="uq_cycle_population_cycle_type"),)


class AccessLink(Base):
    """An employer's way in. Only a SHA-256 of the token is stored."""

    __tablename__ = "access_link"
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    cycle: Mapped[Cycle] = relationship()
    organisation: Mapped[Organisation] = relationship()


class StoredWarning(TypedDict):
    """A soft check's warning as a page keeps it (``store.returns.as_stored``)."""

    key: str
    question: str
    message: str


class Confirmation(TypedDict):
    """Who confirmed a warning is right, and when (ISO 8601)."""

    by: str
    at: str


class PageRecord(TypedDict, total=False):
    """One page of a return in ``Response.pages``: how often it was saved, when (ISO 8601) and by
    whom, and its soft checks' warnings with their confirmations by warning key."""

    version: int
    saved_at: str
    saved_by: str
    warnings: list[StoredWarning]
    confirmed: dict[str, Confirmation]


class Response(Base):
    """One organisation's return for one cycle: its working answers as one document (question id
    -> value), and per page of the return how often it was saved, when and by whom (``pages``:
    section id -> {"version", "saved_at", "saved_by"})."""

    __tablename__ = "response"
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    status: Mapped[str] = mapped_column(String(20), default=ResponseStatus.NOT_STARTED.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closes_at_override: Mapped[datetime | None] = mapped_column(UTCDateTime())
    coordinator_message: Mapped[str | None] = mapped_column(Text)
    consent_to_name: Mapped[bool] = mapped_column(Boolean, default=False)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    pages: Mapped[dict[str, PageRecord]] = mapped_column(JSON, default=dict)

    cycle: Mapped[Cycle] = relationship()
    organisation: Mapped[Organisation] = relationship()

    @property
    def closes_at(self) -> datetime:
        """The deadline for this return: the cycle's, unless extended for this organisation."""
        return max(self.cycle.closes_at, self.closes_at_override or self.cycle.closes_at)

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.cycle.opens_at <= now < self.closes_at

    def page_version(self, section_id: str) -> int:
        return int((self.pages or {}).get(section_id, {}).get("version", 0))

    __table_args__ = (
        UniqueConstraint("cycle_id", "organisation_id", name="uq_response_cycle_organisation"),
        CheckConstraint("status IN (" + ", ".join(f"'{s.value}'" for s in ResponseStatus) + ")", name="status"),
    )


class SubmittedVersion(Base):
    """A frozen copy of a return as it was submitted. Every submission is kept."""

    __tablename__ = "submitted_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_by: Mapped[str] = mapped_column(String(200))
    # In what capacity they signed off: the PSW, or the signatory the PSW named (and their job title).
    signed_off_as: Mapped[str | None] = mapped_column(String(300))
    answers: Mapped[dict] = mapped_column(JSON)
    __table_args__ = (UniqueConstraint("response_id", "number", name="uq_submitted_version_response_number"),)


class Contributor(Base):
    """A colleague the PSW asked to contribute to the return: to all of it, or to chosen standards
    (``sections``), through a personal link (its token stored hashed) that the PSW can revoke.
    ``can_sign_off``: the PSW named them to sign off and submit the return. Their name and email
    are kept here only (the retention job deletes them)."""

    __tablename__ = "contributor"
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    job_title: Mapped[str | None] = mapped_column(String(200))
    sections: Mapped[list | None] = mapped_column(JSON)  # None: the whole return
    can_sign_off: Mapped[bool] = mapped_column(Boolean, default=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    response: Mapped[Response] = relationship()

    def may_open(self, section_id: str) -> bool:
        return self.sections is None or section_id in self.sections


class AuditEvent(Base):
    """Who changed what, and when."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    response_id: Mapped[int | None] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)


class Role(str, enum.Enum):
    COORDINATOR = "coordinator"
    VIEWER = "viewer"


class User(UserMixin, Base):
    """A member of the coordinating body. Employers never have accounts: they use their link."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Sessions begun before this are over: signing out ends every session of the account.
    sessions_revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The shared secret of the account's authenticator app (TOTP), once set up.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # a code's time step is accepted once
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    __table_args__ = (CheckConstraint("role IN ('coordinator', 'viewer')", name="role"),)

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def can_change(self) -> bool:
        return self.role == Role.COORDINATOR.value


class RecoveryCode(Base):
    """A one-time code that signs in without the authenticator app, stored hashed."""

    __tablename__ = "recovery_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PasswordReset(Base):
    """An emailed link to set a new password: single use, soon expired, its token stored hashed."""

    __tablename__ = "password_reset"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApiToken(Base):
    """A coordinator's key to the API's raw export (``Authorization: Bearer``): shown once, stored as
    a SHA-256; it works while its account is an active coordinator's and it is not revoked."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class SignInFailure(Base):
    """A failed sign-in: the email typed (an account's or not) and the client's address. Too many
    for one email from one client in a while hold that client back, not the account's owner."""

    __tablename__ = "sign_in_failure"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    __table_args__ = (Index("ix_sign_in_failure_email_client_at", "email", "client", "at"),)


class EmailTemplate(Base):
    __tablename__ = "email_template"
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    __table_args__ = (UniqueConstraint("cycle_id", "kind", name="uq_email_template_cycle_kind"),)


class EmailSend(Base):
    """One email, queued then sent by a job (``job_id``), with its outcome: ``queued``, ``sent``,
    ``failed`` (``error`` says why, in words for a person) or ``cancelled`` (its reason gone before
    it was sent: the account disabled, the contributor's link withdrawn). Who it is about:
    an organisation in a cycle, an account (``user_id``: a link to set a password) or a
    contributor (their invitation); ``detail`` holds what the job needs to write it again (the
    return and version of a confirmation, a note's text)."""

    __tablename__ = "email_send"
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    contributor_id: Mapped[int | None] = mapped_column(ForeignKey("contributor.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    to_address: Mapped[str | None] = mapped_column(String(254))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    outcome: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    retried: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[dict | None] = mapped_column(JSON)

    organisation: Mapped[Organisation | None] = relationship()
    user: Mapped[User | None] = relationship()
    contributor: Mapped[Contributor | None] = relationship()


class CodingCategory(Base):
    """A category a coordinator added to a question's coding frame (beyond its printed options)."""

    __tablename__ = "coding_category"
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    __table_args__ = (
        UniqueConstraint("cycle_id", "question_id", "value", name="uq_coding_category_cycle_question_value"),
    )


class Coding(Base):
    """The categories a coordinator assigned to one open answer."""

    __tablename__ = "coding"
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(64))
    categories: Mapped[list] = mapped_column(JSON)
    coded_by: Mapped[str] = mapped_column(String(200))
    coded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    __table_args__ = (UniqueConstraint("response_id", "question_id", name="uq_coding_response_question"),)


class CommentReview(Base):
    """An open answer on its way to publication, from a return or a staff survey response:
    redacted, then approved or excluded."""

    __tablename__ = "comment_review"
    # Random: a staff response's comment is queued as the response arrives (docs/disclosure.md).
    id: Mapped[int] = mapped_column(RandomId, primary_key=True, autoincrement=False, default=random_id)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    staff_response_id: Mapped[str | None] = mapped_column(
        ForeignKey("staff_response.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(64))
    original: Mapped[str] = mapped_column(Text)
    redacted: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    __table_args__ = (
        UniqueConstraint("response_id", "question_id", name="uq_comment_review_response_question"),
        CheckConstraint("status IN ('pending', 'approved', 'excluded')", name="status"),
        CheckConstraint("(response_id IS NULL) <> (staff_response_id IS NULL)", name="one_source"),
        Index("ix_comment_review_response_question_status", "response_id", "question_id", "status"),
        Index("ix_comment_review_staff_question_status", "staff_response_id", "question_id", "status"),
    )


class RAG(str, enum.Enum):
    RED = "Red"
    AMBER = "Amber"
    GREEN = "Green"
    COMPLETE = "Complete"


class Action(Base):
    """One action of an employer's plan, answering a finding of its health check."""

    __tablename__ = "action"
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[str] = mapped_column(String(64))
    staff_standard: Mapped[str | None] = mapped_column(String(64))  # a 2020 Standard of the staff survey
    description: Mapped[str] = mapped_column(Text)
    finding: Mapped[str | None] = mapped_column(Text)
    lead: Mapped[str | None] = mapped_column(String(200))
    starts_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=RAG.RED.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    # Counts the action's changes: a save from a page of an earlier version is a conflict, not an
    # overwrite (and two saves at once can't both write: the update says which version it replaces).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    updates: Mapped[list[ActionUpdate]] = relationship(order_by="ActionUpdate.id", cascade="all, delete-orphan")
    __table_args__ = (CheckConstraint("status IN ('Red', 'Amber', 'Green', 'Complete')", name="status"),)
    __mapper_args__ = {"version_id_col": version}

    def is_overdue(self, today: date) -> bool:
        return self.due_on is not None and self.due_on < today and self.status != RAG.COMPLETE.value


class ActionUpdate(Base):
    """A dated progress note, or a change of status with its reason: the plan's history."""

    __tablename__ = "action_update"
    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    status_from: Mapped[str | None] = mapped_column(String(10))
    status_to: Mapped[str | None] = mapped_column(String(10))


class JobStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class JobDetail(TypedDict, total=False):
    """What a job was asked (``jobs.ASKED``, and the check an import follows) and what it did."""

    kind: str  # emails: which ("invitation", "reminder")
    everyone: bool  # emails: to every organisation not yet submitted, not only those not yet invited
    replace: bool  # check and import: submitted returns are replaced
    checked_by_job: int  # import: the check it follows
    import_job: int  # check: the import that followed it
    edition: int  # publish: the edition made
    sent: int  # emails
    failed: int
    rows: int  # check and import (of returns, or of the register)
    written: int
    added: int  # the register's check and import: organisations added and changed
    updated: int
    errors: list[str]
    error_count: int
    warnings: list[str]
    warning_count: int
    deleted: dict[str, int]  # retention: how many of each kind of record


class Job(Base):
    """Work done by the worker (or by a command, in its own process): its progress and outcome.

    ``lock`` is set while a job that must not run twice at once is unfinished (a cycle's
    publication): the unique constraint refuses a second such job. ``detail`` holds what the
    job found or made (bad cells, counts, the edition's number). ``upload`` is a file a person
    sent for the job to read.

    ``heartbeat_at`` is the last news of it, by the database's clock (``clock.now``): made or
    queued again, claimed, a step reported, or the running worker's heartbeat. ``attempt``
    counts the claims: a worker holds a running job while the row still has its attempt, so a
    worker that stopped reporting and was replaced can change nothing. ``worker`` says which
    machine and process holds it."""

    __tablename__ = "job"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=JobStatus.QUEUED.value)
    lock: Mapped[str | None] = mapped_column(String(40), unique=True)
    step: Mapped[str | None] = mapped_column(String(200))
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[JobDetail] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    upload: Mapped[bytes | None] = mapped_column(LargeBinary)
    upload_name: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempt: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    worker: Mapped[str | None] = mapped_column(String(200))

    cycle: Mapped[Cycle | None] = relationship()
    __table_args__ = (
        CheckConstraint("status IN (" + ", ".join(f"'{s.value}'" for s in JobStatus) + ")", name="status"),
    )

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE.value, JobStatus.FAILED.value)


class Edition(Base):
    """A publication of a cycle's results, frozen: the dataset it was built from and every file
    made from it, in ``folder`` (relative to the editions folder), each file with its SHA-256.
    A later edition supersedes it; it stays downloadable."""

    __tablename__ = "edition"
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    folder: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by: Mapped[str] = mapped_column(String(200))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    returns: Mapped[dict] = mapped_column(JSON)  # organisation name -> reference of the version used
    summary: Mapped[dict] = mapped_column(JSON)  # returns by type, thresholds, changes since the last

    cycle: Mapped[Cycle] = relationship()
    files: Mapped[list[EditionFile]] = relationship(order_by="EditionFile.path", cascade="all, delete-orphan")
    __table_args__ = (UniqueConstraint("cycle_id", "number", name="uq_edition_cycle_number"),)


class EditionFile(Base):
    """One file of an edition. A benchmark's files name their organisation: only it may read them."""

    __tablename__ = "edition_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    __table_args__ = (UniqueConstraint("edition_id", "path", name="uq_edition_file_edition_path"),)


class StaffSurvey(Base):
    """A cycle's survey of practitioners: which questionnaire, and when it is open."""

    __tablename__ = "staff_survey"
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), unique=True)
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    questionnaire_version: Mapped[str] = mapped_column(String(20))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())

    cycle: Mapped[Cycle] = relationship()

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.opens_at <= now < self.closes_at

    def has_closed(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) >= self.closes_at


class StaffCode(Base):
    """An organisation's code for a staff survey (in the link its PSW forwards), the headcount the
    PSW gives for its response rate ({profession: {service: n}}), and its workforce's profile from
    HR ({characteristic: {category: n}}, ``aggregation.profile``).

    Its pace, for flagging bursts (``store.staff.BURST``): how many responses came in the hour now
    counted (``hour_started_at``, ``hour_responses``), and before it, how many came in how many
    hours that had any (``past_responses``, ``past_hours``). No hour but the latest is kept, and
    the nightly reordering folds even that into the totals once its day is over."""

    __tablename__ = "staff_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("staff_survey.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    code: Mapped[str] = mapped_column(String(20), unique=True)
    headcount: Mapped[dict] = mapped_column(JSON, default=dict)
    workforce: Mapped[dict | None] = mapped_column(JSON)
    past_responses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    past_hours: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    hour_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hour_responses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    survey: Mapped[StaffSurvey] = relationship()
    organisation: Mapped[Organisation] = relationship()
    __table_args__ = (UniqueConstraint("survey_id", "organisation_id", name="uq_staff_code_survey_organisation"),)


class StaffDraft(Base):
    """One person's answers in progress, reached only through the token kept in their browser
    (stored hashed); dated, not timed; gone when they submit, or a week after its last change."""

    __tablename__ = "staff_draft"
    id: Mapped[int] = mapped_column(RandomId, primary_key=True, autoincrement=False, default=random_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("staff_survey.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_on: Mapped[date] = mapped_column(Date)
    last_part: Mapped[str | None] = mapped_column(String(100))  # the part saved last: they go on from the next


class StaffResponse(Base):
    """One practitioner's submitted answers. Nothing says who: the organisation (from the code)
    and the date alone, and a random id that says nothing of the order responses came in (on
    SQLite the table has no rowid, so its rows are stored in the order of their ids; PostgreSQL's
    are put in that order each night: ``store.staff.reorder``). ``scored``: it has a scored answer
    and so counts. ``burst``: it came in an hour when its organisation's responses ran far above
    their pace, for the coordinator to look at (near-duplicates are found when the coordinator
    looks: ``store.staff.flagged``); ``excluded`` by the coordinator."""

    __tablename__ = "staff_response"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: secrets.token_hex(16))
    survey_id: Mapped[int] = mapped_column(ForeignKey("staff_survey.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    answers: Mapped[dict] = mapped_column(JSON)
    submitted_on: Mapped[date] = mapped_column(Date)
    scored: Mapped[bool] = mapped_column(Boolean)
    burst: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)

    organisation: Mapped[Organisation] = relationship()
    __table_args__ = ({"sqlite_with_rowid": False},)
