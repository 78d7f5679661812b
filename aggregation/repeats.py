"""Repeat responses to the staff survey: groups of one organisation's responses whose answers are
nearly the same, for the coordinating body to look at before publishing.

Two responses of the same organisation are *near-duplicates* when, of the items either of them
answered (every closed question: the statements, the workplace and the "about you" questions;
free text aside), at least ``SHARE`` (90 %) have the same answer in both. An item one answered and
the other left blank counts as different. Near-duplicates are joined into groups (a response like
one of a group's is in it), so three copies make one group of three.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

SHARE = 0.9


@dataclass(frozen=True)
class Group:
    """Near-duplicate responses of one organisation: their ids (sorted), and the lowest share of
    items answered alike between two of them that joined the group."""

    organisation: object
    ids: tuple[str, ...]
    share: float


def _indicators(rows: Sequence[Mapping[str, object]], items: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each response as two rows of 0s and 1s: one column for each answer given to each item (which
    answers it gave), and one for each item (which items it answered)."""
    columns: dict[tuple[int, str], int] = {}
    given: list[list[int]] = []
    for answers in rows:
        mine = []
        for j, item in enumerate(items):
            value = answers.get(item)
            if value in (None, "", []):
                continue
            key = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            mine.append(columns.setdefault((j, key), len(columns)))
        given.append(mine)
    chosen = np.zeros((len(rows), max(len(columns), 1)), dtype=np.float32)
    for i, mine in enumerate(given):
        chosen[i, mine] = 1
    item_of = np.array([j for j, _ in columns], dtype=np.int64)
    answered = np.zeros((len(rows), len(items)), dtype=np.float32)
    for i, mine in enumerate(given):
        answered[i, item_of[mine]] = 1
    return chosen, answered


def _pairs(chosen: np.ndarray, answered: np.ndarray, share: float) -> Iterable[tuple[int, int, float]]:
    """(i, j, share alike) for every pair i < j alike on at least ``share`` of what either answered:
    the answers both gave alike, over the items either answered (counts by matrix products,
    exact in float32 for any questionnaire's size)."""
    same = (chosen @ chosen.T).astype(np.float64)
    both = (answered @ answered.T).astype(np.float64)
    count = answered.sum(axis=1)
    either = count[:, None] + count[None, :] - both
    alike = np.where(either > 0, same / np.maximum(either, 1), 0.0)
    rows, cols = np.nonzero(np.triu(alike >= share - 1e-9, k=1))
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        yield i, j, float(alike[i, j])


def _root(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _groups(
    found: list[tuple[str, Mapping[str, object]]], items: Sequence[str], share: float
) -> list[tuple[tuple[str, ...], float]]:
    """One organisation's groups: (ids, lowest share alike of a pair that joined it)."""
    parent = list(range(len(found)))
    linked = list(_pairs(*_indicators([a for _, a in found], items), share))
    for i, j, _alike in linked:
        parent[_root(parent, i)] = _root(parent, j)
    lowest: dict[int, float] = {}
    for i, _j, alike in linked:
        r = _root(parent, i)
        lowest[r] = min(lowest.get(r, 1.0), alike)
    members: dict[int, list[str]] = {}
    for i, (response_id, _) in enumerate(found):
        members.setdefault(_root(parent, i), []).append(response_id)
    return [(tuple(sorted(ids)), lowest[r]) for r, ids in members.items() if len(ids) > 1]


def near_duplicates(
    responses: Iterable[tuple[str, object, Mapping[str, object]]], items: Sequence[str], share: float = SHARE
) -> list[Group]:
    """Groups of near-duplicates among ``responses`` ((id, organisation, answers)), compared within
    each organisation only; ordered by organisation as first given, then by id (never by arrival)."""
    by_organisation: dict[object, list[tuple[str, Mapping[str, object]]]] = {}
    for response_id, organisation, answers in responses:
        by_organisation.setdefault(organisation, []).append((response_id, answers))
    groups = []
    for organisation, found in by_organisation.items():
        if len(found) > 1:
            found.sort(key=lambda r: r[0])
            groups += [Group(organisation, ids, alike) for ids, alike in _groups(found, items, share)]
    return groups
