"""The pure rule evaluator and validators, on the tiny fixture questionnaire."""

from pathlib import Path

import pytest

import forms
from forms.rules import evaluate, prune
from forms.validation import display, section_status, unanswered, validate_section

TINY = forms.load_file(Path(__file__).parent / "fixtures" / "tiny.yaml")
SECTION = TINY.section("one")


@pytest.mark.parametrize(
    "rule, answers, expected",
    [
        ({"question": "a", "equals": "x"}, {"a": "x"}, True),
        ({"question": "a", "equals": "x"}, {"a": "y"}, False),
        ({"question": "a", "equals": "x"}, {}, False),
        ({"question": "a", "equals": "x"}, {"a": ["y", "x"]}, True),
        ({"question": "a", "in": ["x", "z"]}, {"a": "z"}, True),
        ({"question": "a", "answered": True}, {"a": []}, False),
        ({"question": "a", "answered": False}, {}, True),
        ({"all": [{"question": "a", "equals": 1}, {"question": "b", "equals": 2}]}, {"a": 1, "b": 2}, True),
        ({"all": [{"question": "a", "equals": 1}, {"question": "b", "equals": 2}]}, {"a": 1, "b": 3}, False),
        ({"any": [{"question": "a", "equals": 1}, {"question": "b", "equals": 2}]}, {"a": 0, "b": 2}, True),
        ({"not": {"question": "a", "equals": 1}}, {"a": 1}, False),
        (None, {}, True),
    ],
)
def test_evaluate(rule, answers, expected):
    assert evaluate(rule, answers) is expected


def test_prune_drops_unasked_answers_and_orphaned_specify_text():
    answers = {"happy": "yes", "why": "pay", "happy_other": "meh", "staff": 3}
    assert prune(TINY, answers) == {"staff": 3, "happy": "yes"}
    assert prune(TINY, {"happy": "no", "why": "pay"}) == {"happy": "no", "why": "pay"}


def v(raw, context=None):
    return validate_section(SECTION, raw, context or {})


@pytest.mark.parametrize("typed, stored", [("7", 7), (" 7 ", 7), ("0", 0), ("1,0", 10), ("", None)])
def test_whole_numbers_are_accepted(typed, stored):
    values, errors = v({"staff": typed})
    assert errors == {} and values["staff"] == stored


@pytest.mark.parametrize(
    "typed, message",
    [
        ("-1", "The number of staff must be 0 or more"),
        ("11", "The number of staff must be 10 or fewer"),
        ("2.5", "Enter the number of staff as a whole number, not a decimal"),
        ("seven", "Enter the number of staff as a whole number, like 12"),
        ("1e3", "Enter the number of staff as a whole number, like 12"),
        ("9" * 5000, "The number of staff must be 10 or fewer"),
        ("٣", "Enter the number of staff as a whole number, like 12"),
    ],
)
def test_bad_numbers_get_a_clear_message(typed, message):
    assert v({"staff": typed})[1] == {"staff": message}


HOURS = forms.load("health-check", "2017.1").question("hours_per_week")


@pytest.mark.parametrize(
    "typed, stored, message",
    [
        ("37.5", 37.5, None),
        ("37.0", 37, None),
        ("37", 37, None),
        (".5", 0.5, None),
        (
            "37.25",
            None,
            "Enter the average hours worked a week with no more than 1 digit after the decimal point, like 37.5",
        ),
        ("80.5", None, "The average hours worked a week must be 80 or fewer"),
    ],
)
def test_hours_take_one_decimal_place(typed, stored, message):
    values, errors = validate_section(
        forms.load("health-check", "2017.1").section(HOURS.section_id), {"hours_per_week": typed}, {}
    )
    assert values.get("hours_per_week") == stored and errors.get("hours_per_week") == message


def test_at_most_compares_with_the_number_on_the_page_or_stored():
    assert v({"staff": "3", "leavers": "4"})[1] == {
        "leavers": "The number of leavers must be no more than the number of staff (3)"
    }
    # A blank on the page replaces what was stored, so there is nothing to compare with.
    assert v({"leavers": "4"}, {"staff": 3})[1] == {}
    assert v({"staff": "5", "leavers": "4"})[1] == {}


