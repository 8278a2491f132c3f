"""Participatory budgeting in the API: processes, transitions, projects (propose, support, assess, merge,
implementation), the secret ballot, results and the receipt bulletin."""

import marshmallow as ma
from flask import url_for

from participation.api import ApiBlueprint
from participation.api.auth import current_api_user, token_optional, token_required
from participation.api.pagination import PageArgs, page_schema
from participation.api.schemas import BaseSchema
from participation.budgets import queries, services
from participation.budgets.models import BallotKind, Implementation, ProcessState, ProjectStatus, Rule
from participation.core.limits import filing_limit, participation_limit
from participation.core.pagination import paginate
from participation.core.response_cache import cached_for_anonymous
from participation.core.seoul import AGE_BANDS, CATEGORIES, DISTRICTS
from participation.extensions import db

bp = ApiBlueprint("budgets_api", __name__, description="Participatory budgeting (시민참여예산)")

AMOUNT_DOC = {"description": "원 (an imported Pabulib file: its own currency, with its decimals)"}


class Amount(ma.fields.Field):
    """An amount: an integer in 원; an imported file's amount may have decimals (a JSON number)."""

    def __init__(self, **kwargs):
        super().__init__(**{"metadata": {"type": "number", **AMOUNT_DOC}, **kwargs})

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value if isinstance(value, int) else float(value)


def process_amount(name):
    return ma.fields.Function(lambda process: queries.amount(process, getattr(process, name)),
                              metadata={"type": "number", **AMOUNT_DOC}, allow_none=True)


def project_amount(name):
    return ma.fields.Function(lambda project: queries.amount(project.process, getattr(project, name)),
                              metadata={"type": "number", **AMOUNT_DOC}, required=True)


class ProcessCreateSchema(BaseSchema):
    title = ma.fields.String(required=True, metadata={"example": "2026 마포구 주민참여예산"})
    description = ma.fields.String(load_default="")
    budget = ma.fields.Integer(required=True, strict=True, metadata={"example": 500_000_000, "description": "원"})
    district = ma.fields.String(load_default=None, allow_none=True, metadata={
        "enum": list(DISTRICTS), "description": "null: city-wide"})
    categories = ma.fields.List(ma.fields.String(), load_default=list, metadata={"example": ["safety"]})
    ballot = ma.fields.String(load_default=BallotKind.knapsack.value, metadata={"enum": [k.value for k in BallotKind]})
    max_projects = ma.fields.Integer(load_default=None, allow_none=True, strict=True, metadata={
        "description": "approval ballot: how many projects a voter may choose"})
    rule = ma.fields.String(load_default=Rule.greedy.value, metadata={"enum": [r.value for r in Rule]})
    eligible_age_bands = ma.fields.List(ma.fields.String(), load_default=list, metadata={"example": list(AGE_BANDS)})
    proposing_closes_at = ma.fields.AwareDateTime(load_default=None, allow_none=True)
    voting_opens_at = ma.fields.AwareDateTime(load_default=None, allow_none=True)
    voting_closes_at = ma.fields.AwareDateTime(load_default=None, allow_none=True)
    verification = ma.fields.String(load_default="email", metadata={
        "enum": ["email", "identity"],
        "description": "what supporting and voting require: a verified e-mail, or identity verification (본인인증); "
                       "the setting IDENTITY_FOR_BUDGETS (on by default) requires identity when proposals open"})


class ProjectSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    budget_id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"enum": [s.value for s in ProjectStatus]})
    cost = project_amount("cost")
    estimated_cost = project_amount("estimated_cost")
    district = ma.fields.String(allow_none=True, required=True)
    category = ma.fields.String(allow_none=True, required=True)
    place = ma.fields.String(required=True)
    assessment = ma.fields.String(required=True, metadata={
        "description": "the department's notes, or the public reason it is not feasible"})
    merged_into_id = ma.fields.Integer(allow_none=True, required=True)
    support_count = ma.fields.Integer(required=True)
    votes = ma.fields.Integer(required=True, metadata={"description": "after the final tally"})
    funded = ma.fields.Boolean(allow_none=True, required=True)
    implementation = ma.fields.String(allow_none=True, required=True,
                                      metadata={"enum": [s.value for s in Implementation]})
    implementation_percent = ma.fields.Integer(allow_none=True, required=True)
    implementation_note = ma.fields.String(required=True)
    images = ma.fields.Function(
        lambda project: [url_for("budgets.image", image_id=image.id, _external=True) for image in project.images],
        required=True, metadata={"type": "array", "items": {"type": "string", "format": "uri"},
                                 "description": "the project's photos (uploaded with the proposal form)"})


class ProcessSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    status = ma.fields.String(required=True, attribute="state", metadata={"enum": [s.value for s in ProcessState]})
    budget = process_amount("budget")
    currency = ma.fields.String(required=True)
    district = ma.fields.String(allow_none=True, required=True)
    categories = ma.fields.List(ma.fields.String(), required=True)
    ballot = ma.fields.String(required=True, attribute="ballot_kind")
    max_projects = ma.fields.Integer(allow_none=True, required=True)
    rule = ma.fields.String(required=True)
    eligible_age_bands = ma.fields.List(ma.fields.String(), required=True)
    proposing_closes_at = ma.fields.DateTime(allow_none=True, required=True)
    voting_opens_at = ma.fields.DateTime(allow_none=True, required=True)
    voting_closes_at = ma.fields.DateTime(allow_none=True, required=True)
    closed_at = ma.fields.DateTime(allow_none=True, required=True)
    participants = ma.fields.Integer(required=True, metadata={
        "description": "people who voted, as of participants_as_of"})
    participants_as_of = ma.fields.DateTime(allow_none=True, required=True)
    source = ma.fields.String(required=True, metadata={"enum": ["platform", "pabulib"]})
    verification = ma.fields.String(required=True, metadata={
        "enum": ["email", "identity"],
        "description": "what supporting and voting require: a verified e-mail, or identity verification (본인인증); "
                       "set when proposals open. Without it: 403 identity_required, naming where to verify"})


class ProcessListArgs(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf([state.value for state in queries.PUBLIC_STATES]))
    q = ma.fields.String(validate=ma.validate.Length(max=100))


class ProjectListArgs(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf([status.value for status in ProjectStatus]))


class TransitionSchema(BaseSchema):
    to = ma.fields.String(required=True, metadata={"enum": [state.value for state in ProcessState]})
    reason = ma.fields.String(load_default=None, allow_none=True)


class ProjectCreateSchema(BaseSchema):
    title = ma.fields.String(required=True, metadata={"example": "망원동 골목 안심 조명"})
    description = ma.fields.String(load_default="")
    cost = ma.fields.Integer(required=True, strict=True, metadata={"example": 80_000_000, "description": "원"})
    district = ma.fields.String(load_default=None, allow_none=True, metadata={"enum": list(DISTRICTS)})
    category = ma.fields.String(load_default=None, allow_none=True, metadata={"enum": list(CATEGORIES)})
    place = ma.fields.String(load_default="")


class AssessmentSchema(BaseSchema):
    feasible = ma.fields.Boolean(required=True, truthy={True}, falsy={False})
    cost = ma.fields.Integer(load_default=None, allow_none=True, strict=True,
                             metadata={"description": "the revised cost in 원 (feasible); default: the estimate"})
    notes = ma.fields.String(load_default="", metadata={"description": "required when not feasible (shown publicly)"})


class MergeSchema(BaseSchema):
    into = ma.fields.Integer(required=True, strict=True, metadata={"description": "the project it joins"})
    reason = ma.fields.String(required=True)


class ImplementationSchema(BaseSchema):
    status = ma.fields.String(required=True, metadata={"enum": [s.value for s in Implementation]})
    percent = ma.fields.Integer(required=True, strict=True)
    note = ma.fields.String(load_default="")


class BallotSchema(BaseSchema):
    projects = ma.fields.List(ma.fields.Integer(strict=True), required=True, metadata={"example": [1, 3]})


class ReceiptSchema(ma.Schema):
    receipt = ma.fields.String(required=True, metadata={"description": "Shown once; keep it to check the bulletin"})


