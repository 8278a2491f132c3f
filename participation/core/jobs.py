"""Enqueueing background work.

Jobs are enqueued after the database commit that they depend on, so a worker never reads a row that
is not there yet. A hot path calls `enqueue_debounced`: the first event of a burst schedules one job
a few seconds later, and every event until that job starts is folded into it — 10,000 votes make a
handful of recounts, not 10,000. The worker clears the debounce mark when the job *starts*, so events
that arrive while it runs schedule the next one and nothing is missed. If Redis is down the event is
still in the database; the periodic reconciliation recounts it.
"""

import logging
import re
import time
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import event
from sqlalchemy.orm import Session

from participation.core.redis import redis_connection
from participation.extensions import db

log = logging.getLogger(__name__)

QUEUE_NAMES = ("default",)
DEBOUNCE_PREFIX = "participation:debounce:"
RETRY = Retry(max=3, interval=[5, 30, 120])


def job_id_for(key: str) -> str:
    """RQ job ids take letters, digits, _ and - only: "recount:poll:5" becomes "recount-poll-5"."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", key)


def get_queue(name: str = "default") -> Queue:
    return Queue(name, connection=redis_connection())


def enqueue_after_commit(func, *args, job_id: str | None = None, timeout: int | None = None) -> None:
    """Run `func(*args)` on a worker once the current transaction commits (dropped on rollback). `timeout`
    (seconds) replaces RQ's default of 180 for a job that may run longer."""
    _pending().append(("now", func, args, (job_id, timeout)))


def job_pending(key: str) -> bool:
    """Whether the job enqueued under `key` (enqueue_after_commit's job_id) waits, is scheduled or runs. If
    Redis cannot say, True: the caller asks again next time rather than enqueue a second copy."""
    try:
        job = Job.fetch(job_id_for(key), connection=redis_connection())
    except NoSuchJobError:
        return False
    except RedisError:
        return True
    return job.get_status(refresh=False) in (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED,
                                             JobStatus.DEFERRED)


def enqueue_debounced(key: str, func, *args, delay: int | None = None) -> None:
    """After commit, schedule `func(*args)` unless a job for `key` is already waiting to start. It runs
    `delay` seconds later (by default RECOUNT_DELAY)."""
    _pending().append(("debounced", func, args, (key, delay)))


def _pending() -> list:
    return db.session.info.setdefault("participation_jobs", [])


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session: Session) -> None:
    pending = session.info.pop("participation_jobs", None)
    for kind, func, args, (key, seconds) in pending or ():
        try:
            if kind == "now":
                get_queue().enqueue(func, *args, job_id=key and job_id_for(key), retry=RETRY, job_timeout=seconds)
            else:
                schedule_debounced(key, func, *args, delay=seconds)
        except RedisError as error:
            # The rows are committed; the periodic reconciliation picks them up.
            log.warning("could not enqueue %s (%s): %s", key or func.__name__, kind, error.__class__.__name__)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop("participation_jobs", None)


def schedule_debounced(key: str, func, *args, delay: int | None = None) -> bool:
    if delay is None:
        delay = current_app.config["RECOUNT_DELAY"]
    connection = redis_connection()
    # The mark outlives the delay by far, in case no worker runs; a stale mark then only delays.
    if not connection.set(DEBOUNCE_PREFIX + key, "1", nx=True, ex=max(60, delay * 30)):
        return False
    get_queue().enqueue_in(timedelta(seconds=delay), func, *args, job_id=f"{job_id_for(key)}-{int(time.time() * 1000)}",
                           meta={"debounce_key": key}, retry=RETRY, result_ttl=600, failure_ttl=86400)
    return True


def clear_debounce_mark(job) -> None:
    key = job.meta.get("debounce_key")
    if key:
        job.connection.delete(DEBOUNCE_PREFIX + key)
