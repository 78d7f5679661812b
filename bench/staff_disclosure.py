"""What disclosure control withholds from a national-size staff survey, and why.

    .venv/bin/python bench/staff_disclosure.py [--organisations 145] [--respondents 11000] [--seed 2020]

A synthetic England: 145 organisations in England's mix of types (21 shire counties, 33 London
boroughs, 36 metropolitan districts, 50 unitary authorities, 5 NHS trusts of no region) and its
nine regions, about 11,000 respondents answering as ``forms.synthetic.staff_answers`` does (each
organisation leaning its own way), a few organisations at 6 to 9 and the trusts small (8 to 25).
Counts, for England, each type and each region, how many figures (8 standards' scores, 40
statements' shares, the count of respondents) are withheld from everyone and why; how many
organisations with 10 or more respondents see all eight of their scores; and how long scoring
took. Writes docs/disclosure.md (section "national-size").
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import forms  # noqa: E402
from aggregation import scores  # noqa: E402
from bench.docs import today, write_section  # noqa: E402
from forms import synthetic  # noqa: E402

Q = forms.load("staff-survey", "2020.1")
DOC = Path(__file__).resolve().parent.parent / "docs" / "disclosure.md"
OUTSIDE_LONDON = [
    "North East",
    "North West",
    "Yorkshire and the Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "South East",
    "South West",
]
METROPOLITAN = ["North East", "North West", "Yorkshire and the Humber", "West Midlands"]
MIX = {"Shire County": 21, "London Borough": 33, "Metropolitan District": 36, "Unitary Authority": 50, "NHS Trust": 5}


def register(organisations: int, rng: random.Random) -> list[tuple[str, str, str | None]]:
    """Organisations in England's mix of types (scaled to ``organisations``), each in a region."""
    total = sum(MIX.values())
    found = []
    for kind, count in MIX.items():
        for i in range(max(1, round(count * organisations / total))):
            region = (
                "London"
                if kind == "London Borough"
                else None
                if kind == "NHS Trust"
                else rng.choice(METROPOLITAN if kind == "Metropolitan District" else OUTSIDE_LONDON)
            )
            found.append((f"{kind} {i + 1:02d}", kind, region))
    return found[:organisations]


def respondents(organisations: int, total: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    places = register(organisations, rng)
    small = set(rng.sample(range(len(places)), 5))  # a few organisations at 6 to 9
    trusts = {i: rng.randint(8, 25) for i, place in enumerate(places) if place[1] == "NHS Trust" and i not in small}
    weights = {i: rng.lognormvariate(0, 0.6) for i in range(len(places)) if i not in small and i not in trusts}
    sizes = {i: rng.randint(6, 9) for i in small} | trusts
    left = total - sum(sizes.values())
    sizes |= {i: max(10, round(left * w / sum(weights.values()))) for i, w in weights.items()}
    rows = []
    for i, (name, kind, region) in enumerate(places):
        size = sizes[i]
        lean = synthetic.leaning(rng)
        rows += [
            {
                "organisation": name,
                "authority_type": kind,
                "region": region,
                "answers": synthetic.staff_answers(Q, rng, name, lean),
            }
            for _ in range(size)
        ]
    return rows


def measure(rows: list[dict], title: str) -> list[str]:
    """What scoring ``rows`` withholds of England's, the types' and the regions' figures, and why."""
    df = scores.frame(rows, Q)
    print(f"{title}: {len(df):,} respondents in {df['organisation'].nunique()} organisations; scoring ...", flush=True)
    start = time.perf_counter()
    scored = scores.score(df, Q)
    result = scores.published(scored, df, Q, 2020)
    elapsed = time.perf_counter() - start
    groups = [tuple(g["group"].split(":", 1)) for g in result["groups"]]
    measures = [*scored.measures, scores.RESPONDENTS]
    by_group: dict[tuple[str, ...], Counter[str]] = {}
    for key in groups:
        for m in measures:
            cell = scored.count(key) if m == scores.RESPONDENTS else scored.cell(key, m)
            if cell["withheld"]:
                words = (
                    f"it would let someone work out {cell['because']}"
                    if cell["because"]
                    else scores.why(cell["withheld"], scores.MIN_GROUP)
                )
                by_group.setdefault(key, Counter())[words] += 1
    sizes = df.groupby("organisation").size()
    large = [o for o in result["organisations"] if o["respondents"] >= 10]
    complete = [o for o in large if all(c["printed"] is not None for c in o["scores"].values())]
    lines = [
        f"### {title}",
        "",
        f"{len(df):,} respondents in {len(sizes)} organisations ({int((sizes < 10).sum())} of fewer than 10; the "
        f"largest {int(sizes.max())}). Scoring and withholding took {elapsed:.1f} s.",
        "",
        f"- Organisations with at least 10 respondents: {len(large)}; seeing all eight of their scores: "
        f"{len(complete)}.",
        f"- Figures of England, the {sum(k[0] == 'type' for k in groups)} types and "
        f"{sum(k[0] == 'region' for k in groups)} regions ({len(measures)} each: 8 scores, "
        f"{len(scored.measures) - 8} statements' shares, the count of respondents): "
        f"{len(groups) * len(measures):,}; withheld: {sum(sum(c.values()) for c in by_group.values())}.",
    ]
    for key, counted in sorted(by_group.items()):
        name = "England" if key == ("national",) else key[1]
        lines.append(f"  - {name}: " + "; ".join(f"{n} because {words}" for words, n in counted.most_common()) + ".")
    return lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organisations", type=int, default=145)
    parser.add_argument("--respondents", type=int, default=11_000)
    parser.add_argument("--seed", type=int, default=2020)
    args = parser.parse_args()
    rows = respondents(args.organisations, args.respondents, args.seed)
    # The case found on main: the trusts three, of three respondents each.
    small_trusts = [r for r in rows if r["authority_type"] != "NHS Trust"]
    small_trusts += [
        r | {"organisation": f"NHS Trust {i + 1:02d}"}
        for i in range(3)
        for r in [r for r in rows if r["authority_type"] == "NHS Trust"][:3]
    ]
    lines = [
        "## A national-size survey",
        "",
        f"Measured {today():%d %B %Y} by `bench/staff_disclosure.py` (seed {args.seed}): synthetic "
        "respondents in England's mix of types and its nine regions, each organisation leaning its own way.",
        "",
    ]
    lines += measure(rows, "NHS trusts of 8 to 25 respondents")
    lines += measure(small_trusts, "Three NHS trusts of three respondents each, as found on main")
    print("\n".join(lines))
    write_section("national-size", lines, DOC)


if __name__ == "__main__":
    main()
