"""Forms of the coordinator pages. Messages say what to enter, next to the field."""

from __future__ import annotations

from datetime import datetime

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxInput,
    GovFileInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from ..form_fields import DateField, WholeNumberField, single_line
from ..models import AuthorityType


def strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class SignInForm(FlaskForm):
    email = EmailField("Email address", widget=GovTextInput(), validators=[InputRequired("Enter your email address")])
    password = PasswordField("Password", widget=GovPasswordInput(), validators=[InputRequired("Enter your password")])


class OrganisationForm(FlaskForm):
    name = StringField(
        "Name",
        widget=GovTextInput(),
        filters=[strip],
        validators=[DataRequired("Enter the organisation’s name"), Length(max=200), single_line],
    )
    authority_type = RadioField(
        "Authority type",
        widget=GovRadioInput(),
        choices=[(t.value, t.value) for t in AuthorityType],
        validators=[InputRequired("Select the authority type")],
    )
    ons_code = StringField(
        "ONS code (optional)",
        widget=GovTextInput(),
        validators=[Optional(), Length(max=20), single_line],
        description="For example E10000002",
    )
    region = StringField(
        "Region (optional)", widget=GovTextInput(), validators=[Optional(), Length(max=60), single_line]
    )
    contact_email = EmailField(
        "Contact email address (optional)",
        widget=GovTextInput(),
        validators=[
            Optional(),
            Email("Enter an email address in the correct format, like name@example.org"),
            Length(max=254),
        ],
        description="Invitations and reminders go here: usually the Principal Social Worker.",
    )


class OpenCloseForm(FlaskForm):
    """A cycle's opening date and deadline, the deadline after the opening."""

    opens = DateField(
        "Opens on", validators=[InputRequired("Enter the date the cycle opens")], description="For example 02/10/2017"
    )
    closes = DateField(
        "Closes at the end of",
        end_of_day=True,
        validators=[InputRequired("Enter the deadline")],
        description="For example 15/12/2017",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("opens", "closes"):  # after the subclass's own fields, as on the page
            self._fields.move_to_end(name)

    @property
    def dates(self) -> tuple[datetime, datetime]:
        """The opening and the deadline, once the form has validated."""
        assert self.opens.moment is not None and self.closes.moment is not None
        return self.opens.moment, self.closes.moment

    def validate_closes(self, field):
        if self.opens.moment and field.moment and field.moment <= self.opens.moment:
            raise ValidationError("Enter a deadline after the opening date")


class CycleForm(OpenCloseForm):
    year = IntegerField(
        "Year",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter the year, like 2018"),
            NumberRange(2000, 2100, "Enter a year between 2000 and 2100"),
        ],
    )
    questionnaire = SelectField("Questionnaire", widget=GovSelect())


class CycleSettingsForm(OpenCloseForm):
    """Dates, plus a population field per authority type added by the view."""


def population_field(label: str) -> IntegerField:
    return WholeNumberField(
        label,
        message="Enter a whole number between 0 and 10,000",
        validators=[Optional(), NumberRange(0, 10000, "Enter a whole number between 0 and 10,000")],
    )


class EmailTemplateForm(FlaskForm):
    subject = StringField("Subject", widget=GovTextInput(), validators=[Length(max=200)])
    body = TextAreaField("Body", widget=GovTextArea(), validators=[Length(max=10000)])


class ReopenForm(FlaskForm):
    message = TextAreaField(
        "Message to the organisation",
        widget=GovCharacterCount(),
        filters=[strip],
        validators=[
            DataRequired("Enter a message saying what needs amending"),
            Length(max=2000, message="Enter a message of 2,000 characters or fewer"),
        ],
        description="They see this on their return’s page, for example which answers to check.",
    )


class ExtendForm(FlaskForm):
    closes = DateField(
        "New deadline: the end of",
        end_of_day=True,
        validators=[InputRequired("Enter the new deadline")],
        description="For example 12/01/2018",
    )


class CodingForm(FlaskForm):
    """Built per page: one multi-select per answer, named code-<response id>."""


class CategoryForm(FlaskForm):
    label = StringField(
        "New category",
        widget=GovTextInput(),
        filters=[strip],
        validators=[DataRequired("Enter the category’s name"), Length(max=200)],
    )


class ReviewForm(FlaskForm):
    redacted = TextAreaField("Text to publish", widget=GovTextArea(), validators=[Length(max=20000)])
    decision = RadioField(
        "Decision",
        widget=GovRadioInput(),
        choices=[("approved", "Approve for publication"), ("excluded", "Exclude"), ("pending", "Leave for later")],
        validators=[InputRequired("Select a decision")],
    )


class BulkApproveForm(FlaskForm):
    """Approving a page's comments in bulk: the ticked ones come as ``approve`` values, id:fingerprint."""


class StaffSurveyForm(OpenCloseForm):
    questionnaire = SelectField("Staff survey questionnaire", widget=GovSelect())


