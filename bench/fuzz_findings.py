"""How many generated examples the fuzz tests need: each fault below is put back into the code
(in this process only, by rewriting one function's source), and the fuzz test is run as
`make test` runs it, its examples derandomized, up to --max-examples of them. For each fault the
script reports the first example that failed, so that the number the tests run can be set from
figures (tests/test_fuzz.py's docstring quotes them; docs/testing.md keeps them).

    .venv/bin/python bench/fuzz_findings.py [--max-examples 10000]

The faults: the one the 10,000 form posts found when they were written (a save whose page version
was missing or not a number crashed), and faults of the same kinds in the validators and the
import's parser (an answer read without checking it is one of the options, an email address
that is not one left to crash the page, a number cell turned into a number before its digits are
checked)."""

from __future__ import annotations

import argparse
import functools
import inspect
import os
import shutil
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from flask_migrate import upgrade

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.docs import write_section  # noqa: E402
from forms.answer_types import Number, Single, Text  # noqa: E402
from healthcheck import create_app, return_pages  # noqa: E402
from healthcheck.extensions import db  # noqa: E402
from tests.environment import CheckingClient  # noqa: E402
from tests.helpers import seed_cycle, sign_in  # noqa: E402

DOC = Path(__file__).resolve().parent.parent / "docs" / "testing.md"
TESTS_RUN = 1_000  # HEALTHCHECK_FUZZ_EXAMPLES's default in tests/test_fuzz.py


@dataclass
class Fault:
    name: str
    owner: ModuleType | type  # the module, or the answer type's class, that holds the function
    function: str
    old: str
    new: str
    test: str  # "posts" or "rows"


FAULTS = [
    Fault(
        "a page version that is missing or not a number crashes the save (found by the fuzz in November)",
        return_pages,
        "_version",
        "    try:\n        number = int(text)\n    except ValueError:\n        return None\n",
        "    number = int(text)\n",
        "posts",
    ),
    Fault(
        "a single-choice answer is read without checking it is one of the options",
        Single,
        "check",
        '    if self.q.option(value) is None:\n        return None, message("bad_option", self.q)\n'
        "    return value, None",
        "    return self.q.option(value).value, None",
        "posts",
    ),
    Fault(
        "an email address that is not one crashes the page instead of getting a message",
        Text,
        "check",
        "        try:\n            validate_email(value, check_deliverability=False)\n"
        '        except EmailNotValidError:\n            return value, message("email", q)\n',
        "        validate_email(value, check_deliverability=False)\n",
        "posts",
    ),
    Fault(
        "an import's single-choice cell is read without checking it is one of the options",
        Single,
        "check",
        '    if self.q.option(value) is None:\n        return None, message("bad_option", self.q)\n'
        "    return value, None",
        "    return self.q.option(value).value, None",
        "rows",
    ),
    Fault(
        "an import's number cell is turned into a number before its digits are checked",
        Number,
        "check",
        '    text = clean_text(first(raw.get(q.id))).replace(",", "").replace(" ", "")\n',
        '    text = clean_text(first(raw.get(q.id))).replace(",", "").replace(" ", "")\n    float(text or 0)\n',
        "rows",
    ),
]


def put_back(fault: Fault) -> object:
    """The fault's function rewritten where it is held (a module, or an answer type's class);
    returns the original, to restore."""
    original = getattr(fault.owner, fault.function)
    source = textwrap.dedent(inspect.getsource(original))
    if fault.old not in source:
        raise SystemExit(f"{fault.owner.__name__}.{fault.function} has changed: this fault no longer applies")
    namespace = dict(vars(sys.modules[original.__module__]))  # the function's globals, not the module's own
    exec(compile(source.replace(fault.old, fault.new), inspect.getsourcefile(original) or "?", "exec"), namespace)
    setattr(fault.owner, fault.function, namespace[fault.function])
    return original


def restore(fault: Fault, original: object) -> None:
    setattr(fault.owner, fault.function, original)


def fuzz_client() -> tuple[CheckingClient, str]:
    folder = Path(tempfile.mkdtemp())
    template = folder / "template.sqlite"
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{template}")
    with app.app_context():
        upgrade()
        db.engine.dispose()
    path = folder / "fuzz.sqlite"
    shutil.copy(template, path)
    token = seed_cycle(f"sqlite:///{path}", ["Fuzz Council"])[0]
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    app.test_client_class = CheckingClient
    client = app.test_client()
    sign_in(client, token)
    return client, client.csrf_token("/return/section/contact")


def first_failure(test, **fixtures) -> int | None:
    """The number of the first of ``test``'s examples that failed; None if none did."""
    inner = test.hypothesis.inner_test
    seen = {"n": 0, "first": None}

    @functools.wraps(inner)
    def counting(*args, **kwargs):
        seen["n"] += 1
        try:
            inner(*args, **kwargs)
        except BaseException:
            seen["first"] = seen["first"] or seen["n"]
            raise

    test.hypothesis.inner_test = counting  # Hypothesis runs whatever stands here (as async runners use it)
    try:
        test(**fixtures)
    except Exception:  # noqa: BLE001 - the failure is the finding
        pass
    finally:
        test.hypothesis.inner_test = inner
    return seen["first"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=10_000)
    args = parser.parse_args()
    os.environ["HEALTHCHECK_FUZZ_EXAMPLES"] = str(args.max_examples)  # read as the tests are imported
    from tests import test_fuzz

    client = fuzz_client()
    tests = {
        "posts": (test_fuzz.test_generated_form_input_never_causes_a_server_error, {"fuzz_client": client}),
        "rows": (test_fuzz.test_generated_import_rows_are_validated_never_crash, {}),
    }
    runs = {"posts": TESTS_RUN, "rows": TESTS_RUN}
    lines = [
        f"| fault | fuzz | first failing example (of up to {args.max_examples:,}) | "
        f"found by the tests' {TESTS_RUN:,} |",
        "|---|---|---|---|",
    ]
    for fault in FAULTS:
        test, fixtures = tests[fault.test]
        original = put_back(fault)
        try:
            first = first_failure(test, **fixtures)
        finally:
            restore(fault, original)
        found = "yes" if first is not None and first <= runs[fault.test] else "no"
        print(f"{fault.test:5s} first failure at example {first}: {fault.name}", flush=True)
        lines.append(f"| {fault.name} | {fault.test} | {first if first is not None else 'none'} | {found} |")
    write_section("fuzz-findings", lines, DOC)


if __name__ == "__main__":
    main()
