"""Jobs of the budgeting channel (RQ), idempotent: they take ids and recompute from the database.

- `recount_supports`: each project's supports (공감), counted per project with those of the projects merged
  into it (distinct people).
- `count_participants`: how many people have voted so far (the participation rows), shown while voting runs.
- `tally_budget`: once voting has closed, the allocation (`allocation.allocate`, pabutools) from the ballots;
  it writes every project's votes and outcome, the process's spent amount and receipts digest, and moves the
  process to `tallied`, all in one transaction. A tallied process is frozen: running it again does nothing.
- `apply_budget_deadlines` (periodic): applies the phases' dates.
"""

import logging

from sqlalchemy import select

from participation.budgets import counts
from participation.budgets.models import BudgetProcess, ProcessState
from participation.budgets.services import check_ready_to_vote, schedule_allocation, transition, write_allocation
from participation.core.errors import DomainError
from participation.core.time import utcnow
from participation.extensions import db

log = logging.getLogger(__name__)


def count_participants(budget_id: int) -> None:
    """Job: the number of people who have voted so far."""
    counts.recount_participants(budget_id)
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
    """Full recount: supports of processes taking proposals, participants of those voting; a closed process's
    allocation is asked of a worker (it may take longer than a recount may)."""
    for budget_id, state in db.session.execute(select(BudgetProcess.id, BudgetProcess.state).where(
            BudgetProcess.state.in_([ProcessState.proposing, ProcessState.reviewing, ProcessState.voting,
                                     ProcessState.closed]))).all():
        if state in (ProcessState.proposing, ProcessState.reviewing):
            recount_supports(budget_id)
        elif state == ProcessState.voting:
            count_participants(budget_id)
        else:
            schedule_allocation(budget_id)
            db.session.commit()


PERIODIC: list = [(apply_budget_deadlines, 60)]
RECOUNTS: list = [recount_all_budgets]
