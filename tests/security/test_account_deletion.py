"""Deletion that deletes, and a copy of one's own data (issue #23, item 7). Deleting an account used to leave
the address and its links in the outbox, survey free text beside district and age band, and exact times; the page
said personal data was erased. Retention is written in participation/privacy.py."""

import json
from datetime import datetime

from sqlalchemy import func, select

from participation.budgets.models import BudgetParticipation, ProjectSupport
from participation.core.mail import OutboxMail, send_mail
from participation.core.notifications import Notification
from participation.core.time import to_kst, utcnow
from participation.extensions import db
from participation.petitions.models import Signature
from participation.proposals.models import Follow
from participation.surveys import answering
from participation.surveys.models import Answer, Response
from tests import factories
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD

PHONE = "제 번호는 010-1234-5678 입니다. 마포구 망원동 살아요"


def citizen_with_a_history():
    citizen = factories.UserFactory(email="leaving@example.com", district="마포구", birth_year=1961)
    send_mail(citizen.email, "[서울시 시민참여] 비밀번호 다시 설정", "http://localhost/reset/토큰-남은-링크")
    petition = factories.open_petition()
    db.session.add(Signature(petition_id=petition.id, user_id=citizen.id, district="마포구", age_band="60-69"))
    survey = factories.survey(factories.staff(), [
        {"type": "single", "text": "주로 타는 교통수단은?", "options": ["지하철", "버스"]},
        {"type": "text", "text": "하고 싶은 말", "required": False}])
    single, text = survey.questions
    answering.answer_survey(survey, citizen, {str(single.id): single.options[0].id, str(text.id): PHONE})
    proposal = factories.open_proposal()
    db.session.add(Follow(proposal_id=proposal.id, user_id=citizen.id))
    db.session.add(Notification(user_id=citizen.id, message="답변이 등록되었습니다", url="/proposals/1"))
    budget = factories.budget_with_projects()
    db.session.add(ProjectSupport(project_id=budget.projects[0].id, user_id=citizen.id))
    db.session.add(BudgetParticipation(budget_id=budget.id, user_id=citizen.id, district="마포구", age_band="60-69",
                                       created_at=utcnow()))
    db.session.flush()
    return citizen, petition, survey


def at_midnight_kst(moment: datetime) -> bool:
    local = to_kst(moment)
    return (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)


def test_deleting_an_account_deletes_mail_free_text_and_exact_times(client, db_session):
    citizen, petition, _survey = citizen_with_a_history()
    login(client, citizen)
    response = client.post("/account/delete", data={"password": PASSWORD,
                                                    "csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 303
    count = lambda statement: db_session.scalar(select(func.count()).select_from(statement.subquery()))  # noqa: E731
    assert count(select(OutboxMail).where(OutboxMail.to == "leaving@example.com")) == 0
    assert not db_session.scalars(select(OutboxMail).where(OutboxMail.body.contains("토큰-남은-링크"))).all()
    answers = db_session.scalars(select(Answer).join(Response).where(Response.user_id == citizen.id)).all()
    assert [answer.text_value for answer in answers] == [None]  # the choice stays in the counts, the text goes
    assert count(select(Notification).where(Notification.user_id == citizen.id)) == 0
    assert count(select(Follow).where(Follow.user_id == citizen.id)) == 0
    signature = db_session.scalars(select(Signature).where(Signature.user_id == citizen.id)).one()
    assert at_midnight_kst(signature.created_at) and signature.petition_id == petition.id
    survey_response = db_session.scalars(select(Response).where(Response.user_id == citizen.id)).one()
    assert at_midnight_kst(survey_response.submitted_at) and at_midnight_kst(survey_response.started_at)
    # The budgets channel too: a project support and a vote keep counting, on their day only.
    support = db_session.scalars(select(ProjectSupport).where(ProjectSupport.user_id == citizen.id)).one()
    vote = db_session.scalars(select(BudgetParticipation).where(BudgetParticipation.user_id == citizen.id)).one()
    assert at_midnight_kst(support.created_at) and at_midnight_kst(vote.created_at)


def test_a_citizen_downloads_everything_held_about_them(client, db_session):
    citizen, petition, survey = citizen_with_a_history()
    assert client.get("/account/data.json").status_code == 302  # signed in only
    login(client, citizen)
    assert "/account/data.json" in client.get("/account").get_data(as_text=True)
    response = client.get("/account/data.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == "leaving@example.com" and data["account"]["birth_year"] == 1961
    assert [row["petition_id"] for row in data["signatures"]] == [petition.id]
    assert data["survey_responses"][0]["survey_id"] == survey.id
    assert PHONE in [answer["text"] for answer in data["survey_responses"][0]["answers"]]
    assert [row["subject"] for row in data["mail"]] == ["[서울시 시민참여] 비밀번호 다시 설정"]
    assert len(data["budget_project_supports"]) == 1 and data["budget_votes"][0]["district"] == "마포구"
    text = response.get_data(as_text=True)
    assert citizen.password_hash not in text and "토큰-남은-링크" not in text  # no secrets, no mail bodies
