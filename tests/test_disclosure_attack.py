"""An attack on every published file of an edition: for each figure withheld, it tries to work the
figure out from the figures published (totals, differences, means times their n, an employer's
own answer beside its benchmark's groups) and must recover none.

The attacker knows the register (each organisation's type and region) and, at worst, which of them
answered each question. A withheld group's total is recoverable when it is a combination of the
published groups' totals; the attack solves for each one and fails, giving the value it recovered
and how close the published rounding pins it. It runs on the demo's register and on a dataset built
to be awkward: one NHS trust alone in its type, a type of exactly the threshold, a region of two.
"""

import csv
import json
import random
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

import forms
from aggregation import edition
from aggregation.dataset import Dataset, Return
from aggregation.outputs import grid, slug
from aggregation.tables import compute
from forms import tablespec
from forms.synthetic import answers
from tests.helpers import awkward_dataset

Q = forms.load("health-check", "2017.1")
PUBLICATION_MIN, BENCHMARK_MIN = 3, 5
DEMO_REGISTER = Path(__file__).resolve().parent.parent / "demo" / "organisations.csv"
MEASURES = {m["label"]: m for t in tablespec.load(Q) if t["kind"] == "by_type" for m in t["measures"]}


def demo_dataset() -> Dataset:
    """The demo's register, answered as `healthcheck demo` answers it (all but the first five)."""
    with DEMO_REGISTER.open(encoding="utf-8") as fh:
        register = sorted(csv.DictReader(fh), key=lambda r: r["name"])
    returns = [
        Return(r["name"], r["authority_type"], answers(Q, random.Random(i), r["name"]), region=r["region"] or None)
        for i, r in enumerate(register)
        if i >= 5
    ]
    return Dataset(2017, Q, tablespec.load(Q), returns, {})


@pytest.fixture(scope="module", params=["demo", "awkward"])
def published(request, tmp_path_factory):
    dataset = demo_dataset() if request.param == "demo" else awkward_dataset()
    out = tmp_path_factory.mktemp(request.param) / "edition"
    edition.build(dataset, out, publication_min=PUBLICATION_MIN, benchmark_min=BENCHMARK_MIN, service="Test")
    return dataset, out


# ---------------------------------------------------------------- what the attacker knows


def groups_of(ret: Return) -> set[str]:
    return {"All", ret.authority_type} | ({f"{ret.region} region"} if ret.region else set())


class Equations:
    """Linear facts about one year's values of one question: sums of groups, each known to within
    the rounding of the figure it was worked out from."""

    def __init__(self, dataset: Dataset, answered: list[bool]) -> None:
        self.dataset, self.answered = dataset, answered
        self.rows: list[np.ndarray] = []
        self.sums: list[float] = []
        self.slack: list[float] = []
        self.published: set[str] = set()  # groups published nationally: no secret

    def group(self, name: str) -> np.ndarray:
        return np.array([float(a and name in groups_of(r)) for r, a in zip(self.dataset.returns, self.answered)])

    def one(self, organisation: str) -> np.ndarray:
        return np.array(
            [float(a and r.organisation == organisation) for r, a in zip(self.dataset.returns, self.answered)]
        )

    def add(self, vector: np.ndarray, mean: float, n: int) -> None:
        self.rows.append(vector)
        self.sums.append(mean * n)
        self.slack.append(0.5 * n)  # a whole number published: within half of it, times n

    def recover(self, target: np.ndarray) -> tuple[float, float] | None:
        """The target's total and how far off it could be, if the facts determine it; else None."""
        if not self.rows or not target.any():
            return None
        a = np.array(self.rows)
        coefficients, *_ = np.linalg.lstsq(a.T, target, rcond=None)
        if np.abs(a.T @ coefficients - target).max() > 1e-6:
            return None
        return float(coefficients @ np.array(self.sums)), float(np.abs(coefficients) @ np.array(self.slack))


def national_by_type(out: Path) -> list[dict]:
    return [t for t in json.loads((out / "tables" / "tables.json").read_text())["tables"] if t["kind"] == "by_type"]


