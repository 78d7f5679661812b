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
_CHUNK = 256  # rows compared at once: memory stays small for any organisation's size


@dataclass(frozen=True)
class Group:
    """Near-duplicate responses of one organisation: their ids (sorted), and the lowest share of
    items answered alike between two of them that joined the group."""

    organisation: object
    ids: tuple[str, ...]
    share: float


def _codes(rows: Sequence[Mapping[str, object]], items: Sequence[str]) -> np.ndarray:
    """Each response's answers as whole numbers, one column an item: 0 for no answer, otherwise
    one number for each distinct answer to that item."""
    table = np.zeros((len(rows), len(items)), dtype=np.int32)
    for j, item in enumerate(items):
        seen: dict[str, int] = {}
        for i, answers in enumerate(rows):
            value = answers.get(item)
            if value in (None, "", []):
                continue
            key = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            table[i, j] = seen.setdefault(key, len(seen) + 1)
    return table


def _pairs(table: np.ndarray, share: float) -> Iterable[tuple[int, int, float]]:
    """(i, j, share alike) for every pair i < j alike on at least ``share`` of what either answered."""
    given = table != 0
    n = len(table)
    for start in range(0, n, _CHUNK):
        block, block_given = table[start:start + _CHUNK], given[start:start + _CHUNK]
        same = ((block[:, None, :] == table[None, :, :]) & block_given[:, None, :]).sum(axis=2)
        either = (block_given[:, None, :] | given[None, :, :]).sum(axis=2)
        alike = np.where(either > 0, same / np.maximum(either, 1), 0.0)
        rows, cols = np.nonzero(alike >= share - 1e-12)
        for a, b in zip(rows.tolist(), cols.tolist(), strict=True):
            i = start + a
            if i < b:
                yield i, b, float(alike[a, b])


def _root(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _groups(found: list[tuple[str, Mapping[str, object]]], items: Sequence[str],
            share: float) -> list[tuple[tuple[str, ...], float]]:
    """One organisation's groups: (ids, lowest share alike of a pair that joined it)."""
    parent = list(range(len(found)))
    linked = list(_pairs(_codes([a for _, a in found], items), share))
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


def near_duplicates(responses: Iterable[tuple[str, object, Mapping[str, object]]], items: Sequence[str],
                    share: float = SHARE) -> list[Group]:
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
