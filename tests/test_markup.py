"""The one cache of rendered markup gives exactly what the GOV.UK macros render, for every
page of both questionnaires, editable and read-only, whatever the answers."""

import random

import pytest
from flask import get_template_attribute
from markupsafe import Markup

import forms
from forms.synthetic import answers
from healthcheck import markup
from healthcheck.answer_fields import form_class, initial_data, render_section
from healthcheck.return_pages import summary

QUESTIONNAIRES = [forms.load("health-check", "2017.1"), forms.load("staff-survey", "2020.1")]


@pytest.mark.parametrize("questionnaire", QUESTIONNAIRES, ids=lambda q: q.key)
def test_remembered_questions_are_the_macros_own_markup(app, questionnaire):
    with app.test_request_context("/"):
        for seed in range(12):
            given = answers(questionnaire, random.Random(seed)) if seed else {}
            for section in questionnaire.sections:
                stored = initial_data(section, given)
                for disabled in (False, True):
                    form = form_class(questionnaire, section)(formdata=None, data=stored, meta={"csrf": False})
                    fresh = render_section(form, section, disabled=disabled)
                    assert markup.stored_questions(questionnaire, section, stored, disabled) == fresh, (
                        seed,
                        section.id,
                        disabled,
                    )


def test_a_remembered_question_changes_with_its_answers(app):
    q = QUESTIONNAIRES[0]
    section = q.section("workforce_planning")
    with app.test_request_context("/"):
        forty = markup.stored_questions(q, section, {"posts": "40"}, False)[0]
        forty_one = markup.stored_questions(q, section, {"posts": "41"}, False)[0]
        assert 'value="40"' in forty and 'value="41"' in forty_one and forty != forty_one
        escaped = markup.stored_questions(q, section, {"posts": "<b>"}, False)[0]
        assert "&lt;b&gt;" in escaped and "<b>" not in escaped


def test_a_remembered_summary_list_is_the_macros_own_markup(app):
    q = QUESTIONNAIRES[0]
    macro = get_template_attribute("return/answers_list.html", "answers_list")
    with app.test_request_context("/"):
        for seed in range(5):
            for section, rows in summary(q, answers(q, random.Random(seed))):
                for change in (None, f"/return/section/{section.id}"):
                    assert markup.answers_list(rows, change, "x") == Markup(macro(rows, change, "x"))