def true_values(dataset: Dataset, label: str) -> tuple[list[float | None], list[bool]]:
    measure = MEASURES[label]
    values: list[float | None] = []
    for r in dataset.returns:
        v = r.answers.get(measure["question"])
        if not isinstance(v, int | float):
            values.append(None)
        elif "percent_of" in measure:
            d = r.answers.get(measure["percent_of"])
            values.append(100 * v / d if isinstance(d, int | float) and d > 0 else None)
        else:
            values.append(float(v))
    return values, [v is not None for v in values]


def national_facts(
    dataset: Dataset, table: dict, label: str, year_field: str = "printed"
) -> tuple[Equations, list[str]]:
    """The national table's facts about one measure, and the groups it withholds."""
    _, answered = true_values(dataset, label)
    facts, withheld = Equations(dataset, answered), []
    for row in (r for r in table["rows"] if r["measure"] == label):
        vector = facts.group(row["group"])
        if isinstance(row[year_field], int):
            facts.add(vector, row[year_field], int(vector.sum()))
            facts.published.add(row["group"])
        elif vector.any():
            withheld.append(row["group"])
    return facts, withheld


def assert_none_recovered(
    facts: Equations, withheld: list[str], values: list[float | None], where: str, exempt: str | None = None
) -> None:
    for group in withheld:
        target = facts.group(group)
        if exempt is not None and np.array_equal(target, facts.one(exempt)):
            continue  # the employer's own answer is not withheld from itself
        found = facts.recover(target)
        if found is not None:
            n = int(target.sum())
            truth = sum(v for v, t in zip(values, target) if t and v is not None) / n
            pytest.fail(
                f"{where}: the withheld {group} (n={n}) is {found[0] / n:.2f} ± {found[1] / n:.2f} from "
                f"the published figures; its true value is {truth:.2f}"
            )


# ---------------------------------------------------------------- the attacks


def test_the_national_tables_give_no_withheld_figure_away(published):
    dataset, out = published
    for table in national_by_type(out):
        for label in dict.fromkeys(r["measure"] for r in table["rows"]):
            values, _ = true_values(dataset, label)
            facts, withheld = national_facts(dataset, table, label)
            assert_none_recovered(facts, withheld, values, f"{table['number']}, {label}")
            if dataset.previous is not None:  # last year's column, from last year's returns
                old, _ = true_values(dataset.previous, label)
                facts, withheld = national_facts(dataset.previous, table, label, "previous_printed")
                assert_none_recovered(facts, withheld, old, f"{table['number']}, {label}, {dataset.previous.year}")


def _benchmarks(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((out / "benchmarks").glob("*.json"))]


def _shown(group: dict) -> bool:
    return not group["suppressed"]


def _groups_shown(results: list[dict]) -> dict[str, dict[str, tuple[float, int]]]:
    """Measure -> group -> (mean, n) of every type and region some benchmark shows. A benchmark
    shows the other employers like its own (itself left out) beside its own figure: together, the
    whole group's mean, which is what whoever holds that benchmark can work out."""
    shown: dict[str, dict[str, tuple[float, int]]] = defaultdict(dict)
    for result in results:
        for m in result["measures"]:
            for key, name in (("type", result["authority_type"]), ("region", f"{result['region']} region")):
                if (key == "type" or result["region"]) and _shown(m[key]):
                    own = [] if m["own"] is None else [m["own"]]
                    n = m[key]["n"] + len(own)
                    shown[m["measure"]][name] = ((m[key]["mean"] * m[key]["n"] + sum(own)) / n, n)
    return shown


def test_no_benchmark_with_its_employers_own_answers_gives_a_withheld_figure_away(published):
    dataset, out = published
    tables = national_by_type(out)
    for result in _benchmarks(out):
        me = result["organisation"]
        for m in result["measures"]:
            table = next(t for t in tables if any(r["measure"] == m["measure"] for r in t["rows"]))
            values, _ = true_values(dataset, m["measure"])
            facts, withheld = national_facts(dataset, table, m["measure"])
            if m["own"] is not None:
                facts.add(facts.one(me), round(m["own"]), 1)
            for key, name in (
                ("type", result["authority_type"]),
                ("region", f"{result['region']} region"),
                ("all", "All"),
            ):
                if key not in m or (key == "region" and not result["region"]):
                    continue
                if _shown(m[key]):  # the other employers like it: the group less the employer itself
                    vector = facts.group(name) - (facts.one(me) if key != "all" else 0)
                    facts.add(vector, round(m[key]["mean"], 1), m[key]["n"])
                elif name not in facts.published:
                    withheld.append(name)
            assert_none_recovered(facts, withheld, values, f"{me}'s benchmark, {m['measure']}", exempt=me)


