"""Template filters: dates and places as people in England write them."""
from __future__ import annotations

import datetime as dt
from datetime import datetime
from zoneinfo import ZoneInfo

from aggregation.dataset import in_a_sentence
from aggregation.scores import ordinal

LONDON = ZoneInfo("Europe/London")


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


def register(app) -> None:
    app.add_template_filter(ordinal, "ordinal")
    app.add_template_filter(in_a_sentence, "in_a_sentence")
    app.add_template_filter(date, "date")
    app.add_template_filter(datetime_, "datetime")
