"""Surveys in the browser: staff build one from scratch, a citizen answers one section per page, saves,
resumes and submits once; results, report, charts and the population frame page."""

import re
from types import SimpleNamespace

from sqlalchemy import func, select

from participation.surveys.models import Answer, Response, Survey
from tests import factories
from tests.conftest import csrf_token, login


def post(client, path, data, token_page):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_page)})


def test_staff_build_a_survey_in_the_browser(client, db_session):
    staff = factories.staff()
    login(client, staff)
    response = post(client, "/surveys/new", {"title": "따릉이 이용 조사", "intro": "**5분**이면 됩니다.",
                                             "thanks": "고맙습니다", "target_district": "", "target_age_band": ""},
                    "/surveys/new")
    assert response.status_code == 303
    survey = db_session.scalars(select(Survey)).one()
    edit = f"/surveys/{survey.id}/edit"
    section_id = survey.sections[0].id
    add = f"/surveys/{survey.id}/sections/{section_id}/questions/new"
    assert post(client, add, {"type": "single", "text": "따릉이를 이용하십니까?", "required": "y",
                              "options": "예\n아니오\n"}, add).status_code == 303
    assert post(client, add, {"type": "multiple", "text": "불편한 점은?", "required": "y",
                              "options": "고장\n대여소 부족\n요금", "max_choices": "2",
                              "shuffle_options": "y"}, add).status_code == 303
    assert post(client, add, {"type": "likert", "text": "만족하십니까?", "required": "y",
                              "low_label": "불만족", "high_label": "만족"}, add).status_code == 303
    assert post(client, add, {"type": "number", "text": "한 주 이용 횟수는?", "min": "0", "max": "50"},
                add).status_code == 303
    bad = post(client, add, {"type": "number", "text": "잘못된 문항", "min": "10", "max": "1"}, add)
    assert bad.status_code == 422 and "최댓값은 최솟값보다 작을 수 없습니다." in bad.get_data(as_text=True)
    assert post(client, f"/surveys/{survey.id}/sections", {"title": "마무리"}, edit).status_code == 303
    db_session.expire_all()
    last_section = survey.sections[1]
    add_last = f"/surveys/{survey.id}/sections/{last_section.id}/questions/new"
    assert post(client, add_last, {"type": "text", "text": "바라는 점을 적어 주세요."}, add_last).status_code == 303
    first = survey.questions[0]
    assert post(client, f"/surveys/{survey.id}/questions/{first.id}/skip",
                {"option": first.options[1].id, "section": last_section.id}, edit).status_code == 303
    db_session.expire_all()
    assert [q.type for q in survey.questions] == ["single", "multiple", "likert", "number", "text"]
    assert first.options[1].skip_to_section_id == last_section.id
    page = client.get(edit).get_data(as_text=True)
    assert "섹션 2(으)로 건너뜀" in page
    assert client.get(f"/surveys/{survey.id}/preview/1").status_code == 200
    assert "미리보기입니다" in client.get(f"/surveys/{survey.id}/preview/2").get_data(as_text=True)
    opened = post(client, f"/surveys/{survey.id}/transitions", {"to": "open"}, f"/surveys/{survey.id}")
    assert opened.status_code == 303
    db_session.expire_all()
    assert survey.state == "open" and survey.opened_at is not None
    frozen = post(client, add, {"type": "text", "text": "추가 문항"}, f"/surveys/{survey.id}")
    assert frozen.status_code in (303, 409)
    assert len(survey.questions) == 5
    copy = post(client, f"/surveys/{survey.id}/duplicate", {}, f"/surveys/{survey.id}")
    assert copy.status_code == 303
    duplicate = db_session.scalars(select(Survey).where(Survey.id != survey.id)).one()
    assert (duplicate.state, len(duplicate.questions), duplicate.title) == ("draft", 5, "따릉이 이용 조사 (사본)")
    assert duplicate.questions[0].options[1].skip_to_section_id == duplicate.sections[1].id


