"""The budgeting pages as people use them: a citizen picks projects under the budget on the knapsack ballot
(the server refuses over-budget ballots without JavaScript), confirms, votes and gets a receipt; after the
close the results page explains each outcome and offers the .pb file; staff run the process from the console."""

import re

from sqlalchemy import func, select

from participation.budgets import pabulib
from participation.budgets.models import BudgetParticipation, BudgetProcess, BudgetProject, BudgetSealedBallot
from participation.budgets.services import write_allocation
from participation.extensions import db
from tests.conftest import csrf_token, login
from tests.factories import BudgetProcessFactory, BudgetProjectFactory, UserFactory, budget_with_projects, staff


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_pick_projects_under_the_budget_confirm_vote_and_see_the_receipt_once(client):
    process = budget_with_projects((100_000_000, 200_000_000, 300_000_000), title="2026 마포구 주민참여예산")
    small, _middle, large = process.projects
    login(client, UserFactory(district="마포구"))
    page = client.get(f"/budgets/{process.id}").get_data(as_text=True)
    assert 'type="checkbox" name="project"' in page and 'data-cost="300000000"' in page
    assert "5억원" in page and 'id="ballot-total"' in page
    token = csrf_token(client, f"/budgets/{process.id}")
    confirm = client.post(f"/budgets/{process.id}/confirm",
                          data={"project": [str(small.id), str(large.id)], "csrf_token": token})
    assert confirm.status_code == 200
    text = confirm.get_data(as_text=True)
    assert "4억원" in text and "1억원" in text  # the total and what is left
    assert count(BudgetSealedBallot) == 0  # nothing stored at the confirm step
    response = client.post(f"/budgets/{process.id}/vote",
                           data={"project": [str(small.id), str(large.id)], "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/budgets/{process.id}/receipt")
    receipt_page = client.get(f"/budgets/{process.id}/receipt").get_data(as_text=True)
    receipt = re.search(r'class="receipt-code">([A-Z0-9-]+)<', receipt_page).group(1)
    assert receipt not in client.get(f"/budgets/{process.id}/receipt").get_data(as_text=True)
    assert (count(BudgetParticipation), count(BudgetSealedBallot)) == (1, 1)
    assert "이미 투표하셨습니다" in client.get(f"/budgets/{process.id}").get_data(as_text=True)


def test_without_javascript_the_server_refuses_a_ballot_over_the_budget(client):
    process = budget_with_projects((100_000_000, 200_000_000, 300_000_000))
    db.session.commit()
    login(client, UserFactory(district="마포구"))
    token = csrf_token(client, f"/budgets/{process.id}")
    every = [str(project.id) for project in process.projects]
    confirm = client.post(f"/budgets/{process.id}/confirm", data={"project": every, "csrf_token": token})
    assert confirm.status_code == 422
    text = confirm.get_data(as_text=True)
    assert "고른 사업의 합계 600,000,000원이 예산 500,000,000원을 100,000,000원 넘습니다" in text
    assert text.count("checked") == 3  # the choices are kept, to take some out
    vote = client.post(f"/budgets/{process.id}/vote", data={"project": every, "csrf_token": token},
                       follow_redirects=True)
    assert "넘습니다" in vote.get_data(as_text=True)
    assert (count(BudgetParticipation), count(BudgetSealedBallot)) == (0, 0)


def test_a_project_of_another_process_on_the_page_is_refused(client):
    process = budget_with_projects()
    stranger = BudgetProjectFactory(process=BudgetProcessFactory())
    db.session.commit()
    login(client, UserFactory(district="마포구"))
    token = csrf_token(client, f"/budgets/{process.id}")
    vote = client.post(f"/budgets/{process.id}/vote", data={"project": [str(stranger.id)], "csrf_token": token},
                       follow_redirects=True)
    assert "이 사업에 없는 제안입니다" in vote.get_data(as_text=True)
    assert count(BudgetSealedBallot) == 0


def test_results_explain_each_outcome_and_offer_the_pabulib_file(client):
    process = budget_with_projects((300_000_000, 300_000_000, 100_000_000), title="2026 마포구 주민참여예산")
    a, b, c = process.projects
    from participation.budgets import services

    for choice in ([a.id], [a.id, c.id], [a.id], [b.id], [b.id]):
        services.cast_ballot(process, UserFactory(), choice)
    db.session.commit()  # a savepoint: the refused request below rolls back only its own work
    assert client.get(f"/budgets/{process.id}/results").status_code == 403  # not before the tally
    process = db.session.get(BudgetProcess, process.id)
    services.transition(process, "closed", staff(), "시험 마감")
    write_allocation(process.id)
    page = client.get(f"/budgets/{process.id}/results").get_data(as_text=True)
    assert "남은 예산보다 큼" in page and "2억원보다 비용이 커서 건너뛰었습니다" in page
    assert f"/budgets/{process.id}/results.pb" in page and f"/budgets/{process.id}/results.svg" in page
    assert "<table>" in page and "득표가 많은 사업부터" in page
    a, b, c = (db.session.get(BudgetProject, project.id) for project in (a, b, c))
    chart = client.get(f"/budgets/{process.id}/results.svg")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    assert chart.headers["Content-Security-Policy"].startswith("default-src 'none'")  # an image: no script runs
    download = client.get(f"/budgets/{process.id}/results.pb")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    parsed = pabulib.read(download.get_data(as_text=True))
    assert parsed.budget == 500_000_000 and len(parsed.votes) == 5
    selected = {row.project_id: row.fields["selected"] for row in parsed.projects}
    assert selected == {str(a.id): "1", str(b.id): "0", str(c.id): "1"}


def test_equal_shares_results_say_how_the_budget_was_shared(client):
    process = budget_with_projects((200, 100, 100), budget=300, rule="equal_shares")
    p, q, r = process.projects
    from participation.budgets import services

    for number in range(30):
        services.cast_ballot(process, UserFactory(), [p.id] if number < 20 else [q.id, r.id])
    services.transition(process, "closed", staff(), "시험 마감")
    write_allocation(process.id)
    page = client.get(f"/budgets/{process.id}/results").get_data(as_text=True)
    assert "30명에게 한 사람당 10원씩 몫을" in page
    assert "지지한 20명이 균등하게 나눠 받은 몫에서 비용을 나눠 냈습니다" in page
    assert "예산 소진" in page


def test_citizens_propose_and_support_in_the_proposing_phase(client):
    process = BudgetProcessFactory(state="proposing", budget=300_000_000)
    citizen = UserFactory(district="마포구")
    db.session.commit()
    login(client, citizen)
    token = csrf_token(client, f"/budgets/{process.id}/propose")
    too_dear = client.post(f"/budgets/{process.id}/propose", data={
        "title": "마포 둘레길 안내판", "cost": "300000001", "category": "", "district": "마포구", "csrf_token": token})
    assert too_dear.status_code == 422 and "전체 예산" in too_dear.get_data(as_text=True)
    zero = client.post(f"/budgets/{process.id}/propose", data={
        "title": "마포 둘레길 안내판", "cost": "0", "category": "", "district": "마포구", "csrf_token": token})
    assert zero.status_code == 422 and count(BudgetProject) == 0
    created = client.post(f"/budgets/{process.id}/propose", data={
        "title": "마포 둘레길 안내판", "cost": "20000000", "category": "culture", "district": "마포구",
        "place": "마포 둘레길", "description": "길을 잃지 않게 안내판을 세웁니다.", "csrf_token": token})
    assert created.status_code == 303
    project = db.session.scalars(select(BudgetProject)).one()
    login(client, UserFactory())
    token = csrf_token(client, f"/budgets/{process.id}/projects/{project.id}")
    supported = client.post(f"/budgets/{process.id}/projects/{project.id}/support", data={"csrf_token": token},
                            follow_redirects=True)
    assert "공감했습니다" in supported.get_data(as_text=True)


def test_staff_run_the_process_from_the_console(client):
    officer = staff()
    login(client, officer)
    token = csrf_token(client, "/budgets/new")
    created = client.post("/budgets/new", data={
        "title": "2026 은평구 주민참여예산", "budget": "300000000", "district": "은평구", "ballot": "knapsack",
        "rule": "equal_shares", "csrf_token": token})
    assert created.status_code == 303
    process = db.session.scalars(select(BudgetProcess)).one()
    assert process.state == "draft" and process.rule == "equal_shares"
    manage = client.get(f"/budgets/{process.id}/manage").get_data(as_text=True)
    assert "제안 접수" in manage
    moved = client.post(f"/budgets/{process.id}/transitions/proposing", data={"csrf_token": token},
                        follow_redirects=True)
    assert "상태를 바꿨습니다" in moved.get_data(as_text=True)
    process = db.session.get(BudgetProcess, process.id)
    project = BudgetProjectFactory(process=process, status="proposed", district="은평구")
    project_id = project.id
    client.post(f"/budgets/{process.id}/transitions/reviewing", data={"csrf_token": token})
    assessed = client.post(f"/budgets/{process.id}/projects/{project.id}/assessment", data={
        "feasible": "no", "notes": "하천 구역이라 시설을 둘 수 없습니다.", "csrf_token": token}, follow_redirects=True)
    assert "검토 결과를 저장했습니다" in assessed.get_data(as_text=True)
    assert db.session.get(BudgetProject, project_id).status == "infeasible"
    public = client.get(f"/budgets/{process.id}").get_data(as_text=True)
    assert "하천 구역이라 시설을 둘 수 없습니다." in public


def test_drafts_are_hidden_from_citizens(client):
    process = BudgetProcessFactory(state="draft")
    assert client.get(f"/budgets/{process.id}").status_code == 404
    login(client, UserFactory())
    assert client.get(f"/budgets/{process.id}").status_code == 404
    assert client.get("/budgets").status_code == 200
