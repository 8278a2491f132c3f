"""Petitions in the API: list, file, read, sign and withdraw, transitions, the official answer."""

import marshmallow as ma

from participation.api import ApiBlueprint
from participation.api.auth import current_api_user, token_optional, token_required
from participation.api.moderation import reason_code_field
from participation.api.pagination import PageArgs, page_schema
from participation.api.schemas import BaseSchema
from participation.core.limits import filing_limit, participation_limit
from participation.core.pagination import paginate
from participation.core.response_cache import cached_for_anonymous
from participation.core.seoul import CATEGORIES
from participation.core.time import days_left
from participation.extensions import db
from participation.petitions import queries, services
from participation.petitions.models import (
    BODY_MAX,
    DEPARTMENT_MAX,
    PUBLIC_STATES,
    TITLE_MAX,
    Petition,
    PetitionKind,
    PetitionState,
)

bp = ApiBlueprint("petitions_api", __name__, description="Petitions (청원, 온라인 청원시스템)")

KINDS = [kind.value for kind in PetitionKind]


class PetitionListArgs(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf([state.value for state in PUBLIC_STATES]))
    kind = ma.fields.String(validate=ma.validate.OneOf(KINDS))
    category = ma.fields.String(validate=ma.validate.OneOf(list(CATEGORIES)))
    q = ma.fields.String(validate=ma.validate.Length(max=queries.Q_MAX), metadata={"example": "버스"})
    sort = ma.fields.String(load_default="newest", validate=ma.validate.OneOf(queries.SORTS))


class PetitionCreateSchema(BaseSchema):
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=TITLE_MAX),
                             metadata={"example": "심야버스 노선을 늘려 주세요"})
    body = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=BODY_MAX),
                            metadata={"description": "Markdown"})
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(KINDS))
    category = ma.fields.String(required=True, validate=ma.validate.OneOf(list(CATEGORIES)))


class PetitionAnswerSchema(ma.Schema):
    department = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    links = ma.fields.List(ma.fields.String(), required=True)
    answered_at = ma.fields.DateTime(required=True)


class PetitionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(allow_none=True, metadata={"description": "null while hidden"})
    body = ma.fields.String(allow_none=True, metadata={"description": "Markdown; null while hidden"})
    kind = ma.fields.String(required=True, metadata={"enum": KINDS})
    category = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"enum": [state.value for state in PetitionState]})
    author = ma.fields.String(allow_none=True)
    signature_count = ma.fields.Integer(required=True)
    count_as_of = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime(required=True)
    submitted_at = ma.fields.DateTime(allow_none=True)
    published_at = ma.fields.DateTime(allow_none=True)
    closes_at = ma.fields.DateTime(allow_none=True)
    closed_at = ma.fields.DateTime(allow_none=True)
    days_left = ma.fields.Integer(allow_none=True)
    answer_threshold = ma.fields.Integer(allow_none=True)
    verification = ma.fields.String(required=True, metadata={
        "enum": ["email", "identity"],
        "description": "what signing requires: a verified e-mail, or identity verification (본인인증); set when the "
                       "petition opens"})
    debate_threshold = ma.fields.Integer(allow_none=True)
    answer_due_at = ma.fields.DateTime(allow_none=True, metadata={
        "description": "set at closing when the petition reached its answer threshold; moved once by an extension"})
    answer_overdue = ma.fields.Boolean(required=True, metadata={
        "description": "an answer is owed and its deadline has passed"})
    extension_reason = ma.fields.String(allow_none=True, metadata={"description": "why the deadline was extended"})
    interim_answer = ma.fields.String(allow_none=True, metadata={
        "description": "Markdown: the city's progress note while the answer is owed; null while hidden"})
    interim_answered_at = ma.fields.DateTime(allow_none=True)
    debate_reached_at = ma.fields.DateTime(allow_none=True, metadata={
        "description": "when a debate request reached its debate threshold (시민참여 토론회 안건)"})
    rejection_reason = ma.fields.String(allow_none=True, metadata={"description": "to the author and moderators"})
    signed = ma.fields.Boolean(allow_none=True,
                               metadata={"description": "whether the caller signed; null without a token"})
    answer = ma.fields.Nested(PetitionAnswerSchema, allow_none=True)


class PetitionSignatureSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    petition_id = ma.fields.Integer(required=True)
    created_at = ma.fields.DateTime(required=True)


class PetitionTransitionSchema(BaseSchema):
    to = ma.fields.String(required=True, metadata={"enum": [state.value for state in PetitionState]})
    reason = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=2000),
                              metadata={"description": "required for rejected and hidden"})
    reason_code = reason_code_field()


class PetitionAnswerCreateSchema(BaseSchema):
    department = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=DEPARTMENT_MAX))
    body = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=BODY_MAX))
    links = ma.fields.List(ma.fields.String(), load_default=list)


