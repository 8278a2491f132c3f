"""Staff in the API: bursts (open one from the trending list, read it, void it, undo the void) and the platform's
own health (GET /api/v1/health, retrying or discarding a failed job)."""

import marshmallow as ma

from participation.api import ApiBlueprint
from participation.api.auth import current_api_user, token_required
from participation.api.schemas import BaseSchema
from participation.core.permissions import Role, require_role
from participation.extensions import db
from participation.staff import bursts, health

bp = ApiBlueprint("staff_api", __name__, description="Staff: bursts of signatures or supports from one "
                                                        "network, and the platform's own health")


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


class QueueSchema(ma.Schema):
    queued = ma.fields.Integer(required=True)
    scheduled = ma.fields.Integer(required=True)
    started = ma.fields.Integer(required=True)
    failed = ma.fields.Integer(required=True)
    deferred = ma.fields.Integer(required=True)


class FailedJobSchema(ma.Schema):
    id = ma.fields.String(required=True)
    queue = ma.fields.String(required=True)
    function = ma.fields.String(required=True)
    periodic = ma.fields.String(allow_none=True, metadata={"description": "the periodic job's name, if it is one"})
    failed_at = ma.fields.DateTime(allow_none=True)
    error = ma.fields.String(required=True, metadata={"description": "the last line of the error"})


class PeriodicSchema(ma.Schema):
    name = ma.fields.String(required=True, metadata={"example": "reconcile"})
    every = ma.fields.Integer(required=True, metadata={"description": "seconds between runs"})
    last_success = ma.fields.DateTime(allow_none=True)
    last_failure = ma.fields.DateTime(allow_none=True)
    failure = ma.fields.String(allow_none=True, metadata={"description": "the error class of the last failure"})
    next_run = ma.fields.DateTime(allow_none=True)
    running = ma.fields.Boolean(required=True)
    late = ma.fields.Boolean(required=True, metadata={"description": "no success within two intervals"})


class CronSchema(ma.Schema):
    holder = ma.fields.String(allow_none=True, metadata={"description": "host:pid:id of the cron holding the lock"})
    heartbeat = ma.fields.DateTime(allow_none=True)
    since = ma.fields.DateTime(allow_none=True)
    standby = ma.fields.Integer(required=True, metadata={"description": "crons waiting to take over"})
    alive = ma.fields.Boolean(required=True)


class WorkerSchema(ma.Schema):
    name = ma.fields.String(required=True)
    hostname = ma.fields.String(allow_none=True)
    pid = ma.fields.Integer(allow_none=True)
    state = ma.fields.String(required=True)
    last_heartbeat = ma.fields.DateTime(allow_none=True)
    current_job = ma.fields.String(allow_none=True)
    alive = ma.fields.Boolean(required=True)


class OldestAsOfSchema(ma.Schema):
    channel = ma.fields.String(required=True)
    id = ma.fields.Integer(required=True)
    at = ma.fields.DateTime(required=True)
    stale = ma.fields.Boolean(required=True)


class HealthSchema(ma.Schema):
    redis = ma.fields.Boolean(required=True, metadata={"description": "false: Redis did not answer, and every "
                                                                      "part it holds is null"})
    queues = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(QueueSchema), allow_none=True)
    failed_jobs = ma.fields.List(ma.fields.Nested(FailedJobSchema), allow_none=True)
    failed_total = ma.fields.Integer(allow_none=True)
    periodic = ma.fields.List(ma.fields.Nested(PeriodicSchema), allow_none=True)
    cron = ma.fields.Nested(CronSchema, allow_none=True)
    workers = ma.fields.List(ma.fields.Nested(WorkerSchema), allow_none=True)
    oldest_as_of = ma.fields.Nested(OldestAsOfSchema, allow_none=True,
                                    metadata={"description": "the oldest count among open items"})
    stale_counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True,
                                  metadata={"description": "open items per channel whose count is older than "
                                                           "stale_after_minutes"})
    stale_after_minutes = ma.fields.Integer(required=True)


@bp.get("/health")
@token_required
@bp.response(200, HealthSchema)
def get_health():
    """Queue depths, failed jobs, periodic jobs, the cron's and the workers' heartbeats, the oldest "as of" (staff)."""
    require_role(current_api_user(), Role.staff)
    return health.snapshot()


@bp.post("/health/failed-jobs/<job_id>/retry")
@token_required
@bp.response(204)
def retry_failed_job(job_id):
    """Put a failed job back on its queue (staff); 404 for an id that is not a failed job."""
    require_role(current_api_user(), Role.staff)
    health.retry_failed(job_id)


@bp.delete("/health/failed-jobs/<job_id>")
@token_required
@bp.response(204)
def discard_failed_job(job_id):
    """Delete a failed job for good (staff); 404 for an id that is not a failed job."""
    require_role(current_api_user(), Role.staff)
    health.discard_failed(job_id)
