"""Surveys in the API: list, create with questions (staff), read, answer once, transitions, results."""

import marshmallow as ma
from flask_babel import lazy_gettext as _l

from participation.api import ApiBlueprint
from participation.api.auth import current_api_user, token_optional, token_required
from participation.api.pagination import PageArgs, page_schema
from participation.api.schemas import BaseSchema
from participation.core.errors import Forbidden
from participation.core.limits import participation_limit
from participation.core.pagination import paginate
from participation.extensions import db
from participation.surveys import answering, building, queries, services
from participation.surveys.models import QuestionType, SurveyState

bp = ApiBlueprint("surveys_api", __name__, description="Online surveys (온라인 여론조사)")


class SurveyCreateSchema(BaseSchema):
    title = ma.fields.String(required=True, metadata={"example": "서울 대중교통 만족도 조사"})
    intro = ma.fields.String(load_default="")
    thanks = ma.fields.String(load_default="")
    target_district = ma.fields.String(allow_none=True, load_default=None)
    target_age_band = ma.fields.String(allow_none=True, load_default=None)
    verification = ma.fields.String(load_default="email", metadata={
        "enum": ["email", "identity"], "description": "what answering requires (identity: 본인인증)"})
    opens_at = ma.fields.AwareDateTime(allow_none=True, load_default=None)
    closes_at = ma.fields.AwareDateTime(allow_none=True, load_default=None)
    sections = ma.fields.List(ma.fields.String(), metadata={"description": "section titles (default: one)"})
    questions = ma.fields.List(ma.fields.Raw(), required=True, metadata={
        "description": "each {type: single|multiple|likert|number|text, text, options: [label or "
                       "{label, skip_to_section}], max_choices, required, min, max, low_label, high_label, "
                       "shuffle_options, section (0-based index)}"})


class SurveyOptionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    label = ma.fields.String(required=True)
    skip_to_section = ma.fields.Integer(allow_none=True)


class SurveyQuestionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    number = ma.fields.Integer(required=True)
    section = ma.fields.Integer(required=True)
    type = ma.fields.String(required=True, metadata={"enum": [kind.value for kind in QuestionType]})
    text = ma.fields.String(required=True)
    required = ma.fields.Boolean(required=True)
    options = ma.fields.List(ma.fields.Nested(SurveyOptionSchema), required=True)
    max_choices = ma.fields.Integer(allow_none=True)
    min = ma.fields.Float(allow_none=True)
    max = ma.fields.Float(allow_none=True)
    low_label = ma.fields.String(allow_none=True)
    high_label = ma.fields.String(allow_none=True)
    shuffle_options = ma.fields.Boolean()


class SurveySectionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    position = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)


class SurveySummarySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"enum": [state.value for state in SurveyState]})
    target_district = ma.fields.String(allow_none=True)
    target_age_band = ma.fields.String(allow_none=True)
    verification = ma.fields.String(required=True, metadata={"enum": ["email", "identity"]})
    opens_at = ma.fields.DateTime(allow_none=True)
    closes_at = ma.fields.DateTime(allow_none=True)
    opened_at = ma.fields.DateTime(allow_none=True)
    closed_at = ma.fields.DateTime(allow_none=True)
    response_count = ma.fields.Integer(required=True)
    count_as_of = ma.fields.DateTime(allow_none=True)


class SurveySchema(SurveySummarySchema):
    intro = ma.fields.String(required=True)
    thanks = ma.fields.String(required=True)
    sections = ma.fields.List(ma.fields.Nested(SurveySectionSchema), required=True)
    questions = ma.fields.List(ma.fields.Nested(SurveyQuestionSchema), required=True)


class SurveyListArgs(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf([state.value for state in SurveyState]))
    q = ma.fields.String(validate=ma.validate.Length(max=100))


class SurveyAnswersSchema(BaseSchema):
    answers = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw(allow_none=True), required=True,
                             metadata={"example": {"12": 40, "13": [41, 43], "14": 4, "15": 25, "16": "좋아요"}})


class SurveyResponseSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    survey_id = ma.fields.Integer(required=True)
    submitted_at = ma.fields.DateTime(required=True)


class SurveyTransitionSchema(BaseSchema):
    to = ma.fields.String(required=True, metadata={"enum": [state.value for state in SurveyState]})
    reason = ma.fields.String(allow_none=True, load_default=None, validate=ma.validate.Length(max=2000))


class SurveyResultOptionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    label = ma.fields.String(required=True)
    count = ma.fields.Integer(required=True)
    share = ma.fields.Float(allow_none=True)


class SurveyResultValueSchema(ma.Schema):
    value = ma.fields.Float(required=True)
    count = ma.fields.Integer(required=True)


class SurveyResultQuestionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    type = ma.fields.String(required=True)
    n = ma.fields.Integer(required=True)
    options = ma.fields.List(ma.fields.Nested(SurveyResultOptionSchema))
    mean = ma.fields.Float(allow_none=True)
    median = ma.fields.Float(allow_none=True)
    distribution = ma.fields.List(ma.fields.Nested(SurveyResultValueSchema))


class SurveyResultsSchema(ma.Schema):
    survey_id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True)
    responses = ma.fields.Integer(required=True)
    as_of = ma.fields.DateTime(allow_none=True)
    questions = ma.fields.List(ma.fields.Nested(SurveyResultQuestionSchema), required=True)


def summary(survey) -> dict:
    return {"id": survey.id, "title": survey.title, "status": str(survey.state),
            "target_district": survey.target_district, "target_age_band": survey.target_age_band,
            "verification": survey.verification, "opens_at": survey.opens_at, "closes_at": survey.closes_at,
            "opened_at": survey.opened_at,
            "closed_at": survey.closed_at, "response_count": survey.response_count,
            "count_as_of": survey.results_as_of}


def detail(survey) -> dict:
    positions = {section.id: section.position for section in survey.sections}
    return {**summary(survey), "intro": survey.intro, "thanks": survey.thanks,
            "sections": [{"id": s.id, "position": s.position, "title": s.title} for s in survey.sections],
            "questions": [{
                "id": q.id, "number": number, "section": positions[q.section_id], "type": str(q.type),
                "text": q.text, "required": q.required, "max_choices": q.max_choices, "min": q.min_value,
                "max": q.max_value, "low_label": q.low_label, "high_label": q.high_label,
                "shuffle_options": q.shuffle_options,
                "options": [{"id": o.id, "label": o.label, "skip_to_section": positions.get(o.skip_to_section_id)}
                            for o in q.options]}
                for number, q in enumerate(survey.questions, start=1)]}


@bp.get("/surveys")
@token_optional
@bp.arguments(SurveyListArgs, location="query")
@bp.response(200, page_schema(SurveySummarySchema, "SurveyPage"))
def list_surveys(args):
    """Surveys open or closed (staff also see drafts), newest first."""
    statement = queries.list_statement(current_api_user(), args.get("status"), args.get("q"))
    return paginate(statement, args["page"], args["per_page"]).as_json(summary)


@bp.post("/surveys")
@token_required
@bp.arguments(SurveyCreateSchema)
@bp.response(201, SurveySchema)
def create_survey(data):
    """Create a draft survey with its questions (staff). Errors name "questions.<n>.<field>"."""
    survey = building.create_survey_with_questions(current_api_user(), data)
    db.session.commit()
    return detail(survey)


@bp.get("/surveys/<int:survey_id>")
@token_optional
@bp.response(200, SurveySchema)
def get_survey(survey_id):
    """One survey with its sections and questions (a draft only to staff)."""
    return detail(services.get_visible(survey_id, current_api_user()))


@bp.post("/surveys/<int:survey_id>/transitions")
@token_required
@bp.arguments(SurveyTransitionSchema)
@bp.response(200, SurveySchema)
def transition_survey(data, survey_id):
    """draft → open → closed (staff). Opening needs questions, and options on every choice question."""
    survey = services.get_visible(survey_id, current_api_user())
    services.transition(survey, data["to"], current_api_user(), data.get("reason"))
    db.session.commit()
    return detail(survey)


@bp.post("/surveys/<int:survey_id>/responses")
@participation_limit
@token_required
@bp.arguments(SurveyAnswersSchema)
@bp.response(201, SurveyResponseSchema)
def answer_survey(data, survey_id):
    """Answer once: {"answers": {"<question id>": value}}. 409 a second time or when not open; 422 names
    the questions (fields keyed by question id); nothing is stored from a refused submission."""
    user = current_api_user()
    survey = services.get_visible(survey_id, user)
    response = answering.answer_survey(survey, user, data["answers"])
    db.session.commit()
    return {"id": response.id, "survey_id": survey.id, "submitted_at": response.submitted_at}


@bp.get("/surveys/<int:survey_id>/results")
@token_optional
@bp.response(200, SurveyResultsSchema)
def survey_results(survey_id):
    """The aggregates as of the last recount: to staff at any time, to everyone once the survey has closed."""
    user = current_api_user()
    survey = services.get_visible(survey_id, user)
    if not queries.results_visible(survey, user):
        raise Forbidden(_l("결과는 여론조사가 마감된 뒤 공개됩니다."), code="results_not_published")
    return queries.api_results(survey)
