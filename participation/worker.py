"""The RQ worker: jobs run one after another in the worker process itself (RQ's `SimpleWorker`), each inside
a fresh app context with its own session, on the connections of the process's pool. Each worker starts a cron
process (participation/cron.py); one of them, across all workers, enqueues the periodic jobs of schedule.py.

Not RQ's forking `Worker`: a work horse forked per job cost 60-90 ms a job (the fork, then a cold child
that opens Redis and database connections again and compiles every SQL statement again, its caches thrown
away when it exits) against 2-3 ms for the tally or recount itself; in-process the same jobs take 10-17 ms
each, RQ's Redis bookkeeping included. Memory stays flat because nothing a job leaves behind is kept: the
app context (`g`) and the session (identity map, `session.info`) end with the job, and the caches that
outlive it are bounded (SQLAlchemy's compiled-statement cache, the settings and read caches).

A job's timeout is RQ's SIGALRM death penalty, raised in this process's main thread: the job is stopped
and marked failed, and the worker goes on (tests/reliability/test_worker_timeout.py). A worker process
that dies mid-job (SIGKILL, out of memory) leaves its job in the started registry; once the entry expires
(the job's timeout + 60 s), the next registry cleanup of any worker (once a minute) retries the job or
keeps it as failed, and the periodic reconciliation recounts what it would have written
(tests/reliability/test_worker_kill.py)."""

import contextlib
import logging
import multiprocessing
import threading

from flask import Flask
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.utils import now, utcformat
from sqlalchemy.orm import configure_mappers

from participation.core.jobs import QUEUE_NAMES, clear_debounce_mark, get_queue
from participation.core.redis import redis_connection
from participation.extensions import db

log = logging.getLogger(__name__)
WORKER_TTL = 60
BUSY_BEAT_SECONDS = 15


class AppWorker(SimpleWorker):
    """Runs each job in this process, in an app context of its own: `flask worker` (and its `--burst`), tests."""

    flask_app: Flask

    def perform_job(self, job, queue, *args, **kwargs) -> bool:
        # Cleared before the job reads anything: events from now on schedule the next run.
        clear_debounce_mark(job)
        done = threading.Event()
        threading.Thread(target=self._beat_until, args=(done,), daemon=True).start()
        with self.flask_app.app_context():
            try:
                return super().perform_job(job, queue, *args, **kwargs)
            finally:
                done.set()
                # Rolls back whatever a failed or timed-out job left open and returns its connection to
                # the pool; the next job starts with an empty identity map and session.info.
                db.session.remove()

    def _beat_until(self, done: threading.Event) -> None:
        """While a job runs in this process, its heartbeat goes on (RQ's forking worker beats from the parent;
        this one would be silent for the whole job): the health page tells a long job from a dead worker."""
        while not done.wait(BUSY_BEAT_SECONDS):
            with contextlib.suppress(RedisError):
                self.connection.hset(self.key, "last_heartbeat", utcformat(now()))


def make_worker(app: Flask) -> AppWorker:
    with app.app_context():
        connection = redis_connection()
        queues = [get_queue(name) for name in QUEUE_NAMES]
    # Once here rather than lazily inside the first job.
    configure_mappers()
    # Registry cleanup every minute, not RQ's ten: it is what retries the job of a worker that died mid-job.
    # An idle worker beats every WORKER_TTL - 15 seconds and a dead one leaves the registry after WORKER_TTL
    # (RQ's default is 420), so the health page sees a dead worker within a minute.
    worker = AppWorker(queues, connection=connection, maintenance_interval=60, worker_ttl=WORKER_TTL)
    worker.flask_app = app
    return worker


def release_scheduled_jobs(app: Flask) -> int:
    """Move every delayed (debounced) job to its queue now, so that a burst run includes them."""
    released = 0
    with app.app_context():
        for name in QUEUE_NAMES:
            queue = get_queue(name)
            registry = queue.scheduled_job_registry
            for job_id in registry.get_job_ids():
                job = queue.fetch_job(job_id)
                registry.remove(job_id)
                if job is not None:
                    queue.enqueue_job(job)
                    released += 1
    return released


def run_worker(app: Flask, cron: bool = True) -> None:
    """`flask worker`: a cron process (which stands by unless it holds the cron lock), then the worker itself."""
    if cron:
        multiprocessing.Process(target=run_cron, args=(app,), daemon=True, name="participation-cron").start()
    make_worker(app).work(with_scheduler=True)


def run_cron(app: Flask) -> None:
    from participation.cron import run_cron_process
    from participation.schedule import PERIODIC_JOBS

    with app.app_context():
        run_cron_process(redis_connection(), list(PERIODIC_JOBS.values()), app.config)
