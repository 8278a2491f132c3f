"""Jobs of this channel (RQ), idempotent: they recompute the automatic measures from the channels' rows
(counts.py: one upsert per measure and year, never over a staff override)."""

from participation.core.time import kst_today
from participation.extensions import db
from participation.indicators.counts import refresh, years_so_far
from participation.indicators.models import YEARS


def refresh_year(year: int) -> dict[str, int]:
    """Job: refresh one year's automatic measures and commit."""
    written = refresh(year)
    db.session.commit()
    return written


def refresh_current_year() -> dict[str, int]:
    """Periodic: the current KST year (nothing once the plan's years are over)."""
    year = kst_today().year
    return refresh_year(year) if year in YEARS else {}


def refresh_all_years() -> None:
    """Full recount (`flask --app wsgi tally`): every plan year up to now."""
    for year in years_so_far():
        refresh_year(year)


# (function, seconds between runs or the setting that holds them), run by the worker's cron scheduler.
PERIODIC: list = [(refresh_current_year, "INDICATOR_INTERVAL")]
# Functions that recompute all of this channel's counts; `flask --app wsgi tally` runs them.
RECOUNTS: list = [refresh_all_years]
