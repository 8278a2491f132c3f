"""Every periodic job and every full recount, in one place.

Each channel's tasks module lists its own: PERIODIC as (function, seconds between runs, or the name of
the setting that holds them) and RECOUNTS as functions that recompute all of that channel's counts from
the database. The worker's cron scheduler runs PERIODIC, which includes `reconcile` (every RECOUNTS
function: whatever a lost job or a Redis outage left stale is put right); `flask --app wsgi tally` runs
RECOUNTS at once."""

import logging

from participation.accounts import tasks as accounts
from participation.budgets import tasks as budgets
from participation.extensions import db
from participation.forums import tasks as forums
from participation.indicators import tasks as indicators
from participation.petitions import tasks as petitions
from participation.polls import tasks as polls
from participation.proposals import tasks as proposals
from participation.surveys import tasks as surveys

CHANNEL_TASKS = (petitions, proposals, polls, forums, surveys, budgets)

# Indicators come last: they count what the channels' recounts have just settled.
log = logging.getLogger(__name__)

RECOUNTS = [func for module in (*CHANNEL_TASKS, indicators) for func in module.RECOUNTS]


def reconcile() -> None:
    """Periodic: recompute every count, tally and indicator from the database (each logs the drift it
    fixes). One failing recount does not stop the others."""
    for func in RECOUNTS:
        try:
            func()
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("reconciliation step %s failed", func.__name__)


PERIODIC = [entry for module in (accounts, *CHANNEL_TASKS, indicators) for entry in module.PERIODIC]
PERIODIC.append((reconcile, "RECONCILE_INTERVAL"))
