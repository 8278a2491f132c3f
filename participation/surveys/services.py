"""Writes of the survey channel: building a survey (staff, drafts only), its one transition function,
answering (save, resume, submit once) and loading a population frame for weighting."""

import csv
import io
import math
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from participation.core import jobs, trending
from participation.core.audit import audit
from participation.core.database import insert_once
from participation.core.errors import Conflict, Forbidden, NotFound, ValidationError
from participation.core.input import clean_text, refuse_nul_in_file
from participation.core.lifecycle import Edge, Lifecycle
from participation.core.permissions import Role, require_role, require_verified
from participation.core.seoul import AGE_BANDS, DISTRICTS
from participation.core.settings import require_participation_open
from participation.core.time import kst_today, utcnow
from participation.extensions import db
from participation.surveys import queries
from participation.surveys.models import (
    CHOICE_TYPES,
    LIKERT_MAX,
    LIKERT_MIN,
    OPTION_LABEL_MAX,
    QUESTION_TEXT_MAX,
    TEXT_ANSWER_MAX,
    TITLE_MAX,
    Answer,
    Option,
    PopulationCell,
    PopulationFrame,
    Question,
    QuestionType,
    Response,
    Survey,
    SurveySection,
    SurveyState,
)

# Jobs this channel schedules (core/jobs.py); the worker runs the functions of tasks.py named here.
jobs.register("recount:survey", "participation.surveys.tasks.recount_survey")  # after responses, at the close

# A survey's life cycle (core/lifecycle.py): draft → open → closed, by staff, or by the system at the survey's
# own opening and closing times.
LIFECYCLE = Lifecycle("survey", SurveyState, [
    Edge(SurveyState.draft, SurveyState.open, Role.staff, system=True),
    Edge(SurveyState.open, SurveyState.closed, Role.staff, system=True),
])
# The one way a survey changes state; `actor` None is the scheduler (due openings and closings).
transition = LIFECYCLE.move
MAX_OPTIONS = 50
MAX_QUESTIONS = 200
LABEL_MAX = 60
INTRO_MAX = 5000
DEFAULT_LOW_LABEL = _l("전혀 그렇지 않다")
DEFAULT_HIGH_LABEL = _l("매우 그렇다")


def recount_later(survey_id: int) -> None:
    jobs.schedule("recount:survey", survey_id)


# ---------------------------------------------------------------------------------------------------
# Who sees what


def can_see(survey: Survey, user) -> bool:
    """Drafts are for staff only."""
    return survey.state != SurveyState.draft or queries.is_staff(user)


def get_visible(survey_id: int, user) -> Survey:
    """The survey if this person may see it; to anyone else a draft does not exist (404, not 403)."""
    survey = queries.get(Survey, survey_id)
    if survey is None or not can_see(survey, user):
        raise NotFound()
    return survey


# ---------------------------------------------------------------------------------------------------
# Building a survey (staff)


def require_draft(survey: Survey) -> None:
    if survey.state != SurveyState.draft:
        raise Conflict(_l("열린 여론조사의 문항은 바꿀 수 없습니다. 사본을 만들어 고쳐 주세요."), code="survey_frozen")


def _text(value) -> str:
    """A stripped string (NUL characters never get this far: core.input refuses them)."""
    return value.strip() if isinstance(value, str) else ""


def check_survey_fields(fields: dict) -> dict:
    """Clean the survey's own fields (title, texts, target, window); raise ValidationError naming them."""
    errors: dict = {}
    clean = {"title": clean_text(fields.get("title"), "title", TITLE_MAX, errors=errors,
                                 missing=_l("제목을 적어 주세요."))}
    for name in ("intro", "thanks"):
        clean[name] = clean_text(fields.get(name), name, INTRO_MAX, required=False, errors=errors)
    district = fields.get("target_district") or None
    if district is not None and district not in DISTRICTS:
        errors["target_district"] = _l("서울의 25개 자치구 중 하나여야 합니다.")
    age_band = fields.get("target_age_band") or None
    if age_band is not None and age_band not in AGE_BANDS:
        errors["target_age_band"] = _l("알 수 없는 연령대입니다.")
    opens_at, closes_at = fields.get("opens_at"), fields.get("closes_at")
    for name, moment in (("opens_at", opens_at), ("closes_at", closes_at)):
        if moment is not None and (not isinstance(moment, datetime) or moment.tzinfo is None):
            errors[name] = _l("시간대가 있는 시각이어야 합니다.")
    if "opens_at" not in errors and "closes_at" not in errors and opens_at and closes_at and closes_at <= opens_at:
        errors["closes_at"] = _l("마감은 시작보다 뒤여야 합니다.")
    if errors:
        raise ValidationError(errors)
    clean.update(target_district=district, target_age_band=age_band, opens_at=opens_at, closes_at=closes_at)
    return clean


