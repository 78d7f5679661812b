"""Personal data kept no longer than needed: a cycle's contact details, the names of the people
who filled its return, its contributors' names and emails, the addresses its emails went to,
and its staff survey's free text are deleted ``RETENTION_MONTHS`` after the cycle's final
(latest) edition was published.

What a real run deletes is exactly what ``plan`` lists (the dry run prints the same list), and
a second plan after it is empty. Published editions keep what they published: the frozen
dataset in each edition loses its contact details (its checksum recorded afresh); the tables,
reports and benchmarks never held any. The returns' answers, scores and the redacted comments
that were published stay: they are the health check's record, not a person's.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import delete as delete_rows
from sqlalchemy import select

from ..extensions import db
from ..models import (
    Action,
    ActionUpdate,
    AuditEvent,
    CommentReview,
    Confirmation,
    Contributor,
    Cycle,
    Edition,
    EditionFile,
    EmailSend,
    Organisation,
    PageRecord,
    Response,
    SignInFailure,
    StaffResponse,
    StaffSurvey,
    SubmittedVersion,
    utcnow,
)
from . import Actor, audit
from .collection import questionnaire_for
from .staff import questionnaire_of

REMOVED = "(name removed)"
Row = TypeVar("Row")
EMPLOYER_VIA = ("(link ", "(contributor ")  # how an employer's people appear in the audit trail


@dataclass(frozen=True)
class Item:
    """One record that holds personal data due for deletion, and what of it goes."""

    cycle: int
    what: str  # for a person: "contact details", "names of people who saved answers", ...
    where: str  # which record
    kind: str  # for ``apply``
    row: int | str
    keys: tuple[str, ...] = ()
    organisation: str | None = None  # a frozen dataset: only this organisation's return (else every one)

    def line(self) -> str:
        return f"{self.cycle}  {self.what}: {self.where}"


def months_after(when: datetime, months: int) -> datetime:
    """The same day ``months`` later (the month's last day where it is shorter)."""
    index = when.month - 1 + months
    year, month = when.year + index // 12, index % 12 + 1
    last = [
        31,
        29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][month - 1]
    return when.replace(year=year, month=month, day=min(when.day, last))


def due_dates(months: int) -> list[tuple[Cycle, datetime]]:
    """Every cycle with a published edition, and when its personal data is due for deletion."""
    latest: dict[int, datetime] = {}
    for cycle_id, published_at in db.session.execute(select(Edition.cycle_id, Edition.published_at)):
        latest[cycle_id] = max(published_at, latest.get(cycle_id, published_at))
    cycles = db.session.scalars(select(Cycle).where(Cycle.id.in_(latest)).order_by(Cycle.year))
    return [(c, months_after(latest[c.id], months)) for c in cycles]


def plan(now: datetime, months: int, editions: Path) -> list[Item]:
    """Everything due for deletion at ``now``, record by record (``editions``: the folder that
    holds the published editions)."""
    items: list[Item] = []
    for cycle, due in due_dates(months):
        if due <= now:
            items += _cycle_items(cycle, editions)
    return items


def contact_keys(cycle: Cycle) -> set[str]:
    """The answers that are a return's contact details."""
    return {q.id for s in questionnaire_for(cycle).sections if s.kind == "contact" for q in s.questions}


def _cycle_items(cycle: Cycle, editions: Path) -> list[Item]:
    year, contact = cycle.year, contact_keys(cycle)
    items: list[Item] = []
    responses = list(db.session.scalars(select(Response).where(Response.cycle_id == cycle.id).order_by(Response.id)))
    for r in responses:
        name = r.organisation.name
        if keys := tuple(sorted(contact & set(r.answers or {}))):
            items.append(Item(year, "contact details", f"{name}'s return", "answers", r.id, keys))
        if any(page_names(page) - {REMOVED} for page in (r.pages or {}).values()):
            items.append(Item(year, "names of people who saved answers", f"{name}'s return", "pages", r.id))
    versions = db.session.execute(
        select(SubmittedVersion, Response)
        .join(Response)
        .where(Response.cycle_id == cycle.id)
        .order_by(SubmittedVersion.id)
    )
    for v, r in versions:
        where = f"version {v.number} of {r.organisation.name}'s return"
        if keys := tuple(sorted(contact & set(v.answers or {}))):
            items.append(Item(year, "contact details", where, "version_answers", v.id, keys))
        if v.submitted_by != REMOVED:
            items.append(Item(year, "name of who submitted", where, "version_signer", v.id))
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.response_id.in_([r.id for r in responses])).order_by(AuditEvent.id)
    )
    for e in events:
        changed = tuple(sorted(contact & set((e.detail or {}).get("changes") or {})))
        named = not e.actor.startswith(REMOVED) and any(via in e.actor for via in EMPLOYER_VIA)
        if named or changed:
            items.append(
                Item(
                    year,
                    "names and contact details in the history",
                    f"event {e.id} ({e.action})",
                    "audit",
                    e.id,
                    changed,
                )
            )
    for c in db.session.scalars(
        select(Contributor)
        .where(Contributor.response_id.in_([r.id for r in responses]), Contributor.name != REMOVED)
        .order_by(Contributor.id)
    ):
        items.append(Item(year, "a contributor's name and email", f"contributor {c.id}", "contributor", c.id))
    for send_id in db.session.scalars(
        select(EmailSend.id)
        .where(EmailSend.cycle_id == cycle.id, EmailSend.to_address.is_not(None))
        .order_by(EmailSend.id)
    ):
        items.append(Item(year, "email address an email went to", f"email {send_id}", "email", send_id))
    items += _staff_items(cycle)
    for f in datasets_of(cycle):
        if dataset_holds_contacts(dataset_path(f, editions), contact):
            items.append(
                Item(
                    year,
                    "contact details",
                    f"the frozen dataset of edition {_edition(f).number}",
                    "dataset",
                    f.id,
                    tuple(sorted(contact)),
                )
            )
    return items


