"""Double submission against a real server and database: eight simultaneous requests, one response."""

import threading

import requests
from sqlalchemy import func, select

from participation.accounts.services import create_user, issue_token
from participation.extensions import db
from participation.surveys import services
from participation.surveys.models import Answer, Response
from tests.factories import PASSWORD


def test_simultaneous_submissions_store_one_response(app, live_server):
    with app.app_context():
        staff = create_user("survey-staff@example.com", PASSWORD, ("staff",))
        token = issue_token(create_user("survey-citizen@example.com", PASSWORD, (), district="성북구"))
        survey = services.create_survey_with_questions(staff, {"title": "동시 제출 시험", "questions": [
            {"type": "single", "text": "찬성하십니까?", "options": ["찬성", "반대"]},
            {"type": "text", "text": "이유는?"}]})
        services.transition(survey, "open", staff)
        db.session.commit()
        survey_id = survey.id
        question, reason = survey.questions
        answers = {str(question.id): question.options[0].id, str(reason.id): "걷기 좋은 서울"}
        db.session.remove()
    barrier, statuses = threading.Barrier(8), []

    def submit():
        barrier.wait()
        response = requests.post(f"{live_server}/api/v1/surveys/{survey_id}/responses", timeout=60,
                                 headers={"Authorization": f"Bearer {token}"}, json={"answers": answers})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * 7
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
        assert db.session.scalar(select(func.count()).select_from(Answer)) == 2
        db.session.remove()
