"""Proposals in the API: list with filters, create, read, support (공감), comments and transitions."""

import marshmallow as ma

from participation.api import ApiBlueprint
from participation.api.auth import current_api_user, token_optional, token_required
from participation.api.moderation import reason_code_field
from participation.api.pagination import PageArgs, page_schema
from participation.api.schemas import BaseSchema
from participation.core.limits import filing_limit, participation_limit
from participation.core.pagination import paginate
from participation.core.response_cache import cached_for_anonymous
from participation.core.seoul import CATEGORIES, DISTRICTS
from participation.extensions import db
from participation.proposals import moderation, queries, services
from participation.proposals.models import AnswerOutcome, ProposalSource, ProposalState

bp = ApiBlueprint("proposals_api", __name__, description="Citizen proposals (시민제안, 상상대로 서울)")


class ProposalCreateSchema(BaseSchema):
    title = ma.fields.String(required=True, metadata={"example": "버스 정류장에 온열 의자를 놓아 주세요"})
    body = ma.fields.String(required=True, metadata={"description": "The idea (제안 내용), Markdown"})
    category = ma.fields.String(required=True, metadata={"enum": list(CATEGORIES), "example": "transport"})
    problem = ma.fields.String(load_default="", metadata={"description": "현황 및 문제점"})
    expected_effect = ma.fields.String(load_default="", metadata={"description": "기대 효과"})
    district = ma.fields.String(load_default=None, allow_none=True,
                                metadata={"enum": list(DISTRICTS), "description": "null for the whole city"})


class ProposalSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    problem = ma.fields.String(required=True)
    expected_effect = ma.fields.String(required=True)
    category = ma.fields.String(required=True)
    district = ma.fields.String(allow_none=True, required=True)
    status = ma.fields.String(required=True, attribute="state", metadata={"enum": [s.value for s in ProposalState]})
    source = ma.fields.String(required=True, metadata={"enum": [s.value for s in ProposalSource]})
    portal_id = ma.fields.String(allow_none=True)
    support_count = ma.fields.Integer(required=True)
    count_as_of = ma.fields.DateTime(allow_none=True, required=True)
    submitted_at = ma.fields.DateTime(required=True)
    published_at = ma.fields.DateTime(allow_none=True)
    closes_at = ma.fields.DateTime(allow_none=True)
    review_threshold = ma.fields.Integer(allow_none=True)
    discussion_threshold = ma.fields.Integer(allow_none=True)
    discussion_flagged_at = ma.fields.DateTime(allow_none=True)
    discussion_forum_id = ma.fields.Integer(allow_none=True, metadata={
        "description": "the public deliberation forum (`/forums/{id}`) opened at the discussion threshold"})
    mayor_threshold = ma.fields.Integer(allow_none=True, metadata={
        "description": "forum participants at which the mayor answers (the rule in force when it opened)"})
    mayor_answer_requested_at = ma.fields.DateTime(allow_none=True)
    mayor_answer = ma.fields.String(allow_none=True)
    mayor_answered_at = ma.fields.DateTime(allow_none=True)
    answer_due_at = ma.fields.DateTime(allow_none=True, metadata={
        "description": "set when it goes to the department; moved once by an extension"})
    answer_overdue = ma.fields.Boolean(required=True, attribute="is_overdue", metadata={
        "description": "under review and past its answer deadline"})
    extension_reason = ma.fields.String(allow_none=True, metadata={"description": "why the deadline was extended"})
    department = ma.fields.Function(lambda proposal: proposal.department.name if proposal.department else None,
                                    allow_none=True)
    merged_into_id = ma.fields.Integer(allow_none=True)
    rejection_reason = ma.fields.String(allow_none=True)
    interim_answer = ma.fields.String(allow_none=True, metadata={"description": "Markdown: a progress note"})
    interim_answered_at = ma.fields.DateTime(allow_none=True)
    answer_outcome = ma.fields.String(allow_none=True, metadata={"enum": [o.value for o in AnswerOutcome]})
    answer_body = ma.fields.String(allow_none=True)
    follow_up = ma.fields.String(allow_none=True)
    answered_at = ma.fields.DateTime(allow_none=True)


class ProposalListArgs(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf([state.value for state in queries.LISTED_STATES]))
    category = ma.fields.String(validate=ma.validate.OneOf(list(CATEGORIES)))
    district = ma.fields.String(validate=ma.validate.OneOf([*DISTRICTS, "city"]))
    source = ma.fields.String(validate=ma.validate.OneOf([source.value for source in ProposalSource]))
    q = ma.fields.String(validate=ma.validate.Length(max=100))
    sort = ma.fields.String(load_default="newest", validate=ma.validate.OneOf(queries.SORTS))


