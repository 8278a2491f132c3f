"""Forums in the API: list, create (staff), read, transitions, comments, likes, reports, statements,
reactions and the opinion map."""

import marshmallow as ma
from flask import url_for

from participation.api import ApiBlueprint
from participation.api.auth import current_api_user, token_optional, token_required
from participation.api.pagination import PageArgs, page_schema
from participation.api.schemas import BaseSchema
from participation.core.limits import export_limit, filing_limit, participation_limit, report_limit
from participation.core.pagination import paginate
from participation.extensions import db
from participation.forums import attachments, interchange, queries, services
from participation.forums.models import (
    COMMENT_MAX,
    DEFAULT_DISCUSSION_DAYS,
    MAX_DISCUSSION_DAYS,
    STATEMENT_MAX,
    Comment,
    Forum,
    ForumState,
    ReactionValue,
    Stance,
    Statement,
    StatementState,
)

bp = ApiBlueprint("forums_api", __name__, description="Deliberation forums (공론장, 시민에게 묻습니다)")

STATES = [state.value for state in ForumState]
STANCES = [stance.value for stance in Stance]
REACTIONS = [value.value for value in ReactionValue]


class ForumListArgs(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf(STATES))


class ForumCreateSchema(BaseSchema):
    title = ma.fields.String(required=True, metadata={"example": "따릉이 요금, 어떻게 조정할까요?"})
    background = ma.fields.String(required=True, metadata={"description": "Markdown"})
    key_facts = ma.fields.String(load_default="", metadata={"description": "Markdown"})
    links = ma.fields.String(load_default="", metadata={"description": "Markdown list of links"})
    departments = ma.fields.String(load_default="", metadata={"example": "자전거정책과"})
    discussion_days = ma.fields.Integer(load_default=DEFAULT_DISCUSSION_DAYS,
                                        validate=ma.validate.Range(min=1, max=MAX_DISCUSSION_DAYS))
    closes_at = ma.fields.AwareDateTime(allow_none=True, metadata={
        "description": "end of the discussion; by default the end of the KST day discussion_days after opening"})
    verification = ma.fields.String(load_default="email", metadata={
        "enum": ["email", "identity"], "description": "what taking part requires (identity: 본인인증)"})


class StanceCountsSchema(ma.Schema):
    pro = ma.fields.Integer(allow_none=True)
    con = ma.fields.Integer(allow_none=True)
    other = ma.fields.Integer(allow_none=True)


class StanceRowSchema(ma.Schema):
    name = ma.fields.String(required=True)
    total = ma.fields.Integer(required=True)
    counts = ma.fields.Nested(StanceCountsSchema, required=True, metadata={
        "description": "null where fewer than 10 people (suppressed)"})


class StanceSummarySchema(ma.Schema):
    total = ma.fields.Integer(required=True)
    counts = ma.fields.Nested(StanceCountsSchema, required=True)
    by_district = ma.fields.List(ma.fields.Nested(StanceRowSchema), required=True)
    by_age_band = ma.fields.List(ma.fields.Nested(StanceRowSchema), required=True)


class ForumSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    background = ma.fields.String(required=True, metadata={"description": "Markdown"})
    key_facts = ma.fields.String(required=True)
    links = ma.fields.String(required=True)
    departments = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"enum": STATES})
    discussion_days = ma.fields.Integer(required=True)
    verification = ma.fields.String(required=True, metadata={"enum": ["email", "identity"]})
    created_at = ma.fields.DateTime(required=True)
    opened_at = ma.fields.DateTime(allow_none=True)
    closes_at = ma.fields.DateTime(allow_none=True)
    closed_at = ma.fields.DateTime(allow_none=True)
    answer = ma.fields.String(allow_none=True, metadata={"description": "the city's official answer (Markdown)"})
    answered_at = ma.fields.DateTime(allow_none=True)
    comment_count = ma.fields.Integer(required=True)
    participant_count = ma.fields.Integer(required=True)
    count_as_of = ma.fields.DateTime(allow_none=True)
    stance_summary = ma.fields.Nested(StanceSummarySchema, allow_none=True)
    closing_poll_id = ma.fields.Integer(allow_none=True, metadata={"description": "the closing vote (a poll)"})


class ForumAttachmentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True, metadata={"description": "the original file name"})
    content_type = ma.fields.String(required=True)
    size = ma.fields.Integer(required=True, metadata={"description": "bytes"})
    url = ma.fields.String(required=True, metadata={"description": "download URL (served as an attachment)"})


class ForumDetailSchema(ForumSchema):
    attachments = ma.fields.List(ma.fields.Nested(ForumAttachmentSchema), required=True,
                                 metadata={"description": "documents attached to the background"})


class ForumTransitionSchema(BaseSchema):
    to = ma.fields.String(required=True, metadata={"enum": STATES})
    reason = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=2000))
    answer = ma.fields.String(allow_none=True, metadata={"description": "required for `answered` (Markdown)"})


class ClosingPollCreateSchema(BaseSchema):
    options = ma.fields.List(ma.fields.String(), required=True, metadata={"example": ["요금 유지", "요금 인상"]})
    max_choices = ma.fields.Integer(load_default=1)


class CommentArgs(PageArgs):
    sort = ma.fields.String(load_default="newest", validate=ma.validate.OneOf(queries.COMMENT_SORTS))


class CommentCreateSchema(BaseSchema):
    stance = ma.fields.String(required=True, metadata={"enum": STANCES})
    body = ma.fields.String(required=True, metadata={"example": "요금보다 정비 품질이 더 중요합니다."})
    parent_id = ma.fields.Integer(allow_none=True, metadata={"description": "a top-level comment of this forum"})


class CommentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    forum_id = ma.fields.Integer(required=True)
    parent_id = ma.fields.Integer(allow_none=True)
    stance = ma.fields.String(required=True, metadata={"enum": STANCES})
    body = ma.fields.String(allow_none=True, metadata={"description": f"null while hidden; ≤ {COMMENT_MAX}"})
    author = ma.fields.String(allow_none=True)
    hidden = ma.fields.Boolean(required=True)
    like_count = ma.fields.Integer(required=True)
    created_at = ma.fields.DateTime(required=True)


class ReportCreateSchema(BaseSchema):
    category = ma.fields.String(metadata={"description": "abusive, personal_data, advertising, duplicate, "
                                                         "off_topic or other (the default; needs a reason)"})
    reason = ma.fields.String(load_default="")


class ReportSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    comment_id = ma.fields.Integer(required=True)
    comment_hidden = ma.fields.Boolean(required=True)


class LikeSchema(ma.Schema):
    comment_id = ma.fields.Integer(required=True)
    liked = ma.fields.Boolean(required=True)


class StatementCreateSchema(BaseSchema):
    text = ma.fields.String(required=True, metadata={"description": f"≤ {STATEMENT_MAX} characters"})


class StatementSchema(ma.Schema):
    """A statement never names its author."""

    id = ma.fields.Integer(required=True)
    forum_id = ma.fields.Integer(required=True)
    text = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"enum": [state.value for state in StatementState]})


class ReactionCreateSchema(BaseSchema):
    value = ma.fields.String(required=True, metadata={"enum": REACTIONS})


class ReactionSchema(ma.Schema):
    statement_id = ma.fields.Integer(required=True)
    value = ma.fields.String(required=True, metadata={"enum": REACTIONS})
    reacted_at = ma.fields.DateTime(required=True)


class DistinctiveSchema(ma.Schema):
    """A statement representative of a group (Pol.is's repness, both z-tests significant at 90 %)."""

    statement_id = ma.fields.Integer(required=True)
    text = ma.fields.String(required=True)
    reaction = ma.fields.String(required=True, metadata={"enum": ["agree", "disagree"]})
    rate = ma.fields.Float(required=True, metadata={"description": "share in the group"})
    others_rate = ma.fields.Float(required=True, metadata={"description": "share outside the group"})
    votes = ma.fields.Integer(metadata={"description": "reactions to it in the group (at least 5)"})
    repness = ma.fields.Float(metadata={"description": "the group's (smoothed) rate over everyone else's"})
    z = ma.fields.Float(metadata={"description": "two-proportion z, group against the rest"})


class GroupSchema(ma.Schema):
    number = ma.fields.Integer(required=True)
    size = ma.fields.Integer(required=True)
    distinctive = ma.fields.List(ma.fields.Nested(DistinctiveSchema), required=True, metadata={
        "description": "its representative statements, at most five, agreements first"})


