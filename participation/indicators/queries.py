"""Reads used by the dashboard, the API, open data and the yearly review.

Progress follows only what the plan states: the 2024 figure, the 2027 target and the four-year total.
The plan gives no 2025 or 2026 target, so nothing here splits the "2025+2026 implied" sum into years.
Achievement is the sum of the yearly values so far over the four-year total. A measure is on track when
what remains of the total can still be reached at no more than the 2027 target per remaining year (the
current year counts for the part of it still to come). For the one stock measure (1.1.a, a year-end level)
the plan's four-year total is also the sum of the yearly levels, so the same arithmetic applies.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from participation.core.time import KST, kst_year_bounds, utcnow
from participation.extensions import db
from participation.indicators.models import LAST_YEAR, YEARS, Indicator, IndicatorValue, IndicatorValueChange


def indicators() -> list[Indicator]:
    """The catalogue with every stored value, in code order."""
    return list(db.session.scalars(select(Indicator).options(selectinload(Indicator.values))
                                   .order_by(Indicator.code)))


def value_for(indicator: Indicator, year: int) -> IndicatorValue | None:
    return next((value for value in indicator.values if value.year == year), None)


def year_fraction_elapsed(year: int, now: datetime) -> float:
    """How much of a KST calendar year has passed: 0 before it, 1 after it."""
    start, end = kst_year_bounds(year)
    if now <= start:
        return 0.0
    if now >= end:
        return 1.0
    return (now - start) / (end - start)


@dataclass
class Progress:
    indicator: Indicator
    values: dict[int, IndicatorValue] = field(default_factory=dict)
    latest_year: int | None = None
    latest: IndicatorValue | None = None
    cumulative: int = 0
    achievement: float | None = None  # percent of the four-year total
    on_track: bool | None = None  # None: no value yet

    @property
    def implied_2025_2026(self) -> int:
        return self.indicator.implied_2025_2026


def progress(indicator: Indicator, now: datetime | None = None, through_year: int | None = None) -> Progress:
    """The measure's standing now, or as it stood at the end of `through_year` (the yearly review)."""
    now = now or utcnow()
    result = Progress(indicator=indicator, values={value.year: value for value in indicator.values
                                                   if through_year is None or value.year <= through_year})
    if not result.values:
        return result
    result.latest_year = max(result.values)
    result.latest = result.values[result.latest_year]
    result.cumulative = sum(value.value for value in result.values.values())
    if indicator.total_4yr:
        result.achievement = round(100 * result.cumulative / indicator.total_4yr, 1)
    remaining = max(0, indicator.total_4yr - result.cumulative)
    years_left = (LAST_YEAR - result.latest_year) + (1 - year_fraction_elapsed(result.latest_year, now))
    result.on_track = remaining <= indicator.target_2027 * years_left
    return result


STANDINGS = ("on_track", "at_risk", "no_value")


def standing(measure: Progress) -> str:
    """On track, at risk, or no value yet: the dashboard's summary and filter."""
    if measure.on_track is None:
        return "no_value"
    return "on_track" if measure.on_track else "at_risk"


def dashboard(now: datetime | None = None) -> list[Progress]:
    """Every measure with its progress, in the plan's order."""
    return [progress(indicator, now) for indicator in indicators()]


def by_strategy(measures: list[Progress]) -> list[dict]:
    """Strategies → tasks → measures, in the plan's order (only those with a measure in `measures`)."""
    strategies: list[dict] = []
    for measure in measures:
        indicator = measure.indicator
        if not strategies or strategies[-1]["number"] != indicator.strategy_number:
            strategies.append({"number": indicator.strategy_number, "name_ko": indicator.strategy_ko,
                               "name_en": indicator.strategy, "tasks": []})
        tasks = strategies[-1]["tasks"]
        if not tasks or tasks[-1]["number"] != indicator.task_number:
            tasks.append({"number": indicator.task_number, "name_ko": indicator.task_ko,
                          "name_en": indicator.task, "measures": []})
        tasks[-1]["measures"].append(measure)
    return strategies


def history(indicator_id: int | None = None, year: int | None = None) -> list[IndicatorValueChange]:
    statement = select(IndicatorValueChange).options(selectinload(IndicatorValueChange.changed_by),
                                                     selectinload(IndicatorValueChange.indicator))
    if indicator_id is not None:
        statement = statement.where(IndicatorValueChange.indicator_id == indicator_id)
    if year is not None:
        statement = statement.where(IndicatorValueChange.year == year)
    return list(db.session.scalars(statement.order_by(IndicatorValueChange.id.desc())))


def api_rows(year: int) -> list[dict]:
    """The API's and the CSV's table for a year: 40 rows, raw numbers, value/source null when none."""
    rows = []
    for indicator in indicators():
        value = value_for(indicator, year)
        rows.append({
            "code": indicator.code, "name_ko": indicator.name_ko, "name_en": indicator.name_en,
            "unit": indicator.unit_ko, "scale": indicator.scale, "baseline_2024": indicator.baseline_2024,
            "target_2027": indicator.target_2027, "total_4yr": indicator.total_4yr, "feed": indicator.feed,
            "value": value.value if value else None, "source": str(value.source) if value else None,
            "as_of": value.computed_at if value else None,
        })
    return rows


CATALOGUE_FIELDS = ("code", "strategy_ko", "strategy", "task_ko", "task", "name_ko", "name_en", "unit_ko",
                    "unit_en", "scale", "baseline_2024", "target_2027", "total_4yr", "implied_2025_2026", "feed",
                    "stock_or_flow", "note")


def open_data() -> list[dict]:
    """The catalogue with every year's value: one row per measure (open data CSV and JSON)."""
    rows = []
    for indicator in indicators():
        row = {name: getattr(indicator, name) for name in CATALOGUE_FIELDS}
        for year in YEARS:
            value = value_for(indicator, year)
            row[f"value_{year}"] = value.value if value else None
            row[f"source_{year}"] = str(value.source) if value else None
            row[f"as_of_{year}"] = value.computed_at.astimezone(KST).isoformat() if value else None
        rows.append(row)
    return rows


OPEN_DATA_FIELDS = (*CATALOGUE_FIELDS,
                    *(f"{name}_{year}" for year in YEARS for name in ("value", "source", "as_of")))
