"""The automatic measures, counted from the channels' rows (feeds.py) for one KST calendar year and written each
with one upsert (INSERT … ON CONFLICT DO UPDATE … WHERE source = 'auto'), so that running it twice or two at once
leaves the same rows and a staff override is never overwritten. A stored count that differs from the new one is
logged as drift and corrected. Nothing here commits."""

import logging

from sqlalchemy import select

from participation.core.database import upsert
from participation.core.time import kst_today, kst_year_bounds, utcnow
from participation.extensions import db
from participation.indicators import feeds
from participation.indicators.models import YEARS, Indicator, IndicatorValue, ValueSource

log = logging.getLogger(__name__)


def refresh(year: int, codes: list[str] | None = None) -> dict[str, int]:
    """Count and write the automatic measures (all, or those in `codes`) for a year; does not commit.
    Returns {code: value written}; measures whose feed is unavailable or overridden are left out."""
    if year not in YEARS:
        raise ValueError(f"{year} is outside the plan's years {YEARS[0]}-{YEARS[-1]}")
    start, end = kst_year_bounds(year)
    statement = select(Indicator).where(Indicator.feed.like("auto:%")).order_by(Indicator.code)
    if codes is not None:
        statement = statement.where(Indicator.code.in_(codes))
    indicators = db.session.scalars(statement).all()
    stored = {row.indicator_id: (row.value, row.source) for row in db.session.execute(
        select(IndicatorValue.indicator_id, IndicatorValue.value, IndicatorValue.source)
        .where(IndicatorValue.year == year))}
    written = {}
    for indicator in indicators:
        try:
            value = feeds.count(indicator.metric, start, end)
        except KeyError:
            log.error("indicator %s: no feed named %r in feeds.FEEDS", indicator.code, indicator.metric)
            continue
        old_value, old_source = stored.get(indicator.id, (None, None))
        if old_source == ValueSource.manual:
            continue
        if old_value is not None and old_value != value:
            log.info("indicator %s %s: drift fixed (%s -> %s)", indicator.code, year, old_value, value)
        upsert(IndicatorValue, {"indicator_id": indicator.id, "year": year, "value": value,
                                "source": ValueSource.auto, "computed_at": utcnow(), "entered_by_id": None,
                                "note": None},
               ["indicator_id", "year"], ["value", "computed_at"],
               where=IndicatorValue.source == ValueSource.auto)
        written[indicator.code] = value
    db.session.expire_all()
    return written


def years_so_far() -> list[int]:
    """The plan's years up to the current KST year."""
    this_year = kst_today().year
    return [year for year in YEARS if year <= this_year]
