"""Polls in the API: create, list, read, vote, results, the receipt bulletin and transitions."""

import marshmallow as ma

from participation.api import ApiBlueprint
from participation.api.auth import current_api_user, token_optional, token_required
from participation.api.moderation import reason_code_field
from participation.api.pagination import PageArgs, page_schema
from participation.api.schemas import BaseSchema
from participation.core.limits import filing_limit, participation_limit
from participation.core.pagination import paginate
from participation.core.response_cache import cached_for_anonymous
from participation.extensions import db
from participation.polls import queries, services
from participation.polls.models import PollState, ResultsVisibility

bp = ApiBlueprint("polls_api", __name__, description="Mobile voting (엠보팅)")


class PollCreateSchema(BaseSchema):
    title = ma.fields.String(required=True, metadata={"example": "올해의 10대 뉴스"})
    description = ma.fields.String(load_default="")
    options = ma.fields.List(ma.fields.String(), required=True, metadata={"example": ["따릉이 확대", "한강 공원"]})
    option_descriptions = ma.fields.List(ma.fields.String(), load_default=list, metadata={
        "description": "optional: one description per option, in the same order"})
    max_choices = ma.fields.Integer(load_default=1, strict=True)
    opens_at = ma.fields.AwareDateTime(load_default=None, allow_none=True)
    closes_at = ma.fields.AwareDateTime(required=True)
    tags = ma.fields.List(ma.fields.String(), load_default=list, metadata={"example": ["top10_news"]})
    results_visibility = ma.fields.String(load_default=ResultsVisibility.live.value,
                                          metadata={"enum": [value.value for value in ResultsVisibility]})
    eligible_districts = ma.fields.List(ma.fields.String(), load_default=list)
    eligible_age_bands = ma.fields.List(ma.fields.String(), load_default=list)
    verification = ma.fields.String(load_default="email", metadata={
        "enum": ["email", "identity"],
        "description": "what voting requires: a verified e-mail, or identity verification (본인인증); district "
                       "or age-band eligibility requires identity when the poll opens"})


IMAGE_URL_DOC = {"type": "string", "format": "uri", "description": "the option's picture, or null"}


class PollOptionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    label = ma.fields.String(required=True)
    description = ma.fields.String()
    image_url = ma.fields.Function(lambda option: queries.option_image_url(option, external=True), allow_none=True,
                                   required=True, metadata=IMAGE_URL_DOC)


class PollSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    status = ma.fields.String(required=True, attribute="state", metadata={"enum": [s.value for s in PollState]})
    options = ma.fields.List(ma.fields.Nested(PollOptionSchema), required=True)
    max_choices = ma.fields.Integer(required=True)
    opens_at = ma.fields.DateTime(allow_none=True)
    closes_at = ma.fields.DateTime(required=True)
    tags = ma.fields.List(ma.fields.String(), required=True)
    results_visibility = ma.fields.String(required=True)
    eligible_districts = ma.fields.List(ma.fields.String(), required=True)
    eligible_age_bands = ma.fields.List(ma.fields.String(), required=True)
    by_staff = ma.fields.Boolean(required=True)
    verification = ma.fields.String(required=True, metadata={
        "enum": ["email", "identity"],
        "description": "what voting requires: a verified e-mail, or identity verification (본인인증)"})


class PollListArgs(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf([state.value for state in queries.PUBLIC_STATES]))
    tag = ma.fields.String()
    q = ma.fields.String(validate=ma.validate.Length(max=100))


class PollBallotSchema(BaseSchema):
    choices = ma.fields.List(ma.fields.Integer(strict=True), required=True, metadata={"example": [1, 3]})


class PollReceiptSchema(ma.Schema):
    receipt = ma.fields.String(required=True, metadata={"description": "Shown once; keep it to check the bulletin"})


class PollResultOptionSchema(PollOptionSchema):
    image_url = ma.fields.String(allow_none=True, required=True, metadata=IMAGE_URL_DOC)
    votes = ma.fields.Integer(required=True)
    share = ma.fields.Float(required=True, metadata={"description": "percent of the ballots"})
    rank = ma.fields.Integer(required=True, metadata={"description": "1 + the number of options with more votes"})
    winner = ma.fields.Boolean(required=True, metadata={
        "description": "on a final tally: ranked within the poll's seats (ten for a yearly top-ten vote, else "
                       "max_choices; ties at the edge all win)"})


DIGEST_DOC = {"description": "SHA-256 of the receipt hashes, sorted and joined with newlines, as of digest_as_of "
                             "(recomputed about a minute after a batch of ballots is opened, and at the final "
                             "tally); the bulletin lists exactly the receipts it covers"}
DIGEST_COUNT_DOC = {"description": "how many receipt hashes the digest covers"}
DIGEST_AS_OF_DOC = {"description": "when the digest was computed"}


def digest_fields(poll) -> dict:
    """The receipts digest of the poll's bulletin, with how many receipts it covers and when it was computed."""
    return {"digest": poll.tally_digest, "digest_count": poll.tally_digest_count, "digest_as_of": poll.bulletin_as_of}


