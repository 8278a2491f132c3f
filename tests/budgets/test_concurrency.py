"""Budget ballots at once against a real server (gunicorn) and a real database: one ballot per person, and
ballots racing an early close are either in the allocation or refused."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests
from sqlalchemy import func, select

from participation.accounts.models import User, UserRole
from participation.accounts.services import issue_token
from participation.budgets.models import (
    BudgetBallotProject,
    BudgetParticipation,
    BudgetProcess,
    BudgetProject,
    BudgetSealedBallot,
)
from participation.budgets.services import write_allocation
from participation.core import tally_keys
from participation.core.time import utcnow
from participation.extensions import db


def make_process_and_voters(app, voters: int, staff: bool = False) -> tuple[int, list[int], list[str], str | None]:
    with app.app_context():
        users = [User(email=f"mapo-voter{n}@example.com", email_canonical=f"mapo-voter{n}@example.com",
                      display_name=f"마포주민{n}", district="마포구", birth_year=1985, email_verified_at=utcnow())
                 for n in range(voters)]
        officer = User(email="officer@example.com", email_canonical="officer@example.com", display_name="담당 주무관",
                       district="중구", birth_year=1980, email_verified_at=utcnow(),
                       role_rows=[UserRole(role="staff")]) if staff else None
        process = BudgetProcess(title="2026 마포구 주민참여예산", state="voting", district="마포구", budget=500_000_000,
                                ballot_kind="knapsack", rule="greedy", categories=[], eligible_age_bands=[],
                                voting_opened_at=utcnow() - timedelta(hours=1),
                                voting_closes_at=utcnow() + timedelta(days=1))
        process.projects = [BudgetProject(title=title, cost=cost, estimated_cost=cost, status="feasible")
                            for title, cost in (("골목 보안등", 80_000_000), ("어린이공원 그늘막", 200_000_000),
                                                ("반려견 놀이터", 250_000_000))]
        db.session.add_all([*users, process, *([officer] if officer else [])])
        db.session.flush()
        process.public_key = tally_keys.create("budget", process.id)  # as the worker's job makes it
        tokens = [issue_token(user) for user in users]
        officer_token = issue_token(officer) if officer else None
        db.session.commit()
        result = process.id, [project.id for project in process.projects], tokens, officer_token
        db.session.remove()
        return result


def counts(app, budget_id: int) -> tuple[int, int, int]:
    """Participation rows, sealed ballots waiting, opened ballots' project rows."""
    with app.app_context():
        result = tuple(db.session.scalar(select(func.count()).select_from(model).where(column == budget_id))
                       for model, column in ((BudgetParticipation, BudgetParticipation.budget_id),
                                             (BudgetSealedBallot, BudgetSealedBallot.box_id),
                                             (BudgetBallotProject, BudgetBallotProject.budget_id)))
        db.session.remove()
        return result


def post_all(url: str, requests_to_send: list[tuple[dict, dict]]) -> list[int]:
    barrier = threading.Barrier(len(requests_to_send))

    def send(item):
        headers, body = item
        barrier.wait()
        return requests.post(url, json=body, headers=headers, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=len(requests_to_send)) as pool:
        return list(pool.map(send, requests_to_send))


def test_one_resident_submitting_thirty_ballots_at_once_gets_one(app, live_server):
    budget_id, project_ids, tokens, _officer = make_process_and_voters(app, 1)
    headers = {"Authorization": f"Bearer {tokens[0]}"}
    statuses = post_all(f"{live_server}/api/v1/budgets/{budget_id}/ballots",
                        [(headers, {"projects": project_ids[:2]})] * 30)
    assert sorted(statuses) == [201] + [409] * 29
    assert counts(app, budget_id) == (1, 1, 0)  # sealed: opened by the worker in a batch or at the close


def test_ballots_racing_an_early_close_are_allocated_or_refused(app, redis, live_server):
    budget_id, project_ids, tokens, officer_token = make_process_and_voters(app, 40, staff=True)
    barrier = threading.Barrier(len(tokens) + 1)
    answers: dict[str, list] = {"votes": [], "close": []}

    def vote(token: str) -> None:
        barrier.wait()
        response = requests.post(f"{live_server}/api/v1/budgets/{budget_id}/ballots", timeout=60,
                                 json={"projects": project_ids[:2]}, headers={"Authorization": f"Bearer {token}"})
        answers["votes"].append((response.status_code, response.json().get("error", {}).get("code")))

    def close() -> None:
        barrier.wait()
        time.sleep(0.05)  # let the first ballots get under way
        response = requests.post(f"{live_server}/api/v1/budgets/{budget_id}/transitions", timeout=60,
                                 json={"to": "closed", "reason": "예산 편성 일정으로 조기 마감"},
                                 headers={"Authorization": f"Bearer {officer_token}"})
        answers["close"].append(response.status_code)

    with ThreadPoolExecutor(max_workers=len(tokens) + 1) as pool:
        for future in [pool.submit(vote, token) for token in tokens] + [pool.submit(close)]:
            future.result()
    assert answers["close"] == [200]
    accepted = sum(1 for status, _code in answers["votes"] if status == 201)
    refused = [code for status, code in answers["votes"] if status != 201]
    assert set(refused) <= {"not_voting"} and accepted + len(refused) == 40
    with app.app_context():
        write_allocation(budget_id)
        db.session.commit()
        process = db.session.get(BudgetProcess, budget_id)
        assert process.state == "tallied" and process.total_ballots == accepted
        assert [project.votes for project in process.projects] == [accepted, accepted, 0]
        latest = db.session.scalar(select(func.max(BudgetParticipation.created_at)).where(
            BudgetParticipation.budget_id == budget_id))
        assert latest is None or latest <= process.closed_at
        db.session.remove()
    assert counts(app, budget_id) == (accepted, 0, 2 * accepted)
