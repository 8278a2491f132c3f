"""Reads of the survey channel: lists, visibility, the aggregates the recount job stores, the text answers,
the streamed exports, and the feeds of the home page and the indicators."""

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from participation.core.pagination import Page, paginate
from participation.core.permissions import Role
from participation.core.seoul import AGE_BANDS, DISTRICTS
from participation.core.time import to_kst
from participation.extensions import db
from participation.surveys import statistics
from participation.surveys.models import (
    CHOICE_TYPES,
    Answer,
    PopulationFrame,
    Question,
    QuestionType,
    Response,
    Survey,
    SurveyState,
)
from participation.surveys.questions import KINDS, Figures, rounded

PUBLIC_STATES = (SurveyState.open, SurveyState.closed)
EXPORT_BATCH = 2000


def is_staff(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.has_role(Role.staff)


def get(model, item_id: int | None):
    """A row by id; ids beyond what an integer column holds do not exist (rather than a database error)."""
    return db.session.get(model, item_id) if item_id and 0 < item_id < 2**31 else None


def results_visible(survey: Survey, user) -> bool:
    """Staff read results at any time; citizens once the survey has closed (published results)."""
    return is_staff(user) or survey.state == SurveyState.closed


def scale_ends(survey: Survey) -> dict[int, tuple[str, str]]:
    """Each 5-point question's end labels (1 = ..., 5 = ...), by question id."""
    return {question.id: (question.low_label or "", question.high_label or "") for question in db.session.scalars(
        select(Question).where(Question.survey_id == survey.id, Question.type == QuestionType.likert))}


def list_statement(user, status: str | None = None, keyword: str | None = None) -> Select:
    statement = select(Survey).order_by(Survey.id.desc())
    if not is_staff(user):
        statement = statement.where(Survey.state.in_(PUBLIC_STATES))
    if status:
        statement = statement.where(Survey.state == status)
    if keyword:
        statement = statement.where(Survey.title.contains(keyword.strip(), autoescape=True))
    return statement


def count_opened(start: datetime, end: datetime) -> int:
    """Surveys opened in [start, end) (indicator 3.1.e, 온라인 여론조사 건수)."""
    return db.session.scalar(select(func.count()).select_from(Survey).where(
        Survey.opened_at >= start, Survey.opened_at < end)) or 0


def home_items(limit: int) -> list[tuple[str, str, str]]:
    surveys = db.session.scalars(select(Survey).where(Survey.state == SurveyState.open)
                                 .order_by(Survey.opened_at.desc(), Survey.id.desc()).limit(limit))
    items = []
    for survey in surveys:
        if survey.closes_at:
            detail = str(_l("%(date)s 마감", date=to_kst(survey.closes_at).strftime("%Y-%m-%d")))
        else:
            detail = str(_l("응답 %(count)d명", count=survey.response_count))
        items.append((survey.title, url_for("surveys.detail", survey_id=survey.id), detail))
    return items


def newest_frame() -> PopulationFrame | None:
    return db.session.scalar(select(PopulationFrame).order_by(PopulationFrame.id.desc()).limit(1))


def staff_draft_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Survey).where(Survey.state == SurveyState.draft)) or 0


# ---------------------------------------------------------------------------------------------------
# Aggregates (computed by the recount job, stored on the survey)


