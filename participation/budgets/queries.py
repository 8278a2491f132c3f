"""Reads of budgeting processes for the pages, the API, the jobs and the indicators. Results come from the
columns the worker writes; nothing here counts ballots per request."""

from datetime import datetime
from decimal import Decimal

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select

from participation.budgets import allocation
from participation.budgets.box import BUDGET_BOX
from participation.budgets.models import (
    BudgetBallot,
    BudgetBallotProject,
    BudgetParticipation,
    BudgetProcess,
    BudgetProject,
    BudgetReceipt,
    ProcessSource,
    ProcessState,
    ProjectStatus,
    ProjectSupport,
)
from participation.core import ballot_box
from participation.core.errors import Forbidden, NotFound
from participation.core.receipts import hash_of_typed
from participation.core.time import days_left
from participation.extensions import db

PUBLIC_STATES = (ProcessState.proposing, ProcessState.reviewing, ProcessState.voting, ProcessState.closed,
                 ProcessState.tallied, ProcessState.cancelled)
REASON_LABELS = {
    allocation.BUDGET_EXHAUSTED: _l("예산 소진"),
    allocation.EXCEEDS_REMAINING: _l("남은 예산보다 큼"),
    allocation.NO_BALLOTS: _l("투표 없음"),
}
STATE_LABELS = {
    ProcessState.draft: _l("준비 중"), ProcessState.proposing: _l("제안 접수"), ProcessState.reviewing: _l("검토"),
    ProcessState.voting: _l("투표"), ProcessState.closed: _l("투표 마감 (집계 중)"),
    ProcessState.tallied: _l("결과 확정"),
    ProcessState.cancelled: _l("취소"),
}
PROJECT_STATUS_LABELS = {
    ProjectStatus.proposed: _l("검토 대기"), ProjectStatus.feasible: _l("실행 가능"),
    ProjectStatus.infeasible: _l("실행 불가"), ProjectStatus.merged: _l("다른 제안에 합쳐짐"),
}
IMPLEMENTATION_LABELS = {"planned": _l("계획"), "in_progress": _l("추진 중"), "done": _l("완료")}


def get_project(process: BudgetProcess, project_id: int) -> BudgetProject:
    """A project of this process (a project of another process is not found here)."""
    for project in process.projects:
        if project.id == project_id:
            return project
    raise NotFound(_l("이 사업에 없는 제안입니다."), code="project_not_found")


def public_processes(status: str | None = None, q: str | None = None) -> Select:
    statement = select(BudgetProcess).where(BudgetProcess.state.in_(PUBLIC_STATES))
    if status:
        statement = statement.where(BudgetProcess.state == status)
    if q:
        pattern = f"%{q.strip()}%"
        statement = statement.where(or_(BudgetProcess.title.like(pattern), BudgetProcess.description.like(pattern)))
    return statement.order_by(BudgetProcess.id.desc())


def managed_processes() -> Select:
    return select(BudgetProcess).order_by(BudgetProcess.id.desc())


def drafts_count() -> int:
    return db.session.scalar(select(func.count()).select_from(BudgetProcess).where(
        BudgetProcess.state.in_([ProcessState.draft, ProcessState.reviewing]))) or 0


def visible_projects(process: BudgetProcess, status: str | None = None) -> list[BudgetProject]:
    projects = list(process.projects)
    if status:
        projects = [project for project in projects if project.status == status]
    return projects


def results_visible(process: BudgetProcess) -> bool:
    return process.state == ProcessState.tallied


def require_results_visible(process: BudgetProcess) -> None:
    if not results_visible(process):
        raise Forbidden(_l("결과는 투표가 끝나고 집계된 뒤에 공개됩니다."), code="results_hidden")


def amount(process: BudgetProcess, value: int | None):
    """An amount as people read it: 원 as an integer, an imported file's amount with its decimals."""
    if value is None:
        return None
    return value if not process.decimals else Decimal(value).scaleb(-process.decimals)