def create_survey(actor, fields: dict) -> Survey:
    """A new draft with one empty section."""
    require_role(actor, Role.staff)
    survey = Survey(**check_survey_fields(fields), state=SurveyState.draft, created_by_id=actor.id)
    survey.sections.append(SurveySection(position=0, title=""))
    db.session.add(survey)
    db.session.flush()
    audit(actor, "survey", survey.id, "created")
    return survey


def update_survey(actor, survey: Survey, fields: dict) -> None:
    require_role(actor, Role.staff)
    require_draft(survey)
    for name, value in check_survey_fields(fields).items():
        setattr(survey, name, value)
    db.session.flush()


def add_section(actor, survey: Survey, title: str) -> SurveySection:
    require_role(actor, Role.staff)
    require_draft(survey)
    title = clean_text(title, "title", TITLE_MAX, required=False)
    section = SurveySection(position=len(survey.sections), title=title)
    survey.sections.append(section)
    db.session.flush()
    return section


def _number(value, name: str, errors: dict) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors[name] = _l("숫자여야 합니다.")
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        errors[name] = _l("숫자여야 합니다.")
        return None
    if not math.isfinite(number) or abs(number) > 1e12:
        errors[name] = _l("숫자여야 합니다.")
        return None
    return number


def check_question(spec: dict) -> dict:
    """Clean one question's definition. `options` is a list of labels or of {label, skip_to_section}
    (a 0-based section index). Raises ValidationError keyed by the field names."""
    errors: dict = {}
    kind = spec.get("type")
    if kind not in set(QuestionType):
        raise ValidationError({"type": _l("문항 유형은 single, multiple, likert, number, text 중 하나여야 합니다.")})
    kind = QuestionType(kind)
    text = _text(spec.get("text"))
    if not text:
        errors["text"] = _l("문항 내용을 적어 주세요.")
    elif len(text) > QUESTION_TEXT_MAX:
        errors["text"] = _l("%(max)d자 이내로 적어 주세요.", max=QUESTION_TEXT_MAX)
    required = spec.get("required", True)
    clean = {"type": kind, "text": text, "required": bool(required), "options": [], "max_choices": None,
             "min_value": None, "max_value": None, "low_label": None, "high_label": None,
             "shuffle_options": bool(spec.get("shuffle_options", False))}
    if kind in CHOICE_TYPES:
        raw_options = spec.get("options") or []
        if not isinstance(raw_options, list):
            errors["options"] = _l("보기는 목록이어야 합니다.")
            raw_options = []
        labels = []
        for raw in raw_options:
            entry = raw if isinstance(raw, dict) else {"label": raw}
            label = _text(entry.get("label"))
            skip = entry.get("skip_to_section")
            if not label or len(label) > OPTION_LABEL_MAX:
                errors["options"] = _l("보기는 1자 이상 %(max)d자 이내여야 합니다.", max=OPTION_LABEL_MAX)
            elif label in labels:
                errors["options"] = _l("같은 보기가 두 번 있습니다: %(label)s", label=label)
            elif skip is not None and (kind != QuestionType.single or isinstance(skip, bool)
                                       or not isinstance(skip, int) or skip < 1):
                errors["options"] = _l("건너뛰기는 단일 선택 문항에서 뒤 섹션으로만 할 수 있습니다.")
            labels.append(label)
            clean["options"].append({"label": label, "skip_to_section": skip})
        if len(clean["options"]) > MAX_OPTIONS:
            errors["options"] = _l("보기는 %(max)d개까지입니다.", max=MAX_OPTIONS)
        if kind == QuestionType.multiple:
            max_choices = spec.get("max_choices")
            if max_choices not in (None, ""):
                try:
                    clean["max_choices"] = int(max_choices)
                except (TypeError, ValueError):
                    errors["max_choices"] = _l("정수여야 합니다.")
                else:
                    if isinstance(max_choices, bool | float) or not 1 <= clean["max_choices"] <= MAX_OPTIONS:
                        errors["max_choices"] = _l("1에서 %(max)d 사이의 정수여야 합니다.", max=MAX_OPTIONS)
    elif kind == QuestionType.number:
        clean["min_value"] = _number(spec.get("min"), "min", errors)
        clean["max_value"] = _number(spec.get("max"), "max", errors)
        if (clean["min_value"] is not None and clean["max_value"] is not None
                and clean["min_value"] > clean["max_value"]):
            errors["max"] = _l("최댓값은 최솟값보다 작을 수 없습니다.")
    elif kind == QuestionType.likert:
        for name in ("low_label", "high_label"):
            label = _text(spec.get(name))
            if len(label) > LABEL_MAX:
                errors[name] = _l("%(max)d자 이내로 적어 주세요.", max=LABEL_MAX)
            default = DEFAULT_LOW_LABEL if name == "low_label" else DEFAULT_HIGH_LABEL
            clean[name] = label or str(default)
    if errors:
        raise ValidationError(errors)
    return clean


