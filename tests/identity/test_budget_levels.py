"""Budget processes (시민참여예산) decide how city money is spent: supporting a project and voting require
본인인증 by default (setting IDENTITY_FOR_BUDGETS), copied onto the process when proposals open; 403
identity_required with where to verify on both paths; said on each process in the API, on its pages and in the
staff form."""

import re
from datetime import timedelta

from participation.budgets import services
from participation.budgets.models import BudgetParticipation, BudgetProcess, ProjectSupport
from participation.core.settings import set_setting
from participation.core.time import utcnow
from participation.extensions import db
from tests import factories
from tests.conftest import api_token, csrf_token, login
from tests.factories import verified_person
from tests.identity.conftest import page_text, person, verify


def opened_process(**fields):
    """A 마포구 process opened to proposals by staff, with one proposal."""
    officer = factories.staff()
    process = services.create_process(officer, title="2026 마포구 주민참여예산", budget=500_000_000,
                                      district="마포구", voting_closes_at=utcnow() + timedelta(days=30), **fields)
    services.transition(process, "proposing", officer)
    services.propose_project(process, officer, title="망원동 골목 안심 조명", cost=80_000_000)
    return process


def count(model, **where) -> int:
    return db.session.query(model).filter_by(**where).count()


def test_a_process_requires_identity_from_its_opening_and_supporting_needs_it(client, db_session, provider):
    process = opened_process()
    assert process.verification == "identity"
    assert client.get(f"/api/v1/budgets/{process.id}").json["verification"] == "identity"
    project = process.projects[0]
    citizen = factories.UserFactory(district="마포구")
    path = f"/api/v1/budgets/{process.id}/projects/{project.id}/supports"
    answer = client.post(path, headers=api_token(client, citizen))
    assert answer.status_code == 403 and answer.json["error"]["code"] == "identity_required"
    assert "http://localhost/account/identity" in answer.json["error"]["message"]
    assert count(ProjectSupport, project_id=project.id) == 0
    login(client, citizen)
    page = page_text(client.get(f"/budgets/{process.id}/projects/{project.id}"))
    assert "이 참여에는 본인인증이 필요합니다." in page and "공감하기</button>" not in page
    verified_person(citizen, "CI-예산-0100")
    assert "공감하기</button>" in page_text(client.get(f"/budgets/{process.id}/projects/{project.id}"))
    assert client.post(path, headers=api_token(client, citizen)).status_code == 201


def test_the_setting_in_force_at_the_opening_stays_and_staff_may_still_ask(client, db_session):
    earlier = opened_process()
    set_setting("IDENTITY_FOR_BUDGETS", "false", factories.admin(), "시범 운영")
    later, asked = opened_process(), opened_process(verification="identity")
    assert (earlier.verification, later.verification, asked.verification) == ("identity", "email", "identity")
    officer = factories.staff()
    created = client.post("/api/v1/budgets", headers=api_token(client, officer),
                          json={"title": "2027 은평구 주민참여예산", "budget": 300_000_000, "verification": "identity"})
    assert created.status_code == 201 and created.json["verification"] == "identity"
    wrong = client.post("/api/v1/budgets", headers=api_token(client, officer),
                        json={"title": "2027 은평구 주민참여예산", "budget": 300_000_000, "verification": "phone"})
    assert wrong.status_code == 422 and "verification" in wrong.json["error"]["fields"]


def test_voting_needs_identity_in_the_api_and_on_the_page(client, db_session, provider):
    process = factories.budget_with_projects(verification="identity", title="2026 마포구 주민참여예산")
    ballot = {"projects": [process.projects[0].id]}
    citizen = factories.UserFactory(district="마포구", birth_year=1988)
    answer = client.post(f"/api/v1/budgets/{process.id}/ballots", json=ballot, headers=api_token(client, citizen))
    assert answer.status_code == 403 and answer.json["error"]["code"] == "identity_required"
    assert "/account/identity" in answer.json["error"]["message"]
    login(client, citizen)
    page = page_text(client.get(f"/budgets/{process.id}"))
    assert "이 참여에는 본인인증이 필요합니다." in page and f"/account/identity?next=/budgets/{process.id}" in page
    assert 'name="project"' not in page
    token = csrf_token(client, "/account/identity")
    refused = client.post(f"/budgets/{process.id}/vote",
                          data={"project": [str(process.projects[0].id)], "csrf_token": token}, follow_redirects=True)
    assert "본인인증이 필요한 참여입니다" in page_text(refused)
    assert count(BudgetParticipation, budget_id=process.id) == 0
    back = verify(client, person(provider, ci="CI-마포-0101", birthdate="1988-05-17", district="마포구"),
                  next_url=f"/budgets/{process.id}")
    assert back.status_code == 303 and back.headers["Location"].endswith(f"/budgets/{process.id}")
    assert 'name="project"' in page_text(client.get(f"/budgets/{process.id}"))
    answer = client.post(f"/api/v1/budgets/{process.id}/ballots", json=ballot, headers=api_token(client, citizen))
    assert answer.status_code == 201, answer.json


def test_a_closed_process_stays_a_409_for_the_unverified(client, db_session, provider):
    process = factories.budget_with_projects(verification="identity", state="closed")
    citizen = factories.UserFactory(district="마포구")
    answer = client.post(f"/api/v1/budgets/{process.id}/ballots", json={"projects": [process.projects[0].id]},
                         headers=api_token(client, citizen))
    assert answer.status_code == 409 and answer.json["error"]["code"] == "not_voting"


def test_without_a_provider_a_budget_vote_says_verification_is_unavailable(app, client, db_session):
    assert not app.config.get("IDENTITY_ISSUER")
    process = factories.budget_with_projects(verification="identity")
    citizen = factories.UserFactory(district="마포구")
    answer = client.post(f"/api/v1/budgets/{process.id}/ballots", json={"projects": [process.projects[0].id]},
                         headers=api_token(client, citizen))
    assert answer.status_code == 403 and answer.json["error"]["code"] == "identity_unavailable"


def test_the_staff_form_offers_the_level_and_the_console_shows_it(client, db_session):
    officer = factories.staff()
    login(client, officer)
    form = page_text(client.get("/budgets/new"))
    box = re.search(r'<input[^>]*name="requires_identity"[^>]*>', form).group(0)
    assert "checked" in box  # the setting is on: the form says so
    assert "모든 사업에 본인인증이 필요해집니다" in form
    set_setting("IDENTITY_FOR_BUDGETS", "false", factories.admin(), "시범 운영")
    made = {}
    for asked in (True, False):
        data = {"title": f"2027 은평구 주민참여예산 {asked}", "budget": "300000000", "ballot": "knapsack",
                "rule": "greedy", "district": "", "csrf_token": csrf_token(client, "/budgets/new")}
        if asked:
            data["requires_identity"] = "y"
        answer = client.post("/budgets/new", data=data)
        assert answer.status_code == 303, page_text(answer)[:500]
        budget_id = int(answer.headers["Location"].rstrip("/").split("/")[-2])
        process = db.session.get(BudgetProcess, budget_id)
        made[asked] = process
        services.transition(process, "proposing", officer)
    assert (made[True].verification, made[False].verification) == ("identity", "email")
    console = page_text(client.get(f"/budgets/{made[True].id}/manage"))
    assert "공감·투표에 필요한 인증: <strong>본인인증</strong>" in console
