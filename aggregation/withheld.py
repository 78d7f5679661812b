"""Which groups' figures of the return's questions are withheld, in the national tables and in
every benchmark alike, so that none comes from fewer respondents than the threshold and none can
be worked out from the others.

The groups are everyone, each authority type and each region; the cells are the returns that
answered the question. The national tables publish everyone and the types; each benchmark shows
its employer's own type and region beside everyone. One pattern per question (``disclosure.withhold``
over all those groups) covers the tables and every benchmark together: a type withheld in the
tables is withheld in every benchmark too, and a region that would give a withheld type away is
withheld with it. Each employer knows its own answer, so no withheld group may be worked out from
the published ones and any one return's answer either (the lone NHS trust must not find the type
withheld beside it from the total).
"""

from __future__ import annotations

from collections.abc import Sequence

from .dataset import Return
from .disclosure import Structure, withhold

Group = tuple[str, str]  # ("all", ""), ("type", "London Borough") or ("region", "London")
EVERYONE: Group = ("all", "")


def groups_of(ret: Return) -> list[Group]:
    return [EVERYONE, ("type", ret.authority_type)] + ([("region", ret.region)] if ret.region else [])


def withheld(returns: Sequence[Return], answered: Sequence[bool], threshold: int) -> frozenset[Group]:
    """The groups withheld for a question that the ``answered`` returns answered."""
    if threshold <= 0:
        return frozenset()
    members: dict[Group, set[int]] = {}
    for i, (ret, yes) in enumerate(zip(returns, answered, strict=True)):
        for group in groups_of(ret) if yes else []:
            members.setdefault(group, set()).add(i)
    frozen = {g: frozenset(m) for g, m in members.items()}
    types = [g for g in frozen if g[0] == "type"]
    regions = [g for g in frozen if g[0] == "region"]
    splits = [(EVERYONE, types)] + ([(EVERYONE, regions)] if regions else [])
    counts = {g: len(m) for g, m in frozen.items()}
    return frozenset(withhold(counts, Structure(frozen, splits, len(returns)), threshold, insiders=True))
