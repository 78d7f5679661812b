"""Forms of the PSW's staff survey pages: the headcount by profession and service (the response
rate's denominator) and the workforce profile (what the respondents are set against)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms.validators import NumberRange, Optional

import forms
from aggregation import profile

from ..form_fields import WholeNumberField
from ..store import staff

FIELDS = {f"{p}_{s}": (p, s) for p in staff.PROFESSIONS for s in staff.SERVICES}


class HeadcountForm(FlaskForm):
    """How many people of each profession work in adults' and children's services (HR's figures)."""


for _name in FIELDS:
    setattr(
        HeadcountForm,
        _name,
        WholeNumberField(
            message="Enter a whole number of people, like 120",
            validators=[Optional(), NumberRange(0, 100_000, "Enter a whole number of people, like 120")],
        ),
    )


class WorkforceForm(FlaskForm):
    """How many people work for the organisation in each category the survey asks about (HR's
    figures): one field for each characteristic and category, named ``<characteristic>__<category>``."""

    @classmethod
    def for_questionnaire(cls, questionnaire: forms.Questionnaire, **kwargs: Any) -> WorkforceForm:
        message = "Enter a whole number of people, like 120"
        fields = {
            f"{c}__{v}": WholeNumberField(
                f"{label}: {option}", message=message, validators=[Optional(), NumberRange(0, 100_000, message)]
            )
            for c, label in profile.CHARACTERISTICS.items()
            for v, option in profile.categories(questionnaire)[c]
        }
        return type("Workforce", (cls,), fields)(**kwargs)

    def counts(self) -> dict[str, dict[str, int | None]]:
        found: dict[str, dict[str, int | None]] = {}
        for field in self:
            if "__" in field.name:
                characteristic, category = field.name.split("__", 1)
                found.setdefault(characteristic, {})[category] = field.data
        return found
