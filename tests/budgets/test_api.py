"""The budgeting API as mobile clients use it (shared/API.md, "Participatory budgeting"): every bad input is a
precise error and writes nothing."""

from datetime import timedelta

from sqlalchemy import func, select

from participation.budgets.models import BudgetParticipation, BudgetProcess, BudgetProject, BudgetSealedBallot
from participation.budgets.services import write_allocation
from participation.core.time import utcnow
from participation.extensions import db
from tests.conftest import api_token
from tests.factories import (
    BudgetProcessFactory,
    BudgetProjectFactory,
    UserFactory,
    budget_with_projects,
    staff,
    verified_person,
)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def later(days: int) -> str:
    return (utcnow() + timedelta(days=days)).isoformat()


def test_staff_create_a_draft_and_run_it_to_voting(client):
    headers = api_token(client, staff())
    body = {"title": "2026 마포구 주민참여예산", "description": "주민이 고르는 5억원", "budget": 500_000_000,
            "district": "마포구", "ballot": "knapsack", "rule": "equal_shares", "categories": ["safety"],
            "status": "voting", "voting_closes_at": later(30)}
    response = client.post("/api/v1/budgets", json=body, headers=headers)
    assert response.status_code == 201, response.json
    process = response.json
    assert process["status"] == "draft" and process["budget"] == 500_000_000 and process["rule"] == "equal_shares"
    moved = client.post(f"/api/v1/budgets/{process['id']}/transitions", json={"to": "voting"}, headers=headers)
    assert moved.status_code == 409 and moved.json["error"]["code"] == "invalid_transition"
    assert "proposing" in moved.json["error"]["message"]
    assert client.post(f"/api/v1/budgets/{process['id']}/transitions", json={"to": "proposing"},
                       headers=headers).json["status"] == "proposing"
    # Supporting requires identity verification from the opening (IDENTITY_FOR_BUDGETS).
    citizen = api_token(client, verified_person(UserFactory(district="마포구")))
    proposed = client.post(f"/api/v1/budgets/{process['id']}/projects", headers=citizen, json={
        "title": "망원동 골목 보안등", "description": "어두운 골목 40곳", "cost": 80_000_000, "category": "safety",
        "place": "망원1동", "status": "feasible"})
    assert proposed.status_code == 201 and proposed.json["status"] == "proposed"
    project_id = proposed.json["id"]
    supported = client.post(f"/api/v1/budgets/{process['id']}/projects/{project_id}/supports", headers=citizen)
    assert supported.status_code == 201
    again = client.post(f"/api/v1/budgets/{process['id']}/projects/{project_id}/supports", headers=citizen)
    assert again.status_code == 409 and again.json["error"]["code"] == "already_supported"
    client.post(f"/api/v1/budgets/{process['id']}/transitions", json={"to": "reviewing"}, headers=headers)
    assessed = client.post(f"/api/v1/budgets/{process['id']}/projects/{project_id}/assessment", headers=headers,
                           json={"feasible": True, "cost": 75_000_000, "notes": "구청 시설과 검토"})
    assert assessed.status_code == 200 and assessed.json["cost"] == 75_000_000
    assert assessed.json["estimated_cost"] == 80_000_000 and assessed.json["status"] == "feasible"
    voting = client.post(f"/api/v1/budgets/{process['id']}/transitions", json={"to": "voting"}, headers=headers)
    assert voting.status_code == 200 and voting.json["status"] == "voting"


def test_citizens_cannot_create_or_assess(client):
    headers = api_token(client, UserFactory())
    response = client.post("/api/v1/budgets", json={"title": "내 예산", "budget": 1000}, headers=headers)
    assert response.status_code == 403
    process = BudgetProcessFactory(state="reviewing")
    project = BudgetProjectFactory(process=process, status="proposed")
    db.session.commit()
    response = client.post(f"/api/v1/budgets/{process.id}/projects/{project.id}/assessment", headers=headers,
                           json={"feasible": False, "notes": "안 됨"})
    assert response.status_code == 403
    assert count(BudgetProcess) == 1


def test_zero_negative_and_over_budget_costs_are_422_naming_the_field(client):
    headers = api_token(client, staff())
    for budget in (0, -1, "5억", 1.5):
        response = client.post("/api/v1/budgets", json={"title": "예산", "budget": budget}, headers=headers)
        assert response.status_code == 422 and "budget" in response.json["error"]["fields"], budget
    process = BudgetProcessFactory(state="proposing", budget=100_000_000)
    db.session.commit()
    citizen = api_token(client, UserFactory())
    for cost in (0, -5, 100_000_001):
        response = client.post(f"/api/v1/budgets/{process.id}/projects", headers=citizen,
                               json={"title": "공원 의자", "cost": cost})
        assert response.status_code == 422 and list(response.json["error"]["fields"]) == ["cost"], cost
    assert count(BudgetProject) == 0


