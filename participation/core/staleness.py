"""Whether a count that the worker keeps current (an open item's) may be stale: its "as of" is older than the
setting STALE_COUNT_MINUTES. Open items are recounted by every reconciliation (RECONCILE_INTERVAL), so an older
count means the workers or the cron have stopped; the item's page says so (templates/macros/figures.html)."""

import time
from datetime import UTC, datetime

from participation.core.settings import get_setting


def stale_after_seconds() -> int:
    return int(get_setting("STALE_COUNT_MINUTES")) * 60


def is_stale(as_of: datetime | None) -> bool:
    if as_of is None:
        return False
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    return time.time() - as_of.timestamp() > stale_after_seconds()
