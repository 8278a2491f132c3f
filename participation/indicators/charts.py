"""Small SVG charts (pygal) of a measure: the yearly values against the plan's 2024 and 2027 figures.

Served as an image (no script runs in an <img>); the page puts a data table with the same numbers
beside each chart for screen readers and for print. Drawn at the size a phone shows it (360 × 250, shown
288–384 px wide) with 16 px labels, so that no label is smaller than 12 px on a 320 px screen; the unit is
the figure's caption, not a rotated axis title (a rotated "명" read as "ㅁ0" beside the first tick)."""

import math

import pygal
from flask_babel import format_decimal
from flask_babel import gettext as _
from pygal.style import Style

from participation.indicators.models import YEARS, Indicator

STYLE = Style(
    background="white", plot_background="white", foreground="#1b1f24", foreground_strong="#1b1f24",
    foreground_subtle="#d0d5dd", colors=("#0b4ea2", "#6b7480"),
    font_family='"Noto Sans KR", "Noto Sans CJK KR", "Apple SD Gothic Neo", "Malgun Gothic", sans-serif',
    label_font_size=16, major_label_font_size=16, legend_font_size=16, value_font_size=14,
)
TICKS = 5


def in_plan_unit(raw: int | None, scale: int) -> float | None:
    return None if raw is None else raw / scale


def ticks(highest: float, whole: bool) -> list[float]:
    """0 and about TICKS steps of 1, 2 or 5 × 10ⁿ up to at least `highest`; whole steps for counts (a count
    axis never shows 0.1 회)."""
    if highest <= 0:
        return [0, 1] if whole else [0, 0.5, 1]
    raw_step = highest / TICKS
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(factor * magnitude for factor in (1, 2, 5, 10) if factor * magnitude >= raw_step)
    if whole:
        step = max(1, round(step))
    count = math.ceil(highest / step)
    return [round(step * number, 10) for number in range(count + 1)]


def measure_chart(indicator: Indicator) -> bytes:
    values = {value.year: value.value for value in indicator.values}
    actual = [in_plan_unit(values.get(year), indicator.scale) for year in YEARS]
    planned = [in_plan_unit(indicator.baseline_2024, indicator.scale), None, None,
               in_plan_unit(indicator.target_2027, indicator.scale)]
    # Counts in their own unit (명, 회, 건 …) are whole; a scaled unit (만명, 억원) may be 2.5.
    whole = indicator.scale == 1
    chart = pygal.Bar(width=360, height=250, style=STYLE, js=[], legend_at_bottom=True, legend_at_bottom_columns=2,
                      print_values=False, show_y_guides=True, margin=8, include_x_axis=True,
                      y_labels=ticks(max([v for v in actual + planned if v is not None], default=0), whole),
                      value_formatter=lambda value: format_decimal(value))
    chart.x_labels = [str(year) for year in YEARS]
    chart.add(_("실적"), actual)
    chart.add(_("계획"), planned)
    return chart.render()
