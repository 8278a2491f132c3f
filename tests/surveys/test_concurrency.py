"""Against a real server and database: eight simultaneous submissions make one response; the exports
stream after the view has returned (the request's session is gone by then)."""

import csv
import io
import re
import threading

import requests
from sqlalchemy import func, select

from participation.accounts.services import create_user, issue_token
from participation.extensions import db
from participation.surveys import building, services
from participation.surveys.models import Answer, Response
from tests.factories import PASSWORD


def test_simultaneous_submissions_store_one_response(app, live_server):
    with app.app_context():
        staff = create_user("survey-staff@example.com", PASSWORD, ("staff",))
        token = issue_token(create_user("survey-citizen@example.com", PASSWORD, (), district="성북구"))
        survey = building.create_survey_with_questions(staff, {"title": "동시 제출 시험", "questions": [
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
    with requests.Session() as browser:
        page = browser.get(f"{live_server}/login", timeout=60).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        browser.post(f"{live_server}/login", timeout=60, data={
            "email": "survey-staff@example.com", "password": PASSWORD, "csrf_token": token})
        tidy = browser.get(f"{live_server}/surveys/{survey_id}/export/tidy.csv", timeout=60)
        wide = browser.get(f"{live_server}/surveys/{survey_id}/export/wide.csv", timeout=60)
    assert (tidy.status_code, wide.status_code) == (200, 200)
    tidy_rows = list(csv.reader(io.StringIO(tidy.content.decode("utf-8-sig"), newline="")))
    wide_rows = list(csv.reader(io.StringIO(wide.content.decode("utf-8-sig"), newline="")))
    assert [row[-1] for row in tidy_rows[1:]] == ["찬성", "걷기 좋은 서울"]
    assert wide_rows[1][-2:] == ["찬성", "걷기 좋은 서울"]