def test_an_empty_survey_cannot_be_opened_from_the_page(client, db_session):
    staff = factories.staff()
    survey = factories.survey(staff, open_it=False)
    login(client, staff)
    response = post(client, f"/surveys/{survey.id}/transitions", {"to": "open"}, f"/surveys/{survey.id}")
    assert response.status_code in (303, 422)
    db_session.expire_all()
    assert survey.state == "draft"


def survey_with_sections(staff):
    return factories.survey(staff, sections=["교통수단", "만족도", "의견"], questions=[
        {"type": "single", "text": "주로 이용하는 교통수단은?", "section": 0,
         "options": ["지하철", "버스", {"label": "이용하지 않음", "skip_to_section": 2}]},
        {"type": "multiple", "text": "불편한 점은?", "section": 1, "options": ["혼잡", "배차", "요금"],
         "max_choices": 2},
        {"type": "likert", "text": "만족하십니까?", "section": 1},
        {"type": "number", "text": "통근 시간(분)?", "section": 1, "min": 0, "max": 300},
        {"type": "text", "text": "하고 싶은 말", "section": 2, "required": False}])


def test_a_citizen_answers_page_by_page_saves_resumes_and_submits_once(client, db_session):
    survey = survey_with_sections(factories.staff())
    single, multiple, likert, number, text = survey.questions
    citizen = factories.UserFactory(district="관악구", birth_year=1992)
    login(client, citizen)
    detail = f"/surveys/{survey.id}"
    assert post(client, f"{detail}/start", {}, detail).headers["Location"].endswith(f"{detail}/respond/1")
    page = client.get(f"{detail}/respond/1").get_data(as_text=True)
    assert "3쪽 중 1쪽" in page and "주로 이용하는 교통수단은?" in page
    # The bar counts the pages done: empty before anything is answered (issue #25: it was full on a 1-page survey).
    assert re.search(r'<progress class="bar" max="3" value="0"', page)
    missing = post(client, f"{detail}/respond/1", {"action": "next"}, f"{detail}/respond/1")
    assert missing.status_code == 422 and "답해야 하는 문항입니다." in missing.get_data(as_text=True)
    # The error summary links to the question that needs an answer.
    summary = re.search(r'<div class="error-summary".*?</div>', missing.get_data(as_text=True), re.S).group(0)
    assert f'<a href="#question-{single.id}">1. 주로 이용하는 교통수단은?: 답해야 하는 문항입니다.</a>' in summary
    step = post(client, f"{detail}/respond/1", {"action": "next", f"q{single.id}": single.options[1].id},
                f"{detail}/respond/1")
    assert step.headers["Location"].endswith("/respond/2")
    too_many = post(client, f"{detail}/respond/2", {
        "action": "next", f"q{multiple.id}": [o.id for o in multiple.options], f"q{likert.id}": "4",
        f"q{number.id}": "45"}, f"{detail}/respond/2")
    assert too_many.status_code == 422 and "최대 2개까지 고를 수 있습니다." in too_many.get_data(as_text=True)
    saved = post(client, f"{detail}/respond/2", {"action": "save", f"q{likert.id}": "4"}, f"{detail}/respond/2")
    assert saved.status_code == 303
    # Resume later: the same draft row, at the page where it was left, with the answers kept.
    resumed = post(client, f"{detail}/start", {}, detail)
    assert resumed.headers["Location"].endswith("/respond/2")
    assert db_session.scalar(select(func.count()).select_from(Response)) == 1
    page = client.get(f"{detail}/respond/2").get_data(as_text=True)
    assert re.search(r'value="4" checked', page)
    # Enter in a field presses the form's first button: going on, never back (it took people back a page).
    assert re.findall(r'<button type="submit" name="action" value="(\w+)"', page) == ["next", "back", "save"]
    post(client, f"{detail}/respond/2", {"action": "next", f"q{multiple.id}": [multiple.options[0].id],
                                          f"q{likert.id}": "4", f"q{number.id}": "45"}, f"{detail}/respond/2")
    done = post(client, f"{detail}/respond/3", {"action": "submit", f"q{text.id}": "버스 배차를 늘려 주세요"},
                f"{detail}/respond/3")
    assert done.headers["Location"].endswith(f"{detail}/thanks")
    thanks = client.get(f"{detail}/thanks").get_data(as_text=True)
    assert "다음 단계" in thanks and "조사가 마감된 뒤 이 여론조사 페이지에 공개됩니다" in thanks
    response = db_session.scalars(select(Response)).one()
    assert response.submitted_at is not None and (response.district, response.age_band) == ("관악구", "30-39")
    assert db_session.scalar(select(func.count()).select_from(Answer)) == 5
    assert post(client, f"{detail}/start", {}, detail).status_code == 409  # submit once
    assert "응답해 주셔서 고맙습니다" in client.get(detail).get_data(as_text=True)
    assert client.get(f"{detail}/respond/1").status_code == 303


