"""Bursts in the API (staff): open one from the trending list, read it, void it, undo the void."""

import marshmallow as ma

from participation.api import ApiBlueprint
from participation.api.auth import current_api_user, token_required
from participation.api.schemas import BaseSchema
from participation.core.permissions import Role, require_role
from participation.extensions import db
from participation.staff import bursts

bp = ApiBlueprint("staff_api", __name__, description="Bursts of signatures or supports from one network (staff)")


class BurstCreateSchema(BaseSchema):
    channel = ma.fields.String(required=True, metadata={"enum": list(bursts.CHANNELS), "example": "petitions"})
    item_id = ma.fields.Integer(required=True, strict=True)
    network = ma.fields.String(required=True, metadata={"example": "203.0.113.0/24"})
    window_start = ma.fields.AwareDateTime(required=True, metadata={"example": "2026-05-01T09:00:00+09:00"})
    window_end = ma.fields.AwareDateTime(required=True, metadata={"example": "2026-05-01T18:00:00+09:00"})


class VoidSchema(BaseSchema):
    reason = ma.fields.String(metadata={"example": "한 대역에서 10분 동안 몰린 자동 서명"})


class BurstSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    channel = ma.fields.String(required=True)
    item_id = ma.fields.Integer(required=True)
    network = ma.fields.String(required=True)
    window_start = ma.fields.DateTime(required=True)
    window_end = ma.fields.DateTime(required=True)
    matched = ma.fields.Integer(required=True, metadata={"description": "rows the burst matched when opened"})
    voided = ma.fields.Function(lambda burst: burst.voided_at is not None, required=True)
    voided_at = ma.fields.DateTime(allow_none=True)
    voided_count = ma.fields.Integer(required=True)
    reason = ma.fields.String(allow_none=True)


@bp.post("/bursts")
@token_required
@bp.arguments(BurstCreateSchema)
@bp.response(201, BurstSchema)
def open_burst(data):
    """Open a burst (staff): the item's signatures (`petitions`) or supports (`proposals`) from one /24 or /64 in
    a window of the last seven days. Ballots and survey answers are never voided."""
    burst = bursts.open_burst(current_api_user(), data["channel"], data["item_id"], data["network"],
                              data["window_start"], data["window_end"])
    db.session.commit()
    return burst


@bp.get("/bursts/<int:burst_id>")
@token_required
@bp.response(200, BurstSchema)
def get_burst(burst_id):
    """A burst (staff)."""
    require_role(current_api_user(), Role.staff)
    return bursts.get_burst(burst_id)


@bp.post("/bursts/<int:burst_id>/void")
@token_required
@bp.arguments(VoidSchema)
@bp.response(200, BurstSchema)
def void_burst(data, burst_id):
    """Void the burst's rows with a public reason (staff): they stay, marked, and stop counting; the count is
    recomputed. 409 `already_voided`; 404 for an unknown burst."""
    burst = bursts.void(current_api_user(), burst_id, data.get("reason"))
    db.session.commit()
    return burst


@bp.delete("/bursts/<int:burst_id>/void")
@token_required
@bp.response(200, BurstSchema)
def unvoid_burst(burst_id):
    """Undo a void (staff): the rows count again. 409 `not_voided` when there is nothing to undo."""
    burst = bursts.unvoid(current_api_user(), burst_id)
    db.session.commit()
    return burst