def _renumber_questions(survey: Survey) -> None:
    """Question positions follow section order; two passes keep the unique (survey, position) intact."""
    ordered = [question for section in survey.sections for question in section.questions]
    for index, question in enumerate(ordered):
        question.position = -(index + 1)
    db.session.flush()
    for index, question in enumerate(ordered):
        question.position = index
    db.session.flush()
    db.session.expire(survey, ["questions"])


def _apply_options(question: Question, options: list[dict], sections: list[SurveySection]) -> None:
    section_index = sections.index(question.section)
    existing = list(question.options)
    for index, entry in enumerate(options):
        skip = entry["skip_to_section"]
        if skip is not None and not section_index < skip < len(sections):
            raise ValidationError({"options": _l("건너뛸 섹션은 이 문항 뒤에 있는 섹션이어야 합니다.")})
        target = sections[skip].id if skip is not None else None
        if index < len(existing):
            existing[index].label, existing[index].skip_to_section_id = entry["label"], target
        else:
            question.options.append(Option(position=index, label=entry["label"], skip_to_section_id=target))
    for option in existing[len(options):]:
        question.options.remove(option)


def add_question(actor, section: SurveySection, spec: dict) -> Question:
    require_role(actor, Role.staff)
    survey = section.survey
    require_draft(survey)
    clean = check_question(spec)
    if len(survey.questions) >= MAX_QUESTIONS:
        raise ValidationError({"text": _l("문항은 %(max)d개까지입니다.", max=MAX_QUESTIONS)})
    options = clean.pop("options")
    question = Question(survey=survey, position=len(survey.questions) + 1_000_000, **clean)
    section.questions.append(question)
    db.session.flush()
    _apply_options(question, options, survey.sections)
    _renumber_questions(survey)
    return question


def update_question(actor, question: Question, spec: dict) -> None:
    require_role(actor, Role.staff)
    require_draft(question.survey)
    clean = check_question(spec)
    options = clean.pop("options")
    for name, value in clean.items():
        setattr(question, name, value)
    _apply_options(question, options, question.survey.sections)
    db.session.flush()


def delete_question(actor, question: Question) -> None:
    require_role(actor, Role.staff)
    survey = question.survey
    require_draft(survey)
    question.section.questions.remove(question)
    db.session.flush()
    _renumber_questions(survey)


def set_skip(actor, option: Option, section: SurveySection | None) -> None:
    """Skip logic: choosing `option` jumps to `section` (None: no jump)."""
    require_role(actor, Role.staff)
    question = option.question
    require_draft(question.survey)
    if question.type != QuestionType.single:
        raise ValidationError({"skip": _l("건너뛰기는 단일 선택 문항에서 뒤 섹션으로만 할 수 있습니다.")})
    if section is not None and (section.survey_id != question.survey_id
                                or section.position <= question.section.position):
        raise ValidationError({"skip": _l("건너뛸 섹션은 이 문항 뒤에 있는 섹션이어야 합니다.")})
    option.skip_to_section_id = section.id if section else None
    db.session.flush()


