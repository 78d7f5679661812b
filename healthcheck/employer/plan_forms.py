"""Forms of the employer's action plan."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovRadioInput, GovSelect, GovTextInput
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..form_fields import DateField
from ..models import RAG


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _text(label, required=None, hint=None, limit=2000):
    validators = [DataRequired(required)] if required else [Optional()]
    return TextAreaField(
        label,
        widget=GovCharacterCount(),
        filters=[_strip],
        description=hint,
        validators=validators + [Length(max=limit, message=f"Enter {limit:,} characters or fewer")],
    )


class ActionForm(FlaskForm):
    section_id = SelectField("Standard", widget=GovSelect(), validators=[DataRequired("Select the standard")])
    staff_standard = SelectField(
        "2020 Standard it answers, from your staff survey (optional)", widget=GovSelect(), validators=[Optional()]
    )
    description = _text("Action", "Enter what will be done")
    finding = _text("The finding it answers (optional)", hint="For example: 31% of posts in the team are unfilled.")
    lead = StringField(
        "Lead (optional)",
        widget=GovTextInput(),
        filters=[_strip],
        validators=[Optional(), Length(max=200, message="Enter 200 characters or fewer")],
    )
    starts_on = DateField("Start date (optional)", description="For example 01/04/2018")
    due_on = DateField("Due date (optional)", description="For example 31/03/2019")
    outcome = _text("Outcome sought (optional)")
    evidence = _text("Evidence that will show it (optional)")
    version = HiddenField()  # the version of the action the page shows

    def validate_due_on(self, field):
        if self.starts_on.day and field.day and field.day < self.starts_on.day:
            raise ValidationError("Enter a due date on or after the start date")


class UpdateForm(FlaskForm):
    status = RadioField(
        "Status",
        widget=GovRadioInput(),
        validators=[DataRequired("Select a status")],
        choices=[(r.value, r.value) for r in RAG],
    )
    text = _text(
        "Progress, or why the status changed", "Enter the progress made, or why the status changed", limit=4000
    )