def serialise(petition: Petition, viewer, signed: bool | None = None) -> dict:
    """The JSON shape of a petition as `viewer` may see it; `signed` saves a query when already known."""
    hidden = petition.state == PetitionState.hidden and not services.can_moderate(viewer) \
        and not services.is_author(petition, viewer)
    private = services.is_author(petition, viewer) or services.can_moderate(viewer)
    answer = petition.answer
    return {
        "id": petition.id, "title": None if hidden else petition.title, "body": None if hidden else petition.body,
        "kind": petition.kind, "category": petition.category, "status": petition.state,
        "author": petition.author.public_name if petition.author else None,
        "signature_count": petition.signature_count, "count_as_of": petition.count_as_of,
        "created_at": petition.created_at, "submitted_at": petition.submitted_at,
        "published_at": petition.published_at, "closes_at": petition.closes_at, "closed_at": petition.closed_at,
        "days_left": days_left(petition.closes_at) if petition.state == PetitionState.open else None,
        "answer_threshold": petition.answer_threshold, "debate_threshold": petition.debate_threshold,
        "verification": petition.verification,
        "answer_due_at": petition.answer_due_at, "answer_overdue": petition.is_overdue,
        "extension_reason": petition.extension_reason,
        "interim_answer": None if hidden else petition.interim_answer,
        "interim_answered_at": petition.interim_answered_at, "debate_reached_at": petition.debate_reached_at,
        "rejection_reason": petition.rejection_reason if private else None,
        "signed": None if viewer is None else signed if signed is not None else services.has_signed(petition, viewer),
        "answer": None if answer is None or hidden else {
            "department": answer.department, "body": answer.body, "links": answer.link_list,
            "answered_at": answer.answered_at},
    }


@bp.get("/petitions")
@token_optional
@cached_for_anonymous
@bp.arguments(PetitionListArgs, location="query")
@bp.response(200, page_schema(PetitionSchema, "PetitionPage"))
def list_petitions(args):
    """Public petitions (open, closed, answered), with filters, keyword search and sorting."""
    statement = queries.public_list(args.get("status"), args.get("kind"), args.get("category"), args.get("q"),
                                    args["sort"])
    page = paginate(statement, args["page"], args["per_page"])
    viewer = current_api_user()
    signed = queries.signed_among(viewer.id, [petition.id for petition in page.items]) if viewer else set()
    return page.as_json(lambda petition: serialise(petition, viewer, petition.id in signed))


@bp.post("/petitions")
@filing_limit
@token_required
@bp.arguments(PetitionCreateSchema)
@bp.response(201, PetitionSchema)
def create_petition(data):
    """File a petition; it waits for a moderator (status `pending`)."""
    user = current_api_user()
    petition = services.file_petition(user, data["title"], data["body"], data["kind"], data["category"])
    db.session.commit()
    return serialise(petition, user)


@bp.get("/petitions/<int:petition_id>")
@token_optional
@cached_for_anonymous
@bp.response(200, PetitionSchema)
def get_petition(petition_id):
    """One petition. Drafts are their author's; pending and rejected ones also moderators'."""
    viewer = current_api_user()
    return serialise(services.get_visible(petition_id, viewer), viewer)


@bp.post("/petitions/<int:petition_id>/signatures")
@participation_limit
@token_required
@bp.response(201, PetitionSignatureSchema)
def sign_petition(petition_id):
    """Sign (서명). 409 for a second signature or a petition not collecting signatures."""
    signature = services.sign(petition_id, current_api_user())
    db.session.commit()
    return signature


@bp.delete("/petitions/<int:petition_id>/signatures")
@participation_limit
@token_required
@bp.response(204)
def withdraw_signature(petition_id):
    """Withdraw the caller's own signature while the petition collects signatures."""
    services.withdraw(petition_id, current_api_user())
    db.session.commit()


@bp.post("/petitions/<int:petition_id>/transitions")
@token_required
@bp.arguments(PetitionTransitionSchema)
@bp.response(200, PetitionSchema)
def transition_petition(data, petition_id):
    """Change the state: the author submits a draft (`pending`); moderators publish (`open`), reject
    (`rejected`, reason required), close or hide (`hidden`, reason required)."""
    user = current_api_user()
    petition = services.get_visible(petition_id, user)
    services.transition(petition, data["to"], user, data.get("reason"), category=data.get("reason_code"))
    db.session.commit()
    return serialise(petition, user)


@bp.post("/petitions/<int:petition_id>/answer")
@token_required
@bp.arguments(PetitionAnswerCreateSchema)
@bp.response(201, PetitionSchema)
def answer_petition(data, petition_id):
    """The city's official answer (staff) to a closed petition; it becomes `answered`."""
    user = current_api_user()
    petition = services.get_visible(petition_id, user)
    services.answer(petition, user, data["department"], data["body"], "\n".join(data["links"]))
    db.session.commit()
    return serialise(petition, user)
