"""The platform's own health, for staff on call: queue depths, failed jobs, the periodic jobs' last success and
next run, the cron's and the workers' heartbeats, and the oldest "as of" among open items. Read from Redis (RQ's
registries and participation/cron.py's keys) and the database; if Redis does not answer, the parts it holds are
reported as unknown, never as zero.

`/healthz` (main.views) asks `probe()`: the database (down when it does not answer), Redis and a live worker
(degraded when either is missing)."""

import time
from datetime import UTC, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from redis.exceptions import RedisError
from rq import Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from participation.core.errors import NotFound
from participation.core.jobs import QUEUE_NAMES, get_queue
from participation.core.redis import redis_connection
from participation.core.staleness import is_stale, stale_after_seconds
from participation.cron import (
    LAST_FAILURE_KEY,
    LAST_SUCCESS_KEY,
    NEXT_RUN_KEY,
    RUN_LOCK_PREFIX,
    STANDBY_KEY,
    STATE_KEY,
)
from participation.extensions import db

FAILED_SHOWN = 50
# An idle worker beats every WORKER_TTL - 15 seconds, a busy one every BUSY_BEAT_SECONDS (participation/worker.py).
WORKER_SILENT_SECONDS = 75


def moment(epoch: float | bytes | str | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(float(epoch), UTC)


def open_as_of_columns():
    """(channel, model, "as of" column, condition) of the counts that open items keep current. (A budget's voters
    are counted batch by batch of sealed ballots: an old count there is no sign of a stopped worker.)"""
    from participation.forums.models import Forum, ForumState
    from participation.petitions.models import Petition, PetitionState
    from participation.polls.models import Poll, PollState
    from participation.proposals.models import Proposal, ProposalState
    from participation.surveys.models import Survey, SurveyState

    return (("petitions", Petition, Petition.count_as_of, Petition.state == PetitionState.open),
            ("proposals", Proposal, Proposal.count_as_of, Proposal.state == ProposalState.open),
            ("polls", Poll, Poll.tally_as_of, Poll.state == PollState.open),
            ("forums", Forum, Forum.count_as_of, Forum.state == ForumState.open),
            ("surveys", Survey, Survey.results_as_of, Survey.state == SurveyState.open))


def oldest_as_of() -> dict | None:
    """The oldest "as of" among open items: {channel, id, at, stale}, or None when no open item has a count."""
    oldest = None
    for channel, model, column, condition in open_as_of_columns():
        row = db.session.execute(select(model.id, column).where(condition, column.is_not(None))
                                 .order_by(column).limit(1)).first()
        if row is not None:
            at = row[1] if row[1].tzinfo else row[1].replace(tzinfo=UTC)
            if oldest is None or at < oldest["at"]:
                oldest = {"channel": channel, "id": row[0], "at": at}
    if oldest is not None:
        oldest["stale"] = is_stale(oldest["at"])
    return oldest


def stale_counts() -> dict[str, int]:
    """How many open items per channel have a count older than the threshold."""
    cutoff = datetime.fromtimestamp(time.time() - stale_after_seconds(), UTC)
    return {channel: db.session.scalar(select(func.count()).select_from(model).where(condition, column < cutoff))
            or 0 for channel, model, column, condition in open_as_of_columns()}


def queues(connection) -> dict:
    depths = {}
    for name in QUEUE_NAMES:
        queue = get_queue(name)
        depths[name] = {"queued": queue.count, "scheduled": queue.scheduled_job_registry.count,
                        "started": queue.started_job_registry.count, "failed": queue.failed_job_registry.count,
                        "deferred": queue.deferred_job_registry.count}
    return depths


def failed_jobs(connection) -> tuple[list[dict], int]:
    """The newest failed jobs (at most FAILED_SHOWN) and how many there are."""
    shown, total = [], 0
    for name in QUEUE_NAMES:
        registry = get_queue(name).failed_job_registry
        total += registry.count
        for job in Job.fetch_many(registry.get_job_ids(0, FAILED_SHOWN - 1), connection=connection):
            if job is None:
                continue
            result = job.latest_result()
            error = (result.exc_string if result is not None and result.exc_string else "").strip().splitlines()
            shown.append({"id": job.id, "queue": name, "function": job.func_name,
                          "periodic": job.args[0] if job.func_name.endswith(".run_periodic") and job.args else None,
                          "failed_at": job.ended_at and job.ended_at.replace(tzinfo=UTC),
                          "error": error[-1][:300] if error else ""})
    shown.sort(key=lambda job: job["failed_at"] or datetime.min.replace(tzinfo=UTC), reverse=True)
    return shown[:FAILED_SHOWN], total


def periodic(connection) -> list[dict]:
    from participation.schedule import PERIODIC_JOBS

    successes, failures = connection.hgetall(LAST_SUCCESS_KEY), connection.hgetall(LAST_FAILURE_KEY)
    next_runs = connection.hgetall(NEXT_RUN_KEY)
    now = time.time()
    rows = []
    for name, job in PERIODIC_JOBS.items():
        key = name.encode()
        every = job.seconds(current_app.config)
        failure = failures.get(key, b"").decode().split(" ", 1)
        last_success = float(successes[key]) if key in successes else None
        rows.append({"name": name, "every": every, "last_success": moment(last_success),
                     "last_failure": moment(failure[0]) if failure[0] else None,
                     "failure": failure[1] if len(failure) > 1 else None,
                     "next_run": moment(next_runs.get(key)),
                     "running": bool(connection.exists(RUN_LOCK_PREFIX + name)),
                     # No success within two intervals (and a minute): its runs fail, or nothing runs them.
                     "late": every < 86400 and (last_success is None or now - last_success > 2 * every + 60)})
    return rows


def cron(connection) -> dict:
    state = {key.decode(): value.decode() for key, value in connection.hgetall(STATE_KEY).items()}
    heartbeat = float(state["heartbeat"]) if "heartbeat" in state else None
    alive = heartbeat is not None and time.time() - heartbeat <= current_app.config["CRON_LOCK_SECONDS"]
    return {"holder": state.get("holder"), "heartbeat": moment(heartbeat), "since": moment(state.get("since")),
            "standby": connection.zcard(STANDBY_KEY), "alive": alive}


def workers(connection) -> list[dict]:
    rows = []
    now = time.time()
    for worker in Worker.all(connection=connection):
        beat = worker.last_heartbeat.replace(tzinfo=UTC) if worker.last_heartbeat else None
        state = str(worker.get_state())
        rows.append({"name": worker.name, "hostname": worker.hostname, "pid": worker.pid, "state": state,
                     "last_heartbeat": beat, "current_job": worker.get_current_job_id(),
                     "alive": beat is not None and now - beat.timestamp() < WORKER_SILENT_SECONDS})
    return sorted(rows, key=lambda row: row["name"])


def snapshot() -> dict:
    """Everything the staff's health page and GET /api/v1/health show."""
    report = {"redis": True, "queues": None, "failed_jobs": None, "failed_total": None, "periodic": None,
              "cron": None, "workers": None, "oldest_as_of": oldest_as_of(), "stale_counts": stale_counts(),
              "stale_after_minutes": stale_after_seconds() // 60}
    connection = redis_connection()
    try:
        report["queues"] = queues(connection)
        report["failed_jobs"], report["failed_total"] = failed_jobs(connection)
        report["periodic"] = periodic(connection)
        report["cron"] = cron(connection)
        report["workers"] = workers(connection)
    except (RedisError, OSError):
        report["redis"] = False
    return report


def probe() -> tuple[str, dict]:
    """What /healthz reports: "ok", "degraded" (Redis down, or no live worker or cron) or "down" (no database)."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return "down", {"database": "down"}
    parts = {"database": "ok"}
    connection = redis_connection()
    try:
        connection.ping()
        parts["redis"] = "ok"
        parts["workers"] = sum(worker["alive"] for worker in workers(connection))
        parts["cron"] = "ok" if cron(connection)["alive"] else "missing"
    except (RedisError, OSError):
        parts.update(redis="down", workers=None, cron=None)
    ok = parts["redis"] == "ok" and parts["workers"] and parts["cron"] == "ok"
    return ("ok" if ok else "degraded"), parts


def _failed_job(job_id: str) -> tuple[FailedJobRegistry, Job]:
    for name in QUEUE_NAMES:
        registry = get_queue(name).failed_job_registry
        if job_id in registry:
            try:
                return registry, Job.fetch(job_id, connection=redis_connection())
            except NoSuchJobError:
                break
    raise NotFound(_l("실패한 작업 중에 그런 작업이 없습니다."), code="no_such_failed_job")


def failed_count() -> int:
    """Failed jobs waiting for staff (the staff console's count); 0 if Redis does not answer."""
    try:
        return sum(get_queue(name).failed_job_registry.count for name in QUEUE_NAMES)
    except (RedisError, OSError):
        return 0


def retry_failed(job_id: str) -> None:
    """Put a failed job back on its queue."""
    registry, job = _failed_job(job_id)
    registry.requeue(job)


def discard_failed(job_id: str) -> None:
    """Delete a failed job for good."""
    registry, job = _failed_job(job_id)
    registry.remove(job, delete_job=True)


class HealthCollector:
    """The scrape's view of the health report (prometheus-client collector): read at each scrape, in this
    process, from Redis and the database."""

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        up = GaugeMetricFamily("participation_redis_up", "Whether Redis answers")
        depth = GaugeMetricFamily("participation_queue_jobs", "Jobs per queue and state", labels=["queue", "state"])
        failed = GaugeMetricFamily("participation_failed_jobs", "Failed jobs kept for staff", labels=["queue"])
        periodic_failed = GaugeMetricFamily("participation_periodic_last_failure_timestamp_seconds",
                                            "When each periodic job last failed", labels=["job"])
        periodic_ok = GaugeMetricFamily("participation_periodic_last_success_timestamp_seconds",
                                        "When each periodic job last succeeded", labels=["job"])
        workers_alive = GaugeMetricFamily("participation_workers_alive", "Workers whose heartbeat is recent")
        cron_alive = GaugeMetricFamily("participation_cron_alive", "Whether the cron holding the lock beats")
        connection = redis_connection()
        try:
            for name, states in queues(connection).items():
                for state, count in states.items():
                    depth.add_metric([name, state], count)
                failed.add_metric([name], states["failed"])
            for row in periodic(connection):
                if row["last_success"] is not None:
                    periodic_ok.add_metric([row["name"]], row["last_success"].timestamp())
                if row["last_failure"] is not None:
                    periodic_failed.add_metric([row["name"]], row["last_failure"].timestamp())
            workers_alive.add_metric([], sum(worker["alive"] for worker in workers(connection)))
            cron_alive.add_metric([], 1 if cron(connection)["alive"] else 0)
            up.add_metric([], 1)
            yield from (depth, failed, periodic_ok, periodic_failed, workers_alive, cron_alive)
        except (RedisError, OSError):
            up.add_metric([], 0)
        yield up
        oldest = GaugeMetricFamily("participation_oldest_open_count_age_seconds",
                                   "Age of the oldest count among open items")
        found = oldest_as_of()
        oldest.add_metric([], time.time() - found["at"].timestamp() if found else 0)
        yield oldest
