"""Every periodic job and every recount, in one place.

Each channel's tasks module lists its own: PERIODIC as (function, seconds between runs, or the name of the
setting that holds them); RECONCILE as functions that recount what may still change (open items, and settled
ones with rows newer than their last count); RECOUNTS as functions that recompute all of that channel's counts.
The worker's cron (participation/cron.py: one across all workers) runs PERIODIC, which includes `reconcile`
(every RECONCILE function, every RECONCILE_INTERVAL: whatever a lost job or a Redis outage left stale is put
right) and `reconcile_settled` (every RECOUNTS function, once every SETTLED_SWEEP_INTERVAL: a week by default).
`flask --app wsgi tally` runs RECOUNTS on demand. A settled item (closed, answered, tallied) with no row newer
than its count is thus recounted weekly or on demand, not every few minutes: the work of the frequent
reconciliation grows with what is open, not with four years of history."""

import logging

from participation.accounts import tasks as accounts
from participation.budgets import tasks as budgets
from participation.core import mail
from participation.core.redis import redis_connection
from participation.cron import Periodic, run_exclusively
from participation.extensions import db
from participation.forums import tasks as forums
from participation.indicators import tasks as indicators
from participation.petitions import tasks as petitions
from participation.polls import tasks as polls
from participation.proposals import tasks as proposals
from participation.surveys import tasks as surveys

CHANNEL_TASKS = (petitions, proposals, polls, forums, surveys, budgets)

log = logging.getLogger(__name__)

# Indicators come last: they count what the channels' recounts have just settled.
RECOUNTS = [func for module in (*CHANNEL_TASKS, indicators) for func in module.RECOUNTS]
# The current year's indicators have a periodic job of their own (INDICATOR_INTERVAL).
RECONCILE = [func for module in CHANNEL_TASKS for func in module.RECONCILE]


def _run_each(functions) -> None:
    """Run each function and commit; one failing does not stop the others (it is logged)."""
    for func in functions:
        try:
            func()
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("reconciliation step %s failed", func.__name__)


def reconcile() -> None:
    """Periodic: recount what may still change (each logs the drift it fixes)."""
    _run_each(RECONCILE)


def reconcile_settled() -> None:
    """Periodic, slow (SETTLED_SWEEP_INTERVAL): recompute every count, tally and indicator, settled ones too."""
    _run_each(RECOUNTS)


def deliver_unsent_mail() -> None:
    """Periodic: enqueue mail whose delivery job was lost (core/mail.py)."""
    swept = mail.sweep_unsent()
    db.session.commit()
    if swept:
        log.warning("mail: %d unsent messages enqueued again", swept)


PERIODIC = [entry for module in (accounts, *CHANNEL_TASKS, indicators) for entry in module.PERIODIC]
PERIODIC.append((deliver_unsent_mail, 60))
PERIODIC.append((reconcile, "RECONCILE_INTERVAL"))
PERIODIC.append((reconcile_settled, "SETTLED_SWEEP_INTERVAL"))
# Seconds a periodic job may run (RQ's default of 180 for the others).
TIMEOUTS = {reconcile: 1800, reconcile_settled: 4 * 3600}


def periodic_name(func) -> str:
    """A periodic job's name: "petitions.close_due_petitions" for a channel's job, "reconcile" for this module's."""
    module = func.__module__.split(".")
    return f"{module[1]}.{func.__name__}" if module[-1] == "tasks" else func.__name__


PERIODIC_JOBS = {periodic_name(func): Periodic(periodic_name(func), func, every, TIMEOUTS.get(func))
                 for func, every in PERIODIC}
assert len(PERIODIC_JOBS) == len(PERIODIC), "two periodic jobs have the same name"


def run_periodic(name: str) -> bool:
    """Job: the periodic job `name`, unless a run of it is still going (then skipped: False)."""
    job = PERIODIC_JOBS[name]
    return run_exclusively(redis_connection(), name, job.func, job.timeout or 180)