def _staff_items(cycle: Cycle) -> list[Item]:
    survey = db.session.scalar(select(StaffSurvey).where(StaffSurvey.cycle_id == cycle.id))
    if survey is None:
        return []
    texts = {q.id for q in questionnaire_of(survey).questions() if q.answer_type.free_text}
    items = []
    for response in db.session.scalars(
        select(StaffResponse).where(StaffResponse.survey_id == survey.id).order_by(StaffResponse.id)
    ):
        if keys := tuple(sorted(k for k in texts if response.answers.get(k))):
            items.append(
                Item(
                    cycle.year,
                    "staff survey free text",
                    f"staff response {response.id[:8]}",
                    "staff_answers",
                    response.id,
                    keys,
                )
            )
    reviews = db.session.scalars(
        select(CommentReview).join(StaffResponse).where(StaffResponse.survey_id == survey.id).order_by(CommentReview.id)
    )
    items += [
        Item(cycle.year, "staff survey free text under review", f"comment {c.id}", "staff_comment", c.id)
        for c in reviews
    ]
    return items


def _edition(f: EditionFile) -> Edition:
    edition = db.session.get(Edition, f.edition_id)
    assert edition is not None
    return edition


def dataset_holds_contacts(path: Path, contact: set[str], organisation: str | None = None) -> bool:
    """Whether a frozen dataset holds contact details (of ``organisation``'s return, if given)."""
    if not path.exists():
        return False
    level: dict[str, Any] | None = json.loads(path.read_text(encoding="utf-8"))
    while level is not None:
        if any(contact & set(r["answers"]) for r in level["returns"] if organisation in (None, r["organisation"])):
            return True
        level = level.get("previous")
    return False


def datasets_of(cycle: Cycle) -> list[EditionFile]:
    """The frozen datasets of a cycle's editions."""
    return list(
        db.session.scalars(
            select(EditionFile)
            .join(Edition)
            .where(Edition.cycle_id == cycle.id, EditionFile.kind == "dataset")
            .order_by(EditionFile.id)
        )
    )


def dataset_path(f: EditionFile, editions: Path) -> Path:
    return editions / _edition(f).folder / f.path


Rewrite = tuple[Path, bytes]


def apply(items: list[Item], actor: Actor, editions: Path) -> list[Rewrite]:
    """Delete what ``plan`` listed from the database (committed by the caller), say so in the
    audit trail, and return the edition files to write once that is committed (``rewrite``):
    a file written and not recorded would keep a checksum that no longer matches, where a file
    recorded and not yet written is simply found, and written, by the next run."""
    rewrites = delete(items, editions)
    if items:
        audit(actor, "retention_applied", detail={"items": len(items), "cycles": sorted({i.cycle for i in items})})
    return rewrites


def delete(items: list[Item], editions: Path) -> list[Rewrite]:
    """Delete what each item names (for ``apply``, and for erasing a person's data)."""
    rewrites = [_dataset(item, editions) if item.kind == "dataset" else _DELETE[item.kind](item) for item in items]
    return [r for r in rewrites if r is not None]


def rewrite(files: list[Rewrite]) -> None:
    for path, body in files:
        path.with_suffix(".tmp").write_bytes(body)
        path.with_suffix(".tmp").replace(path)


def _row(model: type[Row], item: Item) -> Row:
    found = db.session.get(model, item.row)
    assert found is not None, (model.__name__, item.row)
    return found