def create_survey_with_questions(actor, data: dict) -> Survey:
    """The API's create: the survey, its sections (`sections`: titles; default one) and questions
    (each with `section`, a 0-based index). Errors are keyed "questions.<n>.<field>"."""
    require_role(actor, Role.staff)
    errors: dict = {}
    try:
        fields = check_survey_fields(data)
    except ValidationError as error:
        errors.update(error.fields)
    section_titles = data.get("sections") or [""]
    if (not isinstance(section_titles, list) or len(section_titles) > MAX_QUESTIONS
            or not all(isinstance(title, str) and len(title) <= TITLE_MAX for title in section_titles)):
        errors["sections"] = [str(_l("섹션 제목 목록이어야 합니다."))]
        section_titles = [""]
    specs = data.get("questions") or []
    if len(specs) > MAX_QUESTIONS:
        errors["questions"] = [str(_l("문항은 %(max)d개까지입니다.", max=MAX_QUESTIONS))]
        specs = []
    cleaned = []
    for index, spec in enumerate(specs):
        if not isinstance(spec, dict):
            errors[f"questions.{index}"] = [str(_l("객체여야 합니다."))]
            continue
        section = spec.get("section", 0)
        if isinstance(section, bool) or not isinstance(section, int) or not 0 <= section < len(section_titles):
            errors[f"questions.{index}.section"] = [str(_l("없는 섹션입니다."))]
        try:
            clean = check_question(spec)
        except ValidationError as error:
            errors.update({f"questions.{index}.{name}": messages for name, messages in error.fields.items()})
            continue
        if any(entry["skip_to_section"] is not None and not section < entry["skip_to_section"] < len(section_titles)
               for entry in clean["options"]):
            errors[f"questions.{index}.options"] = [str(_l("건너뛸 섹션은 이 문항 뒤에 있는 섹션이어야 합니다."))]
        cleaned.append((section, clean))
    if errors:
        raise ValidationError(errors)
    survey = Survey(**fields, state=SurveyState.draft, created_by_id=actor.id)
    for position, title in enumerate(section_titles):
        survey.sections.append(SurveySection(position=position, title=_text(title)))
    db.session.add(survey)
    db.session.flush()
    for index, (section, clean) in enumerate(cleaned):
        options = clean.pop("options")
        question = Question(survey=survey, position=1_000_000 + index, **clean)
        survey.sections[section].questions.append(question)
        db.session.flush()
        _apply_options(question, options, survey.sections)
    _renumber_questions(survey)
    audit(actor, "survey", survey.id, "created")
    return survey


def duplicate_survey(actor, source: Survey) -> Survey:
    """A new draft with the same texts, target, sections, questions, options and skip logic."""
    require_role(actor, Role.staff)
    copy = Survey(title=str(_l("%(title)s (사본)", title=source.title))[:TITLE_MAX], intro=source.intro,
                  thanks=source.thanks, target_district=source.target_district,
                  target_age_band=source.target_age_band, state=SurveyState.draft, created_by_id=actor.id,
                  duplicated_from_id=source.id)
    section_map = {}
    for section in source.sections:
        section_map[section.id] = SurveySection(position=section.position, title=section.title)
        copy.sections.append(section_map[section.id])
    db.session.add(copy)
    db.session.flush()
    for question in source.questions:
        new = Question(survey=copy, position=question.position, type=question.type, text=question.text,
                       required=question.required, max_choices=question.max_choices,
                       min_value=question.min_value, max_value=question.max_value,
                       low_label=question.low_label, high_label=question.high_label,
                       shuffle_options=question.shuffle_options)
        section_map[question.section_id].questions.append(new)
        for option in question.options:
            target = section_map.get(option.skip_to_section_id)
            new.options.append(Option(position=option.position, label=option.label,
                                      skip_to_section_id=target.id if target else None))
    db.session.flush()
    audit(actor, "survey", copy.id, f"duplicated_from:{source.id}")
    return copy


