"""Cross-channel reads in the API: the answers the city owes (API.md, "Trust and transparency")."""

import marshmallow as ma

from participation.api import ApiBlueprint
from participation.api.pagination import PageArgs
from participation.core.response_cache import cached_for_anonymous
from participation.main.answers import owed_page

bp = ApiBlueprint("answers_api", __name__, description="Answer accountability (답변 대기)")


class OwedAnswerSchema(ma.Schema):
    resource = ma.fields.String(required=True, metadata={"enum": ["petitions", "proposals"]})
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    answer_due_at = ma.fields.DateTime(required=True)
    days_overdue = ma.fields.Integer(required=True, metadata={"description": "whole days (KST) past the due day"})
    interim_answer = ma.fields.String(allow_none=True, metadata={"description": "Markdown: the latest progress note"})
    interim_answered_at = ma.fields.DateTime(allow_none=True)
    extension_reason = ma.fields.String(allow_none=True, metadata={
        "description": "why the deadline was extended (once); null if it was not"})


class OwedAnswerPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(OwedAnswerSchema), required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)


@bp.get("/answers/overdue")
@cached_for_anonymous
@bp.arguments(PageArgs, location="query")
@bp.response(200, OwedAnswerPageSchema)
def overdue_answers(args):
    """Petitions and proposals whose answer is past its deadline, most overdue first — public."""
    page = owed_page(args["page"], args["per_page"], overdue_only=True)
    return {"items": page.items, "page": page.page, "per_page": page.per_page, "total": page.total}
