"""Generated input with Hypothesis: 1,000 form posts to the sections of a return and 1,000 import
rows, none of which may cause a server error or a crash.

Each run is derandomized (the examples come from the test's own source, so every run tries the
same ones) and keeps no example database: a failure found once is found on every run and on
every machine. HEALTHCHECK_FUZZ_EXAMPLES=10000 runs more of the same stream: its first 1,000 are
these.

Why 1,000 and not the 10,000 each ran until December 2026 (a quarter of the whole suite's time):
the 10,000 found one fault when they were written, a save with a missing page version that
crashed. With that fault and four more of the kinds these tests are for put back into today's
code one at a time (bench/fuzz_findings.py, figures in docs/testing.md), the posts fail at
examples 9, 58 and 267 and the rows at 5 and 32, the same whether 10,000 or 1,000 are run:
nothing the 10,000 found is missed by the 1,000, which still run almost four times past the last
of them. (They ran 2,000 until the figures were taken again; the last was at 489 then.)"""

import os
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

import forms
from healthcheck import create_app
from healthcheck.transfer import parse_row
from tests.environment import CheckingClient
from tests.helpers import seed_cycle, sign_in

Q = forms.load("health-check", "2017.1")
pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("HEALTHCHECK_FUZZ_EXAMPLES", "1000"))  # the same stream: more runs further

SECTIONS = list(Q.sections)
junk = st.one_of(
    st.text(max_size=300),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(
        [
            "",
            " ",
            "n/a",
            "1e9",
            "0x10",
            "½",
            "٣",
            "NaN",
            "-0",
            "9" * 400,
            "\x00",
            "\u202e1",
            "<b>",
            "' OR 1=1 --",
            "other",
            "yes",
            "dont_know",
        ]
    ),
)


@st.composite
def section_posts(draw):
    section = draw(st.sampled_from(SECTIONS))
    keys = [k for q in section.questions for k in (q.id, q.other_id, f"{q.id}_none") if k]
    fields = draw(
        st.lists(st.tuples(st.sampled_from(keys + ["section_version", "action", "unknown"]), junk), max_size=25)
    )
    return section.id, fields


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory, sqlite_template):
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite"
    shutil.copy(sqlite_template, path)
    token = seed_cycle(f"sqlite:///{path}", ["Fuzz Council"])[0]
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    app.test_client_class = CheckingClient
    client = app.test_client()
    sign_in(client, token)
    token = client.csrf_token("/return/section/contact")
    return client, token


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(post=section_posts(), good_token=st.booleans())
def test_generated_form_input_never_causes_a_server_error(fuzz_client, post, good_token):
    client, token = fuzz_client
    section_id, fields = post
    body = [("csrf_token", token if good_token else "forged")] + fields
    response = client.post(f"/return/section/{section_id}", data=MultiDict(body))  # duplicated fields too
    assert response.status_code in (302, 400, 409), response.status_code
    if response.status_code == 400:
        html = response.get_data(as_text=True)
        assert "There is a problem" in html or "Your page had expired" in html


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None)
@given(cells=st.dictionaries(st.sampled_from(Q.answer_keys() + ["organisation", "bogus"]), junk, max_size=30))
def test_generated_import_rows_are_validated_never_crash(cells):
    answers, errors = parse_row(Q, cells)
    for column, reason in errors.items():
        assert column in Q.answer_keys() and isinstance(reason, str) and reason
    assert set(answers) <= set(Q.answer_keys())