def definition_problems(survey: Survey) -> list[str]:
    """What stops a draft from opening."""
    questions = survey.questions
    if not questions:
        return [str(_l("문항이 하나도 없습니다."))]
    problems = []
    for number, question in enumerate(questions, start=1):
        if question.type in CHOICE_TYPES and not question.options:
            problems.append(str(_l("Q%(number)d: 보기가 없는 선택형 문항입니다.", number=number)))
        elif question.max_choices and question.max_choices > len(question.options):
            problems.append(str(_l("Q%(number)d: 최대 선택 수가 보기 수보다 많습니다.", number=number)))
    return problems


@LIFECYCLE.guard(SurveyState.open)
def _ready_to_open(survey: Survey, step) -> None:
    problems = definition_problems(survey)
    if problems:
        raise ValidationError({"questions": problems}, message=_l("이 여론조사는 아직 열 수 없습니다."))
    if survey.closes_at is not None and survey.closes_at <= step.at:
        raise ValidationError({"closes_at": _l("마감 시각이 이미 지났습니다.")},
                              message=_l("이 여론조사는 아직 열 수 없습니다."))


@LIFECYCLE.on_enter(SurveyState.open)
def _opened(survey: Survey, step) -> None:
    survey.opened_at = step.at


@LIFECYCLE.on_enter(SurveyState.closed)
def _closed(survey: Survey, step) -> None:
    survey.closed_at = step.at
    recount_later(survey.id)


# ---------------------------------------------------------------------------------------------------
# Answering (citizens)


def require_can_answer(survey: Survey, actor) -> None:
    require_participation_open()
    require_verified(actor)
    if survey.state != SurveyState.open or (survey.closes_at is not None and survey.closes_at <= utcnow()):
        raise Conflict(_l("응답을 받고 있지 않은 여론조사입니다."), code="survey_not_open")
    if survey.target_district and actor.district != survey.target_district:
        raise Forbidden(_l("%(district)s 주민을 대상으로 하는 여론조사입니다.", district=survey.target_district),
                        code="not_eligible")
    if survey.target_age_band and actor.age_band_on(kst_today()) != survey.target_age_band:
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


def parse_answer(question: Question, value) -> list[dict]:
    """The answer rows for one question's value (empty: no answer). Raises ValueError with the message."""
    if value is None or value == "" or value == []:
        return []
    if question.type in CHOICE_TYPES:
        values = value if isinstance(value, list) else [value]
        if question.type == QuestionType.single and len(values) != 1:
            raise ValueError(_l("보기 하나를 골라 주세요."))
        option_ids = {option.id for option in question.options}
        chosen = []
        for item in values:
            if isinstance(item, str) and item.strip().isdigit():
                item = int(item)
            if isinstance(item, bool) or not isinstance(item, int) or item not in option_ids:
                raise ValueError(_l("이 문항의 보기 중에서 골라 주세요."))
            if item not in chosen:
                chosen.append(item)
        if question.max_choices and len(chosen) > question.max_choices:
            raise ValueError(_l("최대 %(max)d개까지 고를 수 있습니다.", max=question.max_choices))
        return [{"option_id": option_id} for option_id in chosen]
    if question.type == QuestionType.text:
        if not isinstance(value, str):
            raise ValueError(_l("문자열이어야 합니다."))
        text = _text(value)
        if len(text) > TEXT_ANSWER_MAX:
            raise ValueError(_l("%(max)d자 이내로 적어 주세요.", max=TEXT_ANSWER_MAX))
        return [{"text_value": text}] if text else []
    if isinstance(value, bool | list | dict):
        raise ValueError(_l("숫자여야 합니다."))
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(_l("숫자여야 합니다.")) from None
    if not math.isfinite(number):
        raise ValueError(_l("숫자여야 합니다."))
    if question.type == QuestionType.likert:
        if number != int(number) or not LIKERT_MIN <= number <= LIKERT_MAX:
            raise ValueError(_l("1에서 5 사이의 정수여야 합니다."))
    elif question.min_value is not None and number < question.min_value:
        raise ValueError(_l("%(min)s 이상이어야 합니다.", min=f"{question.min_value:g}"))
    elif question.max_value is not None and number > question.max_value:
        raise ValueError(_l("%(max)s 이하여야 합니다.", max=f"{question.max_value:g}"))
    return [{"number_value": number}]