def test_all_the_benchmarks_together_give_no_withheld_figure_away(published):
    dataset, out = published
    tables = national_by_type(out)
    shown_somewhere = _groups_shown(_benchmarks(out))
    for table in tables:
        for label in dict.fromkeys(r["measure"] for r in table["rows"]):
            values, _ = true_values(dataset, label)
            facts, withheld = national_facts(dataset, table, label)
            for name, (mean, n) in shown_somewhere[label].items():
                facts.add(facts.group(name), mean, n)
            regions = {f"{r.region} region" for r in dataset.returns if r.region}
            never = [g for g in withheld if g not in shown_somewhere[label]]
            never += [g for g in regions if g not in shown_somewhere[label]]
            assert_none_recovered(facts, never, values, f"every benchmark together, {label}")


def regional_tables(out: Path) -> list[dict]:
    return json.loads((out / "tables" / "regional-tables.json").read_text())["tables"]


def test_the_regional_tables_with_the_national_ones_and_every_benchmark_give_nothing_away(published):
    """The tables by region published beside the tables by type (and every benchmark's type and
    region figures): the one pattern over everyone, types and regions must hold for them all."""
    dataset, out = published
    national = {t["id"]: t for t in national_by_type(out)}
    shown_somewhere = _groups_shown(_benchmarks(out))
    checked = 0
    for table in regional_tables(out):
        assert table["by"] == "region" and table["id"] in national
        for label in dict.fromkeys(r["measure"] for r in table["rows"]):
            for year_data, field in ((dataset, "printed"), (dataset.previous, "previous_printed")):
                if year_data is None:
                    continue
                values, _ = true_values(year_data, label)
                facts, withheld = national_facts(year_data, national[table["id"]], label, field)
                for row in (r for r in table["rows"] if r["measure"] == label):
                    name = "All" if row["group"] == "All" else f"{row['group']} region"
                    vector = facts.group(name)
                    if isinstance(row[field], int):
                        facts.add(vector, row[field], int(vector.sum()))
                    elif vector.any():
                        withheld.append(name)
                if year_data is dataset:
                    for name, (mean, n) in shown_somewhere[label].items():
                        facts.add(facts.group(name), mean, n)
                    withheld = [g for g in withheld if g not in shown_somewhere[label]]
                checked += len(withheld)
                assert_none_recovered(facts, withheld, values, f"{table['number']}, {label}, {year_data.year}")
    assert checked, "nothing withheld: the attack proves nothing"


def test_single_choice_shares_in_benchmarks_give_no_withheld_share_away(published):
    dataset, out = published
    for result in _benchmarks(out):
        me = result["organisation"]
        for item in result["single"]:
            question = Q.question(item["question_id"])
            chosen = [
                r.answers.get(question.id) if forms.rules.is_asked(question, r.answers) else None
                for r in dataset.returns
            ]
            answered = [c is not None for c in chosen]
            for option in item["options"]:
                facts = Equations(dataset, answered)
                values = [float(c == option["value"]) if c is not None else None for c in chosen]
                withheld = []
                if item["own"] is not None:
                    facts.add(facts.one(me), float(item["own"] == option["value"]), 1)
                for key, name in (
                    ("type", result["authority_type"]),
                    ("region", f"{result['region']} region"),
                    ("all", "All"),
                ):
                    if key not in item or (key == "region" and not result["region"]):
                        continue
                    if _shown(item[key]):
                        percent = option["all_percent"] if key == "all" else option["peers_percent"]
                        if key == "all" or item["peers"]["fallback"] == (key == "region"):
                            # the others like it: the group less the employer itself, where it answered
                            vector = facts.group(name) - (facts.one(me) if key != "all" else 0)
                            facts.add(vector, round(percent) / 100, item[key]["n"])
                    else:
                        withheld.append(name)
                facts.slack = [0.005 * n for n in (int(r.sum()) for r in facts.rows)]  # whole per cents
                assert_none_recovered(facts, withheld, values, f"{me}'s benchmark, {item['title']}", exempt=me)