def compute_results(survey: Survey) -> dict:
    """Every question's aggregates from the submitted responses: counts and shares, mean / median /
    distribution, cross-tabs by district and age band (suppressed as core.seoul says) and, when a
    population frame is loaded, post-stratified figures with the design effect and margin of error."""
    submitted = (Response.survey_id == survey.id, Response.submitted_at.is_not(None))
    cell_columns = (Response.district, Response.age_band)
    sample = {(d, a): n for d, a, n in db.session.execute(
        select(*cell_columns, func.count()).where(*submitted).group_by(*cell_columns))}
    responses = sum(sample.values())

    answered: dict[int, dict[tuple, int]] = defaultdict(dict)
    for question_id, district, band, n in db.session.execute(
            select(Answer.question_id, *cell_columns, func.count(func.distinct(Answer.response_id)))
            .join(Response, Response.id == Answer.response_id).where(*submitted)
            .group_by(Answer.question_id, *cell_columns)):
        answered[question_id][(district, band)] = n
    chosen: dict[int, dict[tuple, int]] = defaultdict(dict)
    for option_id, district, band, n in db.session.execute(
            select(Answer.option_id, *cell_columns, func.count()).join(Response, Response.id == Answer.response_id)
            .where(*submitted, Answer.option_id.is_not(None)).group_by(Answer.option_id, *cell_columns)):
        chosen[option_id][(district, band)] = n
    numbers: dict[int, dict[float, dict[tuple, int]]] = defaultdict(lambda: defaultdict(dict))
    for question_id, value, district, band, n in db.session.execute(
            select(Answer.question_id, Answer.number_value, *cell_columns, func.count())
            .join(Response, Response.id == Answer.response_id)
            .where(*submitted, Answer.number_value.is_not(None))
            .group_by(Answer.question_id, Answer.number_value, *cell_columns)):
        numbers[question_id][value][(district, band)] = n

    weights, weighting = {}, None
    frame = newest_frame()
    if frame is not None:
        population = {(cell.district, cell.age_band): cell.count for cell in frame.cells}
        weights = statistics.post_stratification_weights(sample, population)
        covered = sum(sample[cell] for cell in weights)
        deff = statistics.kish_design_effect(sample, weights)
        weighting = {
            "frame_id": frame.id, "source": frame.source, "as_of": frame.as_of.isoformat(),
            "is_example": frame.is_example, "weighted_respondents": covered, "excluded": responses - covered,
            "design_effect": rounded(deff), "effective_n": rounded(covered / deff, 1) if deff else None,
            "margin_of_error": rounded(statistics.margin_of_error(covered, deff or 1.0)),
            "cells": {f"{d}|{a}": rounded(w) for (d, a), w in sorted(weights.items())},
        }

    figures = Figures(answered=answered, chosen=chosen, numbers=numbers, weights=weights)
    groups = {"by_district": (0, DISTRICTS), "by_age_band": (1, AGE_BANDS)}
    questions = []
    for number, question in enumerate(survey.questions, start=1):
        n = sum(answered.get(question.id, {}).values())
        entry = {"id": question.id, "number": number, "type": str(question.type), "text": question.text, "n": n}
        KINDS[question.type].summarise(question, entry, figures, groups)
        questions.append(entry)
    return {"responses": responses, "margin_of_error": rounded(statistics.margin_of_error(responses)),
            "weighting": weighting, "questions": questions}


def api_results(survey: Survey) -> dict:
    """The API's shape of the stored results (API.md)."""
    stored = survey.results or {"responses": 0, "questions": []}
    by_id = {entry["id"]: entry for entry in stored["questions"]}
    questions = []
    for question in survey.questions:
        entry = by_id.get(question.id, {})
        item = {"id": question.id, "type": str(question.type), "n": entry.get("n", 0)}
        if question.type in CHOICE_TYPES:
            counted = {option["id"]: option for option in entry.get("options", [])}
            item["options"] = [{"id": option.id, "label": option.label,
                                "count": counted.get(option.id, {}).get("count", 0),
                                "share": counted.get(option.id, {}).get("share")} for option in question.options]
        elif question.type in (QuestionType.likert, QuestionType.number):
            item.update(mean=entry.get("mean"), median=entry.get("median"),
                        distribution=entry.get("distribution", []))
        questions.append(item)
    return {"survey_id": survey.id, "status": str(survey.state), "responses": stored["responses"],
            "as_of": survey.results_as_of, "questions": questions}