def test_ballot_gets_a_receipt_and_every_bad_ballot_is_a_precise_error(client):
    process = budget_with_projects((100_000_000, 200_000_000, 300_000_000))
    infeasible = BudgetProjectFactory(process=process, status="infeasible", assessment="사유지")
    stranger = BudgetProjectFactory(process=BudgetProcessFactory())
    small, middle, large = process.projects[:3]
    db.session.commit()
    headers = api_token(client, UserFactory(district="마포구"))
    url = f"/api/v1/budgets/{process.id}/ballots"
    cases = [
        ([small.id, middle.id, large.id], 422, "넘습니다"),
        ([small.id, stranger.id], 422, "없는 제안"),
        ([infeasible.id], 422, "투표 대상이 아닌"),
        ([small.id, small.id], 422, "두 번"),
        ([], 422, "하나 이상"),
        (["1"], 422, "정수"),
    ]
    for projects, status, words in cases:
        response = client.post(url, json={"projects": projects}, headers=headers)
        assert response.status_code == status, (projects, response.json)
        assert words in str(response.json["error"]), (projects, response.json)
    assert client.post(url, json={"projects": "모두"}, headers=headers).status_code == 422
    assert (count(BudgetParticipation), count(BudgetSealedBallot)) == (0, 0)
    response = client.post(url, json={"projects": [middle.id, large.id]}, headers=headers)
    assert response.status_code == 201 and len(response.json["receipt"]) == 24
    again = client.post(url, json={"projects": [small.id]}, headers=headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "already_voted"
    assert (count(BudgetParticipation), count(BudgetSealedBallot)) == (1, 1)


def test_voting_outside_the_phase_and_outside_the_district(client):
    reviewing = budget_with_projects(state="reviewing")
    mapo = budget_with_projects(district="마포구")
    db.session.commit()
    headers = api_token(client, UserFactory(district="강남구"))
    response = client.post(f"/api/v1/budgets/{reviewing.id}/ballots",
                           json={"projects": [reviewing.projects[0].id]}, headers=headers)
    assert response.status_code == 409 and response.json["error"]["code"] == "not_voting"
    response = client.post(f"/api/v1/budgets/{mapo.id}/ballots", json={"projects": [mapo.projects[0].id]},
                           headers=headers)
    assert response.status_code == 403 and response.json["error"]["code"] == "not_eligible"
    assert count(BudgetSealedBallot) == 0


def test_results_after_the_tally_in_the_documented_shape(client):
    process = budget_with_projects((300_000_000, 300_000_000, 100_000_000))
    a, b, c = process.projects
    from participation.budgets import services

    for choice in ([a.id], [a.id, c.id], [a.id], [b.id], [b.id]):
        services.cast_ballot(process, UserFactory(), choice)
    db.session.commit()
    hidden = client.get(f"/api/v1/budgets/{process.id}/results")
    assert hidden.status_code == 403 and hidden.json["error"]["code"] == "results_hidden"
    process = db.session.get(BudgetProcess, process.id)
    services.transition(process, "closed", staff(), "시험 마감")
    write_allocation(process.id)
    db.session.commit()
    results = client.get(f"/api/v1/budgets/{process.id}/results").json
    assert {"budget_id", "as_of", "rule", "budget", "spent", "total_ballots", "projects"} <= set(results)
    assert (results["rule"], results["budget"], results["spent"], results["total_ballots"]) == (
        "greedy", 500_000_000, 400_000_000, 5)
    rows = {row["id"]: row for row in results["projects"]}
    assert (rows[a.id]["funded"], rows[a.id]["votes"], rows[a.id]["reason"]) == (True, 3, None)
    assert (rows[b.id]["funded"], rows[b.id]["reason"], rows[b.id]["remaining"]) == (
        False, "exceeds_remaining", 200_000_000)
    receipts = client.get(f"/api/v1/budgets/{process.id}/receipts").json
    assert receipts["total"] == 5 and len(receipts["digest"]) == 64


def test_lists_and_drafts(client):
    BudgetProcessFactory(state="draft", title="준비 중인 예산")
    shown = BudgetProcessFactory(state="voting", title="2026 마포구 주민참여예산")
    db.session.commit()
    listed = client.get("/api/v1/budgets").json
    assert [item["title"] for item in listed["items"]] == [shown.title] and listed["total"] == 1
    draft_id = db.session.scalar(select(BudgetProcess.id).where(BudgetProcess.state == "draft"))
    assert client.get(f"/api/v1/budgets/{draft_id}").status_code == 404
    assert client.get(f"/api/v1/budgets/{draft_id}", headers=api_token(client, staff())).status_code == 200
