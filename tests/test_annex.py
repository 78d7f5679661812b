"""Annex A of the national report: the coded open-text and "Other (please specify)" tables, as the
LGA's 2017 report has them (Tables A1–A7): one table per question, answers grouped under the
categories they were coded into, the same answer given by several shown once with its count."""

import io

from pypdf import PdfReader

from aggregation.annex import UNCODED, annex_tables
from aggregation.report import national_report
from tests.helpers import dataset

OTHER = "stress_activities_other"
COMMENTS = [
    {"question_id": OTHER, "text": "Discounted gym membership", "categories": ["x_physical"]},
    {"question_id": OTHER, "text": "discounted  gym membership", "categories": ["x_physical"]},
    {"question_id": OTHER, "text": "Healthy walks", "categories": ["x_physical", "mindfulness"]},
    {"question_id": OTHER, "text": "Wellbeing events", "categories": []},
    {"question_id": "profession_opportunities_other", "text": "Shadowing"},
    {"question_id": "profession_opportunities_other", "text": "Shadowing"},
    {"question_id": "profession_opportunities_other", "text": "Secondments"},
    {"question_id": "workforce_planning_comments", "text": "Turnover was 6.8% across <organisation>."},
    {"question_id": "ict_plans", "text": "A new case recording system in October."},
]


def annexed():
    return dataset(comments=COMMENTS, categories={"stress_activities": [("x_physical", "Physical activities")]})


def test_each_question_is_a_table_grouped_by_its_coding_with_repeats_counted():
    tables = annex_tables(
        annexed(),
        {
            "stress_activities": "Activities in place to reduce stress levels",
            "profession_opportunities": "Opportunities offered to team members",
        },
    )
    by_key = {t.question_id: t for t in tables}
    assert [t.number for t in tables] == ["Table A1", "Table A2", "Table A3", "Table A4"]
    assert [t.question_id for t in tables] == [
        "profession_opportunities_other",
        "workforce_planning_comments",
        "ict_plans",
        OTHER,
    ]  # the questionnaire's order
    stress = by_key[OTHER]
    assert stress.title == "Activities in place to reduce stress levels – other answers" and stress.answers == 4
    # Coded under the first category coded (the added "Physical activities"); the uncoded one last.
    assert [(g.heading, g.answers) for g in stress.groups] == [
        ("Physical activities", [("Discounted gym membership", 2), ("Healthy walks", 1)]),
        (UNCODED, [("Wellbeing events", 1)]),
    ]
    opportunities = by_key["profession_opportunities_other"]
    assert [(g.heading, g.answers) for g in opportunities.groups] == [(None, [("Shadowing", 2), ("Secondments", 1)])]
    assert by_key["workforce_planning_comments"].title == "Effective Workforce Planning – additional comments"
    assert by_key["ict_plans"].title.startswith("What plans are in place to address this? (asked where ")


def test_the_report_prints_annex_a_and_each_table_points_to_its_other_answers():
    pdf = national_report(annexed(), threshold=0)
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    annex = text[text.rindex("Annex A: open answers") : text.rindex("Annex B")]  # not the contents page
    for expected in (
        "Table A4: Activities in place to reduce stress levels and promote a healthy working environment "
        "– other answers Physical activities – Discounted gym membership (x 2) – Healthy walks "
        "Other answers – Wellbeing events 4 answers.",
        "Table A1: Opportunities offered to team members to contribute to developing their profession "
        "– other answers – Shadowing (x 2) – Secondments 3 answers.",
        "Table A2: Effective Workforce Planning – additional comments – Turnover was 6.8% across "
        "<organisation>. 1 answer.",
    ):
        assert expected in annex, expected
    assert "The answers given as “Other” are listed in Table A4 in Annex A." in text