def text_answers(survey: Survey, question_id: int | None, keyword: str | None, page: int, per_page: int) -> Page:
    """The text answers of a survey's submitted responses, newest first, searchable (staff only)."""
    statement = (select(Answer.id, Answer.question_id, Answer.text_value, Response.district, Response.age_band)
                 .join(Response, Response.id == Answer.response_id)
                 .where(Response.survey_id == survey.id, Response.submitted_at.is_not(None),
                        Answer.text_value.is_not(None)).order_by(Answer.id.desc()))
    if question_id and 0 < question_id < 2**31:
        statement = statement.where(Answer.question_id == question_id)
    if keyword:
        statement = statement.where(Answer.text_value.contains(keyword.strip(), autoescape=True))
    return paginate(statement, page, per_page, scalars=False)


# ---------------------------------------------------------------------------------------------------
# Exports: a header and rows for core.csv (CSV or XLSX), read in batches while the download streams


TIDY_HEADER = ["response_id", "submitted_at", "district", "age_band", "question_number", "question_id",
               "question_type", "question", "option_id", "answer"]


def _format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _answer_rows(survey_id: int) -> Iterator:
    """Every submitted response with its answers, one row per answer (or one empty row), in response order;
    fetched in batches (a server-side cursor on PostgreSQL), never all at once."""
    statement = (select(Response.id, Response.submitted_at, Response.district, Response.age_band,
                        Answer.question_id, Answer.option_id, Answer.number_value, Answer.text_value)
                 .outerjoin(Answer, Answer.response_id == Response.id)
                 .where(Response.survey_id == survey_id, Response.submitted_at.is_not(None))
                 .order_by(Response.id, Answer.id).execution_options(yield_per=EXPORT_BATCH))
    yield from db.session.execute(statement)


def _value(row, labels: dict[int, str]) -> str:
    if row.option_id is not None:
        return labels.get(row.option_id, "")
    if row.number_value is not None:
        return _format_number(row.number_value)
    return row.text_value or ""


def _kst_iso(moment: datetime) -> str:
    return to_kst(moment).isoformat(timespec="seconds")


def _definition(survey: Survey) -> tuple[list[dict], dict[int, str]]:
    """The questions and option labels as plain data, read before streaming starts (the response body is
    written after the view has returned, when the survey object may no longer be loaded)."""
    questions = [{"id": q.id, "number": number, "type": str(q.type), "text": q.text}
                 for number, q in enumerate(survey.questions, start=1)]
    labels = {option.id: option.label for question in survey.questions for option in question.options}
    return questions, labels


def export_tidy(survey: Survey) -> tuple[list[str], Iterator[list]]:
    """One row per answer (a multiple choice gives a row per chosen option)."""
    questions, labels = _definition(survey)
    by_id = {question["id"]: question for question in questions}
    survey_id = survey.id

    def rows() -> Iterator[list]:
        response_id, submitted = None, ""
        for row in _answer_rows(survey_id):
            if row.question_id is None:
                continue
            if row.id != response_id:
                response_id, submitted = row.id, _kst_iso(row.submitted_at)
            question = by_id[row.question_id]
            yield [row.id, submitted, row.district or "", row.age_band or "", f"Q{question['number']}",
                   row.question_id, question["type"], question["text"], row.option_id or "", _value(row, labels)]

    return TIDY_HEADER, rows()


def export_wide(survey: Survey) -> tuple[list[str], Iterator[list]]:
    """One row per response, a column per question (chosen options joined with "; ")."""
    questions, labels = _definition(survey)
    order = [question["id"] for question in questions]
    survey_id = survey.id
    header = ["response_id", "submitted_at", "district", "age_band",
              *(f"Q{question['number']}. {question['text']}" for question in questions)]

    def rows() -> Iterator[list]:
        current, values = None, {}

        def line(head) -> list:
            return [head.id, _kst_iso(head.submitted_at), head.district or "", head.age_band or "",
                    *("; ".join(values.get(question_id, [])) for question_id in order)]

        for row in _answer_rows(survey_id):
            if current is not None and row.id != current.id:
                yield line(current)
                values = {}
            current = row
            if row.question_id is not None:
                values.setdefault(row.question_id, []).append(_value(row, labels))
        if current is not None:
            yield line(current)

    return header, rows()