class SupportSchema(ma.Schema):
    project_id = ma.fields.Integer(required=True)
    supported = ma.fields.Boolean(required=True)


class ResultProjectSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    cost = Amount(required=True)
    votes = ma.fields.Integer(required=True)
    funded = ma.fields.Boolean(required=True)
    reason = ma.fields.String(allow_none=True, required=True, metadata={
        "enum": ["budget_exhausted", "exceeds_remaining", "no_ballots", None],
        "description": "why not funded: budget_exhausted (예산 소진), exceeds_remaining (남은 예산보다 큼)"})
    reason_label = ma.fields.String(allow_none=True, required=True)
    how = ma.fields.String(allow_none=True, required=True, metadata={
        "description": "equal_shares: paid by its supporters' shares; completion: from what the shares left"})
    remaining = Amount(allow_none=True, required=True, metadata={
        "type": "number", "description": "what was left of the budget when its turn came"})
    implementation = ma.fields.String(allow_none=True, required=True)
    implementation_percent = ma.fields.Integer(allow_none=True, required=True)


class ResultsSchema(ma.Schema):
    budget_id = ma.fields.Integer(required=True)
    as_of = ma.fields.DateTime(allow_none=True, required=True)
    rule = ma.fields.String(required=True)
    budget = Amount(required=True)
    spent = Amount(allow_none=True, required=True)
    currency = ma.fields.String(required=True)
    total_ballots = ma.fields.Integer(required=True)
    invalid_ballots = ma.fields.Integer(required=True, metadata={
        "description": "sealed ballots set aside (undecryptable, malformed, not acceptable, a repeated receipt)"})
    digest = ma.fields.String(allow_none=True, required=True, metadata={
        "description": "SHA-256 of the receipt hashes, sorted and joined with newlines"})
    projects = ma.fields.List(ma.fields.Nested(ResultProjectSchema), required=True)


class ReceiptsSchema(ma.Schema):
    items = ma.fields.List(ma.fields.String(), required=True)
    digest = ma.fields.String(allow_none=True, required=True)
    total = ma.fields.Integer(required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)


@bp.post("/budgets")
@token_required
@bp.arguments(ProcessCreateSchema)
@bp.response(201, ProcessSchema)
def create(data):
    """Create a budgeting process as a draft (staff)."""
    process = services.create_process(current_api_user(), **data)
    db.session.commit()
    return process


@bp.get("/budgets")
@cached_for_anonymous
@bp.arguments(ProcessListArgs, location="query")
@bp.response(200, page_schema(ProcessSchema, "BudgetPage"))
def index(args):
    """Public budgeting processes, newest first."""
    return paginate(queries.public_processes(args.get("status"), args.get("q")), args["page"], args["per_page"])


@bp.get("/budgets/<int:budget_id>")
@token_optional
@bp.response(200, ProcessSchema)
def detail(budget_id):
    """One process (a draft only to staff)."""
    return services.get_visible(budget_id, current_api_user())


@bp.post("/budgets/<int:budget_id>/transitions")
@token_required
@bp.arguments(TransitionSchema)
@bp.response(200, ProcessSchema)
def change_state(data, budget_id):
    """Move the process: draft → proposing → reviewing → voting → closed (early: a reason); cancel (a reason)."""
    user = current_api_user()
    process = services.get_visible(budget_id, user)
    services.transition(process, data["to"], user, data["reason"])
    db.session.commit()
    return process


@bp.get("/budgets/<int:budget_id>/projects")
@token_optional
@bp.arguments(ProjectListArgs, location="query")
@bp.response(200, page_schema(ProjectSchema, "BudgetProjectPage"))
def projects(args, budget_id):
    """The process's projects (every status: the reasons for infeasible ones are public)."""
    process = services.get_visible(budget_id, current_api_user())
    items = queries.visible_projects(process, args.get("status"))
    start = (args["page"] - 1) * args["per_page"]
    return {"items": items[start:start + args["per_page"]], "page": args["page"], "per_page": args["per_page"],
            "total": len(items)}