def _answers(item: Item) -> None:
    response = _row(Response, item)
    response.answers = {k: v for k, v in response.answers.items() if k not in item.keys}


def page_names(page: PageRecord) -> set[str]:
    """The names a page's record holds: who saved it, and who confirmed each of its warnings."""
    confirmed = page.get("confirmed") or {}
    return {n for n in [page.get("saved_by"), *(c.get("by") for c in confirmed.values())] if n}


def _without_names(page: PageRecord) -> PageRecord:
    page = PageRecord({**page, "saved_by": REMOVED}) if page.get("saved_by") else PageRecord({**page})
    if page.get("confirmed"):
        page["confirmed"] = {k: Confirmation(by=REMOVED, at=c["at"]) for k, c in page["confirmed"].items()}
    return page


def _pages(item: Item) -> None:
    """The names on a return's pages (those named in ``item.keys``, or all)."""
    response = _row(Response, item)
    response.pages = {
        k: _without_names(page) if k in (item.keys or (k,)) else page for k, page in (response.pages or {}).items()
    }


def _version_answers(item: Item) -> None:
    version = _row(SubmittedVersion, item)
    version.answers = {k: v for k, v in version.answers.items() if k not in item.keys}


def _version_signer(item: Item) -> None:
    version = _row(SubmittedVersion, item)
    version.submitted_by = REMOVED


def _audit(item: Item) -> None:
    """An employer's person's name in the audit trail, and the contact details among its changes."""
    event = _row(AuditEvent, item)
    if any(via in event.actor for via in EMPLOYER_VIA):
        event.actor = REMOVED + event.actor[event.actor.rindex(" (") :]
    _audit_changes(item)


def _audit_changes(item: Item) -> None:
    event = _row(AuditEvent, item)
    if item.keys:
        detail = dict(event.detail or {})
        detail["changes"] = {k: v for k, v in detail["changes"].items() if k not in item.keys}
        event.detail = detail


def _email(item: Item) -> None:
    send = _row(EmailSend, item)
    send.to_address = None


def _staff_answers(item: Item) -> None:
    response = _row(StaffResponse, item)
    response.answers = {k: v for k, v in response.answers.items() if k not in item.keys}


def _staff_comment(item: Item) -> None:
    review = _row(CommentReview, item)
    db.session.delete(review)


def _dataset(item: Item, editions: Path) -> Rewrite:
    """The frozen dataset without contact details, and its checksum recorded."""
    f = _row(EditionFile, item)
    path = dataset_path(f, editions)
    data = json.loads(path.read_text(encoding="utf-8"))
    level: dict[str, Any] | None = data
    while level is not None:
        for r in level["returns"]:
            if item.organisation in (None, r["organisation"]):
                r["answers"] = {k: v for k, v in r["answers"].items() if k not in item.keys}
        level = level.get("previous")
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    f.sha256, f.size = hashlib.sha256(body).hexdigest(), len(body)
    return path, body


def _contributor(item: Item) -> None:
    """Their name and email go; the row stays, withdrawn, so that its link can never work again."""
    contributor = _row(Contributor, item)
    contributor.name, contributor.email, contributor.job_title = REMOVED, None, None
    contributor.invited_by = REMOVED
    contributor.revoked_at = contributor.revoked_at or utcnow()


def _contributor_inviter(item: Item) -> None:
    contributor = _row(Contributor, item)
    contributor.invited_by = REMOVED


def _org_contact(item: Item) -> None:
    organisation = _row(Organisation, item)
    organisation.contact_email = None


def _sign_in_failure(item: Item) -> None:
    db.session.execute(delete_rows(SignInFailure).where(SignInFailure.id == item.row))


def _action(item: Item) -> None:
    """An action's lead and author, where they are the person named (``item.keys``)."""
    action = _row(Action, item)
    if " ".join((action.lead or "").split()).lower() in item.keys:
        action.lead = REMOVED
    if " ".join(action.created_by.split()).lower() in item.keys:
        action.created_by = REMOVED


def _action_update(item: Item) -> None:
    update = _row(ActionUpdate, item)
    update.by = REMOVED


_DELETE = {
    "contributor": _contributor,
    "contributor_inviter": _contributor_inviter,
    "org_contact": _org_contact,
    "sign_in_failure": _sign_in_failure,
    "action": _action,
    "action_update": _action_update,
    "answers": _answers,
    "pages": _pages,
    "version_answers": _version_answers,
    "version_signer": _version_signer,
    "audit": _audit,
    "audit_changes": _audit_changes,
    "email": _email,
    "staff_answers": _staff_answers,
    "staff_comment": _staff_comment,
}
