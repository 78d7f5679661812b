"""What a coordinator reads before publishing: what is still unfinished (returns not submitted,
comments not reviewed, the staff survey still open, responses flagged as duplicates) and what
the edition adds or changes against the last one (returns new, changed or withdrawn, the staff
survey's results added or updated, comments newly approved). Publishing records the same
comparison in the edition's summary (``compare``), which the results page reads back in words
(``in_words``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from ..extensions import db
from ..models import CommentReview, Cycle, Edition, Response, StaffResponse, StaffSurvey
from . import collection, staff
from .review_queue import counts


@dataclass(frozen=True)
class Unfinished:
    """The state of the cycle as publishing would freeze it."""

    organisations: int  # in the register, not retired
    not_submitted: int  # never submitted: left out of the edition
    reopened: int  # sent back or amended: their last submitted version is what is published
    comments_pending: int  # not yet reviewed: left out until approved
    survey: StaffSurvey | None
    survey_state: str  # "none", "not open yet", "open" or "closed"
    staff_respondents: int | None  # counted responses; None while there is no survey
    duplicates: int  # responses flagged as possible duplicates, neither excluded nor kept yet

    @property
    def staff_included(self) -> bool:
        return self.survey_state == "closed"


def unfinished(cycle: Cycle, now: datetime) -> Unfinished:
    statuses = Counter(row.status for row in collection.tracking(cycle))
    survey = staff.survey_of(cycle)
    state = (
        "none"
        if survey is None
        else ("open" if survey.is_open(now) else "closed" if survey.has_closed(now) else "not open yet")
    )
    return Unfinished(
        organisations=sum(statuses.values()),
        not_submitted=sum(n for s, n in statuses.items() if s not in collection.RECEIVED),
        reopened=statuses.get("reopened", 0),
        comments_pending=comment_count(cycle, "pending"),
        survey=survey,
        survey_state=state,
        staff_respondents=sum(staff.counts(survey).values()) if survey else None,
        duplicates=flagged_duplicates(cycle, survey),
    )


def flagged_duplicates(cycle: Cycle, survey: StaffSurvey | None) -> int:
    """The one place the publish page counts responses flagged as possible repeats and not excluded:
    the staff survey's near-duplicates and bursts (``staff.flagged``)."""
    return staff.flagged(survey).still_counted() if survey is not None else 0


def _comments(cycle: Cycle) -> Any:
    return (
        select(CommentReview.id)
        .outerjoin(Response, CommentReview.response_id == Response.id)
        .outerjoin(StaffResponse, CommentReview.staff_response_id == StaffResponse.id)
        .outerjoin(StaffSurvey, StaffResponse.survey_id == StaffSurvey.id)
        .where(or_(Response.cycle_id == cycle.id, StaffSurvey.cycle_id == cycle.id))
    )


def comment_count(cycle: Cycle, status: str) -> int:
    """The cycle's comments (from returns and the staff survey) with this review status, as the
    review queue counts them ("please specify" texts are coded instead)."""
    return counts(cycle)[status]


def approved_comments(cycle: Cycle) -> list[int]:
    """The ids of the cycle's approved comments: what an edition records, to tell the next one
    which are newly approved."""
    return sorted(db.session.scalars(_comments(cycle).where(CommentReview.status == "approved")))


# ---------------------------------------------------------------- against the last edition


def compare(
    before: Edition | None, returns: dict[str, str], staff_respondents: int | None, comments: list[int]
) -> dict[str, Any] | None:
    """What an edition of these returns (organisation: reference of the version), staff survey
    results (its respondents, None when not included) and approved comments adds or changes
    against ``before``; None for a first edition. Comments are compared by id where ``before``
    recorded them (every edition since this was added); otherwise which are new is not known."""
    if before is None:
        return None
    earlier = before.returns or {}
    summary = before.summary or {}
    known = set(summary.get("comments") or [])  # none recorded by an edition from before this was added
    approved, withdrawn = (
        (len(set(comments) - known), len(known - set(comments))) if "comments" in summary else (None, None)
    )
    return {
        "added": sorted(set(returns) - set(earlier)),
        "removed": sorted(set(earlier) - set(returns)),
        "changed": sorted(k for k in set(returns) & set(earlier) if returns[k] != earlier[k]),
        "staff": {"before": summary.get("staff_respondents"), "after": staff_respondents},
        "comments": {"approved": approved, "withdrawn": withdrawn},
    }


def recorded(edition: Edition, previous: Edition | None) -> dict[str, Any] | None:
    """What ``edition`` changed against ``previous``, as publishing recorded it; for an edition
    recorded before the staff survey was compared, its staff results from the two summaries."""
    changes = (edition.summary or {}).get("changes")
    if changes is None or "staff" in changes or previous is None:
        return changes
    return {
        **changes,
        "staff": {
            "before": (previous.summary or {}).get("staff_respondents"),
            "after": (edition.summary or {}).get("staff_respondents"),
        },
    }


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def in_words(changes: dict[str, Any] | None) -> list[str]:
    """Each change an edition makes against the one before, as a sentence (an empty list: none)."""
    if changes is None:
        return []
    lines = []
    staff_change = changes.get("staff") or {}
    before, after = staff_change.get("before"), staff_change.get("after")
    if after is not None and before is None:
        lines.append(f"The staff survey’s results added, from {_n(after, 'counted response')}")
    elif after is None and before is not None:
        lines.append("The staff survey’s results no longer included (the survey was reopened)")
    elif after is not None and after != before:
        lines.append(f"The staff survey’s results rebuilt from {_n(after, 'counted response')} ({before:,} before)")
    for key, what in (
        ("added", "New returns"),
        ("changed", "Returns changed"),
        ("removed", "Returns withdrawn (no longer submitted)"),
    ):
        if changes.get(key):
            lines.append(f"{what}: {', '.join(changes[key])}")
    comments = changes.get("comments") or {}
    if comments.get("approved"):
        lines.append(f"{_n(comments['approved'], 'comment')} newly approved for publication")
    if comments.get("withdrawn"):
        lines.append(f"{_n(comments['withdrawn'], 'comment')} no longer approved, so left out")
    return lines