class ProposalSupportSchema(ma.Schema):
    proposal_id = ma.fields.Integer(required=True)
    supported = ma.fields.Boolean(required=True)


class ProposalCommentCreateSchema(BaseSchema):
    body = ma.fields.String(required=True)
    parent_id = ma.fields.Integer(load_default=None, allow_none=True, strict=True)


class ProposalCommentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    proposal_id = ma.fields.Integer(required=True)
    parent_id = ma.fields.Integer(allow_none=True, required=True)
    body = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)


class ProposalTransitionSchema(BaseSchema):
    to = ma.fields.String(required=True, metadata={"enum": [state.value for state in ProposalState]})
    reason = ma.fields.String(load_default=None, allow_none=True)
    target_id = ma.fields.Integer(load_default=None, allow_none=True, strict=True,
                                  metadata={"description": "for `merged`: the proposal it is folded into"})
    outcome = ma.fields.String(load_default=None, allow_none=True,
                               metadata={"enum": [o.value for o in AnswerOutcome], "description": "for `answered`"})
    answer = ma.fields.String(load_default=None, allow_none=True, metadata={"description": "for `answered`"})
    follow_up = ma.fields.String(load_default=None, allow_none=True, metadata={"description": "for `answered`"})
    reason_code = reason_code_field()


@bp.get("/proposals")
@cached_for_anonymous
@bp.arguments(ProposalListArgs, location="query")
@bp.response(200, page_schema(ProposalSchema, "ProposalPage"))
def index(args):
    """Public proposals; filter by status, category, district (`city` for city-wide), source and keyword."""
    statement = queries.public_list(q=args.get("q"), category=args.get("category"), district=args.get("district"),
                                    status=args.get("status"), source=args.get("source"), sort=args["sort"])
    return paginate(statement, args["page"], args["per_page"])


@bp.post("/proposals")
@filing_limit
@token_required
@bp.arguments(ProposalCreateSchema)
@bp.response(201, ProposalSchema)
def create(data):
    """Propose (시민제안): it waits for a moderator (`pending`); the source is `web`."""
    proposal = services.submit(current_api_user(), data)
    db.session.commit()
    return proposal


@bp.get("/proposals/<int:proposal_id>")
@token_optional
@cached_for_anonymous
@bp.response(200, ProposalSchema)
def detail(proposal_id):
    """One proposal (the author and moderators also see it while pending)."""
    return services.get_visible(proposal_id, current_api_user())


@bp.post("/proposals/<int:proposal_id>/supports")
@participation_limit
@token_required
@bp.response(201, ProposalSupportSchema)
def support(proposal_id):
    """Support (공감) once; 409 the second time or when the support period is over."""
    user = current_api_user()
    services.support(services.get_visible(proposal_id, user, row_only=True), user)
    db.session.commit()
    return {"proposal_id": proposal_id, "supported": True}


@bp.delete("/proposals/<int:proposal_id>/supports")
@participation_limit
@token_required
@bp.response(204)
def withdraw(proposal_id):
    """Withdraw one's support while the support period runs."""
    user = current_api_user()
    services.withdraw_support(services.get_visible(proposal_id, user), user)
    db.session.commit()


@bp.post("/proposals/<int:proposal_id>/comments")
@participation_limit
@token_required
@bp.arguments(ProposalCommentCreateSchema)
@bp.response(201, ProposalCommentSchema)
def comment(data, proposal_id):
    """Comment, or reply to a top-level comment (`parent_id`)."""
    user = current_api_user()
    created = moderation.add_comment(services.get_visible(proposal_id, user), user, data["body"], data["parent_id"])
    db.session.commit()
    return created


@bp.post("/proposals/<int:proposal_id>/transitions")
@token_required
@bp.arguments(ProposalTransitionSchema)
@bp.response(200, ProposalSchema)
def transition(data, proposal_id):
    """Change the state: moderators publish (`open`), reject, hide, forward (`under_review`) or merge
    (`merged` with `target_id`); staff answer (`answered` with `outcome`, `answer`, `follow_up`)."""
    user = current_api_user()
    proposal = services.get_visible(proposal_id, user)
    to = data["to"]
    if to == ProposalState.merged:
        moderation.merge(proposal, data["target_id"], user, data["reason"])
    elif to == ProposalState.answered:
        services.answer(proposal, user, data["outcome"], data["answer"], data["follow_up"])
    else:
        services.transition(proposal, to, user, data["reason"], category=data["reason_code"])
    db.session.commit()
    return proposal