class PollResultsSchema(ma.Schema):
    poll_id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True)
    total_ballots = ma.fields.Integer(required=True)
    options = ma.fields.List(ma.fields.Nested(PollResultOptionSchema), required=True)
    as_of = ma.fields.DateTime(allow_none=True, required=True, metadata={"description": "of the counts"})
    digest = ma.fields.String(allow_none=True, metadata=DIGEST_DOC)
    digest_count = ma.fields.Integer(allow_none=True, required=True, metadata=DIGEST_COUNT_DOC)
    digest_as_of = ma.fields.DateTime(allow_none=True, required=True, metadata=DIGEST_AS_OF_DOC)
    final = ma.fields.Boolean(required=True)
    invalid_ballots = ma.fields.Integer(required=True, metadata={
        "description": "sealed ballots set aside: they did not open or were not valid ballots of this poll"})
    batches = ma.fields.Integer(required=True, metadata={
        "description": "batches of sealed ballots opened so far: the counts change only when one is opened "
                       "(at least MIX_BATCH ballots, or the rest at the close)"})


class PollReceiptsSchema(ma.Schema):
    items = ma.fields.List(ma.fields.String(), required=True)
    digest = ma.fields.String(allow_none=True, required=True, metadata=DIGEST_DOC)
    digest_count = ma.fields.Integer(allow_none=True, required=True, metadata=DIGEST_COUNT_DOC)
    digest_as_of = ma.fields.DateTime(allow_none=True, required=True, metadata=DIGEST_AS_OF_DOC)
    total = ma.fields.Integer(required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    as_of = ma.fields.DateTime(allow_none=True, metadata={"description": "of the last tally of the counts"})


class PollTransitionSchema(BaseSchema):
    to = ma.fields.String(required=True, metadata={"enum": [state.value for state in PollState]})
    reason = ma.fields.String(load_default=None, allow_none=True)
    reason_code = reason_code_field()


class PollExtensionSchema(BaseSchema):
    closes_at = ma.fields.AwareDateTime(required=True)
    reason = ma.fields.String(required=True)


@bp.post("/polls")
@filing_limit
@token_required
@bp.arguments(PollCreateSchema)
@bp.response(201, PollSchema)
def create(data):
    """Create a poll: a draft for staff, a pending poll (waiting for moderation) for citizens."""
    poll = services.create_poll(current_api_user(), **data)
    db.session.commit()
    return poll


@bp.get("/polls")
@cached_for_anonymous
@bp.arguments(PollListArgs, location="query")
@bp.response(200, page_schema(PollSchema, "PollPage"))
def index(args):
    """Public polls (scheduled, open, closed, tallied, cancelled), newest closing first."""
    statement = queries.public_polls(args.get("status"), args.get("tag"), args.get("q"))
    return paginate(statement, args["page"], args["per_page"])


@bp.get("/polls/<int:poll_id>")
@token_optional
@bp.response(200, PollSchema)
def detail(poll_id):
    """One poll."""
    return services.get_visible(poll_id, current_api_user())


@bp.post("/polls/<int:poll_id>/ballots")
@participation_limit
@token_required
@bp.arguments(PollBallotSchema)
@bp.response(201, PollReceiptSchema)
def vote(data, poll_id):
    """Cast a secret ballot; the receipt in the answer is shown only this once."""
    user = current_api_user()
    poll = services.get_visible(poll_id, user, for_vote=True)
    receipt = services.cast_ballot(poll, user, data["choices"])
    db.session.commit()
    return {"receipt": receipt}


@bp.get("/polls/<int:poll_id>/results")
@token_optional
@cached_for_anonymous
@bp.response(200, PollResultsSchema)
def results(poll_id):
    """The latest tally (403 while results are hidden until close, for everyone)."""
    poll = services.get_visible(poll_id, current_api_user())
    queries.require_results_visible(poll)
    return {**queries.results(poll), **digest_fields(poll)}


@bp.get("/polls/<int:poll_id>/receipts")
@token_optional
@bp.arguments(PageArgs, location="query")
@bp.response(200, PollReceiptsSchema)
def receipts(args, poll_id):
    """The public bulletin: the receipts' SHA-256 values that the published digest covers, sorted, with the
    digest, how many receipts it covers and when it was computed. Receipts appear batch by batch, never one at
    a time: a ballot's receipt is listed once the batch it was opened in is covered by a digest."""
    poll = services.get_visible(poll_id, current_api_user())
    page = paginate(queries.receipts(poll), args["page"], args["per_page"])
    return {"items": page.items, **digest_fields(poll), "total": page.total, "page": page.page,
            "per_page": page.per_page, "as_of": poll.tally_as_of}


@bp.post("/polls/<int:poll_id>/transitions")
@token_required
@bp.arguments(PollTransitionSchema)
@bp.response(200, PollSchema)
def change_state(data, poll_id):
    """Open, schedule, close early (reason), cancel (reason), publish or reject a citizen poll, hide."""
    user = current_api_user()
    poll = services.get_visible(poll_id, user)
    services.transition(poll, data["to"], user, data["reason"], category=data["reason_code"])
    db.session.commit()
    return poll


@bp.post("/polls/<int:poll_id>/extensions")
@token_required
@bp.arguments(PollExtensionSchema)
@bp.response(200, PollSchema)
def extend(data, poll_id):
    """Move the close time later (staff, with a reason)."""
    user = current_api_user()
    poll = services.get_visible(poll_id, user)
    services.extend(poll, data["closes_at"], user, data["reason"])
    db.session.commit()
    return poll