def test_skip_logic_on_the_pages(client, db_session):
    survey = survey_with_sections(factories.staff())
    single, _multiple, _likert, _number, text = survey.questions
    login(client, factories.UserFactory())
    detail = f"/surveys/{survey.id}"
    post(client, f"{detail}/start", {}, detail)
    skip = post(client, f"{detail}/respond/1", {"action": "next", f"q{single.id}": single.options[2].id},
                f"{detail}/respond/1")
    assert skip.headers["Location"].endswith("/respond/3")
    back = post(client, f"{detail}/respond/3", {"action": "back"}, f"{detail}/respond/3")
    assert back.headers["Location"].endswith("/respond/1")
    done = post(client, f"{detail}/respond/3", {"action": "submit", f"q{text.id}": ""}, f"{detail}/respond/3")
    assert done.headers["Location"].endswith("/thanks")
    assert db_session.scalar(select(func.count()).select_from(Answer)) == 1


def test_results_report_and_charts(client, db_session, run_jobs):
    staff = factories.staff()
    survey = survey_with_sections(staff)
    from participation.surveys import answering, services

    for number in range(12):
        citizen = factories.UserFactory(district="마포구")
        single = survey.questions[0]
        answering.answer_survey(survey, citizen, {str(single.id): single.options[2].id,
                                                 str(survey.questions[4].id): f"의견 {number}번"})
    services.transition(survey, "closed", staff)
    db_session.commit()
    survey_id, question_id, staff_email = survey.id, survey.questions[0].id, staff.email
    run_jobs()  # (the worker ends the test's session: work with ids from here on)
    page = client.get(f"/surveys/{survey_id}/results").get_data(as_text=True)
    assert "응답 12명" in page and "이용하지 않음" in page and "자치구별" not in page
    assert client.get(f"/surveys/{survey_id}/report").status_code == 200
    chart = client.get(f"/surveys/{survey_id}/charts/{question_id}.svg")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml" and "<svg" in chart.get_data(as_text=True)
    assert client.get(f"/surveys/{survey_id}/export/tidy.csv").status_code in (302, 401)
    login(client, SimpleNamespace(email=staff_email))
    staff_page = client.get(f"/surveys/{survey_id}/results?q=3번").get_data(as_text=True)
    assert "자치구별" in staff_page and "의견 3번" in staff_page and "의견 4번" not in staff_page
    assert "인구 자료가 없어 가중치를 적용하지 않았습니다." in staff_page


def test_population_frame_upload(client, db_session):
    login(client, factories.staff())
    from io import BytesIO

    csv_text = ("district,age_band,count,source,as_of\n마포구,20-29,100,예시 자료,2024-12-31\n"
                "마포구,30-39,300,예시 자료,2024-12-31\n").encode("utf-8-sig")
    response = client.post("/surveys/population", data={
        "csrf_token": csrf_token(client, "/surveys/population"), "is_example": "y",
        "file": (BytesIO(csv_text), "frame.csv")}, content_type="multipart/form-data")
    assert response.status_code == 303
    page = client.get("/surveys/population").get_data(as_text=True)
    assert "예시 자료, 실제 통계 아님" in page and "2칸" in page
    bad = client.post("/surveys/population", data={
        "csrf_token": csrf_token(client, "/surveys/population"),
        "file": (BytesIO("district,age_band,count,source,as_of\n해운대구,20-29,열,출처,2024\n".encode()), "x.csv")},
        content_type="multipart/form-data")
    assert bad.status_code == 422 and "2번째 줄" in bad.get_data(as_text=True)