def test_not_applicable_box():
    assert v({"leavers_none": "y"})[0]["leavers"] == forms.NOT_APPLICABLE
    assert "not both" in v({"leavers": "2", "leavers_none": "y"})[1]["leavers"]


def test_other_needs_its_text_and_routing_skips_unasked():
    values, errors = v({"happy": "other", "happy_other": "  "})
    assert errors == {"happy_other": "Enter details for “Other”"}
    values, errors = v({"happy": "yes", "why": "x" * 100})
    assert errors == {} and "why" not in values  # not asked: not validated, not kept
    values, errors = v({"happy": "no", "why": "x" * 21})
    assert errors == {"why": "Why not must be 20 characters or fewer"}


def test_choices_must_be_offered_and_exclusive_ones_alone():
    assert v({"happy": "ecstatic"})[1] == {"happy": "Select one of the options shown"}
    assert v({"perks": ["gym", "none"]})[1] == {"perks": "Select “None of these” on its own, or unselect it"}
    assert v({"perks": ["cake", "gym", "gym"]})[0]["perks"] == ["gym", "cake"]  # deduplicated, in order


def test_text_is_cleaned_of_control_characters():
    values, errors = v({"happy": "no", "why": "\x00bad\x07 pay\r\n"})
    assert errors == {} and values["why"] == "bad pay"


def test_display_and_status():
    answers = {"staff": 4, "leavers": "n/a", "happy": "other", "happy_other": "Mixed", "perks": ["gym", "cake"]}
    q = TINY.question
    assert display(q("leavers"), answers) == ["Nobody to count"]
    assert display(q("happy"), answers) == ["Other: Mixed"]
    assert display(q("perks"), answers) == ["Gym", "Cake"]
    assert section_status(SECTION, {}, saved=False) == "not_started"
    assert section_status(SECTION, {"staff": 4}, saved=True) == "in_progress"
    assert section_status(SECTION, answers, saved=True) == "completed"  # "why" is not asked
    assert section_status(SECTION, answers | {"happy": "no"}, saved=True) == "in_progress"


@pytest.mark.parametrize("email, ok", [("a@example.org", True), ("not-an-email", False), ("a@b", False)])
def test_email_and_telephone(email, ok):
    section = forms.load("health-check", "2017.1").section("contact")
    raw = {
        "contact_first_name": "A",
        "contact_surname": "B",
        "contact_organisation": "C",
        "contact_job_title": "D",
        "contact_telephone": "01632 960 001",
        "contact_email": email,
    }
    errors = validate_section(section, raw, {})[1]
    assert ("contact_email" not in errors) is ok
    errors = validate_section(section, raw | {"contact_telephone": "call me"}, {})[1]
    assert errors["contact_telephone"].startswith("Enter a telephone number")
    errors = validate_section(section, {}, {})[1]
    assert errors["contact_first_name"] == "Enter your first name" and len(errors) == 6


def test_a_follow_up_asked_by_an_answer_on_its_page_is_required_there():
    """Issue 31: "Answer this if you selected No" is asked as required, with its error next to it,
    like an "Other (please specify)" box; never a page that quietly stays in progress."""
    assert v({"happy": "no"})[1] == {"why": "Enter why not"}
    assert v({"happy": "no", "why": "pay"})[1] == {}
    assert v({"happy": "yes"})[1] == {}  # not asked: nothing required
    assert v({})[1] == {}  # the question it follows left blank: the page can still be saved


def test_a_real_follow_up_too_and_what_keeps_a_page_in_progress():

    q = forms.load("health-check", "2017.1")
    section = q.section("risks_resources")
    errors = validate_section(section, {"digital_vision": "yes", "ict_aligned": "no"}, {})[1]
    assert errors == {"ict_plans": "Enter the plans to address this"}
    stored = {"digital_vision": "yes", "ict_aligned": "no"}
    assert [x.id for x in unanswered(section, stored)] == ["ict_plans"]
    assert section_status(section, stored, saved=True) == "in_progress"
    assert section_status(section, stored | {"ict_plans": "Laptops"}, saved=True) == "completed"
    radio = validate_section(q.section("supervision"), {"welfare_system": "yes"}, {})[1]
    assert radio["welfare_access"] == "Select an answer"
