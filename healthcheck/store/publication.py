"""What a cycle's results are made from, and the editions they were published in."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from aggregation.dataset import Dataset, Return
from forms import tablespec

from ..extensions import db
from ..models import Cycle, Edition, EditionFile, Organisation, Response, ResponseStatus
from . import neighbours, review
from .collection import populations, questionnaire_for
from .submitted import latest_submitted, named

# Kept in an edition so that its results can be rebuilt, never served: the staff survey's responses.
NEVER_SERVED = frozenset({"staff_dataset"})


def returns_for_export(cycle: Cycle, include_drafts: bool = False) -> list[tuple[Response, dict]]:
    """(return, answers) for each return: its latest submitted version, or with ``include_drafts``
    the working answers of returns begun but never submitted."""
    out = [(response, version.answers) for response, version in latest_submitted(cycle)]
    if include_drafts:
        submitted = {response.id for response, _ in out}
        drafts = db.session.scalars(
            select(Response)
            .join(Response.organisation)
            .options(contains_eager(Response.organisation))
            .where(Response.cycle_id == cycle.id, Response.status != ResponseStatus.NOT_STARTED.value)
            .order_by(Organisation.name)
        )
        out += [(r, r.answers or {}) for r in drafts if r.id not in submitted]
        out.sort(key=lambda pair: pair[0].organisation.name)
    return out


def dataset(cycle: Cycle, with_previous: bool = True) -> Dataset:
    """Everything ``aggregation`` needs for a cycle's national outputs, as plain data: the latest
    submitted version of each return, coded categories, approved comments, populations, and
    every earlier cycle's returns renamed to this questionnaire's ids. A fixed number of
    queries per cycle, whatever the number of returns."""
    questionnaire = questionnaire_for(cycle)
    coded = review.codings(cycle)
    submitted = latest_submitted(cycle)
    returns = [
        Return(
            r.organisation.name,
            r.organisation.authority_type,
            v.answers,
            coded.get(r.id, {}),
            v.reference,
            r.organisation.region or None,
        )
        for r, v in submitted
    ]
    labels = dict(review.open_answer_keys(questionnaire))
    # Free-text comments once approved on review; "Other (please specify)" answers once coded
    # (the coordinator read each to code it), as redacted, unless excluded.
    comments = [
        {
            "question_id": c.question_id,
            "label": labels[c.question_id].label if c.question_id in labels else c.question_id,
            "section_id": labels[c.question_id].section_id if c.question_id in labels else None,
            "text": c.redacted,
            "categories": coded.get(c.response_id or 0, {}).get(c.question_id, []),
        }
        for c in review.published_answers(cycle, questionnaire, coded)
    ]
    previous = None
    if with_previous and cycle.previous_cycle_id:
        earlier = db.session.get(Cycle, cycle.previous_cycle_id)
        assert earlier is not None
        previous = dataset(earlier)
        _in_these_ids(
            previous,
            questionnaire.previous.get("renamed", {})
            if questionnaire.previous.get("version") == earlier.questionnaire_version
            else {},
        )
        level: Dataset | None = previous
        while level is not None:  # every earlier year is read with this year's questions and tables
            level.questionnaire, level.tables = questionnaire, tablespec.load(questionnaire)
            level = level.previous
    return Dataset(
        year=cycle.year,
        questionnaire=questionnaire,
        tables=tablespec.load(questionnaire),
        returns=returns,
        populations=populations(cycle),
        comments=comments,
        categories=review.added_categories(cycle),
        previous=previous,
        named=named(submitted),
        neighbours=neighbours.mapping(),
    )


def _in_these_ids(earlier: Dataset, renamed: dict[str, str]) -> None:
    """Rename an earlier year's answer keys (and those of the years before it) to this year's."""

    def rename(key: str) -> str:
        if key in renamed:
            return renamed[key]
        if key.endswith("_other") and key[:-6] in renamed:
            return renamed[key[:-6]] + "_other"
        return key

    level: Dataset | None = earlier
    while level is not None:
        for r in level.returns:
            r.answers = {rename(k): v for k, v in r.answers.items()}
            r.coded = {rename(k): v for k, v in r.coded.items()}
        level = level.previous


# ---------------------------------------------------------------- editions


def editions(cycle: Cycle) -> list[Edition]:
    """Every edition of a cycle's results, the latest first."""
    return list(db.session.scalars(select(Edition).where(Edition.cycle_id == cycle.id).order_by(Edition.number.desc())))


def add_edition(edition: Edition, files: list[tuple[str, str, str | None, int, str]]) -> None:
    """A built edition recorded, with its files: each as (path, kind, the name of the organisation
    it is for or None, size, SHA-256)."""
    ids = {o.name: o.id for o in db.session.scalars(select(Organisation))}
    edition.files = [
        EditionFile(path=path, kind=kind, organisation_id=ids.get(name or ""), size=size, sha256=sha256)
        for path, kind, name, size, sha256 in files
    ]
    db.session.add(edition)


def latest_edition(cycle: Cycle) -> Edition | None:
    return db.session.scalar(
        select(Edition).where(Edition.cycle_id == cycle.id).order_by(Edition.number.desc()).limit(1)
    )


def edition_made_by(job_id: int) -> Edition | None:
    """The edition a publication job recorded, if it has."""
    return db.session.scalar(select(Edition).where(Edition.job_id == job_id))


def edition(cycle: Cycle, number: int) -> Edition | None:
    if not 0 < number < 2**31:
        return None
    return db.session.scalar(select(Edition).where(Edition.cycle_id == cycle.id, Edition.number == number))


def edition_file(edition: Edition, path: str, organisation: Organisation | None = None) -> EditionFile | None:
    """A file of the edition; a benchmark's file only for its own organisation."""
    stmt = select(EditionFile).where(EditionFile.edition_id == edition.id, EditionFile.path == path)
    if organisation is not None:
        stmt = stmt.where(EditionFile.organisation_id == organisation.id)
    return db.session.scalar(stmt)


def files_of(edition: Edition, kind: str) -> list[EditionFile]:
    """An edition's files of one kind (its staff survey's scores, regions' reports...), by path."""
    return list(
        db.session.scalars(
            select(EditionFile)
            .where(EditionFile.edition_id == edition.id, EditionFile.kind == kind)
            .order_by(EditionFile.path)
        )
    )


def organisation_file(edition: Edition, organisation: Organisation, kind: str, suffix: str) -> EditionFile | None:
    """One organisation's own file of an edition: its benchmark or its staff survey results."""
    return db.session.scalar(
        select(EditionFile).where(
            EditionFile.edition_id == edition.id,
            EditionFile.organisation_id == organisation.id,
            EditionFile.kind == kind,
            EditionFile.path.endswith(suffix),
        )
    )


def published() -> list[tuple[Cycle, list[Edition]]]:
    """Every cycle with at least one edition, the latest year first, each with its editions (the
    latest first): what the open data API lists. One query, whatever the number of cycles."""
    every = db.session.scalars(
        select(Edition)
        .join(Edition.cycle)
        .options(contains_eager(Edition.cycle))
        .order_by(Cycle.year.desc(), Edition.number.desc())
    ).all()
    out: dict[int, tuple[Cycle, list[Edition]]] = {}
    for found in every:
        out.setdefault(found.cycle_id, (found.cycle, []))[1].append(found)
    return list(out.values())
