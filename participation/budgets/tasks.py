"""Jobs of the budgeting channel (RQ), idempotent: they take ids and recompute from the database.

- `recount_supports`: each project's supports (공감), counted per project with those of the projects merged
  into it (distinct people).
- `make_budget_key`: the process's key pair in the tally key directory (core/tally_keys.py), its public key
  published on the process; ballots arrive sealed to it (core/ballot_box.py).
- `open_ballots` (debounced after ballots): while voting runs, opens the waiting sealed ballots once at least
  MIX_BATCH of them have accumulated (shuffled, in this job's own transaction) and recounts the voters with
  it, so the figure shown moves batch by batch, never by one ballot.
- `tally_budget`: once voting has closed, opens every sealed ballot still waiting however few, then the
  allocation (`allocation.allocate`, pabutools) from the opened ballots; it writes every project's votes and
  outcome, the process's spent amount and receipts digest, and moves the process to `tallied`, all in one
  transaction. A tallied process is frozen: running it again does nothing. A process whose key is missing is
  not tallied and says so; the next run after the key is restored tallies it.
- `apply_budget_deadlines` (periodic): applies the phases' dates, asks again for missing keys and allocations.
"""

import logging

from sqlalchemy import select

from participation.budgets import counts
from participation.budgets.box import BUDGET_BOX
from participation.budgets.models import BudgetProcess, ProcessSource, ProcessState
from participation.budgets.services import (
    check_ready_to_vote,
    open_ballots,
    schedule_allocation,
    transition,
    write_allocation,
)
from participation.core import ballot_box, jobs
from participation.core.errors import DomainError
from participation.core.time import utcnow
from participation.extensions import db

log = logging.getLogger(__name__)


# A process in these states may still take ballots (now or later): it needs its key pair.
NEEDS_KEY = (ProcessState.draft, ProcessState.proposing, ProcessState.reviewing, ProcessState.voting)


def make_budget_key(budget_id: int) -> None:
    """Job: make the process's key pair in the tally key directory and publish its public key (idempotent)."""
    state = db.session.scalar(select(BudgetProcess.state).where(BudgetProcess.id == budget_id))
    if state not in NEEDS_KEY:
        return
    ballot_box.prepare_key(BUDGET_BOX, budget_id)
    db.session.commit()


def open_budget_ballots(budget_id: int) -> None:
    """Job: open a batch of sealed ballots if one is ready, and recount the voters with it."""
    open_ballots(budget_id)
    db.session.commit()


def recount_supports(budget_id: int) -> None:
    """Job: every project's support count (its own supporters and those of projects merged into it)."""
    counts.write_support_counts(budget_id)
    db.session.commit()


def tally_budget(budget_id: int) -> None:
    """Job: the final allocation of a closed process (nothing for any other state)."""
    if write_allocation(budget_id):
        log.info("budget %s tallied", budget_id)
    db.session.commit()


def apply_budget_deadlines() -> None:
    """Periodic: apply the phases' dates (proposals close, voting opens and closes) and make sure every closed
    process gets its allocation (also if Redis was down when it closed)."""
    now = utcnow()
    due = (
        (ProcessState.proposing, BudgetProcess.proposing_closes_at, ProcessState.reviewing),
        (ProcessState.reviewing, BudgetProcess.voting_opens_at, ProcessState.voting),
        (ProcessState.voting, BudgetProcess.voting_closes_at, ProcessState.closed),
    )
    for state, column, to in due:
        for process in db.session.scalars(select(BudgetProcess).where(
                BudgetProcess.state == state, column.is_not(None), column <= now)).all():
            if to == ProcessState.voting and not ready_to_vote(process):
                continue
            transition(process, to, None)
    for budget_id in db.session.scalars(select(BudgetProcess.id).where(BudgetProcess.state == ProcessState.closed)):
        schedule_allocation(budget_id)
    for budget_id in db.session.scalars(select(BudgetProcess.id).where(
            BudgetProcess.state.in_(NEEDS_KEY), BudgetProcess.public_key.is_(None),
            BudgetProcess.source == ProcessSource.platform)):
        if not jobs.is_pending("tally-key:budget", budget_id):
            jobs.schedule("tally-key:budget", budget_id)
    db.session.commit()


def ready_to_vote(process: BudgetProcess) -> bool:
    """Whether voting can open (every project assessed, one feasible, a close date ahead); if not, the
    process waits in review for staff, and the log says why."""
    try:
        check_ready_to_vote(process, utcnow())
    except DomainError as error:
        log.info("budget %s stays in review: %s", process.id, error.summary())
        return False
    return True


def recount_all_budgets() -> None:
    """Full recount: supports of processes taking proposals; for those voting, a batch of sealed ballots if one is
    ready (and the voters with it); a closed process's allocation is asked of a worker (it may take longer than
    a recount may)."""
    for budget_id, state in db.session.execute(select(BudgetProcess.id, BudgetProcess.state).where(
            BudgetProcess.state.in_([ProcessState.proposing, ProcessState.reviewing, ProcessState.voting,
                                     ProcessState.closed]))).all():
        if state in (ProcessState.proposing, ProcessState.reviewing):
            recount_supports(budget_id)
        elif state == ProcessState.voting:
            open_budget_ballots(budget_id)
        else:
            schedule_allocation(budget_id)
            db.session.commit()


PERIODIC: list = [(apply_budget_deadlines, 60)]
RECOUNTS: list = [recount_all_budgets]
# What may still change: processes taking proposals, voting or waiting for their allocation (not tallied ones).
RECONCILE: list = [recount_all_budgets]
