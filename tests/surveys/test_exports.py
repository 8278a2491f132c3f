"""Both CSV exports, read back with the csv module: UTF-8 with BOM, Korean intact, exact rows."""

import csv
import io

from participation.surveys import answering
from tests import factories
from tests.conftest import login

QUESTIONS = [
    {"type": "single", "text": "주로 이용하는 교통수단은?", "options": ["지하철", "버스"]},
    {"type": "multiple", "text": "불편한 점, \"모두\" 고르세요", "options": ["혼잡, 특히 출근길", "배차", "요금"]},
    {"type": "number", "text": "통근 시간(분)", "min": 0, "max": 300, "required": False},
    {"type": "text", "text": "하고 싶은 말", "required": False},
]


def read(response):
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_tidy_and_wide_exports(client, db_session):
    staff = factories.staff()
    survey = factories.survey(staff, QUESTIONS)
    single, multiple, number, text = survey.questions
    first = factories.UserFactory(district="마포구", birth_year=1999)
    second = factories.UserFactory(district="강남구", birth_year=1960)
    answering.answer_survey(survey, first, {str(single.id): single.options[1].id,
                                           str(multiple.id): [multiple.options[0].id, multiple.options[2].id],
                                           str(number.id): 42.5, str(text.id): "버스 전용차로를 늘려 주세요,\n꼭요"})
    answering.answer_survey(survey, second, {str(single.id): single.options[0].id,
                                            str(multiple.id): [multiple.options[1].id]})
    answering.find_response(survey, factories.UserFactory())  # nobody else answered
    login(client, staff)

    tidy = client.get(f"/surveys/{survey.id}/export/tidy.csv")
    assert tidy.status_code == 200 and tidy.mimetype == "text/csv"
    assert "attachment" in tidy.headers["Content-Disposition"]
    rows = read(tidy)
    assert rows[0] == ["response_id", "submitted_at", "district", "age_band", "question_number", "question_id",
                       "question_type", "question", "option_id", "answer"]
    assert len(rows) == 1 + 7
    answers = [(row[2], row[4], row[7], row[9]) for row in rows[1:]]
    assert answers == [
        ("마포구", "Q1", "주로 이용하는 교통수단은?", "버스"),
        ("마포구", "Q2", "불편한 점, \"모두\" 고르세요", "혼잡, 특히 출근길"),
        ("마포구", "Q2", "불편한 점, \"모두\" 고르세요", "요금"),
        ("마포구", "Q3", "통근 시간(분)", "42.5"),
        ("마포구", "Q4", "하고 싶은 말", "버스 전용차로를 늘려 주세요,\n꼭요"),
        ("강남구", "Q1", "주로 이용하는 교통수단은?", "지하철"),
        ("강남구", "Q2", "불편한 점, \"모두\" 고르세요", "배차"),
    ]
    assert rows[1][1].endswith("+09:00")

    wide = read(client.get(f"/surveys/{survey.id}/export/wide.csv"))
    assert wide[0] == ["response_id", "submitted_at", "district", "age_band", "Q1. 주로 이용하는 교통수단은?",
                       "Q2. 불편한 점, \"모두\" 고르세요", "Q3. 통근 시간(분)", "Q4. 하고 싶은 말"]
    assert len(wide) == 3
    assert wide[1][2:3] + wide[1][4:] == ["마포구", "버스", "혼잡, 특히 출근길; 요금", "42.5",
                                          "버스 전용차로를 늘려 주세요,\n꼭요"]
    assert wide[2][2:3] + wide[2][4:] == ["강남구", "지하철", "배차", "", ""]


def test_an_empty_survey_exports_only_headers(client, db_session):
    staff = factories.staff()
    survey = factories.survey(staff, QUESTIONS)
    login(client, staff)
    assert len(read(client.get(f"/surveys/{survey.id}/export/tidy.csv"))) == 1
    assert len(read(client.get(f"/surveys/{survey.id}/export/wide.csv"))) == 1
