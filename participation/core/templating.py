"""Template filters: KST dates, the plan's units, user text."""

from datetime import datetime

from flask import Flask
from flask_babel import format_datetime, format_decimal, get_locale
from flask_babel import lazy_gettext as _l

from participation.core.seoul import AGE_BAND_LABELS, MIN_CELL_SIZE, district_label
from participation.core.settings import get_setting
from participation.core.staleness import is_stale
from participation.core.text import render_markdown
from participation.core.time import days_left

FORMAT_HINT = _l("빈 줄은 문단을 나누고, 줄 앞의 '- '는 목록, **두 별표 사이**는 굵은 글씨가 됩니다.")


def kst(moment: datetime | None, style: str = "medium") -> str:
    """A UTC datetime shown in Asia/Seoul (Flask-Babel's default timezone)."""
    if moment is None:
        return ""
    pattern = {"date": "yyyy-MM-dd", "medium": "yyyy-MM-dd HH:mm", "full": "yyyy-MM-dd HH:mm:ss"}[style]
    return format_datetime(moment, pattern)


def number(value) -> str:
    return "" if value is None else format_decimal(value)


def in_unit(value, scale: int) -> str:
    """A raw count shown in the plan's unit: 4,300,000 with scale 10,000 is "430"."""
    if value is None:
        return ""
    scaled = value / scale if scale else value
    return format_decimal(round(scaled, 2))


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        kst=kst, number=number, in_unit=in_unit, markdown=render_markdown, days_left=days_left,
        district=lambda name: district_label(name, str(get_locale())) if name else "",
        age_band=lambda code: str(AGE_BAND_LABELS.get(code, code)) if code else "",
    )
    # A threshold or period shown on a page is the one in force (`setting("PETITION_ANSWER_THRESHOLD")`),
    # never a number written into the template.
    app.jinja_env.globals["setting"] = get_setting
    # An open item's count older than STALE_COUNT_MINUTES: its page says it may be stale (macros/figures.html).
    app.jinja_env.globals["count_is_stale"] = is_stale
    # What a writer may use in a text box, in plain words (no one needs to know the word "Markdown").
    app.jinja_env.globals["FORMAT_HINT"] = FORMAT_HINT
    app.jinja_env.globals["MIN_CELL_SIZE"] = MIN_CELL_SIZE  # templates/macros/figures.html
