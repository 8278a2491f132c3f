"""This channel's part of the Korean demo: a closed ten-question survey on public transport answered by the
demo citizens (results computed), an open survey, and a small population frame labelled as an example."""

import random
from datetime import date, timedelta

from participation.core.seoul import AGE_BANDS, DISTRICTS
from participation.core.time import utcnow
from participation.extensions import db
from participation.surveys import answering, building, queries, services
from participation.surveys.models import PopulationCell, PopulationFrame

TRANSPORT_SURVEY = {
    "title": "2024 서울 대중교통 만족도 조사",
    "intro": "서울시 교통정책과가 대중교통 서비스 개선 계획을 세우기 전에 시민 여러분의 의견을 듣습니다.\n\n"
             "응답에는 **5분** 정도 걸리며, 결과는 조사가 끝난 뒤 이 페이지에 공개됩니다.",
    "thanks": "소중한 의견 고맙습니다. 결과는 조사 마감 뒤 공개됩니다.",
    "sections": ["주로 타는 교통수단", "이용 습관", "만족도", "정책 의견"],
    "questions": [
        {"type": "single", "text": "가장 자주 이용하는 대중교통은 무엇입니까?", "section": 0,
         "options": ["지하철", "시내버스", "마을버스", "따릉이(공공자전거)",
                     {"label": "거의 이용하지 않음", "skip_to_section": 3}]},
        {"type": "number", "text": "일주일에 대중교통을 몇 번 이용하십니까?", "section": 1, "min": 0, "max": 100},
        {"type": "number", "text": "평소 통근·통학 편도 시간은 몇 분입니까?", "section": 1, "min": 0, "max": 300,
         "required": False},
        {"type": "likert", "text": "지하철 서비스에 전반적으로 만족하십니까?", "section": 2,
         "low_label": "매우 불만족", "high_label": "매우 만족"},
        {"type": "likert", "text": "버스 서비스에 전반적으로 만족하십니까?", "section": 2,
         "low_label": "매우 불만족", "high_label": "매우 만족"},
        {"type": "likert", "text": "역과 정류장의 안전·청결에 만족하십니까?", "section": 2,
         "low_label": "매우 불만족", "high_label": "매우 만족"},
        {"type": "multiple", "text": "가장 개선이 필요한 점을 골라 주세요 (최대 3개).", "section": 2, "max_choices": 3,
         "shuffle_options": True,
         "options": ["배차 간격", "출퇴근 혼잡", "환승 편의", "요금", "심야 운행", "교통약자 편의시설"]},
        {"type": "single", "text": "기후동행카드를 이용해 보셨습니까?", "section": 2,
         "options": ["지금 이용 중", "이용한 적 있음", "이용한 적 없음", "처음 들어 봄"]},
        {"type": "single", "text": "대중교통 요금 조정에 대해 어떻게 생각하십니까?", "section": 3,
         "options": ["찬성", "서비스 개선을 전제로 찬성", "반대", "잘 모르겠다"]},
        {"type": "text", "text": "서울 대중교통에 바라는 점을 자유롭게 적어 주세요.", "section": 3, "required": False},
    ],
}
WISHES = ("출근 시간 배차를 늘려 주세요.", "심야버스 노선을 늘려 주세요.", "엘리베이터 없는 역이 아직 많아요.",
          "환승 통로가 너무 길어요.", "마을버스 배차 간격이 길어요.", "버스 정류장에 그늘막이 더 필요합니다.",
          "따릉이 대여소를 늘려 주세요.", "지하철 냉방이 너무 세요.")
PARKS_SURVEY = {
    "title": "한강공원 이용 경험 조사",
    "intro": "한강공원 편의시설 계획에 참고하려고 합니다.",
    "closes_in_days": 14,
    "sections": ["방문 경험", "편의시설"],
    "questions": [
        {"type": "single", "text": "지난 1년 동안 한강공원을 몇 번 방문하셨습니까?", "section": 0,
         "options": ["한 번도 없음", "1~5번", "6~20번", "20번 넘게"]},
        {"type": "likert", "text": "한강공원 편의시설에 만족하십니까?", "section": 1,
         "low_label": "매우 불만족", "high_label": "매우 만족"},
        {"type": "text", "text": "더 필요한 시설이 있다면 적어 주세요.", "section": 1, "required": False},
    ],
}


def _weighted(rng: random.Random, weights: list[float]) -> int:
    return rng.choices(range(len(weights)), weights=weights)[0]


def _transport_answers(rng: random.Random, survey, citizen) -> dict:
    questions = survey.questions
    older = (citizen.birth_year or 1990) < 1965
    mode = _weighted(rng, [45, 30, 8, 7, 10] if not older else [35, 40, 12, 1, 12])
    answers = {str(questions[0].id): questions[0].options[mode].id}
    if mode != 4:
        answers[str(questions[1].id)] = rng.choice([2, 4, 5, 6, 8, 10, 10, 12, 14])
        answers[str(questions[2].id)] = rng.choice([15, 20, 30, 40, 45, 50, 60, 75, 90])
        for index, mean in ((3, 3.6), (4, 3.3), (5, 3.8)):
            answers[str(questions[index].id)] = max(1, min(5, round(rng.gauss(mean, 0.9))))
        picks = rng.sample(range(6), k=rng.randint(1, 3))
        answers[str(questions[6].id)] = [questions[6].options[pick].id for pick in picks]
        answers[str(questions[7].id)] = questions[7].options[_weighted(rng, [30, 15, 45, 10])].id
    answers[str(questions[8].id)] = questions[8].options[_weighted(rng, [15, 35, 35, 15])].id
    if rng.random() < 0.3:
        answers[str(questions[9].id)] = rng.choice(WISHES)
    return answers


def _example_frame(staff) -> PopulationFrame:
    frame = PopulationFrame(source="예시 인구 자료 (데모용으로 만든 숫자, 실제 서울 통계 아님)",
                            as_of=date(2024, 12, 31), is_example=True, uploaded_by_id=staff.id)
    frame.cells = [PopulationCell(district=district, age_band=band,
                                  count=20_000 + (district_index * 3_917 + band_index * 7_121) % 30_000)
                   for district_index, district in enumerate(DISTRICTS) for band_index, band in enumerate(AGE_BANDS)]
    db.session.add(frame)
    return frame


def seed(people) -> None:
    """Add demo items; `people` maps a role name to demo accounts."""
    staff = people["staff"][0]
    rng = random.Random(2024)
    _example_frame(staff)

    transport = building.create_survey_with_questions(staff, TRANSPORT_SURVEY)
    services.transition(transport, "open", staff)
    for citizen in people["citizen"]:
        answering.answer_survey(transport, citizen, _transport_answers(rng, transport, citizen))
    services.transition(transport, "closed", staff)

    parks_fields = {key: value for key, value in PARKS_SURVEY.items() if key != "closes_in_days"}
    parks = building.create_survey_with_questions(
        staff, {**parks_fields, "closes_at": utcnow() + timedelta(days=PARKS_SURVEY["closes_in_days"])})
    services.transition(parks, "open", staff)
    for citizen in people["citizen"][:40]:
        questions = parks.questions
        answering.answer_survey(parks, citizen, {str(questions[0].id): rng.choice(questions[0].options).id,
                                                str(questions[1].id): rng.randint(2, 5)})
    building.duplicate_survey(staff, transport)

    db.session.flush()
    for survey in (transport, parks):
        results = queries.compute_results(survey)
        survey.results, survey.response_count, survey.results_as_of = results, results["responses"], utcnow()
