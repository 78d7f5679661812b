"""An attacker for the disclosure tests: given every figure published, can any withheld one be
worked out by adding and subtracting published ones?

Each group is a set of the finest cells respondents fall into (an organisation's service and role,
either of which may be unstated). A group's total (its n, or its n times its score) is the sum of
its cells'. A withheld total can be recovered exactly when its cells' indicator lies in the span
of the published groups' indicators: then it is a combination of published totals.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

Cell = tuple[str, str, str]  # organisation, service, role ("" for unstated or prefer not to say)
Group = tuple[str, ...]  # ("national",), ("type", T), ("region", R), ("organisation", O[, "service"|"role", V])


def members(group: Group, cells: list[Cell], places: dict[str, tuple[str, str]]) -> np.ndarray:
    """The cells in a group, as a 0/1 row."""
    kind = group[0]
    if kind == "national":
        inside = [True for _ in cells]
    elif kind == "type":
        inside = [places[c[0]][0] == group[1] for c in cells]
    elif kind == "region":
        inside = [places[c[0]][1] == group[1] for c in cells]
    elif len(group) == 2:
        inside = [c[0] == group[1] for c in cells]
    else:
        at = 1 if group[2] == "service" else 2
        inside = [c[0] == group[1] and c[at] == group[3] for c in cells]
    return np.array(inside, dtype=float)


def recoverable(published: Iterable[Group], withheld: Iterable[Group], cells: list[Cell],
                places: dict[str, tuple[str, str]]) -> list[Group]:
    """The withheld groups whose totals the published groups' totals give away."""
    rows = [members(g, cells, places) for g in published]
    if not rows:
        return []
    a = np.vstack(rows)
    _, s, vt = np.linalg.svd(a, full_matrices=False)
    basis = vt[s > 1e-9 * s.max()]  # an orthonormal basis of what published totals can combine into
    found = []
    for group in withheld:
        target = members(group, cells, places)
        residual = target - basis.T @ (basis @ target)
        if np.abs(residual).max() < 1e-6:
            found.append(group)
    return found
