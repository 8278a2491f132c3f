"""The rules through the services: frozen questions, deadlines, the indicator feed, the home page list,
the pause switch, and inputs that must never reach the database as errors."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from participation.core.errors import Conflict, Paused, ValidationError
from participation.core.settings import set_setting
from participation.core.time import kst_year_bounds, utcnow
from participation.surveys import answering, building, queries, tasks
from participation.surveys.models import Survey, SurveyState
from tests import factories
from tests.conftest import api_token
from tests.foundation.test_api import assert_error

LIKERT = [{"type": "likert", "text": "만족하십니까?"}]


def test_questions_are_frozen_once_open(db_session):
    staff = factories.staff()
    survey = factories.survey(staff, LIKERT)
    with pytest.raises(Conflict) as error:
        building.add_question(staff, survey.sections[0], {"type": "text", "text": "추가 질문"})
    assert error.value.code == "survey_frozen"
    with pytest.raises(Conflict):
        building.delete_question(staff, survey.questions[0])
    with pytest.raises(Conflict):
        building.update_survey(staff, survey, {"title": "새 제목"})
    assert [q.text for q in survey.questions] == ["만족하십니까?"]


def test_skip_rules_only_jump_forward_from_single_choice(db_session):
    staff = factories.staff()
    survey = factories.survey(staff, [
        {"type": "single", "text": "이용하십니까?", "options": ["예", "아니오"], "section": 1},
        {"type": "likert", "text": "만족하십니까?", "section": 1}], sections=["첫째", "둘째", "셋째"], open_it=False)
    single = survey.questions[0]
    with pytest.raises(ValidationError):
        building.set_skip(staff, single.options[1], survey.sections[0])  # backwards
    with pytest.raises(ValidationError):
        building.set_skip(staff, single.options[1], survey.sections[1])  # its own section
    building.set_skip(staff, single.options[1], survey.sections[2])
    assert single.options[1].skip_to_section_id == survey.sections[2].id
    answers = {single.id: [{"option_id": single.options[1].id}]}
    assert answering.path(survey, answers) == [survey.sections[0], survey.sections[1], survey.sections[2]]
    with pytest.raises(ValidationError):
        building.create_survey_with_questions(staff, {"title": "뒤로 건너뛰기", "sections": ["가", "나"], "questions": [
            {"type": "single", "text": "질문", "section": 1, "options": [{"label": "예", "skip_to_section": 0}]}]})


def test_deadlines_open_due_complete_drafts_and_close_open_surveys(db_session):
    staff = factories.staff()
    due = factories.survey(staff, LIKERT, open_it=False, opens_at=utcnow() - timedelta(minutes=1))
    incomplete = factories.survey(staff, [], open_it=False, opens_at=utcnow() - timedelta(minutes=1))
    later = factories.survey(staff, LIKERT, open_it=False, opens_at=utcnow() + timedelta(days=1))
    closing = factories.survey(staff, LIKERT, closes_at=utcnow() + timedelta(hours=1))
    closing.closes_at = utcnow() - timedelta(seconds=1)
    tasks.apply_survey_deadlines()
    assert [s.state for s in (due, incomplete, later, closing)] == [
        SurveyState.open, SurveyState.draft, SurveyState.draft, SurveyState.closed]
    assert due.opened_at is not None and closing.closed_at is not None


def test_count_opened_counts_surveys_opened_in_the_range(db_session):
    staff = factories.staff()
    surveys = [factories.survey(staff, LIKERT) for _ in range(3)]
    factories.survey(staff, LIKERT, open_it=False)
    surveys[0].opened_at = datetime(2024, 12, 31, 15, 0, tzinfo=UTC)  # 2025-01-01 00:00 KST
    surveys[1].opened_at = datetime(2024, 12, 31, 14, 59, tzinfo=UTC)  # still 2024 in Seoul
    db_session.flush()
    assert queries.count_opened(*kst_year_bounds(2025)) == 1
    assert queries.count_opened(*kst_year_bounds(2024)) == 1
    assert queries.count_opened(*kst_year_bounds(utcnow().year)) == 1


def test_home_items_list_open_surveys(app, db_session):
    staff = factories.staff()
    factories.survey(staff, LIKERT, title="한강공원 이용 조사", closes_at=utcnow() + timedelta(days=3))
    factories.survey(staff, LIKERT, open_it=False, title="준비 중인 조사")
    with app.test_request_context():
        items = queries.home_items(5)
    assert [title for title, _url, _detail in items] == ["한강공원 이용 조사"]
    assert items[0][1].endswith("/surveys/" + items[0][1].rsplit("/", 1)[1]) and items[0][2].endswith("마감")


def test_the_pause_switch_stops_answers(db_session):
    survey = factories.survey(factories.staff(), LIKERT)
    set_setting("PAUSE_PARTICIPATION", True, factories.admin())
    with pytest.raises(Paused):
        answering.answer_survey(survey, factories.UserFactory(), {str(survey.questions[0].id): 3})


def test_unverified_citizens_cannot_answer(client, db_session):
    survey = factories.survey(factories.staff(), LIKERT)
    headers = api_token(client, factories.UserFactory(email_verified_at=None))
    assert_error(client.post(f"/api/v1/surveys/{survey.id}/responses", headers=headers,
                             json={"answers": {str(survey.questions[0].id): 3}}), 403, "email_not_verified")


@pytest.mark.parametrize("value", ["1" + "0" * 400, '"1e400"', "NaN", '"\\u0000"', "[3]", '{"a": 1}', "true"])
def test_strange_numbers_are_422_not_500(client, db_session, value):
    survey = factories.survey(factories.staff(), [{"type": "number", "text": "몇 번?", "min": 0, "max": 10}])
    headers = api_token(client, factories.UserFactory())
    body = f'{{"answers": {{"{survey.questions[0].id}": {value}}}}}'
    assert_error(client.post(f"/api/v1/surveys/{survey.id}/responses", headers=headers, data=body,
                             content_type="application/json"), 422)


def test_unknown_and_huge_ids_are_404(client, db_session):
    assert_error(client.get("/api/v1/surveys/99999999999999999999"), 404)
    assert_error(client.get("/api/v1/surveys/12345"), 404)
    assert client.get("/surveys/99999999999999999999").status_code == 404


def test_nul_characters_never_reach_the_database(client, db_session):
    headers = api_token(client, factories.staff())
    response = client.post("/api/v1/surveys", headers=headers, json={"title": "제목\x00", "questions": [
        {"type": "single", "text": "질\x00문", "options": ["가\x00", "나"], "max_choices": 2**40}]})
    assert_error(response, 422)
    assert sorted(response.json["error"]["fields"]) == ["questions[0].options[0]", "questions[0].text", "title"]
    assert db_session.scalar(select(func.count()).select_from(Survey)) == 0
    too_many = client.post("/api/v1/surveys", headers=headers, json={"title": "제목", "questions": [
        {"type": "multiple", "text": "질문", "options": ["가", "나"], "max_choices": 2**40}]})
    assert_error(too_many, 422)
