"""Form fields shared by every audience."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import IntegerField, StringField
from wtforms.validators import ValidationError

LONDON = ZoneInfo("Europe/London")


class PlainForm(FlaskForm):
    """A form with nothing but its CSRF token: a button that changes something."""


class DateField(StringField):
    """A date typed as DD/MM/YYYY or YYYY-MM-DD; the moment is the end of that day, London time,
    for a deadline (``end_of_day``) or its start."""

    def __init__(self, *args, end_of_day: bool = False, **kwargs):
        kwargs.setdefault("widget", GovTextInput())
        super().__init__(*args, **kwargs)
        self.end_of_day = end_of_day
        self.moment: datetime | None = None
        self.day: date | None = None

    def pre_validate(self, form):
        text = (self.data or "").strip()
        if not text:
            return
        for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d %m %Y", "%d-%m-%Y"):
            try:
                day = datetime.strptime(text, fmt).date()  # noqa: DTZ007  (a day typed, with no time to place)
                break
            except ValueError:
                continue
        else:
            raise ValidationError("Enter a real date, like 31/12/2017")
        if not 2000 <= day.year <= 2100:
            raise ValidationError("Enter a year between 2000 and 2100")
        self.day = day
        moment = datetime.combine(day, time(23, 59, 59) if self.end_of_day else time(0, 0), tzinfo=LONDON)
        self.moment = moment.astimezone(UTC)


class WholeNumberField(IntegerField):
    """A whole number, with a message for anything else that says what to enter."""

    def __init__(self, *args: Any, message: str = "Enter a whole number, like 12", **kwargs: Any):
        kwargs.setdefault("widget", GovTextInput())
        super().__init__(*args, **kwargs)
        self.message = message

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.message) from None


CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def single_line(form: Any, field: Any) -> None:
    """A WTForms validator: a name, code or address is one line (a line break in an organisation's
    name broke its emails' headers)."""
    if isinstance(field.data, str) and CONTROL.search(field.data):
        raise ValidationError("Enter this on one line, without line breaks or tabs")


def as_input_date(moment: datetime | date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        moment = moment.astimezone(LONDON)
    return moment.strftime("%d/%m/%Y")
