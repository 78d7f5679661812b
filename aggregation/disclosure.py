"""Disclosure control: which groups' figures are withheld, so that none comes from fewer people
than the threshold and none can be worked out from the published ones.

A structure describes the groups as sets of cells (the finest pieces anyone could ask about:
organisations, for the nation, its types and regions; a service and role, within an
organisation) and the splits of totals into parts. A group's total is its cells' sum, so a
withheld total can be recovered exactly when it is a combination of published totals: when its
cells' indicator lies in the span of the published groups'. ``withhold`` withholds, in turn,

1. every group below the threshold;
2. for each split, further parts (smallest first) until the withheld parts, with whoever is in the
   total but in no part, are none or at least the threshold where the total is published, and at
   least the threshold where the total is withheld (so that neither the total nor a small
   remainder of it can be had by difference from a larger group);
3. where a withheld group is still a combination of published ones (as across a cross-tabulation
   of types and regions), the smallest published group beside it in a split;

repeating 2 and 3 until nothing more is needed. Where respondents see the published figures beside
their own (``insiders``), step 3 also counts a withheld group as given away when it is a combination
of published groups and one cell's own figure.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np

K = TypeVar("K", bound=Hashable)


@dataclass
class Structure(Generic[K]):
    members: dict[K, frozenset[int]]  # group -> the cells in it
    splits: list[tuple[K, list[K]]]  # a total and the parts it splits into (each part's cells within it)
    cells: int
    _span: dict[tuple[frozenset[K], frozenset[K], bool], frozenset[K]] = field(default_factory=dict, repr=False)

    def recoverable(self, published: Iterable[K], withheld: Iterable[K], insiders: bool = False) -> frozenset[K]:
        """The withheld groups that are combinations of published ones; with ``insiders``, also those
        that are such a combination and one cell's own figure (which whoever it is knows)."""
        key = (frozenset(published), frozenset(withheld), insiders)
        if key not in self._span:  # the same pattern recurs across measures: worked out once
            self._span[key] = self._recoverable(*key)
        return self._span[key]

    def _recoverable(self, published: frozenset[K], withheld: frozenset[K], insiders: bool) -> frozenset[K]:
        if not withheld or not (published or insiders):
            return frozenset()
        rows = np.zeros((len(published), self.cells))
        for i, group in enumerate(published):
            rows[i, list(self.members[group])] = 1
        basis = np.zeros((0, self.cells))
        if published:
            _, s, vt = np.linalg.svd(rows, full_matrices=False)
            basis = vt[s > 1e-9 * s.max()]
        # What the published groups leave unexplained of each cell: a withheld group whose own
        # unexplained part is one cell's (a multiple of it) is given away to that cell's owner.
        cells = np.eye(self.cells) - basis.T @ basis
        cell_norms = np.linalg.norm(cells, axis=0)
        found = []
        for group in withheld:
            target = np.zeros(self.cells)
            target[list(self.members[group])] = 1
            rest = target - basis.T @ (basis @ target)
            if np.abs(rest).max() < 1e-6:
                found.append(group)
            elif insiders:
                norm = np.linalg.norm(rest)
                parallel = np.abs(rest @ cells) > (1 - 1e-9) * norm * np.maximum(cell_norms, 1e-12)
                if len(self.members[group]) == 1:  # a cell's own figure is no secret from itself
                    parallel[list(self.members[group])] = False
                if parallel.any():
                    found.append(group)
        return frozenset(found)


def withhold(counts: Mapping[K, int], structure: Structure[K], threshold: int, given: Iterable[K] = (),
             insiders: bool = False) -> set[K]:
    """The groups of ``counts`` (group -> respondents counted) whose figures are withheld; ``given``
    are withheld already (as an organisation withheld among its peers, when splitting it). With
    ``insiders``, no withheld group may be worked out by a respondent who adds its own figure to
    the published ones (the one NHS trust, say, finding the type withheld beside it)."""
    hidden = set(given) | {g for g, n in counts.items() if 0 < n < threshold}

    def exposed() -> frozenset[K]:
        return structure.recoverable([g for g in counts if g not in hidden],
                                     [g for g in hidden if counts.get(g, 0) > 0], insiders)

    while True:
        _by_difference(counts, structure.splits, threshold, hidden)
        if not exposed():
            return hidden
        for group in sorted(exposed(), key=str):  # asked again each time: one withheld may cover the next
            if group in exposed():
                hidden.add(_beside(group, counts, structure, hidden))


def _by_difference(counts: Mapping[K, int], splits: Sequence[tuple[K, list[K]]], threshold: int,
                   hidden: set[K]) -> None:
    changed = True
    while changed:
        changed = False
        for total, parts in splits:
            if counts.get(total, 0) == 0:
                continue
            shown = [p for p in parts if p not in hidden and counts.get(p, 0) > 0]
            unshown = counts[total] - sum(counts[p] for p in shown)
            # A published total: what is not shown is none or a group of at least the threshold. A
            # withheld total: its unshown part is at least the threshold too, or the total's own
            # total (a region, say) less the published parts would single out that small remainder.
            exposed = unshown < threshold if total in hidden else 0 < unshown < threshold
            if exposed and shown:
                hidden.add(min(shown, key=lambda p: (counts[p], str(p))))
                changed = True


def _beside(group: K, counts: Mapping[K, int], structure: Structure[K], hidden: set[K]) -> K:
    """The smallest published group to withhold so that ``group`` is no longer given away: a part
    beside it in a split, else one of its own parts, else any published group sharing its cells."""
    def shown(candidates: Iterable[K]) -> list[K]:
        return [c for c in candidates if c != group and c not in hidden and counts.get(c, 0) > 0]

    siblings = shown(p for _, parts in structure.splits if group in parts for p in parts)
    own_parts = shown(p for total, parts in structure.splits if total == group for p in parts)
    overlapping = shown(g for g, cells in structure.members.items() if cells & structure.members[group])
    candidates = siblings or own_parts or overlapping
    return min(candidates, key=lambda c: (counts[c], str(c)))