class ConsensusSchema(ma.Schema):
    statement_id = ma.fields.Integer(required=True)
    text = ma.fields.String(required=True)
    reaction = ma.fields.String(metadata={"enum": ["agree", "disagree"]})
    score = ma.fields.Float(metadata={"description": "group-informed consensus: the product over groups of each "
                                                    "group's (smoothed) probability of this reaction"})
    rates = ma.fields.List(ma.fields.Float(), required=True, metadata={"description": "share per group"})


class DivisiveSchema(ma.Schema):
    statement_id = ma.fields.Integer(required=True)
    text = ma.fields.String(required=True)
    spread = ma.fields.Float(required=True, metadata={
        "description": "half the gap between the groups' highest and lowest agree − disagree (0 … 1)"})
    rates = ma.fields.List(ma.fields.Float(), required=True, metadata={"description": "agree share per group"})
    disagree_rates = ma.fields.List(ma.fields.Float(), required=True, metadata={
        "description": "disagree share per group"})


class ReactionCountsSchema(ma.Schema):
    agree = ma.fields.Integer(required=True)
    disagree = ma.fields.Integer(required=True)
    pass_ = ma.fields.Integer(required=True, data_key="pass", attribute="pass")


class TableRowSchema(ma.Schema):
    statement_id = ma.fields.Integer(required=True)
    text = ma.fields.String(required=True)
    total = ma.fields.Nested(ReactionCountsSchema, required=True, metadata={"description": "everyone who reacted"})
    groups = ma.fields.List(ma.fields.Nested(ReactionCountsSchema), required=True, metadata={
        "description": "per group, in group order"})
    consensus = ma.fields.Float(required=True)
    spread = ma.fields.Float(required=True)


class OpinionMapSchema(ma.Schema):
    forum_id = ma.fields.Integer(required=True)
    as_of = ma.fields.DateTime(allow_none=True)
    participants = ma.fields.Integer(required=True, metadata={"description": "people placed (≥ 7 reactions)"})
    voters = ma.fields.Integer(required=True, metadata={"description": "people who reacted at least once"})
    groups = ma.fields.List(ma.fields.Nested(GroupSchema), required=True)
    consensus = ma.fields.List(ma.fields.Nested(ConsensusSchema), required=True, metadata={
        "description": "statements more than half of every group agrees with, by group-informed consensus"})
    consensus_disagree = ma.fields.List(ma.fields.Nested(ConsensusSchema), required=True, metadata={
        "description": "statements more than half of every group disagrees with"})
    divisive = ma.fields.List(ma.fields.Nested(DivisiveSchema), required=True, metadata={
        "description": "statements some group leans to agree with and another to disagree with"})
    table = ma.fields.List(ma.fields.Nested(TableRowSchema), required=True, metadata={
        "description": "every approved statement's reactions, overall and per group"})
    points = ma.fields.List(ma.fields.List(ma.fields.Float()), required=True, metadata={
        "description": "anonymous [x, y, group number] per participant"})


def serialise(forum: Forum) -> dict:
    return {
        "id": forum.id, "title": forum.title, "background": forum.background, "key_facts": forum.key_facts,
        "links": forum.links, "departments": forum.departments, "status": forum.state,
        "discussion_days": forum.discussion_days, "verification": forum.verification,
        "created_at": forum.created_at, "opened_at": forum.opened_at,
        "closes_at": forum.closes_at, "closed_at": forum.closed_at, "answer": forum.answer,
        "answered_at": forum.answered_at, "comment_count": forum.comment_count,
        "participant_count": forum.participant_count, "count_as_of": forum.count_as_of,
        "stance_summary": forum.stance_summary, "closing_poll_id": forum.closing_poll_id,
    }


def serialise_comment(comment: Comment) -> dict:
    hidden = comment.is_hidden
    return {"id": comment.id, "forum_id": comment.forum_id, "parent_id": comment.parent_id,
            "stance": comment.stance, "body": None if hidden else comment.body,
            "author": None if hidden or comment.author is None else comment.author.public_name,
            "hidden": hidden, "like_count": comment.like_count, "created_at": comment.created_at}


def serialise_statement(statement: Statement) -> dict:
    return {"id": statement.id, "forum_id": statement.forum_id, "text": statement.text, "status": statement.state}


