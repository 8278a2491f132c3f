"""Pagination in the API: ?page= and ?per_page= (capped at 100), and the list envelope."""

import marshmallow as ma

from participation.api.schemas import BaseSchema
from participation.core.pagination import MAX_PER_PAGE


class PageArgs(BaseSchema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1))

    @ma.post_load
    def cap(self, data, **kwargs):
        data["per_page"] = min(data["per_page"], MAX_PER_PAGE)
        return data


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The list envelope {items, page, per_page, total} around an item schema."""
    return type(name, (ma.Schema,), {
        "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
        "page": ma.fields.Integer(required=True),
        "per_page": ma.fields.Integer(required=True),
        "total": ma.fields.Integer(required=True),
    })
