"""Background work, by name: the registry of jobs and their keys, and enqueueing after commit.

Every kind of job is registered once by name, with the function that does it (in a channel's `tasks.py`,
named by its dotted path: only the worker imports it, so that no service imports `tasks`) and how it runs:

    jobs.register("recount:petition", "participation.petitions.tasks.recount_petition")
    ...
    jobs.schedule("recount:petition", petition.id)   # in a service or an enter-hook

The registry owns each job's key: the name followed by the arguments ("recount:petition:5"), so that no
call site types one. `schedule` runs the job after the database commit that it depends on, so a worker
never reads a row that is not there yet (dropped on rollback). A debounced job (the default; counts
after a burst of signatures or votes) is scheduled once per key: the first event of a burst schedules one
run `delay` seconds later (the setting named by the job, RECOUNT_DELAY unless it says otherwise), and every
event until that run starts is folded into it — 10,000 votes make a handful of recounts, not 10,000. The
worker clears the debounce mark when the job *starts*, so events that arrive while it runs schedule the
next one and nothing is missed. A job registered with `debounce=False` is enqueued at once under its key,
so that the same key is never queued twice at a time (`is_pending`). If Redis is down the event is still in
the database; the periodic reconciliation recounts it.

Periodic jobs and full recounts are not scheduled from requests: each channel lists them in its `tasks.py`
(PERIODIC, RECOUNTS), and `participation/schedule.py` gathers them for the worker's cron scheduler.
"""

import logging
import re
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job as RQJob
from rq.job import JobStatus

from participation.core.database import after_commit, after_commit_pipelined
from participation.core.redis import redis_connection

log = logging.getLogger(__name__)

QUEUE_NAMES = ("default",)
DEBOUNCE_PREFIX = "participation:debounce:"
RETRY = Retry(max=3, interval=[5, 30, 120])


@dataclass(frozen=True)
class Job:
    """A kind of background job: its name, the dotted path of its function, and how it runs."""

    name: str
    function: str
    debounce: bool = True
    delay: str = "RECOUNT_DELAY"  # the setting that holds a debounced job's delay, in seconds
    timeout: int | None = None  # seconds; RQ's default (180) when None

    def key(self, *args) -> str:
        """The key of one run: the name and the arguments ("recount:poll:5")."""
        return ":".join((self.name, *(str(arg) for arg in args)))


JOBS: dict[str, Job] = {}


def register(name: str, function: str, *, debounce: bool = True, delay: str = "RECOUNT_DELAY",
             timeout: int | None = None) -> Job:
    """Declare a job by name (at import, next to the code that schedules it). Registering the same name
    again with the same definition is harmless; with another one it is a mistake."""
    job = Job(name, function, debounce, delay, timeout)
    if JOBS.setdefault(name, job) != job:
        raise ValueError(f"the job {name!r} is registered twice with different definitions")
    return job


def schedule(name: str, *args) -> None:
    """After the current transaction commits, run the job `name` with `args` (ids): debounced per key, or
    enqueued at once under its key (see the module docstring)."""
    job = JOBS[name]
    if job.debounce:
        enqueue_debounced(job.key(*args), job.function, *args, delay=current_app.config[job.delay])
    else:
        enqueue_after_commit(job.function, *args, job_id=job.key(*args), timeout=job.timeout)


def is_pending(name: str, *args) -> bool:
    """Whether the run of `name` with `args` (a job registered with debounce=False) waits, is scheduled or
    runs; True if Redis cannot say."""
    return job_pending(JOBS[name].key(*args))


def status(name: str, *args) -> str | None:
    """The status of the run of `name` with `args` (a job registered with debounce=False): "queued", "started",
    "failed", …, or None when there is no such job (never enqueued, or gone). Raises RedisError if Redis cannot say."""
    try:
        job = RQJob.fetch(job_id_for(JOBS[name].key(*args)), connection=redis_connection())
    except NoSuchJobError:
        return None
    state = job.get_status(refresh=False)
    return getattr(state, "value", state)


def job_id_for(key: str) -> str:
    """RQ job ids take letters, digits, _ and - only: "recount:poll:5" becomes "recount-poll-5"."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", key)


def get_queue(name: str = "default") -> Queue:
    return Queue(name, connection=redis_connection())


def enqueue_after_commit(func, *args, job_id: str | None = None, timeout: int | None = None) -> None:
    """Run `func(*args)` (a function or its dotted path) on a worker once the current transaction commits
    (dropped on rollback). `timeout` (seconds) replaces RQ's default of 180 for a job that may run longer.
    Channels call `schedule(name)`; this is what it does for a job that is not debounced."""
    after_commit(_enqueue, func, args, job_id, timeout)


def _enqueue(func, args: tuple, job_id: str | None, timeout: int | None) -> None:
    try:
        get_queue().enqueue(func, *args, job_id=job_id and job_id_for(job_id), retry=RETRY, job_timeout=timeout)
    except RedisError as error:
        # The rows are committed; the periodic reconciliation picks them up.
        log.warning("could not enqueue %s: %s", job_id or getattr(func, "__name__", func), error.__class__.__name__)


def job_pending(key: str) -> bool:
    """Whether the job enqueued under `key` (enqueue_after_commit's job_id) waits, is scheduled or runs. If
    Redis cannot say, True: the caller asks again next time rather than enqueue a second copy."""
    try:
        job = RQJob.fetch(job_id_for(key), connection=redis_connection())
    except NoSuchJobError:
        return False
    except RedisError:
        return True
    return job.get_status(refresh=False) in (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED,
                                             JobStatus.DEFERRED)


def enqueue_debounced(key: str, func, *args, delay: int | None = None) -> None:
    """After commit, schedule `func(*args)` (a function or its dotted path) unless a job for `key` is
    already waiting to start. It runs `delay` seconds later (by default RECOUNT_DELAY). Channels call
    `schedule(name)`; this is what it does for a debounced job. The debounce mark goes in the commit's one Redis
    round trip (`after_commit_pipelined`); only the first event of a burst, which sets it, enqueues the job."""
    if delay is None:
        delay = current_app.config["RECOUNT_DELAY"]
    after_commit_pipelined(_mark_debounced, key, func, args, delay)


def _mark_debounced(pipeline, key: str, func, args: tuple, delay: int):
    # The mark outlives the delay by far, in case no worker runs; a stale mark then only delays.
    pipeline.set(DEBOUNCE_PREFIX + key, "1", nx=True, ex=max(60, delay * 30))

    def then(replies: list) -> None:
        if isinstance(replies[0], Exception):
            log.warning("could not schedule %s: %s", key, replies[0].__class__.__name__)
        elif replies[0]:
            try:
                get_queue().enqueue_in(timedelta(seconds=delay), func, *args,
                                       job_id=f"{job_id_for(key)}-{int(time.time() * 1000)}",
                                       meta={"debounce_key": key}, retry=RETRY, result_ttl=600, failure_ttl=86400)
            except RedisError as error:
                # The rows are committed; the periodic reconciliation picks them up.
                log.warning("could not schedule %s: %s", key, error.__class__.__name__)

    return then


def clear_debounce_mark(job) -> None:
    key = job.meta.get("debounce_key")
    if key:
        job.connection.delete(DEBOUNCE_PREFIX + key)
