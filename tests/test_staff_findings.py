"""Every key message of England's and a region's staff survey report (``aggregation.staff_findings``)
holds for the unrounded scores, the withheld ones included: a property test over random reports
built to have withheld scores, withheld types, exact ties and ties that exist only after rounding.
Each sentence is read back and every claim it makes checked against the figures."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregation import staff_findings
from aggregation.dataset import AUTHORITY_TYPES, PLURAL
from aggregation.staff_england import BANDS
from aggregation.tables import whole

# Few values, close together: exact ties (62.5 twice), ties only after rounding (62.4 and 62.0 both
# print 62; 62.5 and 62.6 both 63), and differences that only rounding hides (61.9999999 and 62).
SCORES = st.sampled_from([None, 47.5, 48.4, 48.5, 61.9999999, 62.0, 62.4, 62.5, 62.6, 70.0])
GROUP_OF = {v: k for k, v in PLURAL.items()}


def cell(score: float | None) -> dict:
    return {"score": score, "printed": whole(score), "withheld": None if score is not None else "fewer"}


@st.composite
def reports(draw) -> dict:
    region = draw(st.sampled_from([None, "North West"]))
    standards = []
    for i in range(1, 9):
        row = {
            "id": f"standard_{i}",
            "number": i,
            "title": f"Standard {i} title",
            "own": cell(draw(SCORES)),
            "national": cell(draw(SCORES)) if region else None,
        }
        standards.append(row)
    types = [
        {
            "name": t,
            "level": "type",
            "respondents": {"n": 50},
            "scores": {s["id"]: cell(draw(SCORES)) for s in standards},
        }
        for t in draw(st.lists(st.sampled_from(AUTHORITY_TYPES), unique=True, min_size=0, max_size=5))
    ]
    change = None
    if draw(st.booleans()):
        change = []
        for s in standards:
            before = cell(draw(SCORES))
            both = before["score"] is not None and s["own"]["score"] is not None
            change.append(
                {
                    "id": s["id"],
                    "number": s["number"],
                    "title": s["title"],
                    "now": s["own"],
                    "previous": before,
                    "change": s["own"]["printed"] - before["printed"] if both else None,
                    "exact_change": s["own"]["score"] - before["score"] if both else None,
                }
            )
    spread = {}
    for s in standards:
        counts = {b: draw(st.integers(0, 4)) for b in BANDS}
        spread[s["id"]] = counts | {
            "scored": sum(counts.values()),
            "not_scored": 0,
            "withheld": draw(st.sampled_from([None, None, None, "few"])),
        }
    return {
        "area": region or "England",
        "region": region,
        "cycle": 2020,
        "respondents": {"n": 900},
        "organisations": 40,
        "standards": standards,
        "groups": [] if region else types,
        "responses": [],
        "change": change,
        "previous_year": 2019 if change else None,
        "spread": spread,
    }


def numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)]


def check_strongest(sentence: str, report: dict) -> None:
    rows = report["standards"]
    hidden = [r["number"] for r in rows if r["own"]["score"] is None]
    if sentence.startswith("The scores for"):
        assert hidden and numbers(sentence.split(" are not shown")[0]) == hidden, sentence
        return
    assert not hidden, sentence  # a highest or lowest only where every standard's is shown
    values = {r["number"]: r["own"]["score"] for r in rows}
    if sentence.startswith("Every standard scores the same"):
        assert max(values.values()) - min(values.values()) < 1e-9
        return
    m = re.fullmatch(
        r"Highest-scoring: (.*?), at (\d+)( each)?(?:, (ahead of|behind) (.*?) only before rounding)?\. "
        r"Lowest: (.*?), at (\d+)( each)?(?:, (ahead of|behind) (.*?) only before rounding)?\.",
        sentence,
    )
    assert m, sentence
    for named, printed, way, close, extreme in ((m[1], m[2], m[4], m[5], max), (m[6], m[7], m[9], m[10], min)):
        top = extreme(values.values())
        tied = [n for n, v in values.items() if abs(v - top) < 1e-9]
        assert re.findall(r"standard (\d+)", named) == [str(n) for n in tied], (sentence, values)
        assert int(printed) == whole(top)
        near = [n for n, v in values.items() if n not in tied and whole(v) == whole(top)]
        assert numbers(close or "") == near, sentence
        if way:  # the named ones are ahead (highest) or behind (lowest) the close ones, unrounded
            assert (way == "ahead of") == (extreme is max)


def check_beside_england(sentence: str, report: dict) -> None:
    rows = {r["number"]: r for r in report["standards"]}
    both = [n for n, r in rows.items() if r["own"]["score"] is not None and r["national"]["score"] is not None]
    said: dict[str, list[int]] = {}
    for part in re.split(r"(?:, | and )(?=above|below|the same|standard)", sentence.rstrip(".")):
        m = re.search(
            r"(above England's|below England's|the same as England's to the nearest whole number|"
            r"the same as England's) on (standards? [\d, and]+)",
            part,
        )
        if m:
            said[m[1]] = said.get(m[1], []) + numbers(m[2])
    for n in both:
        own, england = rows[n]["own"], rows[n]["national"]
        if own["printed"] > england["printed"]:
            assert n in said.get("above England's", []), sentence
        elif own["printed"] < england["printed"]:
            assert n in said.get("below England's", []), sentence
        elif abs(own["score"] - england["score"]) < 1e-9:
            assert n in said.get("the same as England's", []), sentence
        else:
            assert n in said.get("the same as England's to the nearest whole number", []), sentence
    missing = sorted(set(rows) - set(both))
    if missing:
        assert sentence.endswith("cannot be compared, a score not being shown.")


def check_since(sentence: str, report: dict) -> None:
    rows = {r["number"]: r for r in report["change"]}
    assert sentence.startswith(f"Since {report['previous_year']}, ")
    body = sentence.split("; ")[0].rstrip(".").split("score ", 1)[1]
    parts = re.split(r"(?:, | and )(?=rose on|fell on|was the same)", body)

    def part_of(prefix: str) -> str | None:
        return next((p[len(prefix) :] for p in parts if p.startswith(prefix)), None)

    for n, r in rows.items():
        if r["change"] is None:
            assert re.search(rf"\b{n}\b", sentence.split("; ")[1]), sentence
            continue
        if r["change"] > 0:
            part = part_of("rose on ")
        elif r["change"] < 0:
            part = part_of("fell on ")
        elif abs(r["exact_change"]) < 1e-9:
            part = part_of("was the same on ")
        else:
            part = part_of("was the same to the nearest whole number on ")
        assert part and re.search(rf"(?<![\d(]){n}\b(?! points?)", part), (n, r["change"], sentence)
        sized = re.search(rf"\b{n} \((\d+) points?\)", part) or re.search(r"\((\d+) points?(?: each)?\)$", part)
        if r["change"]:
            assert sized and int(sized[1]) == abs(r["change"]), (n, sentence)
        else:
            assert "point" not in part, sentence


def check_by_type(sentence: str, report: dict) -> None:
    rows = report["standards"]
    lowest = min(rows, key=lambda r: r["own"]["score"])
    assert f"standard {lowest['number']} (" in sentence
    assert sum(1 for r in rows if abs(r["own"]["score"] - lowest["own"]["score"]) < 1e-9) == 1
    cells = {g["name"]: g["scores"][lowest["id"]] for g in report["groups"]}
    hidden = [t for t, c in cells.items() if c["score"] is None]
    if hidden:
        assert "highest" not in sentence and "lowest among" not in sentence, sentence
        for t in hidden:
            assert PLURAL[t] in sentence.split("withheld")[0].split("the figure")[-1], sentence
        return
    m = re.search(r"highest among (.*?) \((\d+)(?: each)?(?:, .*?)?\) and lowest among (.*?) \((\d+)", sentence)
    if m:
        values = {t: c["score"] for t, c in cells.items()}
        for names, printed, extreme in ((m[1], m[2], max), (m[3], m[4], min)):
            top = extreme(values.values())
            tied = sorted(t for t, v in values.items() if abs(v - top) < 1e-9)
            assert sorted(GROUP_OF[n] for n in re.split(r", | and ", names)) == tied, sentence
            assert int(printed) == whole(top)


def check_bands(sentence: str, report: dict) -> None:
    spread = report["spread"]
    assert all(not s["withheld"] for s in spread.values()), sentence
    most = max(s["low"] for s in spread.values())
    if most == 0:
        assert sentence == "No organisation's own score is low on any standard."
        return
    top = [r["number"] for r in report["standards"] if spread[r["id"]]["low"] == most]
    head = sentence.split(" ha")[0]
    named = numbers(head) if head.startswith("Standards ") else [int(re.match(r"Standard (\d+)", head)[1])]
    assert named == top and f": {most}" in sentence, sentence


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports())
def test_no_key_message_contradicts_the_unrounded_scores(report):
    said = {
        "strongest": staff_findings.strongest(report),
        "beside": staff_findings.beside_england(report),
        "by_type": staff_findings.by_type(report),
        "bands": staff_findings.bands(report),
        "since": staff_findings.since(report),
    }
    assert staff_findings.key_messages(report) == [staff_findings.response(report)] + [s for s in said.values() if s]
    if said["strongest"]:
        check_strongest(said["strongest"], report)
    if said["beside"]:
        check_beside_england(said["beside"], report)
    else:
        assert report["region"] is None or not any(
            r["own"]["score"] is not None and r["national"]["score"] is not None for r in report["standards"]
        )
    if said["since"]:
        check_since(said["since"], report)
    if said["by_type"]:
        check_by_type(said["by_type"], report)
    if said["bands"]:
        check_bands(said["bands"], report)
    for sentence in said.values():
        assert sentence is None or ("None" not in sentence and "nan" not in sentence), sentence


def test_a_tie_before_rounding_and_one_only_after_are_told_apart():
    report = {
        "area": "England",
        "region": None,
        "respondents": {"n": 900},
        "organisations": 40,
        "groups": [],
        "responses": [],
        "standards": [
            {"id": f"standard_{i}", "number": i, "title": f"T{i}", "own": cell(v)}
            for i, v in enumerate([62.5, 62.5, 62.6, 50.0, 48.4, 55.0, 56.0, 57.0], start=1)
        ],
    }
    said = staff_findings.strongest(report)
    assert said == (
        "Highest-scoring: standard 3 (T3), at 63, ahead of standards 1 and 2 only before rounding. "
        "Lowest: standard 5 (T5), at 48."
    )
    report["standards"][2]["own"] = cell(62.5)
    assert staff_findings.strongest(report).startswith(
        "Highest-scoring: standard 1 (T1), standard 2 (T2) and standard 3 (T3), at 63 each."
    )
