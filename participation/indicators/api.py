"""The plan's indicators in the API: the yearly table (JSON and CSV) and staff entering a value."""

import marshmallow as ma

from participation.api import ApiBlueprint
from participation.api.auth import current_api_user, token_required
from participation.api.schemas import BaseSchema
from participation.core.csv import dict_rows, table_response
from participation.core.time import kst_today
from participation.extensions import db
from participation.indicators import queries, services
from participation.indicators.models import FIRST_YEAR, LAST_YEAR

bp = ApiBlueprint("indicators_api", __name__, description="The plan's 40 indicators")

API_FIELDS = ("code", "name_ko", "name_en", "unit", "scale", "baseline_2024", "target_2027", "total_4yr", "feed",
              "value", "source", "as_of")


def default_year() -> int:
    """The current KST year, within the plan's years."""
    return min(max(kst_today().year, FIRST_YEAR), LAST_YEAR)


class YearArgs(BaseSchema):
    year = ma.fields.Integer(validate=ma.validate.Range(min=FIRST_YEAR, max=LAST_YEAR),
                             metadata={"example": 2025, "description": "KST calendar year (default: this year)"})


class IndicatorRowSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"example": "3.1.d"})
    name_ko = ma.fields.String(required=True, metadata={"example": "엠보팅(모바일투표) 참여자 수"})
    name_en = ma.fields.String(required=True)
    unit = ma.fields.String(required=True, metadata={"example": "만명"})
    scale = ma.fields.Integer(required=True, metadata={"example": 10000})
    baseline_2024 = ma.fields.Integer(required=True, metadata={"example": 4300000})
    target_2027 = ma.fields.Integer(required=True)
    total_4yr = ma.fields.Integer(required=True)
    feed = ma.fields.String(required=True, metadata={"example": "auto:poll_participants"})
    value = ma.fields.Integer(allow_none=True)
    source = ma.fields.String(allow_none=True, metadata={"enum": ["auto", "manual"]})
    as_of = ma.fields.DateTime(allow_none=True)


class IndicatorTableSchema(ma.Schema):
    year = ma.fields.Integer(required=True)
    indicators = ma.fields.List(ma.fields.Nested(IndicatorRowSchema), required=True)


class ValueBodySchema(BaseSchema):
    # Read as given and checked by the service, so that "abc", -5 and 1.5 get the same clear messages.
    value = ma.fields.Raw(required=True, metadata={"type": "integer", "example": 4300000})
    note = ma.fields.String(allow_none=True, load_default=None)
    override = ma.fields.Boolean(load_default=False)


@bp.get("/indicators")
@bp.arguments(YearArgs, location="query")
@bp.response(200, IndicatorTableSchema)
def table(args):
    """Every measure with its value for a year (raw numbers; value and source null when none)."""
    year = args.get("year") or default_year()
    return {"year": year, "indicators": queries.api_rows(year)}


@bp.get("/indicators.csv")
@bp.arguments(YearArgs, location="query")
def table_csv(args):
    """The same table as CSV (UTF-8 with BOM)."""
    year = args.get("year") or default_year()
    fields = ("year", *API_FIELDS)
    rows = [{"year": year, **row} for row in queries.api_rows(year)]
    return table_response(fields, dict_rows(rows, fields), f"indicators-{year}")


@bp.put("/indicators/<code>/values/<year>")
@token_required
@bp.arguments(ValueBodySchema)
@bp.response(200, IndicatorRowSchema)
def put_value(data, code, year):
    """Staff enter a year's value with a note; an automatic measure needs `override` (else 409)."""
    value = services.set_manual_value(current_api_user(), code, year, data["value"], data.get("note"),
                                      data.get("override", False))
    db.session.commit()
    year = value.year
    return next(row for row in queries.api_rows(year) if row["code"] == value.indicator.code)
