"""Surveys through the JSON API: staff build and open, citizens answer once, errors name the question."""

from sqlalchemy import func, select

from participation.surveys.models import Answer, Response
from tests import factories
from tests.conftest import api_token
from tests.foundation.test_api import assert_error

QUESTIONS = [
    {"type": "single", "text": "주로 이용하는 교통수단은?", "options": ["지하철", "버스", "자가용"]},
    {"type": "multiple", "text": "개선이 필요한 점을 모두 고르세요 (최대 2개)",
     "options": ["배차 간격", "혼잡도", "요금", "안전"], "max_choices": 2},
    {"type": "likert", "text": "대중교통에 전반적으로 만족하십니까?",
     "low_label": "매우 불만족", "high_label": "매우 만족"},
    {"type": "number", "text": "하루 평균 통근 시간(분)은?", "min": 0, "max": 300},
    {"type": "text", "text": "하고 싶은 말씀을 적어 주세요.", "required": False},
]


def create(client, headers, questions=QUESTIONS, **fields):
    response = client.post("/api/v1/surveys", headers=headers,
                           json={"title": "서울 대중교통 만족도 조사", "questions": questions, "status": "open",
                                 **fields})
    assert response.status_code == 201, response.json
    return response.json


def open_survey(client, headers, survey_id):
    response = client.post(f"/api/v1/surveys/{survey_id}/transitions", headers=headers, json={"to": "open"})
    assert response.status_code == 200, response.json
    return response.json


def answers_for(survey, single=0, multiple=(0, 1), likert=4, number=35, text="배차 간격을 줄여 주세요"):
    q = survey["questions"]
    return {str(q[0]["id"]): q[0]["options"][single]["id"],
            str(q[1]["id"]): [q[1]["options"][i]["id"] for i in multiple],
            str(q[2]["id"]): likert, str(q[3]["id"]): number, str(q[4]["id"]): text}


def test_staff_create_a_survey_with_every_question_type(client, db_session):
    headers = api_token(client, factories.staff())
    survey = create(client, headers)
    assert survey["status"] == "draft"
    assert [q["type"] for q in survey["questions"]] == ["single", "multiple", "likert", "number", "text"]
    assert [o["label"] for o in survey["questions"][0]["options"]] == ["지하철", "버스", "자가용"]
    assert all(isinstance(o["id"], int) for q in survey["questions"] for o in q["options"])
    assert survey["questions"][1]["max_choices"] == 2
    assert (survey["questions"][3]["min"], survey["questions"][3]["max"]) == (0, 300)
    assert survey["questions"][2]["low_label"] == "매우 불만족"
    assert survey["questions"][4]["required"] is False
    assert client.get(f"/api/v1/surveys/{survey['id']}", headers=headers).json["title"] == "서울 대중교통 만족도 조사"


def test_citizens_cannot_create_and_do_not_see_drafts(client, db_session):
    citizen = api_token(client, factories.UserFactory())
    assert_error(client.post("/api/v1/surveys", headers=citizen, json={"title": "설문", "questions": []}), 403)
    survey = create(client, api_token(client, factories.staff()))
    assert_error(client.get(f"/api/v1/surveys/{survey['id']}", headers=citizen), 404)
    assert_error(client.get(f"/api/v1/surveys/{survey['id']}"), 404)
    assert client.get("/api/v1/surveys").json["total"] == 0


def test_invalid_definitions_name_the_field(client, db_session):
    headers = api_token(client, factories.staff())
    body = assert_error(client.post("/api/v1/surveys", headers=headers, json={"title": "", "questions": [
        {"type": "essay", "text": "무엇?"}, {"type": "number", "text": "나이", "min": 10, "max": 5},
        {"type": "multiple", "text": "고르세요", "options": ["가", "가"], "max_choices": 0}, "문항"]}), 422)
    assert set(body["fields"]) == {"title", "questions.0.type", "questions.1.max", "questions.2.options",
                                   "questions.2.max_choices", "questions.3"}
    assert body["fields"]["questions.2.options"] == ["같은 보기가 두 번 있습니다: 가"]


def test_a_survey_without_questions_or_with_an_optionless_choice_cannot_open(client, db_session):
    headers = api_token(client, factories.staff())
    empty = create(client, headers, questions=[])
    body = assert_error(client.post(f"/api/v1/surveys/{empty['id']}/transitions", headers=headers,
                                    json={"to": "open"}), 422)
    assert body["fields"] == {"questions": ["문항이 하나도 없습니다."]}
    optionless = create(client, headers, questions=[{"type": "likert", "text": "만족하십니까?"},
                                                     {"type": "single", "text": "어느 쪽?", "options": []}])
    body = assert_error(client.post(f"/api/v1/surveys/{optionless['id']}/transitions", headers=headers,
                                    json={"to": "open"}), 422)
    assert body["fields"] == {"questions": ["Q2: 보기가 없는 선택형 문항입니다."]}
    assert client.get(f"/api/v1/surveys/{optionless['id']}", headers=headers).json["status"] == "draft"


