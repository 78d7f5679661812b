"""Soft checks of a return: the figures they compare with (the organisation's previous return,
the previous edition's national ranges), the warnings each page's last save raised, and who
confirmed them. A page's warnings and confirmations live in its entry of ``Response.pages``
("warnings": [{"key", "question", "message"}], "confirmed": key -> {"by", "at"}); a warning's key
holds the figures it read, so a changed answer raises it afresh."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select

import forms
from aggregation.peers import dataset_ranges
from forms.rules import SoftWarning, soft_warnings

from ..extensions import db
from ..models import Confirmation, Cycle, Organisation, PageRecord, Response, utcnow
from . import Actor, audit
from .publication import latest_edition
from .returns import last_submitted_before, lock_return
from .submitted import latest_submitted


@dataclass(frozen=True)
class Baseline:
    """What a return's soft checks compare with: last year's answers in this year's question ids
    (None without a previous submitted return) and the previous edition's ranges (None without one)."""

    last_year: dict[str, Any] | None
    peers: dict[str, tuple[float, float]] | None

    def warnings(
        self, questionnaire: forms.Questionnaire, answers: dict[str, Any], section_id: str | None = None
    ) -> list[SoftWarning]:
        return soft_warnings(questionnaire.checks(section_id), answers, self.last_year, self.peers)


def baseline(
    cycle: Cycle,
    organisation: Organisation | None,
    questionnaire: forms.Questionnaire,
    *,
    editions_folder: Path,
    min_group: int,
    previous_answers: dict[str, Any] | None = None,
) -> Baseline:
    """The baseline of ``organisation``'s return (or, with ``previous_answers`` given, of those)."""
    last_year = previous_answers
    if last_year is None and organisation is not None:
        last_year = last_year_answers(cycle, organisation, questionnaire)
    return Baseline(last_year, peer_ranges(cycle, questionnaire, editions_folder, min_group))


def last_year_answers(
    cycle: Cycle, organisation: Organisation, questionnaire: forms.Questionnaire
) -> dict[str, Any] | None:
    """The organisation's latest submitted answers of the previous cycle, under this year's ids."""
    found = last_submitted_before(cycle, organisation.id)
    return _in_these_ids(questionnaire, found[0].answers) if found else None


def _in_these_ids(questionnaire: forms.Questionnaire, old: dict[str, Any]) -> dict[str, Any]:
    """Last year's answers under this year's question ids (a question renamed since included)."""
    return {
        q.id: old[questionnaire.previous_id(q.id)]
        for q in questionnaire.questions()
        if questionnaire.previous_id(q.id) in old
    }


def previous_answers_by_organisation(cycle: Cycle, questionnaire: forms.Questionnaire) -> dict[int, dict[str, Any]]:
    """Last year's answers of every organisation (by its id) that submitted one, for an import."""
    if not cycle.previous_cycle_id:
        return {}
    earlier = db.session.get(Cycle, cycle.previous_cycle_id)
    assert earlier is not None
    return {r.organisation_id: _in_these_ids(questionnaire, v.answers) for r, v in latest_submitted(earlier)}


def peer_ranges(
    cycle: Cycle, questionnaire: forms.Questionnaire, editions_folder: Path, min_group: int
) -> dict[str, tuple[float, float]] | None:
    """The 5th-95th percentile of each checked question in the previous cycle's latest edition."""
    if not cycle.previous_cycle_id:
        return None
    earlier = db.session.get(Cycle, cycle.previous_cycle_id)
    edition = latest_edition(earlier) if earlier is not None else None
    if edition is None:
        return None
    ids = tuple(sorted({c["question"] for c in questionnaire.checks() if c["kind"] == "peer_range"}))
    return dict(
        _edition_ranges(
            str(editions_folder / edition.folder / "dataset.json"),
            tuple((qid, questionnaire.previous_id(qid)) for qid in ids),
            min_group,
        )
    )


@lru_cache(maxsize=16)
def _edition_ranges(
    path: str, ids: tuple[tuple[str, str], ...], min_group: int
) -> tuple[tuple[str, tuple[float, float]], ...]:
    """An edition never changes once published: its ranges are read once per process."""
    try:
        frozen = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ()
    return tuple(dataset_ranges(frozen, dict(ids), min_group=min_group).items())


# ---------------------------------------------------------------- a return's warnings


@dataclass(frozen=True)
class Raised:
    """A warning a page's last save raised, and its confirmation if it has one."""

    section_id: str
    key: str
    question_id: str
    message: str
    confirmed_by: str | None = None
    confirmed_at: str | None = None

    @property
    def confirmed(self) -> bool:
        return self.confirmed_by is not None

    @property
    def confirmed_on(self) -> datetime | None:
        return datetime.fromisoformat(self.confirmed_at) if self.confirmed_at else None


def raised(response: Response, section_id: str | None = None) -> list[Raised]:
    """The warnings of one page of a return, or of every page, with their confirmations."""
    found = []
    for sid, page in (response.pages or {}).items():
        if section_id not in (None, sid):
            continue
        confirmed = page.get("confirmed", {})
        for w in page.get("warnings", []):
            by = confirmed.get(w["key"])
            found.append(Raised(sid, w["key"], w["question"], w["message"], by and by["by"], by and by["at"]))
    return found


def confirm(response_id: int, section_id: str, keys: Iterable[str], actor: Actor) -> list[str]:
    """Record that ``actor`` confirmed these warnings of a page are right; returns those newly
    confirmed (a key no longer raised, its answer changed meanwhile, is ignored)."""
    response = lock_return(response_id)
    page: PageRecord = {**(response.pages or {}).get(section_id, PageRecord())}
    current = {w["key"] for w in page.get("warnings", [])}
    confirmed: dict[str, Confirmation] = dict(page.get("confirmed", {}))
    new = [k for k in dict.fromkeys(keys) if k in current and k not in confirmed]
    if not new:
        return []
    now = utcnow().isoformat()
    confirmed |= {k: Confirmation(by=actor.name, at=now) for k in new}
    response.pages = {**response.pages, section_id: {**page, "confirmed": confirmed}}
    audit(actor, "confirm_warnings", response_id=response.id, section_id=section_id, detail={"keys": new})
    return new


def cycle_warnings(cycle: Cycle) -> list[tuple[Response, list[Raised]]]:
    """Every return of a cycle with a warning, with its warnings, by organisation name."""
    rows = db.session.scalars(
        select(Response).join(Response.organisation).where(Response.cycle_id == cycle.id).order_by(Organisation.name)
    )
    return [(r, found) for r in rows if (found := raised(r))]


@dataclass(frozen=True)
class WarningCounts:
    """Returns with a warning not yet confirmed, and returns whose warnings are all confirmed."""

    unconfirmed: int
    confirmed: int


def counts(found: list[tuple[Response, list[Raised]]]) -> WarningCounts:
    pending = sum(any(not w.confirmed for w in ws) for _, ws in found)
    return WarningCounts(pending, len(found) - pending)