class StaffReopenForm(FlaskForm):
    """Open a closed staff survey again, until a day still to come."""

    closes = DateField(
        "Reopen until the end of",
        end_of_day=True,
        validators=[InputRequired("Enter the day the survey is to close again")],
        description="For example 12/01/2018: a day still to come",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "reopen")  # its field beside the dates form's own "closes"
        super().__init__(*args, **kwargs)


class RolloverForm(OpenCloseForm):
    questionnaire = SelectField("Questionnaire for the new cycle", widget=GovSelect())


class PublishForm(FlaskForm):
    """Publishing, confirmed: ``after`` is the latest edition when the page was shown."""

    after = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class UploadForm(FlaskForm):
    file = FileField(
        "Returns file (CSV or XLSX)",
        widget=GovFileInput(),
        validators=[
            FileRequired("Select a CSV or XLSX file of returns"),
            FileAllowed(["csv", "xlsx"], "The file must be a CSV or an XLSX file"),
        ],
        description="One row per organisation, with the columns of the import template.",
    )
    replace = BooleanField(
        "Replace returns that organisations have already started or submitted", widget=GovCheckboxInput()
    )


class RegisterUploadForm(FlaskForm):
    file = FileField(
        "Organisation register (CSV or XLSX)",
        widget=GovFileInput(),
        validators=[
            FileRequired("Select a CSV or XLSX file of organisations"),
            FileAllowed(["csv", "xlsx"], "The file must be a CSV or an XLSX file"),
        ],
        description="One row per organisation, with the columns name, authority_type, ons_code, region and "
        "contact_email, as in the register’s download.",
    )


class ChooseForm(FlaskForm):
    """Nothing but a CSRF token: for buttons that change something."""


class CodeForm(FlaskForm):
    code = StringField(
        "Code",
        widget=GovTextInput(),
        filters=[strip],
        description="The 6-digit code your authenticator app shows now, or one of your recovery codes",
        validators=[InputRequired("Enter the code from your authenticator app")],
    )


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description="At least 12 characters",
        validators=[InputRequired("Enter a new password")],
    )
    confirm = PasswordField(
        "New password again", widget=GovPasswordInput(), validators=[InputRequired("Enter the new password again")]
    )

    def validate_confirm(self, field):
        if field.data != self.password.data:
            raise ValidationError("Enter the same new password twice")


class PasswordChangeForm(NewPasswordForm):
    current = PasswordField(
        "Current password", widget=GovPasswordInput(), validators=[InputRequired("Enter your current password")]
    )


class ApiTokenForm(FlaskForm):
    name = StringField(
        "Name",
        widget=GovTextInput(),
        filters=[strip],
        description='What the token is for, so you know which to revoke: "analysis laptop", say',
        validators=[
            InputRequired("Enter a name for the token"),
            Length(max=100, message="Name must be 100 characters or fewer"),
        ],
    )


class ForgotForm(FlaskForm):
    email = EmailField(
        "Email address", widget=GovTextInput(), filters=[strip], validators=[InputRequired("Enter your email address")]
    )


class UserForm(FlaskForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            InputRequired("Enter their email address"),
            Email("Enter an email address in the correct format, like name@example.org"),
            Length(max=254),
        ],
    )
    name = StringField(
        "Name",
        widget=GovTextInput(),
        filters=[strip],
        validators=[InputRequired("Enter their name"), Length(max=200), single_line],
    )
    role = RadioField(
        "Role",
        widget=GovRadioInput(),
        validators=[InputRequired("Select a role")],
        choices=[
            ("coordinator", "Coordinator: runs the collection and changes things"),
            ("viewer", "Viewer: sees everything, changes nothing"),
        ],
    )


class UserChangeForm(FlaskForm):
    role = RadioField(
        "Role",
        widget=GovRadioInput(),
        validators=[InputRequired("Select a role")],
        choices=[("coordinator", "Coordinator"), ("viewer", "Viewer")],
    )
    active = RadioField(
        "Account",
        widget=GovRadioInput(),
        validators=[InputRequired("Select whether it can sign in")],
        choices=[("yes", "Can sign in"), ("no", "Disabled: cannot sign in")],
    )


class PersonForm(FlaskForm):
    """Whose data: for a subject access request (``store.people``)."""

    person = StringField(
        "Their email address or full name",
        widget=GovTextInput(),
        filters=[strip],
        validators=[InputRequired("Enter their email address or full name"), Length(max=254), single_line],
    )


class EraseForm(PersonForm):
    confirm = BooleanField(
        "I have checked that the law allows this person's data to be erased",
        widget=GovCheckboxInput(),
        validators=[DataRequired("Confirm that the law allows this person's data to be erased")],
    )


class NeighboursForm(FlaskForm):
    file = FileField(
        "Statistical neighbours file (CSV or XLSX)",
        widget=GovFileInput(),
        validators=[
            FileRequired("Select a CSV or XLSX file of statistical neighbours"),
            FileAllowed(["csv", "xlsx"], "The file must be a CSV or an XLSX file"),
        ],
        description="One row per organisation: its name or ONS code under organisation, then its neighbours, "
        "nearest first, under neighbour_1, neighbour_2 and so on.",
    )