def test_transitions_and_their_conflicts(client, db_session):
    staff = api_token(client, factories.staff())
    survey = create(client, staff)
    opened = open_survey(client, staff, survey["id"])
    assert opened["status"] == "open" and opened["opened_at"]
    body = assert_error(client.post(f"/api/v1/surveys/{survey['id']}/transitions", headers=staff,
                                    json={"to": "draft"}), 409, "invalid_transition")
    assert "closed" in body["message"]
    citizen = api_token(client, factories.UserFactory())
    assert_error(client.post(f"/api/v1/surveys/{survey['id']}/transitions", headers=citizen,
                             json={"to": "closed"}), 403)
    assert client.post(f"/api/v1/surveys/{survey['id']}/transitions", headers=staff,
                       json={"to": "closed"}).json["status"] == "closed"
    assert_error(client.post(f"/api/v1/surveys/{survey['id']}/transitions", headers=staff,
                             json={"to": "open"}), 409, "invalid_transition")


def test_a_citizen_answers_every_type_once(client, db_session, run_jobs):
    staff = api_token(client, factories.staff())
    survey = open_survey(client, staff, create(client, staff)["id"])
    citizen = factories.UserFactory(district="강남구", birth_year=1985)
    headers = api_token(client, citizen)
    response = client.post(f"/api/v1/surveys/{survey['id']}/responses", headers=headers,
                           json={"answers": answers_for(survey)})
    assert response.status_code == 201, response.json
    stored = db_session.scalars(select(Response)).one()
    assert (stored.user_id, stored.district, stored.submitted_at is not None) == (citizen.id, "강남구", True)
    assert stored.age_band is not None
    assert db_session.scalar(select(func.count()).select_from(Answer)) == 6  # two rows for the multiple choice
    assert_error(client.post(f"/api/v1/surveys/{survey['id']}/responses", headers=headers,
                             json={"answers": answers_for(survey)}), 409, "already_responded")
    run_jobs()
    results = client.get(f"/api/v1/surveys/{survey['id']}/results", headers=staff).json
    assert results["responses"] == 1 and results["as_of"]
    first, second, likert, number, text = results["questions"]
    assert [o["count"] for o in first["options"]] == [1, 0, 0]
    assert [o["share"] for o in second["options"]] == [1.0, 1.0, 0.0, 0.0]
    assert (likert["mean"], likert["median"], number["mean"], text["n"]) == (4.0, 4.0, 35.0, 1)


def test_bad_answers_name_the_question_and_store_nothing(client, db_session):
    staff = api_token(client, factories.staff())
    survey = open_survey(client, staff, create(client, staff)["id"])
    other = open_survey(client, staff, create(client, staff)["id"])
    headers = api_token(client, factories.UserFactory())
    q = [question["id"] for question in survey["questions"]]
    bad = answers_for(survey)
    bad[str(q[0])] = other["questions"][0]["options"][0]["id"]  # an option of another survey's question
    bad[str(q[1])] = [o["id"] for o in survey["questions"][1]["options"][:3]]  # three of at most two
    bad[str(q[2])] = 6
    bad[str(q[3])] = 301
    bad[str(q[4])] = "가" * 2001
    bad["999999"] = 1
    body = assert_error(client.post(f"/api/v1/surveys/{survey['id']}/responses", headers=headers,
                                    json={"answers": bad}), 422)
    assert body["fields"] == {
        str(q[0]): ["이 문항의 보기 중에서 골라 주세요."], str(q[1]): ["최대 2개까지 고를 수 있습니다."],
        str(q[2]): ["1에서 5 사이의 정수여야 합니다."], str(q[3]): ["300 이하여야 합니다."],
        str(q[4]): ["2,000자 이내로 적어 주세요."], "999999": ["이 여론조사의 문항이 아닙니다."]}
    missing = assert_error(client.post(f"/api/v1/surveys/{survey['id']}/responses", headers=headers,
                                       json={"answers": {str(q[4]): "의견만"}}), 422)
    assert set(missing["fields"]) == {str(i) for i in q[:4]}
    assert missing["fields"][str(q[0])] == ["답해야 하는 문항입니다."]
    wrong_types = assert_error(client.post(f"/api/v1/surveys/{survey['id']}/responses", headers=headers, json={
        "answers": {**answers_for(survey), str(q[0]): True, str(q[2]): 3.5, str(q[3]): "많이", str(q[4]): 5}}), 422)
    assert set(wrong_types["fields"]) == {str(q[0]), str(q[2]), str(q[3]), str(q[4])}
    assert_error(client.post(f"/api/v1/surveys/{survey['id']}/responses", headers=headers, json={"answers": []}), 422)
    assert db_session.scalar(select(func.count()).select_from(Response)) == 0
    assert db_session.scalar(select(func.count()).select_from(Answer)) == 0