def test_a_population_file_with_a_nul_character_is_refused_and_nothing_is_stored(client, db_session):
    """The request check sees form fields, not the contents of an uploaded file: the reader refuses NUL itself
    (PostgreSQL text cannot hold it)."""
    from io import BytesIO

    from sqlalchemy import func, select

    from participation.surveys.models import PopulationFrame

    login(client, factories.staff())
    csv_text = "district,age_band,count,source,as_of\n마포구,20-29,100,예시\x00자료,2024-12-31\n".encode()
    response = client.post("/surveys/population", data={
        "csrf_token": csrf_token(client, "/surveys/population"), "file": (BytesIO(csv_text), "frame.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "보이지 않는 제어 문자(NUL)는 입력할 수 없습니다." in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(PopulationFrame)) == 0


def test_citizens_cannot_reach_staff_pages(client, db_session):
    survey = factories.survey(factories.staff(), [{"type": "likert", "text": "만족하십니까?"}])
    login(client, factories.UserFactory())
    assert client.get("/surveys/new").status_code == 403
    assert client.get(f"/surveys/{survey.id}/edit").status_code == 403
    assert client.get(f"/surveys/{survey.id}/export/wide.csv").status_code == 403
    assert client.get(f"/surveys/{survey.id}/results").status_code == 403
    draft = factories.survey(factories.staff(), open_it=False)
    assert client.get(f"/surveys/{draft.id}").status_code == 404


def test_results_read_plainly_rounded_scales_with_their_ends_numbers_as_a_histogram(client, db_session, run_jobs):
    """Issue #25 (9): one decimal for means, one margin of error, the 5-point scale's ends in words, and
    numbers drawn as equal-width bins (empty ones too), not as one category per distinct value."""
    staff = factories.staff()
    survey = survey_with_sections(staff)
    single, multiple, likert, number, _text = survey.questions
    from participation.surveys import answering, services

    minutes = [5, 7, 12, 15, 18, 25, 33, 41, 47, 58, 95, 120]
    points = [1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5]  # mean 3.333…
    for minute, point in zip(minutes, points, strict=True):
        citizen = factories.UserFactory(district="마포구")
        answering.answer_survey(survey, citizen, {
            str(single.id): single.options[0].id, str(multiple.id): [multiple.options[0].id],
            str(likert.id): str(point), str(number.id): str(minute)})
    services.transition(survey, "closed", staff)
    db_session.commit()
    survey_id, likert_id, number_id = survey.id, likert.id, number.id
    run_jobs()
    page = client.get(f"/surveys/{survey_id}/results").get_data(as_text=True)
    assert "평균 3.3 · 중앙값 3.5" in page and "3.3333" not in page
    assert page.count("표본오차") == 1
    assert "1 · 전혀 그렇지 않다" in page and "5 · 매우 그렇다" in page
    # 5 to 120 minutes in bins of 20: 0–20, 20–40, …, 100–120 (the empty 60–80 and 80–100 included).
    bins = re.findall(r'<tr><th scope="row">([\d,]+–[\d,]+)</th><td class="number">(\d+)</td></tr>', page)
    assert bins == [("0–20", "5"), ("20–40", "2"), ("40–60", "3"), ("60–80", "0"), ("80–100", "1"),
                    ("100–120", "1")]
    scale_chart = client.get(f"/surveys/{survey_id}/charts/{likert_id}.svg").get_data(as_text=True)
    assert "1 전혀 그렇지 않다" in scale_chart and "5 매우 그렇다" in scale_chart
    number_chart = client.get(f"/surveys/{survey_id}/charts/{number_id}.svg").get_data(as_text=True)
    assert "60–80" in number_chart
