"""The remembered question markup (answer_fields._MarkupCache) gives exactly the HTML the GOV.UK
macros give, whatever the answers, and never shows one return's answers on another's page."""
import random

import pytest

import forms
from forms.synthetic import answers as synthetic_answers
from healthcheck import answer_fields
from healthcheck.answer_fields import (followups, form_class, initial_data, render_question, render_section,
                                       render_stored, top_level)

Q = forms.load("health-check", "2017.1")
AWKWARD = ['<script>alert("x")</script>', "Tom & Jerry's \"team\"", "\ue0000\n\ue001", "line one\nline two",
           "one\r\n\r\nthree", "a\u2028b", "", "  ", "  padded  "]


@pytest.fixture
def request_context(app):
    with app.test_request_context():
        yield


def _answers(rng: random.Random) -> dict:
    answers = synthetic_answers(Q, rng)
    for key in list(answers):
        if isinstance(answers[key], str) and rng.random() < 0.3:
            answers[key] = rng.choice(AWKWARD)
    return answers


def _both_ways(section, answers, disabled, formdata=None):
    FormClass = form_class(Q, section)
    form = FormClass(formdata=formdata, data=None if formdata else initial_data(section, answers))
    nested, shown = top_level(section)
    fast = [str(answer_fields._MARKUP.render(form, q, nested, disabled)) for q in shown]
    slow = [str(render_question(form, q, nested, disabled)) for q in shown]
    return fast, slow


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_remembered_markup_equals_the_macros_for_random_returns(request_context):
    answer_fields._MARKUP.entries.clear()
    rng = random.Random(7)
    for _ in range(40):  # later returns hit what earlier ones left in the cache
        answers = _answers(rng)
        for section in Q.sections:
            for disabled in (False, True):
                fast, slow = _both_ways(section, answers, disabled)
                assert fast == slow, section.id
    assert answer_fields._MARKUP.entries, "nothing was remembered"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_page_shown_from_stored_answers_without_a_form_equals_the_forms_page(request_context):
    """A GET renders remembered markup from the stored answers alone; whatever the answers, the
    HTML is what the form (and through it the macros) would give, and answers seen before on
    another return never leak into this one's page."""
    answer_fields._MARKUP.entries.clear()
    answer_fields._MARKUP.by_stored.clear()
    rng = random.Random(11)
    shown_without_form = 0
    for _ in range(40):
        answers = _answers(rng)
        for section in Q.sections:
            FormClass = form_class(Q, section)
            stored = initial_data(section, answers)
            for disabled in (False, True):
                nested, shown = top_level(section)
                slow = [str(render_question(FormClass(formdata=None, data=stored), q, nested, disabled))
                        for q in shown]
                fast = render_stored(FormClass, section, stored, disabled)
                if fast is None:  # not remembered yet: the form renders it, and remembers it
                    fast = render_section(FormClass(formdata=None, data=stored), section, disabled, stored=stored)
                else:
                    shown_without_form += 1
                assert [str(html) for html in fast] == slow, section.id
    assert shown_without_form > 200, shown_without_form
    # A choice answer of another type never shares markup with the string it equals in Python.
    section = Q.section("workforce_planning")
    assert answer_fields._stored_key(form_class(Q, section), "x", False, ["a"], (), {"a": 1}) != \
        answer_fields._stored_key(form_class(Q, section), "x", False, ["a"], (), {"a": True})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_page_with_an_error_is_rendered_afresh_and_not_remembered(request_context):
    from werkzeug.datastructures import MultiDict

    answer_fields._MARKUP.entries.clear()
    section = Q.section("workforce_planning")
    form = form_class(Q, section)(formdata=MultiDict({"posts": "lots"}))
    form["posts"].errors = ["Enter the number of posts as a whole number"]
    html = str(answer_fields._MARKUP.render(form, Q.question("posts"), followups(section), False))
    assert "govuk-error-message" in html and 'value="lots"' in html
    assert not any(key[1] == "posts" for key in answer_fields._MARKUP.entries)


# The summary list as the templates wrote it before answers_list, straight through the macro.
_SUMMARY_BY_MACRO = """\
{% from "govuk_frontend_jinja/components/summary-list/macro.html" import govukSummaryList %}
{% set ns = namespace(rows=[]) %}
{% for q, lines in rows %}
  {% set value_html %}{% for l in lines %}{{ l }}{% if not loop.last %}<br>{% endif %}{% else %}<span class="govuk-hint govuk-!-margin-0">Not answered</span>{% endfor %}{% endset %}
  {% set ns.rows = ns.rows + [{
    "key": {"text": q.label},
    "value": {"html": value_html},
    "actions": {"items": [{"href": change ~ "#q-" ~ q.id, "text": "Change", "visuallyHiddenText": q.label}]} if change else None,
  }] %}
{% endfor %}
{{ govukSummaryList({"rows": ns.rows, "classes": classes}) }}"""


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_remembered_summary_lists_equal_the_macros_for_random_returns(app, request_context):
    """Check answers (and the coordinator's view of a return) write the answers into a
    remembered summary list; whatever the answers, the HTML is the macro's own."""
    from healthcheck import return_pages
    from healthcheck.return_pages import answers_list, summary

    by_macro = app.jinja_env.from_string(_SUMMARY_BY_MACRO)
    return_pages._ANSWERS_LISTS.entries.clear()
    rng = random.Random(13)
    for _ in range(40):
        answers = _answers(rng)
        for section, rows in summary(Q, answers):
            for change, classes in (("/return/section/" + section.id, "govuk-!-margin-bottom-9"), (None, "x")):
                fast = str(answers_list(rows, change, classes))
                slow = by_macro.render(rows=rows, change=change, classes=classes).strip()
                assert fast == slow, section.id
    # Routing changes which questions a list holds: each set is remembered on its own.
    assert len(return_pages._ANSWERS_LISTS.entries) > 2 * len(Q.sections)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_remembered_checkbox_shows_its_own_state_and_errors(request_context):
    from healthcheck.employer.routes import SubmitForm
    from healthcheck.templating import remember_checkbox

    params = {"items": [{"value": "y"}], "name": "consent"}
    for _ in range(2):  # the second time round, from what the first remembered
        for ticked in (True, False, True):
            form = SubmitForm(meta={"csrf": False}, data={"consent": ticked})
            html = str(remember_checkbox(form.consent, params))
            assert html == str(form.consent(params=params))
            assert ("checked" in html) == ticked
    form = SubmitForm(meta={"csrf": False}, data={"confirm": False})
    form.confirm.errors = ["Select \u201cI confirm\u201d to submit your return"]
    html = str(remember_checkbox(form.confirm, {"items": [{"value": "y"}], "name": "confirm"}))
    assert "govuk-error-message" in html and "I confirm" in html
