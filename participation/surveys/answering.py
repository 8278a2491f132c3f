"""Answering a survey (citizens): one response per person, saved page by page and resumed, submitted once; the
respondent's path follows the skip logic. The API's one-call answer is made of the same steps. Flush, never
commit."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from participation.accounts import identity, profile
from participation.core import trending
from participation.core.database import insert_once
from participation.core.errors import Conflict, Forbidden, ValidationError
from participation.core.permissions import require_verified
from participation.core.seoul import age_band
from participation.core.settings import require_participation_open
from participation.core.time import kst_today, utcnow
from participation.extensions import db
from participation.surveys.models import Answer, Question, QuestionType, Response, Survey, SurveySection, SurveyState
from participation.surveys.questions import KINDS
from participation.surveys.services import recount_later


def require_can_answer(survey: Survey, actor) -> None:
    require_participation_open()
    require_verified(actor)
    if survey.state != SurveyState.open or (survey.closes_at is not None and survey.closes_at <= utcnow()):
        raise Conflict(_l("응답을 받고 있지 않은 여론조사입니다."), code="survey_not_open")
    identity.require_level(actor, survey.verification)
    if not (survey.target_district or survey.target_age_band):
        return
    # The district and birth year in force when the survey opened (accounts/profile.py), not the current ones.
    district, birth_year = profile.values_on(actor, survey.opened_at)
    if survey.target_district and district != survey.target_district:
        raise Forbidden(_l("%(district)s 주민을 대상으로 하는 여론조사입니다.", district=survey.target_district),
                        code="not_eligible")
    if survey.target_age_band and age_band(birth_year, kst_today()) != survey.target_age_band:
        raise Forbidden(_l("대상 연령대가 아닙니다."), code="not_eligible")


def find_response(survey: Survey, user) -> Response | None:
    return db.session.scalar(select(Response).where(Response.survey_id == survey.id, Response.user_id == user.id))


def _new_response(survey: Survey, actor) -> Response:
    """Insert the person's response row, or find the one that is already there (one per person)."""
    response = insert_once(Response, ("survey_id", "user_id"), survey_id=survey.id, user_id=actor.id,
                           district=actor.district, age_band=actor.age_band_on(kst_today()))
    if response is None:
        return find_response(survey, actor)
    trending.participated("surveys", survey.id)
    return response


def start_response(survey: Survey, actor) -> Response:
    """The person's draft (a resumed draft is the same row); a submitted response is a 409."""
    require_can_answer(survey, actor)
    response = find_response(survey, actor) or _new_response(survey, actor)
    if response.submitted_at is not None:
        raise Conflict(_l("이미 응답하셨습니다."), code="already_responded")
    return response


def parse_answers(questions: list[Question], raw: dict, errors: dict) -> dict[int, list[dict]]:
    """Parse the values given for these questions, each by its type (questions.KINDS); problems go into
    `errors` keyed by question id."""
    parsed = {}
    for question in questions:
        key = str(question.id)
        if key not in raw:
            continue
        try:
            parsed[question.id] = KINDS[question.type].parse(question, raw[key])
        except ValueError as error:
            errors[key] = error.args[0]
    return parsed


def path(survey: Survey, answers: dict[int, list[dict]]) -> list[SurveySection]:
    """The sections a respondent goes through, following the skip logic of their single-choice answers."""
    sections = survey.sections
    visited, index = [], 0
    while index < len(sections):
        section = sections[index]
        visited.append(section)
        index += 1
        for question in section.questions:
            rows = answers.get(question.id) or []
            if question.type != QuestionType.single or not rows:
                continue
            option = next((o for o in question.options if o.id == rows[0].get("option_id")), None)
            if option is not None and option.skip_to_section_id:
                target = next((i for i, s in enumerate(sections) if s.id == option.skip_to_section_id), None)
                if target is not None and target > sections.index(section):
                    index = target
                    break
    return visited