def test_answers_to_a_closed_or_draft_survey_are_refused(client, db_session):
    staff = api_token(client, factories.staff())
    draft = create(client, staff)
    survey = open_survey(client, staff, create(client, staff)["id"])
    client.post(f"/api/v1/surveys/{survey['id']}/transitions", headers=staff, json={"to": "closed"})
    headers = api_token(client, factories.UserFactory())
    assert_error(client.post(f"/api/v1/surveys/{survey['id']}/responses", headers=headers,
                             json={"answers": answers_for(survey)}), 409, "survey_not_open")
    assert_error(client.post(f"/api/v1/surveys/{draft['id']}/responses", headers=headers,
                             json={"answers": answers_for(draft)}), 404)
    assert_error(client.post(f"/api/v1/surveys/{survey['id']}/responses", json={"answers": {}}), 401)


def test_target_district_is_enforced(client, db_session):
    staff = api_token(client, factories.staff())
    survey = open_survey(client, staff, create(client, staff, target_district="마포구")["id"])
    outsider = api_token(client, factories.UserFactory(district="강남구"))
    assert_error(client.post(f"/api/v1/surveys/{survey['id']}/responses", headers=outsider,
                             json={"answers": answers_for(survey)}), 403, "not_eligible")
    resident = api_token(client, factories.UserFactory(district="마포구"))
    assert client.post(f"/api/v1/surveys/{survey['id']}/responses", headers=resident,
                       json={"answers": answers_for(survey)}).status_code == 201


def test_skip_logic_through_the_api(client, db_session):
    staff = api_token(client, factories.staff())
    survey = open_survey(client, staff, create(client, staff, sections=["이용 여부", "이용 경험", "마무리"], questions=[
        {"type": "single", "text": "지난 한 달 동안 따릉이를 이용하셨습니까?", "section": 0,
         "options": ["예", {"label": "아니오", "skip_to_section": 2}]},
        {"type": "likert", "text": "따릉이에 만족하십니까?", "section": 1},
        {"type": "text", "text": "바라는 점은?", "section": 2}])["id"])
    first, likert, last = survey["questions"]
    assert first["options"][1]["skip_to_section"] == 2
    headers = api_token(client, factories.UserFactory())
    # "아니오" skips section 2: its required question is not asked, and an answer to it is not kept.
    response = client.post(f"/api/v1/surveys/{survey['id']}/responses", headers=headers, json={"answers": {
        str(first["id"]): first["options"][1]["id"], str(likert["id"]): 5,
        str(last["id"]): "자전거 도로를 늘려 주세요"}})
    assert response.status_code == 201
    assert sorted(db_session.scalars(select(Answer.question_id))) == [first["id"], last["id"]]
    other = api_token(client, factories.UserFactory())
    body = assert_error(client.post(f"/api/v1/surveys/{survey['id']}/responses", headers=other, json={"answers": {
        str(first["id"]): first["options"][0]["id"], str(last["id"]): "좋아요"}}), 422)
    assert set(body["fields"]) == {str(likert["id"])}


def test_results_are_published_after_close(client, db_session, run_jobs):
    staff = api_token(client, factories.staff())
    survey = open_survey(client, staff, create(client, staff)["id"])
    citizen = api_token(client, factories.UserFactory())
    client.post(f"/api/v1/surveys/{survey['id']}/responses", headers=citizen, json={"answers": answers_for(survey)})
    assert_error(client.get(f"/api/v1/surveys/{survey['id']}/results", headers=citizen), 403,
                 "results_not_published")
    assert_error(client.get(f"/api/v1/surveys/{survey['id']}/results"), 403, "results_not_published")
    client.post(f"/api/v1/surveys/{survey['id']}/transitions", headers=staff, json={"to": "closed"})
    run_jobs()
    public = client.get(f"/api/v1/surveys/{survey['id']}/results")
    assert public.status_code == 200 and public.json["responses"] == 1 and public.json["status"] == "closed"
    listed = client.get("/api/v1/surveys?status=closed").json
    assert (listed["total"], listed["items"][0]["response_count"]) == (1, 1)
