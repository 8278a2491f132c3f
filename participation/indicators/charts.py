"""Small SVG charts (pygal) of a measure: the yearly values against the plan's 2024 and 2027 figures.

Served as an image (no script runs in an <img>); the page puts a data table with the same numbers
beside each chart for screen readers and for print."""

import pygal
from flask_babel import gettext as _
from pygal.style import Style

from participation.indicators.models import YEARS, Indicator

STYLE = Style(
    background="white", plot_background="white", foreground="#1b1f24", foreground_strong="#1b1f24",
    foreground_subtle="#d0d5dd", colors=("#0b4ea2", "#8a94a3"),
    font_family='"Noto Sans KR", "Noto Sans CJK KR", "Apple SD Gothic Neo", "Malgun Gothic", sans-serif',
    label_font_size=11, major_label_font_size=11, legend_font_size=11, value_font_size=10,
)


def in_plan_unit(raw: int | None, scale: int) -> float | None:
    return None if raw is None else raw / scale


def measure_chart(indicator: Indicator, unit_label: str) -> bytes:
    values = {value.year: value.value for value in indicator.values}
    chart = pygal.Bar(width=360, height=220, style=STYLE, js=[], legend_at_bottom=True, legend_at_bottom_columns=2,
                      print_values=False, show_y_guides=True, y_title=unit_label, margin=6, include_x_axis=True)
    chart.x_labels = [str(year) for year in YEARS]
    chart.add(_("실적"), [in_plan_unit(values.get(year), indicator.scale) for year in YEARS])
    chart.add(_("계획"), [in_plan_unit(indicator.baseline_2024, indicator.scale), None, None,
                            in_plan_unit(indicator.target_2027, indicator.scale)])
    return chart.render()