def missing_required(questions, answers: dict[int, list[dict]]) -> dict:
    return {str(q.id): _l("답해야 하는 문항입니다.") for q in questions if q.required and not answers.get(q.id)}


def stored_answers(response: Response) -> dict[int, list[dict]]:
    answers: dict[int, list[dict]] = {}
    for answer in db.session.scalars(select(Answer).where(Answer.response_id == response.id).order_by(Answer.id)):
        answers.setdefault(answer.question_id, []).append(
            {"option_id": answer.option_id, "number_value": answer.number_value, "text_value": answer.text_value})
    return answers


def _replace_answers(response: Response, answers: dict[int, list[dict]]) -> None:
    if answers:
        db.session.execute(delete(Answer).where(Answer.response_id == response.id,
                                                Answer.question_id.in_(list(answers))))
    for question_id, rows in answers.items():
        for row in rows:
            db.session.add(Answer(response_id=response.id, question_id=question_id, **row))
    response.updated_at = utcnow()
    db.session.flush()


def save_section(response: Response, section: SurveySection, raw: dict, *, complete: bool) -> int | None:
    """Store one page of answers (nothing if any is invalid). `complete` also demands the required ones.
    Returns the index of the next section on the respondent's path, or None after the last one."""
    survey = section.survey
    errors: dict = {}
    answers = parse_answers(section.questions, raw, errors)
    for question in section.questions:
        answers.setdefault(question.id, [])
    if complete:
        errors = {**missing_required(section.questions, answers), **errors}
    if errors:
        raise ValidationError(errors)
    _replace_answers(response, answers)
    route = path(survey, stored_answers(response))
    here = route.index(section) if section in route else None
    next_index = (survey.sections.index(route[here + 1]) if here is not None and here + 1 < len(route) else None)
    response.resume_position = survey.sections.index(section) if not complete else (
        next_index if next_index is not None else survey.sections.index(section))
    db.session.flush()
    return next_index


def _mark_submitted(response: Response) -> None:
    """Only one submission wins, however many arrive at once: the row's own update decides."""
    now = utcnow()
    result = db.session.execute(
        update(Response).where(Response.id == response.id, Response.submitted_at.is_(None))
        .values(submitted_at=now, updated_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict(_l("이미 응답하셨습니다."), code="already_responded")
    db.session.expire(response, ["submitted_at", "updated_at"])


def submit_response(response: Response, actor) -> None:
    """Submit a draft: every required question on the respondent's path answered; off-path answers dropped."""
    survey = db.session.get(Survey, response.survey_id)
    require_can_answer(survey, actor)
    answers = stored_answers(response)
    route = path(survey, answers)
    on_path = [question for section in route for question in section.questions]
    missing = missing_required(on_path, answers)
    if missing:
        raise ValidationError(missing)
    _mark_submitted(response)
    off_path = [question.id for question in survey.questions if question not in on_path]
    if off_path:
        db.session.execute(delete(Answer).where(Answer.response_id == response.id, Answer.question_id.in_(off_path)))
    recount_later(survey.id)


def answer_survey(survey: Survey, actor, raw: dict) -> Response:
    """The API's one-call answer, made of the pages' steps: start (or resume) the response, save every section,
    submit. Every answer is checked first, so that one 422 names every bad question and nothing is stored."""
    require_can_answer(survey, actor)
    existing = find_response(survey, actor)
    if existing is not None and existing.submitted_at is not None:
        raise Conflict(_l("이미 응답하셨습니다."), code="already_responded")
    known = {str(question.id) for question in survey.questions}
    errors: dict = {key: _l("이 여론조사의 문항이 아닙니다.") for key in raw if key not in known}
    answers = parse_answers(survey.questions, raw, errors)
    on_path = [question for section in path(survey, answers) for question in section.questions]
    errors = {**missing_required(on_path, answers), **errors}
    if errors:
        raise ValidationError(errors)
    response = start_response(survey, actor)
    for section in survey.sections:
        save_section(response, section, raw, complete=False)
    submit_response(response, actor)
    return response
