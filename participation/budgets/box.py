"""The budgeting process as a secret ballot box (core/ballot_box.py), exactly as a poll is one: a ballot is a set of
the process's feasible project ids — within the budget (knapsack) or at most `max_projects` of them (approval) —
and opened ballots go into `BudgetBallot` and `BudgetBallotProject`.

Projects are fixed once voting opens (no project is added, assessed again or merged from then on), so the
capacity (the number of projects on the ballot, every sealed ballot padded to it) is the same for every ballot
of a process."""

import secrets

from sqlalchemy import insert, select

from participation.budgets.models import (
    BallotKind,
    BudgetBallot,
    BudgetBallotProject,
    BudgetProcess,
    BudgetProject,
    BudgetReceipt,
    BudgetSealedBallot,
    ProjectStatus,
)
from participation.core.ballot_box import BallotBox, register
from participation.extensions import db


class BudgetBox(BallotBox):
    kind = "budget"
    model = BudgetProcess
    sealed_model = BudgetSealedBallot
    receipt_model = BudgetReceipt

    def capacity(self, box: BudgetProcess) -> int:
        return sum(1 for project in box.projects if project.status == ProjectStatus.feasible)

    def accepts(self, box_id: int):
        costs = dict(db.session.execute(select(BudgetProject.id, BudgetProject.cost).where(
            BudgetProject.budget_id == box_id, BudgetProject.status == ProjectStatus.feasible)).all())
        process = db.session.execute(select(BudgetProcess.budget, BudgetProcess.ballot_kind,
                                            BudgetProcess.max_projects).where(BudgetProcess.id == box_id)).one()
        if process.ballot_kind == BallotKind.knapsack:
            return lambda ids: (len(ids) > 0 and set(ids) <= costs.keys()
                                and sum(costs[value] for value in ids) <= process.budget)
        return lambda ids: 0 < len(ids) <= process.max_projects and set(ids) <= costs.keys()

    def store(self, box_id: int, ballots: list[tuple[int, ...]]) -> None:
        """The opened ballots, each with a new random id, in the order given (already shuffled)."""
        if not ballots:
            return
        ids = [secrets.token_hex(16) for _ in ballots]
        db.session.execute(insert(BudgetBallot), [{"id": ballot_id, "budget_id": box_id} for ballot_id in ids])
        db.session.execute(insert(BudgetBallotProject), [
            {"ballot_id": ballot_id, "project_id": project_id, "budget_id": box_id}
            for ballot_id, projects in zip(ids, ballots, strict=True) for project_id in projects])

    def staff_url(self, box_id: int) -> str:
        return f"/budgets/{box_id}/manage"


BUDGET_BOX = register(BudgetBox())
