"""The staff survey's part of an edition: the frozen responses, the scores as files, what keeps
people, England's and each region's report, and each organisation's results (JSON for the web
pages, and a PDF). One process does it
all: 160 organisations' reports take about 12 s (docs/performance.md, "staff-reports")."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import batch, drivers, profile, score_files, scores, staff_england, staff_national, staff_pdf
from .dataset import StaffData, staff_to_dict

Progress = Callable[[str, int, int], None]
Made = tuple[str, str, str | None]  # path within the edition, kind, organisation


def build(
    staff: StaffData,
    folder: Path,
    threshold: int,
    out: Path,
    service: str,
    progress: Progress = lambda step, done, total: None,
) -> list[Made]:
    progress("staff", 0, 0)
    folder.mkdir()
    (folder / "dataset.json").write_text(json.dumps(staff_to_dict(staff), ensure_ascii=False), encoding="utf-8")
    q = staff.questionnaire
    frame = scores.frame(staff.respondents, q)
    scored = scores.score(frame, q, threshold)
    result = scores.published(scored, frame, q, staff.year)
    national = drivers.drivers(frame, q)
    (folder / "drivers.json").write_text(json.dumps(national, indent=1), encoding="utf-8")
    paths = [(folder / "dataset.json", "staff_dataset"), (folder / "drivers.json", "staff_scores")]
    paths += [(p, "staff_scores") for p in score_files.write(result, folder)]
    made: list[Made] = [(p.relative_to(out).as_posix(), kind, None) for p, kind in paths]
    earlier_scored = _earlier_scored(staff.previous, threshold)
    earlier = _earlier(staff.previous, earlier_scored)
    regions = sorted({o["region"] for o in result["organisations"] if o["region"]})
    progress("staff_england", 0, 0)
    overview = staff_national.Overview(
        staff_england.responses(frame, scored, staff.headcounts, threshold),
        staff_england.who_answered(frame, q, scored, threshold),
        staff_england.spread(result, regions),
        earlier_scored,
        staff.previous.questionnaire if staff.previous else None,
        staff.previous.year if staff.previous else None,
    )
    made += _areas(staff, scored, result, drivers.shown(national, threshold), threshold, folder, out, service, overview)

    (folder / "organisations").mkdir()
    names = [o["organisation"] for o in result["organisations"]]
    answers: dict[str, list[dict[str, Any]]] = {}
    for r in staff.respondents:
        answers.setdefault(r["organisation"], []).append(r["answers"])
    taken: set[str] = set()
    for done, name in enumerate(names):
        progress("staff_reports", done, len(names))
        report = scores.with_previous(scores.organisation_report(scored, result, name, q), earlier)
        own = frame[frame["organisation"] == name]
        mine = drivers.drivers(own, q) if len(own) >= drivers.MIN_RESPONDENTS else None
        found = mine | {"own": True} if mine and mine["estimated"] else national | {"own": False}
        report["drivers"] = drivers.shown(found, threshold)
        report["profile"] = profile.profile(
            answers.get(name, []), q, staff.workforce.get(name, {}), threshold, withheld=_withheld_parts(report)
        )
        report["comments"] = [
            c["text"] for c in staff.comments if c["organisation"] == name and len(own) >= threshold
        ]  # a handful's comments could point to them
        stem = folder / "organisations" / _unique(batch.filename(name, staff.year, "staff-survey"), taken)
        stem.with_suffix(".json").write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
        stem.with_suffix(".pdf").write_bytes(staff_pdf.organisation_pdf(report, staff.year, threshold, service))
        made += [
            (p.relative_to(out).as_posix(), "staff_report", name)
            for p in (stem.with_suffix(".json"), stem.with_suffix(".pdf"))
        ]
    progress("staff_reports", len(names), len(names))
    return made


def _areas(
    staff: StaffData,
    scored: scores.Scored,
    result: dict[str, Any],
    national: dict[str, Any],
    threshold: int,
    folder: Path,
    out: Path,
    service: str,
    overview: staff_national.Overview,
) -> list[Made]:
    """England's report and each region's, as JSON (for the coordinator's pages) and PDF."""
    (folder / "regions").mkdir()
    regions = sorted({o["region"] for o in result["organisations"] if o["region"]})
    made: list[Made] = []
    for region in [None, *regions]:
        report = staff_national.area_report(
            scored, result, staff.questionnaire, national, set(staff.named), region, overview
        )
        stem = (
            folder / batch.filename(staff_national.ENGLAND, staff.year, "staff-survey")
            if region is None
            else folder / "regions" / batch.filename(region, staff.year, "staff-survey")
        )
        stem.with_suffix(".json").write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
        stem.with_suffix(".pdf").write_bytes(staff_national.area_pdf(report, threshold, service))
        kind = "staff_national" if region is None else "staff_region"
        made += [
            (p.relative_to(out).as_posix(), kind, None) for p in (stem.with_suffix(".json"), stem.with_suffix(".pdf"))
        ]
    return made


def _unique(stem: str, taken: set[str]) -> str:
    """A file name no other organisation's report has ("St Helens" and "St. Helens" make the same)."""
    found, n = stem, 1
    while found in taken:
        n += 1
        found = f"{stem}-{n}"
    taken.add(found)
    return found


def _earlier_scored(previous: StaffData | None, threshold: int) -> scores.Scored | None:
    """Last year's scores as published then (under this year's threshold)."""
    if previous is None:
        return None
    return scores.score(scores.frame(previous.respondents, previous.questionnaire), previous.questionnaire, threshold)


def _earlier(previous: StaffData | None, scored: scores.Scored | None) -> dict[str, Any] | None:
    """Last year's scores.json, as published then."""
    if previous is None or scored is None:
        return None
    frame = scores.frame(previous.respondents, previous.questionnaire)
    return scores.published(scored, frame, previous.questionnaire, previous.year)


def _withheld_parts(report: dict[str, Any]) -> dict[str, list[str]]:
    """The services and roles whose counts the report's breakdowns withhold: withheld in its
    profile too (where "prefer not to say, or no answer" is ``profile.NOT_SAID``)."""
    return {
        b: [p["value"] or profile.NOT_SAID for p in report["breakdowns"][b] if p["respondents"]["withheld"]]
        for b in scores.BREAKDOWNS
    }
