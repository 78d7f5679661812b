"""Disclosure control: which groups' figures are withheld, so that none comes from fewer people
than the threshold and none can be worked out from what its audience sees.

A structure describes the groups as sets of cells (the finest pieces anyone could ask about:
organisations, for the nation, its types and regions; a service and role, within an
organisation) and the splits of totals into parts. A group's total (its count, or its count times
its mean) is its cells' sum, so a withheld total can be recovered exactly when it is a combination
of published totals: when its cells' indicator lies in the span of the published groups'. Cells
known to hold nobody (``empty``) are left out: an attacker may know them to be zero.

``withhold`` withholds, in turn,

1. every group below the threshold; those ``given`` (withheld for reasons of their own: each
   organisation's figures, which only it sees); those ``bare`` (a group of too few organisations,
   withheld though its figure is no secret in itself); and, where each cell's owner knows its own
   figure (``insiders``), every group one cell makes all but fewer than the threshold of;
2. for each split, further parts (smallest first) until the withheld parts, with whoever is in the
   total but in no part, are none or at least the threshold where the total is published, and at
   least the threshold where the total is withheld (so that neither the total nor a small
   remainder of it can be had by difference from a larger group); with ``insiders``, also until
   that remainder less its largest cell is none or at least the threshold;
3. where a withheld group (but a bare one) is still a combination of published ones, or, with
   ``insiders``, of published ones and one cell's own figure (a cell's own figure being no secret
   from itself), or a bare group is a combination of published ones: the smallest published group
   beside it in a split, else the smallest published group that shares its cells;

repeating 2 and 3 until nothing more is needed. Two or more owners pooling what they know
(collusion) is not guarded against (docs/disclosure.md).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np

K = TypeVar("K", bound=Hashable)


@dataclass
class Structure(Generic[K]):
    members: dict[K, frozenset[int]]  # group -> the cells in it
    splits: list[tuple[K, list[K]]]  # a total and the parts it splits into (each part's cells within it)
    cells: int
    _span: dict[tuple[frozenset[K], frozenset[K], bool, frozenset[int]], frozenset[K]] = field(
        default_factory=dict, repr=False
    )
    _rows: dict[K, int] = field(default_factory=dict, repr=False)  # group -> its row of matrix

    def __post_init__(self) -> None:
        self._rows = {group: i for i, group in enumerate(self.members)}
        self.matrix = np.zeros((len(self.members), self.cells))  # each group's cells as a 0/1 row, in members' order
        for group, cells in self.members.items():
            self.matrix[self._rows[group], list(cells)] = 1

    def totals(self, cells: np.ndarray) -> dict[K, int]:
        """Each group's count from its cells' (``cells``: a count per cell, in order)."""
        return dict(zip(self.members, (int(n) for n in self.matrix @ cells), strict=True))

    def recoverable(
        self, published: Iterable[K], withheld: Iterable[K], insiders: bool = False, empty: Iterable[int] = ()
    ) -> frozenset[K]:
        """The withheld groups that are combinations of published ones (``empty`` cells being known
        to hold nobody); with ``insiders``, also those that are such a combination and one cell's
        own figure (which whoever it is knows)."""
        key = (frozenset(published), frozenset(withheld), insiders, frozenset(empty))
        if key not in self._span:  # the same pattern recurs across measures: worked out once
            self._span[key] = self._recoverable(*key)
        return self._span[key]

    def _recoverable(
        self, published: frozenset[K], withheld: frozenset[K], insiders: bool, empty: frozenset[int]
    ) -> frozenset[K]:
        if not withheld or not (published or insiders):
            return frozenset()
        # A cell known to hold nobody adds nothing to any total: the cells left are the unknowns.
        keep = np.ones(self.cells, dtype=bool)
        keep[list(empty)] = False
        targets = sorted(withheld, key=str)
        wanted = self.matrix[[self._rows[g] for g in targets]][:, keep]
        basis = np.zeros((0, int(keep.sum())))
        if published and keep.any():
            _, s, vt = np.linalg.svd(self.matrix[[self._rows[g] for g in published]][:, keep], full_matrices=False)
            basis = vt[s > 1e-9 * s.max()] if s.max() > 0 else basis
        rest = wanted - (wanted @ basis.T) @ basis  # what the published groups leave unexplained
        found = (np.abs(rest).max(axis=1, initial=0) < 1e-6) & wanted.any(axis=1)
        if insiders:
            # A withheld group whose unexplained part is one cell's (a multiple of it) is given
            # away to that cell's owner; a cell's own figure is no secret from itself.
            cells = np.eye(basis.shape[1]) - basis.T @ basis
            norms = np.linalg.norm(rest, axis=1)[:, None] * np.maximum(np.linalg.norm(cells, axis=0), 1e-12)[None, :]
            parallel = (np.abs(rest @ cells) > (1 - 1e-9) * norms) & (norms > 1e-9)
            alone = wanted.sum(axis=1) == 1
            parallel[alone] &= wanted[alone] == 0
            found |= parallel.any(axis=1)
        return frozenset(g for g, yes in zip(targets, found, strict=True) if yes)


def withhold(
    counts: Mapping[K, int],
    structure: Structure[K],
    threshold: int,
    given: Iterable[K] = (),
    insiders: bool = False,
    empty: Iterable[int] = (),
    bare: Iterable[K] = (),
    because: dict[K, K | None] | None = None,
) -> set[K]:
    """The groups of ``counts`` (group -> respondents counted) whose figures are withheld; ``given``
    are withheld already (an organisation's own figures among places; an organisation withheld
    from itself, when splitting it). With ``insiders``, no withheld group may be worked out by a
    cell's owner who adds its own figure to the published ones (the one NHS trust, say, finding
    the type withheld beside it). ``empty`` cells hold nobody, which an attacker may know. ``bare``
    groups are withheld though their figures are no secret in themselves (a group of two
    organisations, each of which would have the other's from it, where each organisation's figures
    are what is kept): they count as shown in a split, and only an outsider's working them out is
    prevented (what an insider would find in one is another cell's figure, itself kept). ``because``,
    if given, gets each group withheld in steps 2 and 3 and the withheld group it keeps from being
    worked out (None for a remainder that is no group)."""
    because = {} if because is None else because
    hidden = set(given) | set(bare) | {g for g, n in counts.items() if 0 < n < threshold}
    open_ = {g for g in bare if counts.get(g, 0) >= threshold}
    nobody = frozenset(empty)
    # Each cell's own count, where a group is that cell alone: what its owner knows.
    own = {next(iter(m)): counts.get(g, 0) for g, m in structure.members.items() if len(m) == 1} if insiders else {}
    if own:  # a group one cell makes all but a few of: its owner would have the few's figure
        hidden |= {
            g for g, m in structure.members.items() if 0 < counts.get(g, 0) - max(own.get(c, 0) for c in m) < threshold
        }

    def exposed() -> frozenset[K]:
        published = [g for g in counts if g not in hidden]
        return structure.recoverable(
            published, [g for g in hidden - open_ if counts.get(g, 0) > 0], insiders, nobody
        ) | structure.recoverable(published, open_, False, nobody)

    while True:
        _by_difference(counts, structure, threshold, hidden, open_, own, because)
        if not exposed():
            return hidden
        parts = {p for _, ps in structure.splits for p in ps}
        # A part of a split first (withholding one beside it is the remedy that costs least), and
        # asked again each time: one withheld may cover the next.
        for group in sorted(exposed(), key=lambda g: (g not in parts, str(g))):
            if group in exposed():
                chosen = _beside(group, counts, structure, hidden)
                hidden.add(chosen)
                because[chosen] = group


def _by_difference(
    counts: Mapping[K, int],
    structure: Structure[K],
    threshold: int,
    hidden: set[K],
    open_: set[K],
    own: Mapping[int, int],
    because: dict[K, K | None],
) -> None:
    """Step 2: parts withheld until no split leaves a small remainder, to anyone or (``own``: each
    cell's count, which its owner knows) to the owner of the largest cell in it. ``open_`` groups
    (withheld, but no secret) count as shown, and are never the part chosen."""
    changed = True
    while changed:
        changed = False
        for total, parts in structure.splits:
            if counts.get(total, 0) == 0:
                continue
            known = [p for p in parts if (p not in hidden or p in open_) and counts.get(p, 0) > 0]
            shown = [p for p in known if p not in hidden]
            unshown = counts[total] - sum(counts[p] for p in known)
            # A published total: what is not shown is none or a group of at least the threshold. A
            # withheld total: its unshown part is at least the threshold too, or the total's own
            # total (a region, say) less the published parts would single out that small remainder.
            exposed = unshown < threshold if total in hidden - open_ else 0 < unshown < threshold
            if own and not exposed:  # nor is what its largest cell's owner does not know of it small
                inside = structure.members[total] - frozenset().union(*(structure.members[p] for p in known))
                exposed = 0 < unshown - max((own.get(c, 0) for c in inside), default=0) < threshold
            if exposed and shown:
                chosen = min(shown, key=lambda p: (counts[p], str(p)))
                kept = [p for p in parts if p in hidden - open_ and counts.get(p, 0) > 0]
                hidden.add(chosen)
                because[chosen] = min(kept, key=lambda p: (counts[p], str(p))) if kept else None
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
