"""Aggregates against hand-computed values, small-cell suppression, post-stratification on a small known
example (labelled as an example frame), and the arithmetic on its own."""

import pytest

from participation.core.seoul import age_band
from participation.core.time import kst_today
from participation.surveys import answering, queries, statistics
from tests import factories

QUESTIONS = [
    {"type": "single", "text": "주로 이용하는 교통수단은?", "options": ["지하철", "버스"]},
    {"type": "likert", "text": "대중교통에 만족하십니까?"},
    {"type": "number", "text": "하루 통근 시간(분)?", "min": 0, "max": 300, "required": False},
    {"type": "multiple", "text": "불편한 점", "options": ["혼잡", "배차", "요금"], "required": False},
]


def answer(survey, district, birth_year, choice, likert, minutes=None, multiple=()):
    single, scale, number, several = survey.questions
    values = {str(single.id): single.options[choice].id, str(scale.id): likert,
              str(several.id): [several.options[i].id for i in multiple]}
    if minutes is not None:
        values[str(number.id)] = minutes
    answering.answer_survey(survey, factories.UserFactory(district=district, birth_year=birth_year), values)


def test_aggregates_and_weights_match_the_hand_computation(db_session):
    survey = factories.survey(questions=QUESTIONS)
    # Cell X (마포구, born 1999): 6 people; cell Y (강남구, born 1960): 2; one in 종로구, outside the frame.
    for choice, likert, minutes in ((0, 5, 10), (0, 5, 20), (0, 4, 30), (0, 4, 40), (1, 3, None), (1, 1, None)):
        answer(survey, "마포구", 1999, choice, likert, minutes, multiple=(0, 1))
    answer(survey, "강남구", 1960, 1, 2)
    answer(survey, "강남구", 1960, 1, 2)
    answer(survey, "종로구", 1985, 0, 3, multiple=(2,))
    x, y = ("마포구", age_band(1999, kst_today())), ("강남구", age_band(1960, kst_today()))
    factories.population_frame({x: 100, y: 300})

    results = queries.compute_results(survey)
    single, likert, number, multiple = results["questions"]
    assert results["responses"] == 9
    assert results["margin_of_error"] == 0.3267  # 1.96 · √(0.25 / 9)
    assert [(o["label"], o["count"], o["share"]) for o in single["options"]] == [
        ("지하철", 5, 0.5556), ("버스", 4, 0.4444)]
    # Weights: X (1/4) / (6/8) = 1/3, Y (3/4) / (2/8) = 3; weighted base 6·1/3 + 2·3 = 8.
    assert [o["weighted_share"] for o in single["options"]] == [0.1667, 0.8333]
    assert (likert["n"], likert["mean"], likert["median"]) == (9, 3.2222, 3.0)
    assert [d["count"] for d in likert["distribution"]] == [1, 2, 2, 2, 2]
    assert likert["weighted_mean"] == 2.4167  # (22 · 1/3 + 4 · 3) / 8
    assert (number["n"], number["mean"], number["median"]) == (4, 25.0, 25.0)
    assert [(o["count"], o["share"]) for o in multiple["options"]] == [(6, 0.8571), (6, 0.8571), (1, 0.1429)]
    weighting = results["weighting"]
    assert (weighting["weighted_respondents"], weighting["excluded"], weighting["is_example"]) == (8, 1, True)
    assert weighting["design_effect"] == 2.3333  # 8 · (6/9 + 18) / 8²
    assert weighting["effective_n"] == 3.4
    assert weighting["margin_of_error"] == 0.5293  # 1.96 · √(2.3333 · 0.25 / 8)
    assert weighting["source"] == "예시 인구 자료 (시험용)"


def test_weighting_stays_off_without_a_frame(db_session):
    survey = factories.survey(questions=QUESTIONS)
    answer(survey, "마포구", 1999, 0, 5)
    results = queries.compute_results(survey)
    assert results["weighting"] is None
    assert results["questions"][0]["options"][0]["weighted_share"] is None
    assert results["questions"][1]["weighted_mean"] is None


def test_cross_tabs_suppress_cells_under_ten_and_what_would_give_them_away(db_session):
    survey = factories.survey(questions=QUESTIONS)
    for district, born, choices in (("마포구", 1990, (0,) * 10 + (1,) * 2), ("중구", 1960, (0,) * 10 + (1,) * 12),
                                    ("강남구", 1990, (1,) * 9), ("서초구", 1960, (0,) * 5)):
        for choice in choices:
            answer(survey, district, born, choice, 4 if choice == 0 else 2)
    single, likert, _number, _multiple = queries.compute_results(survey)["questions"]
    # 강남구 (9) and 서초구 (5) are under ten: hidden, together 14. 마포구's 2 for the second option is hidden, and
    # so is its 10 beside it (the group's 12 would give the 2 away); 중구's cells are ten or more, and the hidden
    # cells of each option hold ten or more (2 + 9; 10 + 5).
    assert single["by_district"] == [{"group": "중구", "n": 22, "counts": [10, 12]},
                                     {"group": "마포구", "n": 12, "counts": [None, None]},
                                     {"group": "서초구", "n": None, "counts": [None, None]},
                                     {"group": "강남구", "n": None, "counts": [None, None]}]
    assert likert["by_district"] == [{"group": "중구", "n": 22, "mean": 2.9091},
                                     {"group": "마포구", "n": 12, "mean": 3.6667},
                                     {"group": "서초구", "n": None, "mean": None},
                                     {"group": "강남구", "n": None, "mean": None}]
    # Age bands: 30-39 has 21 and 60-69 has 27, every other band none. Showing both would show that the other
    # bands are empty (48 - 21 - 27), so the smaller one is hidden with them.
    assert [(row["group"], row["n"], row["counts"]) for row in single["by_age_band"]] == [
        ("30-39", None, [None, None]), ("60-69", 27, [15, 12])]


def test_the_recount_job_stores_results_with_their_time(db_session):
    from participation.surveys.tasks import recount_survey

    survey = factories.survey(questions=QUESTIONS)
    answer(survey, "마포구", 1999, 0, 5)
    recount_survey(survey.id)
    recount_survey(survey.id)  # idempotent
    db_session.expire_all()
    assert survey.response_count == 1 and survey.results_as_of is not None
    assert survey.results["questions"][0]["options"][0]["count"] == 1


@pytest.mark.parametrize(("counts", "median"), [({1: 1, 2: 1, 3: 1}, 2), ({1: 2, 5: 2}, 3.0), ({4: 1}, 4), ({}, None)])
def test_median_from_counts(counts, median):
    assert statistics.median_from_counts(counts) == median


def test_weights_and_design_effect_on_a_known_example():
    sample = {("마포구", "20-29"): 6, ("강남구", "60-69"): 2, ("종로구", "30-39"): 1}
    population = {("마포구", "20-29"): 100, ("강남구", "60-69"): 300, ("중구", "40-49"): 50}
    weights = statistics.post_stratification_weights(sample, population)
    assert weights == pytest.approx({("마포구", "20-29"): 1 / 3, ("강남구", "60-69"): 3.0})
    assert statistics.kish_design_effect(sample, weights) == pytest.approx(7 / 3)
    assert statistics.margin_of_error(100) == pytest.approx(0.098)
    assert statistics.margin_of_error(0) is None
    equal = statistics.post_stratification_weights({("a", "b"): 5, ("c", "d"): 5}, {("a", "b"): 1, ("c", "d"): 1})
    assert statistics.kish_design_effect({("a", "b"): 5, ("c", "d"): 5}, equal) == pytest.approx(1.0)