@bp.post("/budgets/<int:budget_id>/projects")
@filing_limit
@token_required
@bp.arguments(ProjectCreateSchema)
@bp.response(201, ProjectSchema)
def propose(data, budget_id):
    """Propose a project (citizens while the process takes proposals; staff until voting opens)."""
    user = current_api_user()
    project = services.propose_project(services.get_visible(budget_id, user), user, **data)
    db.session.commit()
    return project


@bp.get("/budgets/<int:budget_id>/projects/<int:project_id>")
@token_optional
@bp.response(200, ProjectSchema)
def project_detail(budget_id, project_id):
    """One project of the process."""
    return queries.get_project(services.get_visible(budget_id, current_api_user()), project_id)


@bp.post("/budgets/<int:budget_id>/projects/<int:project_id>/supports")
@participation_limit
@token_required
@bp.response(201, SupportSchema)
def support(budget_id, project_id):
    """Support (공감) a project while the process takes proposals; 409 the second time."""
    user = current_api_user()
    project = queries.get_project(services.get_visible(budget_id, user), project_id)
    services.support_project(project, user)
    db.session.commit()
    return {"project_id": project.id, "supported": True}


@bp.post("/budgets/<int:budget_id>/projects/<int:project_id>/assessment")
@token_required
@bp.arguments(AssessmentSchema)
@bp.response(200, ProjectSchema)
def assess(data, budget_id, project_id):
    """The department's assessment (staff): feasible with the revised cost and notes, or not with the reason."""
    user = current_api_user()
    project = queries.get_project(services.get_visible(budget_id, user), project_id)
    services.assess_project(project, user, **data)
    db.session.commit()
    return project


@bp.post("/budgets/<int:budget_id>/projects/<int:project_id>/merge")
@token_required
@bp.arguments(MergeSchema)
@bp.response(200, ProjectSchema)
def merge(data, budget_id, project_id):
    """Fold this project into another of the same process (staff, before voting)."""
    user = current_api_user()
    process = services.get_visible(budget_id, user)
    project = queries.get_project(process, project_id)
    services.merge_projects(project, queries.get_project(process, data["into"]), user, data["reason"])
    db.session.commit()
    return project


@bp.post("/budgets/<int:budget_id>/projects/<int:project_id>/implementation")
@token_required
@bp.arguments(ImplementationSchema)
@bp.response(200, ProjectSchema)
def implementation(data, budget_id, project_id):
    """How a funded project is carried out (staff): planned → in_progress → done, with % and a note."""
    user = current_api_user()
    project = queries.get_project(services.get_visible(budget_id, user), project_id)
    services.set_implementation(project, user, **data)
    db.session.commit()
    return project


@bp.post("/budgets/<int:budget_id>/ballots")
@participation_limit
@token_required
@bp.arguments(BallotSchema)
@bp.response(201, ReceiptSchema)
def vote(data, budget_id):
    """Cast a secret ballot: feasible projects of this process within the budget (or up to max_projects)."""
    user = current_api_user()
    process = services.get_visible(budget_id, user, for_vote=True)
    receipt = services.cast_ballot(process, user, data["projects"])
    db.session.commit()
    return {"receipt": receipt}


@bp.get("/budgets/<int:budget_id>/results")
@token_optional
@cached_for_anonymous
@bp.response(200, ResultsSchema)
def results(budget_id):
    """The final allocation (403 `results_hidden` until the process is tallied)."""
    process = services.get_visible(budget_id, current_api_user())
    queries.require_results_visible(process)
    return queries.results(process)


@bp.get("/budgets/<int:budget_id>/receipts")
@token_optional
@bp.arguments(PageArgs, location="query")
@bp.response(200, ReceiptsSchema)
def receipts(args, budget_id):
    """The public bulletin: SHA-256 of every receipt, sorted, with their digest (after the final tally)."""
    process = services.get_visible(budget_id, current_api_user())
    queries.require_results_visible(process)
    page = paginate(queries.receipts(process), args["page"], args["per_page"])
    return {"items": page.items, "digest": process.tally_digest, "total": page.total, "page": page.page,
            "per_page": page.per_page}
