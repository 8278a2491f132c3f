"""Pages of the indicators: the public dashboard, one measure, staff entry, participation statistics,
open data with its data dictionary, and the yearly implementation review (4.2.b)."""

import json

from babel.numbers import format_compact_decimal
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select

from participation.core.consoles import STAFF, ConsoleEntry, register
from participation.core.csv import dict_rows, table_response
from participation.core.errors import ValidationError
from participation.core.forms import apply_errors, require_valid
from participation.core.permissions import Role, require_role
from participation.core.seoul import AGE_BAND_LABELS, AGE_BANDS, DISTRICTS, MIN_CELL_SIZE, district_label
from participation.core.templating import in_unit
from participation.core.time import kst_today
from participation.extensions import db
from participation.indicators import channel_stats, charts, queries, services
from participation.indicators.forms import RevertForm, ValueForm
from participation.indicators.models import YEARS, Indicator, IndicatorValue

bp = Blueprint("indicators", __name__, url_prefix="/indicators")


def current_plan_year() -> int:
    return min(max(kst_today().year, YEARS[0]), YEARS[-1])


def manual_values_missing() -> int:
    """Manual measures with no value yet for the current plan year (the staff console's count)."""
    entered = select(IndicatorValue.indicator_id).where(IndicatorValue.year == current_plan_year())
    return db.session.scalar(select(func.count()).select_from(Indicator).where(
        Indicator.feed == "manual", Indicator.id.not_in(entered))) or 0


register(STAFF, ConsoleEntry("indicators", _l("지표 값 입력 (올해 값이 없는 직접 입력 지표)"),
                             manual_values_missing, "indicators.index"))


def is_staff() -> bool:
    return current_user.is_authenticated and current_user.has_role(Role.staff)


def english() -> bool:
    return str(get_locale()) == "en"


def plan_year(year: int) -> int:
    if year not in YEARS:
        abort(404)
    return year


@bp.app_template_global("indicator_name")
def indicator_name(indicator) -> str:
    return indicator.name_en if english() else indicator.name_ko


@bp.app_template_global("indicator_unit")
def indicator_unit(indicator) -> str:
    return indicator.unit_en if english() else indicator.unit_ko


@bp.app_template_global("indicator_amount")
def indicator_amount(indicator, raw) -> str:
    """A raw count in the plan's unit: "430 만명" (4,300,000 people); in English "4.3M people"."""
    if raw is None:
        return "—"
    if english():
        if indicator.scale > 1:
            # "32M records", not "32,000 × thousand records" (which wrapped a letter a line on a phone): the plan's
            # English units are a multiplier and a base unit ("thousand records", "100 million KRW").
            base_unit = indicator.unit_en.split(" ")[-1]
            return f"{format_compact_decimal(raw, locale='en', fraction_digits=2)} {base_unit}"
        return f"{in_unit(raw, 1)} {indicator.unit_en}"
    return f"{in_unit(raw, indicator.scale)} {indicator.unit_ko}"


@bp.get("")
def index():
    """The 40 measures: a summary by standing first, then the measures, filtered by strategy and standing
    with plain links (no script); each measure's chart loads only when its year table is opened."""
    measures = queries.dashboard()
    counts = {name: 0 for name in queries.STANDINGS}
    for measure in measures:
        counts[queries.standing(measure)] += 1
    strategy = request.args.get("strategy", type=int)
    status = request.args.get("status")
    status = status if status in queries.STANDINGS else None
    strategies = queries.by_strategy(measures)
    shown = [measure for measure in measures
             if (strategy is None or measure.indicator.strategy_number == strategy)
             and (status is None or queries.standing(measure) == status)]
    return render_template("indicators/index.html", strategies=strategies, shown=queries.by_strategy(shown),
                           shown_count=len(shown), counts=counts, strategy=strategy, status=status,
                           years=YEARS, is_staff=is_staff())


@bp.get("/<code>")
def detail(code):
    indicator = services.get_indicator(code)
    return render_template("indicators/detail.html", measure=queries.progress(indicator), years=YEARS,
                           changes=queries.history(indicator.id), is_staff=is_staff())