# ---------------------------------------------------------------- every file publishes the same figures

NUMBER = re.compile(r"-?\d+(\.\d+)?")


def test_every_file_publishes_the_figures_as_printed_and_no_more(published):
    dataset, out = published
    tables = json.loads((out / "tables" / "tables.json").read_text())["tables"]
    book = load_workbook(out / "tables" / "tables.xlsx")
    report_text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(out / "report.pdf").pages)
    for table in tables:
        cells = [v for r in table["rows"] for k, v in r.items() if k in ("value", "percent", "previous", "change")]
        assert not any(isinstance(v, float) for v in cells), f"{table['number']} publishes an unrounded figure"
        csv_rows = list(csv.reader((out / "tables" / f"{_slug(table)}.csv").open(encoding="utf-8")))
        header, printed = grid(table)
        sheet_rows = [
            list(row) for row in book[table["number"]].iter_rows(min_row=3, max_row=2 + len(printed), values_only=True)
        ]
        assert sheet_rows == printed, table["number"]  # the workbook holds exactly the printed figures
        for row in csv_rows[2 : 2 + len(table["rows"])]:
            assert not any(re.fullmatch(r"-?\d+\.\d+", c) for c in row), (table["number"], row)
        for row in sheet_rows:
            assert not any(isinstance(c, float) for c in row), (table["number"], row)
        if table["kind"] == "by_type":
            for group in dict.fromkeys(r["group"] for r in table["rows"]):
                printed = [
                    f"{'–' if r['printed'] is None else r['printed']} {r['n']}"
                    for r in table["rows"]
                    if r["group"] == group
                ]
                assert f"{group} {' '.join(printed)}" in report_text, (table["number"], group, printed)
            suppressed = {(r["measure"], r["group"]) for r in table["rows"] if r.get("suppressed")}
            in_csv = {(row[0], row[1]) for row in csv_rows[2 : 2 + len(table["rows"])] if row[4] == "*"}
            in_sheet = sum(cell == "*" for row in sheet_rows for cell in row)
            assert in_csv == suppressed and in_sheet == len(suppressed), table["number"]
    regional_book = load_workbook(out / "tables" / "regional-tables.xlsx")
    for table in regional_tables(out):
        header, printed = grid(table)
        assert header[0] == "Region"
        sheet_rows = [
            list(row)
            for row in regional_book[table["number"]].iter_rows(min_row=3, max_row=2 + len(printed), values_only=True)
        ]
        assert sheet_rows == printed, table["number"]
        csv_rows = list(csv.reader((out / "tables" / f"{_slug(table)}.csv").open(encoding="utf-8")))
        suppressed = {(r["measure"], r["group"]) for r in table["rows"] if r.get("suppressed")}
        assert {(row[0], row[1]) for row in csv_rows[2 : 2 + len(table["rows"])] if row[4] == "*"} == suppressed
        assert not any(
            isinstance(v, float) for r in table["rows"] for k, v in r.items() if k in ("value", "previous", "change")
        ), table["number"]
    for path in (out / "benchmarks").glob("*.csv"):  # a benchmark's figures to one decimal place, as it prints them
        rows = list(csv.reader(path.open(encoding="utf-8")))
        assert not any(re.fullmatch(r"-?\d+\.\d\d+%?", c) for row in rows for c in row), path.name
        assert any(re.fullmatch(r"-?\d+\.\d", c) for row in rows for c in row), path.name


def _slug(table: dict) -> str:
    return slug(table)


def test_the_awkward_dataset_withholds_what_it_must():
    """The attack above holds only if something is withheld: here the lone trust, the two of the North
    East, and beside each enough others that neither can be had by difference."""
    tables = {t["id"]: t for t in compute(awkward_dataset(), threshold=PUBLICATION_MIN)}
    hours = {r["group"]: r for r in tables["hours"]["rows"]}
    withheld = {g for g, r in hours.items() if r.get("suppressed")}
    assert "NHS Trust" in withheld and len(withheld) >= 2 and "All" not in withheld