def results(process: BudgetProcess) -> dict:
    """The final allocation: each project on the ballot with its votes, funded or not and why not."""
    on_ballot = [project for project in process.projects if project.funded is not None]
    on_ballot.sort(key=lambda project: (not project.funded, project.outcome.get("rank") or 0, -project.votes,
                                        project.cost, project.id))
    return {"budget_id": process.id, "as_of": process.tally_as_of, "rule": str(process.rule),
            "budget": amount(process, process.budget), "spent": amount(process, process.spent),
            "currency": process.currency, "total_ballots": process.total_ballots, "digest": process.tally_digest,
            "invalid_ballots": process.invalid_ballots,
            "projects": [{"id": project.id, "title": project.title, "cost": amount(process, project.cost),
                          "cost_units": project.cost,
                          "votes": project.votes, "funded": project.funded, "reason": project.outcome_reason,
                          "reason_label": str(REASON_LABELS[project.outcome_reason])
                          if project.outcome_reason else None,
                          "how": project.outcome.get("how"),
                          "remaining": amount(process, project.outcome.get("remaining")),
                          "implementation": project.implementation,
                          "implementation_percent": project.implementation_percent}
                         for project in on_ballot]}


def supported_ids(process: BudgetProcess, user) -> set[int]:
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(db.session.scalars(select(ProjectSupport.project_id).join(
        BudgetProject, BudgetProject.id == ProjectSupport.project_id).where(
        BudgetProject.budget_id == process.id, ProjectSupport.user_id == user.id)))


def participated(process: BudgetProcess, user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(select(BudgetParticipation.id).where(
        BudgetParticipation.budget_id == process.id, BudgetParticipation.user_id == user.id)) is not None


def receipts(process: BudgetProcess) -> Select:
    """The bulletin (after the final tally): the receipt hashes of every batch, sorted by hash (never by the order
    of voting); the process's digest covers exactly these."""
    return ballot_box.receipts(BUDGET_BOX, process.id, process.mixed_batches)


def find_receipt(process: BudgetProcess, text: str) -> tuple[str, bool]:
    """A receipt code as given to a voter, or its hash: the hash, and whether the bulletin lists it."""
    wanted = hash_of_typed(text)
    found = db.session.scalar(select(BudgetReceipt.batch).where(
        BudgetReceipt.box_id == process.id, BudgetReceipt.receipt_hash == wanted,
        BudgetReceipt.batch <= process.mixed_batches))
    return wanted, found is not None


def ballot_rows(process: BudgetProcess) -> list[list[int]]:
    """Every ballot's approved project ids, ballots in the order of their random ids (for the .pb export)."""
    chosen: dict[str, list[int]] = {ballot_id: [] for ballot_id in db.session.scalars(
        select(BudgetBallot.id).where(BudgetBallot.budget_id == process.id).order_by(BudgetBallot.id))}
    for ballot_id, project_id in db.session.execute(
            select(BudgetBallotProject.ballot_id, BudgetBallotProject.project_id)
            .where(BudgetBallotProject.budget_id == process.id).order_by(BudgetBallotProject.project_id)):
        chosen[ballot_id].append(project_id)
    return list(chosen.values())


def budget_reviewed(start: datetime, end: datetime) -> int:
    """Indicator 3.2.b (시민참여예산제 심의 예산): the total budget, in 원, of the city's processes whose voting
    ended in [start, end) — closed or tallied; cancelled processes and imported Pabulib files do not count."""
    return db.session.scalar(select(func.coalesce(func.sum(BudgetProcess.budget), 0)).where(
        BudgetProcess.source == ProcessSource.platform,
        BudgetProcess.state.in_([ProcessState.closed, ProcessState.tallied]),
        BudgetProcess.closed_at >= start, BudgetProcess.closed_at < end)) or 0


def home_items(limit: int) -> list[tuple[str, str, str]]:
    processes = db.session.scalars(select(BudgetProcess).where(
        BudgetProcess.state.in_([ProcessState.proposing, ProcessState.voting]),
        BudgetProcess.source == ProcessSource.platform).order_by(BudgetProcess.id.desc()).limit(limit))
    items = []
    for process in processes:
        if process.state == ProcessState.voting and process.voting_closes_at is not None:
            note = _l("투표 마감까지 %(days)d일", days=days_left(process.voting_closes_at))
        else:
            note = STATE_LABELS[ProcessState(process.state)]
        items.append((process.title, url_for("budgets.detail", budget_id=process.id), str(note)))
    return items
