"""Jobs of the budgeting channel (RQ), idempotent: they take ids and recompute from the database.

- `recount_supports`: each project's supports (공감), counted per project with those of the projects merged
  into it (distinct people).
- `count_participants`: how many people have voted so far (the participation rows), shown while voting runs.
- `tally_budget`: once voting has closed, the allocation (`allocation.allocate`, pabutools) from the ballots;
  it writes every project's votes and outcome, the process's spent amount and receipts digest, and moves the
  process to `tallied`, all in one transaction. A tallied process is frozen: running it again does nothing.
- `apply_budget_deadlines` (periodic): applies the phases' dates.
"""

import hashlib
import logging
import math
from collections import Counter, defaultdict
from fractions import Fraction

from sqlalchemy import func, select, update

from participation.budgets import allocation
from participation.budgets.models import (
    BudgetBallot,
    BudgetBallotProject,
    BudgetParticipation,
    BudgetProcess,
    BudgetProject,
    ProcessState,
    ProjectStatus,
    ProjectSupport,
)
from participation.budgets.services import check_ready_to_vote, transition
from participation.core.errors import DomainError
from participation.core.jobs import enqueue_after_commit, job_pending
from participation.core.time import utcnow
from participation.extensions import db

log = logging.getLogger(__name__)


def recount_supports(budget_id: int) -> None:
    """Job: every project's support count (its own supporters and those of projects merged into it)."""
    write_support_counts(budget_id)
    db.session.commit()


def write_support_counts(budget_id: int) -> None:
    projects = db.session.execute(select(BudgetProject.id, BudgetProject.merged_into_id)
                                  .where(BudgetProject.budget_id == budget_id)).all()
    target = {project_id: merged_into or project_id for project_id, merged_into in projects}
    people = defaultdict(set)
    rows = db.session.execute(select(ProjectSupport.project_id, ProjectSupport.user_id).join(
        BudgetProject, BudgetProject.id == ProjectSupport.project_id).where(BudgetProject.budget_id == budget_id))
    for project_id, user_id in rows:
        people[project_id].add(user_id)
        people[target[project_id]].add(user_id)
    for project_id in target:
        db.session.execute(update(BudgetProject).where(BudgetProject.id == project_id)
                           .values(support_count=len(people[project_id]))
                           .execution_options(synchronize_session=False))
    db.session.expire_all()


def count_participants(budget_id: int) -> None:
    """Job: the number of people who have voted so far."""
    total = db.session.scalar(select(func.count()).select_from(BudgetParticipation)
                              .where(BudgetParticipation.budget_id == budget_id))
    db.session.execute(update(BudgetProcess).where(BudgetProcess.id == budget_id)
                       .values(participants=total, participants_as_of=utcnow())
                       .execution_options(synchronize_session=False))
    db.session.commit()


# Equal Shares runs once per 1% raise of the shares: measured 3 s a run for 20,000 voters and 20 projects, and
# a real Warsaw file needed 127 raises. A city-wide vote may take far longer than RQ's default 180 s.
ALLOCATION_TIMEOUT = 6 * 3600


def allocation_job_id(budget_id: int) -> str:
    return f"allocate:budget:{budget_id}"


def schedule_allocation(budget_id: int) -> None:
    """After this transaction commits, allocate the process on a worker (unless that job already waits or runs)."""
    if not job_pending(allocation_job_id(budget_id)):
        enqueue_after_commit(tally_budget, budget_id, job_id=allocation_job_id(budget_id), timeout=ALLOCATION_TIMEOUT)


def tally_budget(budget_id: int) -> None:
    """Job: the final allocation of a closed process (nothing for any other state)."""
    if write_allocation(budget_id):
        log.info("budget %s tallied", budget_id)
    db.session.commit()


def ballots_of(budget_id: int) -> Counter:
    """Each distinct set of approved project ids, with how many ballots chose exactly it."""
    chosen = defaultdict(set)
    for ballot_id, project_id in db.session.execute(
            select(BudgetBallotProject.ballot_id, BudgetBallotProject.project_id)
            .where(BudgetBallotProject.budget_id == budget_id)):
        chosen[ballot_id].add(project_id)
    empty = db.session.scalar(select(func.count()).select_from(BudgetBallot).where(
        BudgetBallot.budget_id == budget_id)) - len(chosen)
    ballots = Counter(frozenset(projects) for projects in chosen.values())
    if empty:
        ballots[frozenset()] += empty
    return ballots


def receipts_digest(budget_id: int) -> str | None:
    """SHA-256 of the receipt hashes, sorted and joined with newlines (as for polls); None without receipts."""
    hashes = db.session.scalars(select(BudgetBallot.receipt_hash).where(
        BudgetBallot.budget_id == budget_id, BudgetBallot.receipt_hash.is_not(None))
        .order_by(BudgetBallot.receipt_hash)).all()
    return hashlib.sha256("\n".join(hashes).encode()).hexdigest() if hashes else None


def as_int(value: Fraction | None) -> int | None:
    """An explanation figure in the process's smallest unit, rounded half up."""
    return None if value is None else math.floor(value + Fraction(1, 2))


def write_allocation(budget_id: int) -> bool:
    """Allocate a closed process and move it to tallied (flushes; the caller commits). True if it did."""
    process = db.session.scalars(select(BudgetProcess).where(BudgetProcess.id == budget_id)
                                 .with_for_update()).one_or_none()
    if process is None or process.state != ProcessState.closed:
        return False
    on_ballot = [project for project in process.projects if project.status == ProjectStatus.feasible]
    by_name = {project.pabulib_id: project for project in on_ballot}
    names = {project.id: project.pabulib_id for project in on_ballot}
    ballots = Counter({frozenset(names[project_id] for project_id in key): count
                       for key, count in ballots_of(budget_id).items()})
    total = sum(ballots.values())
    costs = {name: project.cost for name, project in by_name.items()}
    outcome = allocation.allocate(process.rule, process.budget, costs, ballots) if total else None
    for name, project in by_name.items():
        result = outcome.projects[name] if outcome else None
        project.votes = result.votes if result else 0
        project.funded = bool(result and result.funded)
        project.outcome_reason = result.reason if result else allocation.NO_BALLOTS
        project.outcome = {} if result is None else {
            "how": result.how, "remaining": as_int(result.remaining), "payers": result.payers,
            "largest_payment": as_int(result.largest_payment),
            "supporters_money_left": as_int(result.supporters_money_left),
            "rank": outcome.selected.index(name) + 1 if name in outcome.selected else None}
        if project.funded and project.implementation is None:
            project.implementation, project.implementation_percent = "planned", 0
    process.total_ballots = total
    process.spent = outcome.spent if outcome else 0
    process.allocation = {} if outcome is None else {
        "voters": outcome.voters, "share_per_voter": as_int(outcome.share_per_voter), "raises": outcome.raises,
        "by_shares": sum(project.cost for project in on_ballot
                         if project.funded and project.outcome.get("how") == allocation.BY_SHARES)}
    process.tally_as_of = utcnow()
    process.tally_digest = receipts_digest(budget_id)
    transition(process, ProcessState.tallied, None)
    return True


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