def parse_answers(questions: list[Question], raw: dict, errors: dict) -> dict[int, list[dict]]:
    """Parse the values given for these questions; problems go into `errors` keyed by question id."""
    parsed = {}
    for question in questions:
        key = str(question.id)
        if key not in raw:
            continue
        try:
            parsed[question.id] = parse_answer(question, raw[key])
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
    """The API's one-call answer: validate every answer, then store the response submitted, or nothing."""
    require_can_answer(survey, actor)
    existing = find_response(survey, actor)
    if existing is not None and existing.submitted_at is not None:
        raise Conflict(_l("이미 응답하셨습니다."), code="already_responded")
    known = {str(question.id) for question in survey.questions}
    errors: dict = {key: _l("이 여론조사의 문항이 아닙니다.") for key in raw if key not in known}
    answers = parse_answers(survey.questions, raw, errors)
    route = path(survey, answers)
    on_path = [question for section in route for question in section.questions]
    errors = {**missing_required(on_path, answers), **errors}
    if errors:
        raise ValidationError(errors)
    response = existing or _new_response(survey, actor)
    _mark_submitted(response)
    db.session.execute(delete(Answer).where(Answer.response_id == response.id))
    _replace_answers(response, {question.id: answers.get(question.id, []) for question in on_path})
    recount_later(survey.id)
    return response


# ---------------------------------------------------------------------------------------------------
# Population frames (weighting)

FRAME_COLUMNS = ("district", "age_band", "count", "source", "as_of")
FRAME_MAX_BYTES = 200_000
FRAME_MAX_COUNT = 100_000_000


def load_population_frame(actor, data: bytes, *, is_example: bool = False) -> PopulationFrame:
    """A CSV with the columns district, age_band, count, source, as_of (one source and date for the file)."""
    require_role(actor, Role.staff)
    if len(data) > FRAME_MAX_BYTES:
        raise ValidationError({"file": _l("파일이 너무 큽니다.")})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": _l("UTF-8 CSV 파일이어야 합니다.")}) from None
    refuse_nul_in_file(text, "file")
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != FRAME_COLUMNS:
        raise ValidationError({"file": _l("첫 줄은 %(columns)s 이어야 합니다.", columns=",".join(FRAME_COLUMNS))})
    problems, cells, sources, dates = [], {}, set(), set()
    for line, row in enumerate(reader, start=2):
        district, band = (row.get("district") or "").strip(), (row.get("age_band") or "").strip()
        try:
            count = int((row.get("count") or "").strip())
            as_of = date.fromisoformat((row.get("as_of") or "").strip())
        except ValueError:
            problems.append(str(_l("%(line)d번째 줄: 인원은 정수, 기준일은 YYYY-MM-DD여야 합니다.", line=line)))
            continue
        if district not in DISTRICTS or band not in AGE_BANDS or not 0 <= count <= FRAME_MAX_COUNT:
            problems.append(str(_l("%(line)d번째 줄: 자치구·연령대·인원을 확인해 주세요.", line=line)))
        elif (district, band) in cells:
            problems.append(str(_l("%(line)d번째 줄: 같은 자치구·연령대가 두 번 있습니다.", line=line)))
        cells[(district, band)] = count
        sources.add(_text(row.get("source")))
        dates.add(as_of)
    if not cells and not problems:
        problems.append(str(_l("자료 줄이 없습니다.")))
    if len(sources) > 1 or "" in sources or len(dates) > 1:
        problems.append(str(_l("출처와 기준일은 모든 줄에서 같아야 하고 비어 있으면 안 됩니다.")))
    if problems:
        raise ValidationError({"file": problems[:20]})
    source = sources.pop()
    if len(source) > 300:
        raise ValidationError({"file": _l("출처는 300자 이내여야 합니다.")})
    frame = PopulationFrame(source=source, as_of=dates.pop(), is_example=is_example, uploaded_by_id=actor.id)
    frame.cells = [PopulationCell(district=d, age_band=b, count=c) for (d, b), c in cells.items()]
    db.session.add(frame)
    db.session.flush()
    audit(actor, "survey_population_frame", frame.id, "loaded", source)
    return frame
