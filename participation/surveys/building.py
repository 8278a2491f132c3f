"""Building a survey (staff, drafts only): the survey's own fields, its sections, its questions (each checked by
its type, questions.KINDS), their options and skip logic, copies, and what stops a draft from opening. The API's
create is made of the same steps as the pages'. Flush, never commit."""

from datetime import datetime

from flask_babel import lazy_gettext as _l

from participation.accounts import identity
from participation.core.audit import audit
from participation.core.errors import Conflict, ValidationError
from participation.core.input import clean_text
from participation.core.permissions import Role, require_role
from participation.core.seoul import AGE_BANDS, DISTRICTS
from participation.extensions import db
from participation.surveys.models import (
    QUESTION_TEXT_MAX,
    TITLE_MAX,
    Option,
    Question,
    QuestionType,
    Survey,
    SurveySection,
    SurveyState,
)
from participation.surveys.questions import KINDS

MAX_QUESTIONS = 200
INTRO_MAX = 5000


def require_draft(survey: Survey) -> None:
    if survey.state != SurveyState.draft:
        raise Conflict(_l("열린 여론조사의 문항은 바꿀 수 없습니다. 사본을 만들어 고쳐 주세요."), code="survey_frozen")


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
    verification = fields.get("verification") or identity.EMAIL
    if verification not in identity.LEVELS:
        errors["verification"] = _l("email 또는 identity 중 하나여야 합니다.")
    if errors:
        raise ValidationError(errors)
    clean.update(target_district=district, target_age_band=age_band, opens_at=opens_at, closes_at=closes_at,
                 verification=verification)
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


def check_question(spec: dict) -> dict:
    """Clean one question's definition: the fields every question has, then its type's own (questions.KINDS).
    `options` is a list of labels or of {label, skip_to_section} (a 0-based section index). Raises
    ValidationError keyed by the field names."""
    errors: dict = {}
    if spec.get("type") not in set(QuestionType):
        raise ValidationError({"type": _l("문항 유형은 single, multiple, likert, number, text 중 하나여야 합니다.")})
    kind = QuestionType(spec["type"])
    clean = {"type": kind, "required": bool(spec.get("required", True)), "options": [], "max_choices": None,
             "min_value": None, "max_value": None, "low_label": None, "high_label": None,
             "shuffle_options": bool(spec.get("shuffle_options", False)),
             "text": clean_text(spec.get("text"), "text", QUESTION_TEXT_MAX, errors=errors,
                                missing=_l("문항 내용을 적어 주세요."))}
    KINDS[kind].clean(spec, clean, errors)
    if errors:
        raise ValidationError(errors)
    return clean


def renumber_questions(survey: Survey) -> None:
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


def add_question(actor, section: SurveySection, spec: dict, *, renumber: bool = True) -> Question:
    """A question at the end of a section. `renumber=False` leaves the survey's numbering to the caller, who
    adds many at once and renumbers once."""
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
    if renumber:
        renumber_questions(survey)
    else:
        db.session.expire(survey, ["questions"])  # the next question counts this one
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
    renumber_questions(survey)


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
    """The API's create, made of the pages' steps (create_survey, add_section, add_question): the survey, its
    sections (`sections`: titles; default one) and questions (each with `section`, a 0-based index). Everything
    is checked first, so that one 422 names every bad field ("questions.<n>.<field>") and nothing is written."""
    require_role(actor, Role.staff)
    errors: dict = {}
    try:
        check_survey_fields(data)
    except ValidationError as error:
        errors.update(error.fields)
    titles = data.get("sections") or [""]
    if (not isinstance(titles, list) or len(titles) > MAX_QUESTIONS
            or not all(isinstance(title, str) and len(title) <= TITLE_MAX for title in titles)):
        errors["sections"] = [str(_l("섹션 제목 목록이어야 합니다."))]
        titles = [""]
    specs = data.get("questions") or []
    if len(specs) > MAX_QUESTIONS:
        errors["questions"] = [str(_l("문항은 %(max)d개까지입니다.", max=MAX_QUESTIONS))]
        specs = []
    for index, spec in enumerate(specs):
        errors.update({f"questions.{index}.{name}" if name else f"questions.{index}": messages
                       for name, messages in _question_problems(spec, len(titles)).items()})
    if errors:
        raise ValidationError(errors)
    survey = create_survey(actor, data)
    survey.sections[0].title = clean_text(titles[0], "sections", TITLE_MAX, required=False)
    for title in titles[1:]:
        add_section(actor, survey, title)
    for spec in specs:
        add_question(actor, survey.sections[spec.get("section", 0)], spec, renumber=False)
    renumber_questions(survey)
    return survey


def _question_problems(spec, sections: int) -> dict:
    """The problems of one question of the API's create, by field ("" for the question as a whole)."""
    if not isinstance(spec, dict):
        return {"": [str(_l("객체여야 합니다."))]}
    problems = {}
    section = spec.get("section", 0)
    if isinstance(section, bool) or not isinstance(section, int) or not 0 <= section < sections:
        problems["section"] = [str(_l("없는 섹션입니다."))]
    try:
        clean = check_question(spec)
    except ValidationError as error:
        return {**problems, **error.fields}
    if "section" not in problems and any(
            entry["skip_to_section"] is not None and not section < entry["skip_to_section"] < sections
            for entry in clean["options"]):
        problems["options"] = [str(_l("건너뛸 섹션은 이 문항 뒤에 있는 섹션이어야 합니다."))]
    return problems


def duplicate_survey(actor, source: Survey) -> Survey:
    """A new draft with the same texts, target, sections, questions, options and skip logic."""
    require_role(actor, Role.staff)
    copy = Survey(title=str(_l("%(title)s (사본)", title=source.title))[:TITLE_MAX], intro=source.intro,
                  thanks=source.thanks, target_district=source.target_district,
                  target_age_band=source.target_age_band, verification=source.verification,
                  state=SurveyState.draft, created_by_id=actor.id,
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
    problems = (KINDS[question.type].definition_problem(question, number)
                for number, question in enumerate(questions, start=1))
    return [str(problem) for problem in problems if problem is not None]