@bp.get("/<code>/chart.svg")
def chart(code):
    indicator = services.get_indicator(code)
    response = Response(charts.measure_chart(indicator), mimetype="image/svg+xml")
    # pygal's SVG carries its own <style>; nothing in it may run.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.route("/<code>/values/<int:year>", methods=["GET", "POST"])
@login_required
def enter_value(code, year):
    require_role(current_user, Role.staff)
    indicator = services.get_indicator(code)
    year = plan_year(year)
    stored = queries.value_for(indicator, year)
    form = ValueForm()
    if request.method == "GET" and stored is not None:
        form.value.data = str(stored.value)
    if form.validate_on_submit():
        try:
            services.set_manual_value(current_user, indicator.code, year, form.value.data, form.note.data,
                                      override=form.override.data)
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            flash(_("%(code)s의 %(year)d년 값을 저장했습니다.", code=indicator.code, year=year), "success")
            return redirect(url_for("indicators.detail", code=indicator.code), 303)
    return render_template("indicators/enter_value.html", indicator=indicator, year=year, stored=stored, form=form,
                           revert_form=RevertForm(prefix="revert")), 422 if form.errors else 200


@bp.post("/<code>/values/<int:year>/revert")
@login_required
def revert_value(code, year):
    require_role(current_user, Role.staff)
    indicator = services.get_indicator(code)
    year = plan_year(year)
    form = RevertForm(prefix="revert")
    require_valid(form)
    services.revert_to_auto(current_user, indicator.code, year, form.note.data)
    db.session.commit()
    flash(_("%(code)s의 %(year)d년 값을 자동 집계로 되돌렸습니다.", code=indicator.code, year=year), "success")
    return redirect(url_for("indicators.detail", code=indicator.code), 303)


def statistics_year() -> int:
    require_role(current_user, Role.staff)
    return plan_year(request.args.get("year", type=int) or current_plan_year())


def district_name(name: str) -> str:
    return district_label(name, "en" if english() else "ko")


@bp.get("/statistics")
@login_required
def statistics():
    year = statistics_year()
    return render_template("indicators/statistics.html", year=year, years=YEARS, months=channel_stats.MONTHS,
                           rows=channel_stats.monthly(year), channel_labels=channel_stats.CHANNEL_LABELS,
                           breakdown=channel_stats.breakdown(year), sources=channel_stats.BREAKDOWN_SOURCES,
                           source_labels=channel_stats.BREAKDOWN_LABELS,
                           districts=DISTRICTS, age_bands=AGE_BANDS, age_band_labels=AGE_BAND_LABELS,
                           min_cell=MIN_CELL_SIZE)


@bp.get("/statistics.csv", defaults={"fmt": "csv"})
@bp.get("/statistics.xlsx", defaults={"fmt": "xlsx"})
@login_required
def statistics_csv(fmt):
    year = statistics_year()
    lines = channel_stats.csv_rows(year, channel_stats.monthly(year), channel_stats.breakdown(year),
                                   district_name, lambda band: str(AGE_BAND_LABELS[band]))
    return table_response(channel_stats.CSV_FIELDS, dict_rows(lines, channel_stats.CSV_FIELDS),
                          f"seoul-participation-statistics-{year}", fmt)


@bp.get("/data")
def data_dictionary():
    return render_template("indicators/data.html", years=YEARS, fields=queries.OPEN_DATA_FIELDS)


@bp.get("/data.csv")
def data_csv():
    return table_response(queries.OPEN_DATA_FIELDS, dict_rows(queries.open_data(), queries.OPEN_DATA_FIELDS),
                          "seoul-participation-indicators")


@bp.get("/data.json")
def data_json():
    body = {"years": list(YEARS), "fields": list(queries.OPEN_DATA_FIELDS), "indicators": queries.open_data()}
    # Korean as Korean, not escaped: the file is for spreadsheets and people as much as for programs.
    response = Response(json.dumps(body, ensure_ascii=False, indent=1), mimetype="application/json")
    response.headers["Content-Disposition"] = 'inline; filename="seoul-participation-indicators.json"'
    return response


@bp.get("/review/<int:year>")
def review(year):
    year = plan_year(year)
    measures = [queries.progress(indicator, through_year=year) for indicator in queries.indicators()]
    return render_template("indicators/review.html", year=year, measures=measures,
                           changes=queries.history(year=year), is_staff=is_staff())