@bp.get("/forums")
@token_optional
@bp.arguments(ForumListArgs, location="query")
@bp.response(200, page_schema(ForumSchema, "ForumPage"))
def list_forums(args):
    """Forums, newest first: open, closed and answered ones (drafts too for staff)."""
    staff = services.is_staff(current_api_user())
    status = args.get("status")
    if status == ForumState.draft and not staff:
        return {"items": [], "page": args["page"], "per_page": args["per_page"], "total": 0}
    page = paginate(queries.forum_list(status, include_drafts=staff), args["page"], args["per_page"])
    return page.as_json(serialise)


@bp.post("/forums")
@filing_limit
@token_required
@bp.arguments(ForumCreateSchema)
@bp.response(201, ForumSchema)
def create_forum(data):
    """Staff draft a forum; it opens with a transition to `open`."""
    forum = services.create_forum(current_api_user(), **data)
    db.session.commit()
    return serialise(forum)


@bp.get("/forums/<int:forum_id>")
@token_optional
@bp.response(200, ForumDetailSchema)
def get_forum(forum_id):
    """One forum with its counts, stance summary and attached documents (drafts only for staff)."""
    forum = services.get_visible(forum_id, current_api_user())
    return {**serialise(forum), "attachments": [
        {"id": item.id, "name": item.original_name, "content_type": item.content_type, "size": item.size,
         "url": url_for("forums.attachment", forum_id=forum.id, attachment_id=item.id, _external=True)}
        for item in attachments.attachments_of(forum.id)]}


@bp.post("/forums/<int:forum_id>/transitions")
@token_required
@bp.arguments(ForumTransitionSchema)
@bp.response(200, ForumSchema)
def transition_forum(data, forum_id):
    """Staff open a draft, close an open forum, or answer a closed one (`answer` required)."""
    user = current_api_user()
    forum = services.get_visible(forum_id, user)
    services.transition(forum, data["to"], user, data.get("reason"), answer=data.get("answer"))
    db.session.commit()
    return serialise(forum)


@bp.post("/forums/<int:forum_id>/closing-poll")
@token_required
@bp.arguments(ClosingPollCreateSchema)
@bp.response(201, ForumSchema)
def create_closing_poll(data, forum_id):
    """Staff attach a closing vote to an open forum: a poll (see /polls) that closes with the discussion."""
    user = current_api_user()
    forum = services.get_visible(forum_id, user)
    services.attach_closing_poll(forum, user, data["options"], data["max_choices"])
    db.session.commit()
    return serialise(forum)


@bp.get("/forums/<int:forum_id>/comments")
@token_optional
@bp.arguments(CommentArgs, location="query")
@bp.response(200, page_schema(CommentSchema, "ForumCommentPage"))
def list_comments(args, forum_id):
    """Every comment in order (replies carry `parent_id`); hidden ones without body or author."""
    forum = services.get_visible(forum_id, current_api_user())
    page = paginate(queries.comments(forum.id, args["sort"]), args["page"], args["per_page"])
    return page.as_json(serialise_comment)


@bp.post("/forums/<int:forum_id>/comments")
@participation_limit
@token_required
@bp.arguments(CommentCreateSchema)
@bp.response(201, CommentSchema)
def create_comment(data, forum_id):
    """Comment with a stance, or reply to a top-level comment of the same forum. 409 if not open."""
    user = current_api_user()
    forum = services.get_visible(forum_id, user)
    comment = services.add_comment(forum, user, data["stance"], data["body"], data.get("parent_id"))
    db.session.commit()
    return serialise_comment(comment)


@bp.post("/forums/<int:forum_id>/comments/<int:comment_id>/likes")
@participation_limit
@token_required
@bp.response(201, LikeSchema)
def like_comment(forum_id, comment_id):
    """Like a comment (once; 409 the second time)."""
    user = current_api_user()
    forum = services.get_visible(forum_id, user)
    services.like_comment(forum, services.get_comment(forum, comment_id), user)
    db.session.commit()
    return {"comment_id": comment_id, "liked": True}


