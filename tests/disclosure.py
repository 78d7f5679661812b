"""An attacker for the staff survey's disclosure tests: given every figure one audience sees, can
it work out any figure or count withheld from it by adding and subtracting those it sees?

Each group is a set of the finest cells respondents fall into: an organisation's service and role
(either of which may be unstated: ""). A group's total (its n, or its n times its score) is the
sum of its cells'. A withheld total can be recovered exactly when its cells' indicator lies in the
span of the known groups' indicators: then it is a combination of known totals. Cells that hold
nobody for the measure are taken as known to be empty (the attacker may know that no manager works
in children's services), which only makes the attacker stronger.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations

import numpy as np

Cell = tuple[str, str, str]  # organisation, service, role ("" for unstated or prefer not to say)
Group = tuple[str, ...]  # ("national",), ("type", T), ("region", R), ("organisation", O[, "service"|"role", V])
NO_REGION: Group = ("region", "")  # the organisations of no region: England less every region


class Attacker:
    """The cells of one measure, with how many counted in each; ``places`` gives each organisation's
    type and region."""

    def __init__(self, counts: Mapping[Cell, int], places: Mapping[str, tuple[str, str | None]]) -> None:
        self.places = places
        self.counts = dict(counts)
        self.cells = [c for c, n in counts.items() if n > 0]  # an empty cell is known to be zero

    def vector(self, group: Group | Sequence[Group]) -> np.ndarray:
        """A group's cells (or a union of disjoint groups', or ``("without", group, organisation)``:
        a group less one organisation in it), as a 0/1 row over the non-empty cells."""
        if group and isinstance(group[0], tuple):
            return np.sum([self.vector(g) for g in group], axis=0)  # type: ignore[arg-type]
        kind = group[0]
        if kind == "without":
            return self.vector(group[1]) * (1 - self.vector(("organisation", group[2])))  # type: ignore[arg-type]
        if kind == "national":
            inside = [True for _ in self.cells]
        elif kind == "type":
            inside = [self.places[c[0]][0] == group[1] for c in self.cells]
        elif kind == "region":
            inside = [(self.places[c[0]][1] or "") == group[1] for c in self.cells]
        elif len(group) == 2:
            inside = [c[0] == group[1] for c in self.cells]
        else:
            at = 1 if group[2] == "service" else 2
            inside = [c[0] == group[1] and c[at] == group[3] for c in self.cells]
        return np.array(inside, dtype=float)

    def n(self, group: Group | Sequence[Group]) -> int:
        return int(self.vector(group) @ np.array([self.counts[c] for c in self.cells], dtype=float))

    def learns(self, known: Iterable[Group], targets: Iterable[Group | tuple[Group, ...]]) -> list:
        """The targets whose totals the known groups' totals give away."""
        rows = [self.vector(g) for g in known]
        if not rows or not self.cells:
            return []
        _, s, vt = np.linalg.svd(np.vstack(rows), full_matrices=False)
        basis = vt[s > 1e-9 * s.max()] if s.max() > 0 else np.zeros((0, len(self.cells)))
        found = []
        for target in targets:
            vector = self.vector(target)
            if vector.any() and np.abs(vector - basis.T @ (basis @ vector)).max() < 1e-6:
                found.append(target)
        return found


def unions(withheld: Sequence[Group]) -> list[tuple[Group, ...]]:
    """Every union of two or more of the withheld parts of one split."""
    return [union for size in range(2, len(withheld) + 1) for union in combinations(withheld, size)]


def small_unions(attacker: Attacker, withheld: Sequence[Group], threshold: int) -> list[tuple[Group, ...]]:
    """Every union of two or more of the withheld parts of one split with fewer than the threshold
    in it (but someone): England less its published types, say, were it two small types."""
    return [union for union in unions(withheld) if 0 < attacker.n(union) < threshold]


def small_remainders(attacker: Attacker, totals: Iterable, organisation: str, threshold: int) -> list:
    """Each total (a group, or a union of a split's withheld parts) less one organisation in it,
    where that leaves fewer than the threshold (but someone): what the organisation, knowing its
    own, would have of the others were the total known to it."""
    found = []
    for total in totals:
        left = ("without", total, organisation)
        if attacker.n(left) < attacker.n(total) and 0 < attacker.n(left) < threshold:
            found.append(left)
    return found
