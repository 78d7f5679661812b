"""The instrument as data: every questionnaire file is valid, and the 2017 one says what the
LGA's published findings show the live survey asked."""

import copy
from pathlib import Path

import pytest
import yaml

import forms
from forms import DefinitionError, parse

TINY = Path(__file__).parent / "fixtures" / "tiny.yaml"


@pytest.fixture
def q2017():
    return forms.load("health-check", "2017.1")


@pytest.mark.parametrize("path", forms.definition_files() + [TINY], ids=lambda p: p.name)
def test_every_questionnaire_file_is_valid(path):
    questionnaire = forms.load_file(path)
    keys = questionnaire.answer_keys()
    assert len(keys) == len(set(keys))


def _tiny():
    return yaml.safe_load(TINY.read_text())


@pytest.mark.parametrize(
    "break_it, problem",
    [
        (lambda d: d["sections"][0]["questions"][1].update(id="staff"), "used more than once"),
        (
            lambda d: d["sections"][0]["questions"][3].update(when={"question": "perks_later", "equals": "x"}),
            "not an earlier question",
        ),
        (
            lambda d: d["sections"][0]["questions"][0].update(when={"question": "happy", "equals": "yes"}),
            "not an earlier question",
        ),
        (
            lambda d: d["sections"][0]["questions"][3].update(when={"question": "happy", "equals": "maybe"}),
            "not one of its options",
        ),
        (
            lambda d: d["sections"][0]["questions"][2]["options"].append({"value": "yes", "label": "Yes again"}),
            "option values are not unique",
        ),
        (
            lambda d: d["sections"][0]["questions"][2]["options"].append({"value": "yes2", "label": "yes"}),
            "option labels are not unique",
        ),
        (lambda d: d["sections"][0]["questions"][0].update(at_most="leavers"), "earlier number question"),
        (lambda d: d["sections"][0]["questions"][0].update(type="slider"), "is not one of"),
        (lambda d: d["sections"][0]["questions"][0].pop("max"), "'max' is a required property"),
        (lambda d: d["sections"][0]["questions"][0].update(colour="red"), "Additional properties"),
        (lambda d: d.update(sections=d["sections"] * 2), "duplicate section id"),
    ],
)
def test_broken_definitions_are_refused_with_the_reason(break_it, problem):
    data = _tiny()
    break_it(data)
    with pytest.raises(DefinitionError, match=problem):
        parse(data)


def test_the_tiny_fixture_parses_unchanged():
    assert parse(copy.deepcopy(_tiny())).key == "tiny@2099.1"


def test_2017_has_standards_2_to_8_with_standard_1_as_introduction(q2017):
    standards = [s.standard for s in q2017.sections if s.standard]
    assert standards == [2, 3, 4, 5, 6, 7, 8]
    assert q2017.introduction["standard"] == 1
    assert [q.id for q in q2017.section("contact").questions] == [
        "contact_first_name",
        "contact_surname",
        "contact_organisation",
        "contact_job_title",
        "contact_telephone",
        "contact_email",
    ]


@pytest.mark.parametrize(
    "question_id",
    [
        "casework_allocation",
        "ict_aligned",
        "supervision_monitoring",
        "reflective_supervision",
        "welfare_access",
        "exit_interviews",
        "regulator_process",
        "service_user_feedback",
        "peer_review",
        "supervisor_development",
    ],
)
def test_dont_know_is_offered_where_the_findings_show_it(q2017, question_id):
    assert "Don't know" in [o.label for o in q2017.question(question_id).options]


@pytest.mark.parametrize(
    "question_id", ["co_working", "digital_vision", "welfare_system", "progression_culture", "qualifications_support"]
)
def test_yes_no_questions_the_findings_show_without_dont_know(q2017, question_id):
    assert [o.label for o in q2017.question(question_id).options] == ["Yes", "No"]


def test_reflective_supervision_options_follow_figure_8(q2017):
    assert [o.label for o in q2017.question("reflective_supervision").options] == [
        "Yes, individually",
        "Yes, in a peer group",
        "No",
        "Don't know",
    ]


@pytest.mark.parametrize(
    "question_id, rule",
    [
        ("welfare_access", {"question": "welfare_system", "equals": "yes"}),
        ("ict_plans", {"question": "ict_aligned", "equals": "no"}),
        ("feedback_actions", {"question": "service_user_feedback", "equals": "no"}),
    ],
)
def test_routing(q2017, question_id, rule):
    assert q2017.question(question_id).when == rule


@pytest.mark.parametrize(
    "question_id, first, count",
    [
        ("profession_opportunities", "Supervision of students on placement", 4),  # Table 6
        (
            "stress_activities",
            "Physical activities (e.g. healthy walks, discounted gym membership, cycle schemes, sports, yoga)",
            23,
        ),  # Table 11
        ("welfare_processes", "Lone working policy/support", 18),  # Table 12
        ("career_pathways", "CPD/Training and development programme", 10),  # Table 13
        ("supervisor_development", "Supervision training", 15),  # Table 14
    ],
)
def test_coded_open_questions_are_checkbox_lists_with_other(q2017, question_id, first, count):
    question = q2017.question(question_id)
    assert question.type == "multiple"
    assert question.options[0].label == first and len(question.options) == count
    assert question.specify_option is not None and question.other_id == f"{question_id}_other"


def test_each_standard_ends_with_a_comments_box_and_there_is_a_final_one(q2017):
    for section in q2017.sections:
        if section.standard:
            last = section.questions[-1]
            assert last.type == "text" and last.optional and last.id == f"{section.id}_comments"
    assert q2017.question("final_comments").type == "text"


def test_bounds_from_the_issue(q2017):
    assert (q2017.question("hours_per_week").min, q2017.question("hours_per_week").max) == (0, 80)
    for role in ("team_member", "senior_practitioner", "team_manager"):
        question = q2017.question(f"caseload_{role}")
        assert (question.min, question.max) == (0, 500)
    for qid in (
        "posts_unfilled",
        "posts_agency",
        "absence_stress",
        "absence_planned",
        "absence_maternity",
        "absence_other",
    ):
        assert q2017.question(qid).at_most == "posts"