@bp.delete("/forums/<int:forum_id>/comments/<int:comment_id>/likes")
@participation_limit
@token_required
@bp.response(204)
def unlike_comment(forum_id, comment_id):
    """Take back a like."""
    user = current_api_user()
    forum = services.get_visible(forum_id, user)
    services.unlike_comment(forum, services.get_comment(forum, comment_id), user)
    db.session.commit()


@bp.post("/forums/<int:forum_id>/comments/<int:comment_id>/reports")
@report_limit
@token_required
@bp.arguments(ReportCreateSchema)
@bp.response(201, ReportSchema)
def report_comment(data, forum_id, comment_id):
    """Report a comment (once per person); three open reports hide it until a moderator reviews it."""
    user = current_api_user()
    forum = services.get_visible(forum_id, user)
    comment = services.get_comment(forum, comment_id)
    report = services.report_comment(comment, user, data["reason"], data.get("category"))
    db.session.commit()
    return {"id": report.id, "comment_id": comment.id, "comment_hidden": comment.is_hidden}


@bp.get("/forums/<int:forum_id>/statements")
@token_optional
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_schema(StatementSchema, "ForumStatementPage"))
def list_statements(args, forum_id):
    """The approved statements (without their authors)."""
    forum = services.get_visible(forum_id, current_api_user())
    page = paginate(queries.approved_statements(forum.id), args["page"], args["per_page"])
    return page.as_json(serialise_statement)


@bp.post("/forums/<int:forum_id>/statements")
@participation_limit
@token_required
@bp.arguments(StatementCreateSchema)
@bp.response(201, StatementSchema)
def create_statement(data, forum_id):
    """Propose a short statement; a moderator approves it before others see it (staff's are approved)."""
    user = current_api_user()
    forum = services.get_visible(forum_id, user)
    statement = services.add_statement(forum, user, data["text"])
    db.session.commit()
    return serialise_statement(statement)


@bp.get("/forums/<int:forum_id>/statements/next")
@token_required
@bp.response(200, StatementSchema)
@bp.alt_response(204, description="no statement left to react to")
def next_statement(forum_id):
    """The next approved statement the caller has not reacted to (one at a time, as on a phone)."""
    user = current_api_user()
    forum = services.get_visible(forum_id, user)
    statement = queries.next_statement(forum.id, user.id)
    if statement is None:
        return "", 204
    return serialise_statement(statement)


@bp.post("/forums/<int:forum_id>/statements/<int:statement_id>/reactions")
@participation_limit
@token_required
@bp.arguments(ReactionCreateSchema)
@bp.response(200, ReactionSchema, description="a previous reaction changed")
@bp.alt_response(201, schema=ReactionSchema, description="the first reaction to this statement")
def react(data, forum_id, statement_id):
    """Agree, disagree or pass. A second call changes the reaction (200); it never adds one."""
    user = current_api_user()
    forum = services.get_visible(forum_id, user)
    reaction, created = services.react(forum, services.get_statement(forum, statement_id), user, data["value"])
    db.session.commit()
    body = {"statement_id": reaction.statement_id, "value": reaction.value, "reacted_at": reaction.reacted_at}
    return (body, 201) if created else body


@bp.get("/forums/<int:forum_id>/opinions")
@token_optional
@bp.response(200, OpinionMapSchema)
def opinion_map(forum_id):
    """The opinion map: groups of people who react alike, what sets each apart, what they share, what divides
    them, and the statement × group table (Pol.is's method)."""
    forum = services.get_visible(forum_id, current_api_user())
    return queries.opinion_map_with_texts(forum)


@bp.get(f"/forums/<int:forum_id>/export/<any({', '.join(repr(name) for name in interchange.DOWNLOADS)}):name>")
@export_limit
@token_optional
@bp.doc(responses={"200": {
    "description": "a CSV file of the export (UTF-8, Pol.is's columns), or polis-export.zip with the four",
    "content": {"text/csv": {"schema": {"type": "string"}},
                "application/zip": {"schema": {"type": "string", "format": "binary"}}}}})
def export(forum_id, name):
    """The forum's open data in Pol.is's export format (compdemocracy.org/export): summary.csv, comments.csv
    (the statements), votes.csv, participants-votes.csv (with each participant's opinion group, from 0), or all
    four in polis-export.zip. Participants are anonymous numbers; times are days."""
    return interchange.export_response(services.get_visible(forum_id, current_api_user()), name)
