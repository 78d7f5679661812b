"""Statistical neighbours: the list the coordinator uploads (each organisation's nearest
neighbours, licensed by councils), kept whole: a new list replaces the old one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select

from ..extensions import db
from ..models import Organisation, StatisticalNeighbour
from . import Actor, audit


@dataclass
class Upload:
    """The list as it stands: when, by whom and from which file, and how many organisations."""

    uploaded_at: datetime
    uploaded_by: str
    file_name: str
    organisations: int
    pairs: int


def register() -> dict[str, Organisation]:
    """Every organisation by its name and its ONS code, casefolded, for reading a list."""
    found: dict[str, Organisation] = {}
    for organisation in db.session.scalars(select(Organisation)):
        found[organisation.name.casefold()] = organisation
        if organisation.ons_code:
            found.setdefault(organisation.ons_code.casefold(), organisation)
    return found


def replace(pairs: list[tuple[int, list[int]]], actor: Actor, file_name: str) -> int:
    """The list replaced by ``pairs`` (organisation id, its neighbours' ids nearest first); the
    caller commits. Returns how many neighbours were stored."""
    db.session.execute(delete(StatisticalNeighbour))
    rows = [
        {
            "organisation_id": org,
            "neighbour_id": n,
            "rank": rank,
            "uploaded_by": str(actor),
            "file_name": file_name[:200],
        }
        for org, neighbours in pairs
        for rank, n in enumerate(neighbours, start=1)
    ]
    if rows:
        db.session.execute(insert(StatisticalNeighbour), rows)
    audit(
        actor,
        "neighbours_import",
        detail={"organisations": len(pairs), "neighbours": len(rows), "file": file_name[:200]},
    )
    return len(rows)


def current() -> Upload | None:
    """What the stored list is, or None if there is none."""
    first = db.session.scalars(select(StatisticalNeighbour).limit(1)).first()
    if first is None:
        return None
    organisations, pairs = db.session.execute(
        select(func.count(func.distinct(StatisticalNeighbour.organisation_id)), func.count(StatisticalNeighbour.id))
    ).one()
    return Upload(first.uploaded_at, first.uploaded_by, first.file_name, organisations, pairs)


def lists() -> list[tuple[str, list[str]]]:
    """Each organisation's neighbours by name, nearest first, organisations in name order."""
    org, neighbour = Organisation.__table__.alias("o"), Organisation.__table__.alias("n")
    rows = db.session.execute(
        select(org.c.name, neighbour.c.name)
        .join(StatisticalNeighbour, StatisticalNeighbour.organisation_id == org.c.id)
        .join(neighbour, StatisticalNeighbour.neighbour_id == neighbour.c.id)
        .order_by(org.c.name, StatisticalNeighbour.rank)
    ).all()
    out: dict[str, list[str]] = {}
    for name, neighbour_name in rows:
        out.setdefault(name, []).append(neighbour_name)
    return list(out.items())


def mapping() -> dict[str, list[str]]:
    """The list as data for the benchmarks: organisation name -> its neighbours' names."""
    return dict(lists())
