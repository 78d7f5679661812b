"""Template filters: dates and places as people in England write them."""

from __future__ import annotations

import datetime as dt
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from aggregation.dataset import in_a_sentence
from aggregation.scores import ordinal

LONDON = ZoneInfo("Europe/London")
PLACEHOLDER = re.compile(r"<(?:Organisation name|area name|name|email address|telephone number)>")


def date(value: dt.date | None) -> str:
    """A moment's day in London, or a day, as people write it: 30 November 2026."""
    if value is None:
        return ""
    day = value.astimezone(LONDON) if isinstance(value, datetime) else value
    return day.strftime("%-d %B %Y")


def datetime_(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    return local.strftime("%-d %B %Y at %-I:%M%p").replace("AM", "am").replace("PM", "pm")


def placeholders(text: str) -> Markup:
    """A redacted comment with each placeholder the redaction put in highlighted (and named as
    such to a screen reader): what a reviewer checks first."""
    out, at = [], 0
    for m in PLACEHOLDER.finditer(text):
        out += [
            escape(text[at : m.start()]),
            Markup('<mark class="app-placeholder"><span class="govuk-visually-hidden">redacted as </span>'),
            escape(m.group()),
            Markup("</mark>"),
        ]
        at = m.end()
    return Markup("").join([*out, escape(text[at:])])


def register(app) -> None:
    app.add_template_filter(placeholders, "placeholders")
    app.add_template_filter(ordinal, "ordinal")
    app.add_template_filter(in_a_sentence, "in_a_sentence")
    app.add_template_filter(date, "date")
    app.add_template_filter(datetime_, "datetime")
