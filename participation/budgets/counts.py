"""Counts of the budgeting channel, recomputed from the rows (written in one statement each, no commit): the
projects' supports, the number of voters, and what the allocation reads from the ballots."""

import math
from collections import Counter, defaultdict
from fractions import Fraction

from sqlalchemy import func, select, update

from participation.budgets.box import BUDGET_BOX
from participation.budgets.models import (
    BudgetBallot,
    BudgetBallotProject,
    BudgetParticipation,
    BudgetProcess,
    BudgetProject,
    ProjectSupport,
)
from participation.core import ballot_box
from participation.core.time import utcnow
from participation.extensions import db


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


def recount_participants(budget_id: int) -> None:
    """The number of people who have voted so far (run when a batch is opened and at the final tally)."""
    total = db.session.scalar(select(func.count()).select_from(BudgetParticipation)
                              .where(BudgetParticipation.budget_id == budget_id))
    db.session.execute(update(BudgetProcess).where(BudgetProcess.id == budget_id)
                       .values(participants=total, participants_as_of=utcnow())
                       .execution_options(synchronize_session=False))


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


def receipts_digest(budget_id: int, up_to_batch: int) -> str | None:
    """SHA-256 of the receipt hashes of batches 1..up_to_batch, sorted and joined with newlines (as for polls);
    None without receipts (an imported process)."""
    digest, count = ballot_box.receipts_digest(BUDGET_BOX, budget_id, up_to_batch)
    return digest if count else None


def as_int(value: Fraction | None) -> int | None:
    """An explanation figure in the process's smallest unit, rounded half up."""
    return None if value is None else math.floor(value + Fraction(1, 2))
