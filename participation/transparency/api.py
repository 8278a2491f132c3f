"""Trust and transparency in the API: the public moderation log, appeals and their decisions (API.md)."""

import marshmallow as ma

from participation.api import ApiBlueprint
from participation.api.auth import current_api_user, token_required
from participation.api.pagination import PageArgs, page_schema
from participation.api.schemas import BaseSchema
from participation.core import appeals, moderation_log
from participation.core.errors import NotFound
from participation.core.permissions import Role, require_role
from participation.extensions import db

bp = ApiBlueprint("transparency_api", __name__, description="Moderation log and appeals (검토 기록, 이의 신청)")

ACTS = list(moderation_log.ACT_LABELS)


class LogArgs(PageArgs):
    channel = ma.fields.String(validate=ma.validate.OneOf(list(moderation_log.CHANNEL_LABELS)))


class LogRowSchema(ma.Schema):
    at = ma.fields.String(required=True, metadata={"format": "date-time"})
    channel = ma.fields.String(required=True)
    item_type = ma.fields.String(required=True, metadata={"description": "petition, proposal_comment …"})
    item_id = ma.fields.Integer(required=True)
    title = ma.fields.String(allow_none=True, required=True,
                             metadata={"description": "null for an item that was never public"})
    act = ma.fields.String(required=True, metadata={"enum": ACTS})
    reason = ma.fields.String(required=True, metadata={"description": "the reason's category, never its text"})
    automatic = ma.fields.Boolean(required=True)


class AppealCreateSchema(BaseSchema):
    text = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=appeals.TEXT_MAX))


class DecisionSchema(BaseSchema):
    outcome = ma.fields.String(required=True, validate=ma.validate.OneOf([str(o) for o in appeals.OUTCOMES]))
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=appeals.REASON_MAX))


class AppealSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    item_type = ma.fields.String(required=True)
    item_id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={"enum": [str(status) for status in appeals.AppealStatus]})
    text = ma.fields.String(required=True)
    created_at = ma.fields.String(required=True, metadata={"format": "date-time"})
    decided_at = ma.fields.String(allow_none=True, required=True, metadata={"format": "date-time"})
    outcome_reason = ma.fields.String(allow_none=True, required=True)


def serialise(appeal: appeals.Appeal) -> dict:
    return {"id": appeal.id, "item_type": appeal.subject_type, "item_id": appeal.subject_id,
            "status": str(appeal.status), "text": appeal.text, "created_at": appeal.created_at.isoformat(),
            "decided_at": appeal.decided_at.isoformat() if appeal.decided_at else None,
            "outcome_reason": appeal.outcome_reason}


@bp.get("/moderation-log")
@bp.arguments(LogArgs, location="query")
@bp.response(200, page_schema(LogRowSchema, "ModerationLogPage"))
def moderation_log_index(args):
    """Every moderation act on public content, newest first: public; never who moderated or who reported."""
    page = moderation_log.log_page(args["page"], args["per_page"], args.get("channel"))
    return page.as_json(lambda row: row.as_json())


# What an author may appeal, each at its own URL (endpoint `appeal_<subject>`): the item's subject, the rule, the
# URL's other id that the item must carry (a comment's proposal or forum), and what the endpoint says of itself.
APPEAL_ROUTES = (
    ("petition", "/petitions/<int:item_id>/appeals", None,
     "The author of a rejected or hidden petition appeals, once per decision, within APPEAL_DAYS."),
    ("proposal", "/proposals/<int:item_id>/appeals", None,
     "The author of a rejected or hidden proposal appeals, once per decision, within APPEAL_DAYS."),
    ("poll", "/polls/<int:item_id>/appeals", None,
     "The author of a rejected or hidden citizen poll appeals, once per decision, within APPEAL_DAYS."),
    ("proposal_comment", "/proposals/<int:proposal_id>/comments/<int:item_id>/appeals", "proposal_id",
     "The author of a hidden comment on a proposal appeals."),
    ("forum_comment", "/forums/<int:forum_id>/comments/<int:item_id>/appeals", "forum_id",
     "The author of a hidden (or automatically hidden) forum comment appeals."),
)


def appeal_route(subject: str, rule: str, parent: str | None, description: str) -> None:
    def file(data, item_id, **parent_id):
        if parent is not None:
            item = db.session.get(appeals.appealable(subject).model, item_id)
            if item is None or getattr(item, parent) != parent_id[parent]:
                raise NotFound()
        appeal = appeals.file_appeal(current_api_user(), subject, item_id, data["text"])
        db.session.commit()
        return serialise(appeal)

    file.__doc__ = description
    view = token_required(bp.arguments(AppealCreateSchema)(bp.response(201, AppealSchema)(file)))
    bp.post(rule, endpoint=f"appeal_{subject}")(view)


for route in APPEAL_ROUTES:
    appeal_route(*route)


@bp.get("/appeals")
@token_required
@bp.response(200, AppealSchema(many=True))
def appeal_queue():
    """Moderators: the pending appeals, oldest first."""
    require_role(current_api_user(), Role.moderator)
    return [serialise(appeal) for appeal in appeals.queue()]


@bp.get("/appeals/<int:appeal_id>")
@token_required
@bp.response(200, AppealSchema)
def appeal_detail(appeal_id):
    """One appeal: for its author and moderators."""
    user = current_api_user()
    appeal = db.session.get(appeals.Appeal, appeal_id)
    if appeal is None or (appeal.author_id != user.id and not user.has_role(Role.moderator)):
        raise NotFound()
    return serialise(appeal)


@bp.post("/appeals/<int:appeal_id>/decision")
@token_required
@bp.arguments(DecisionSchema)
@bp.response(200, AppealSchema)
def decide(data, appeal_id):
    """A moderator other than the one who decided: `upheld` restores the item, `dismissed` leaves it (403
    `same_moderator` for the one who decided)."""
    user = current_api_user()
    require_role(user, Role.moderator)
    appeal = db.session.get(appeals.Appeal, appeal_id)
    if appeal is None:
        raise NotFound()
    appeals.decide(appeal, user, data["outcome"], data["reason"])
    db.session.commit()
    return serialise(appeal)
