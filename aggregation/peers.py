"""The range of last year's national figures a soft check compares an answer with: the 5th to
95th percentile of each number question's answers in the previous edition's frozen dataset.
Pure: plain answers in, ranges out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from statistics import quantiles
from typing import Any

LOW, HIGH = 5, 95
"""The percentiles a peer-range check compares with."""


def peer_ranges(
    answer_sets: Iterable[Mapping[str, Any]], question_ids: Iterable[str], *, min_group: int
) -> dict[str, tuple[float, float]]:
    """(5th, 95th percentile) of each question's answers over ``answer_sets`` (one per return;
    "n/a" and blanks left out), only for questions answered by at least ``min_group`` returns
    (and by two at least): no range comes from fewer respondents than a published figure may."""
    answers = list(answer_sets)
    ranges: dict[str, tuple[float, float]] = {}
    for qid in question_ids:
        values = [
            float(a[qid]) for a in answers if isinstance(a.get(qid), int | float) and not isinstance(a.get(qid), bool)
        ]
        if len(values) < max(min_group, 2):
            continue
        cuts = quantiles(values, n=100, method="inclusive")
        ranges[qid] = (cuts[LOW - 1], cuts[HIGH - 1])
    return ranges


def dataset_ranges(
    frozen: Mapping[str, Any], question_ids: Mapping[str, str], *, min_group: int
) -> dict[str, tuple[float, float]]:
    """The ranges of an edition's frozen dataset (``dataset.json`` as read), for this year's
    ``question_ids`` mapped to the ids the edition's questionnaire had (renamed since, or not)."""
    by_old_id = peer_ranges(
        (r["answers"] for r in frozen.get("returns", [])), question_ids.values(), min_group=min_group
    )
    return {new: by_old_id[old] for new, old in question_ids.items() if old in by_old_id}
