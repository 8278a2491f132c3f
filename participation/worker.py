"""The RQ worker: each job runs inside the app context, in a forked work horse, with its own
database connections. The cron scheduler (RQ's own) runs the periodic jobs of schedule.py."""

import logging

from flask import Flask
from rq import SimpleWorker, Worker
from rq.cron import CronScheduler
from sqlalchemy.orm import configure_mappers

from participation.core.jobs import QUEUE_NAMES, clear_debounce_mark, get_queue
from participation.core.redis import redis_connection
from participation.extensions import db

log = logging.getLogger(__name__)


class AppContextMixin:
    flask_app: Flask

    def perform_job(self, job, queue, *args, **kwargs) -> bool:
        # Cleared before the job reads anything: events from now on schedule the next run.
        clear_debounce_mark(job)
        with self.flask_app.app_context():
            if self.forks:
                # Connections inherited from the parent through fork() are not ours to use.
                db.engine.dispose(close=False)
            try:
                return super().perform_job(job, queue, *args, **kwargs)
            finally:
                db.session.remove()


class AppWorker(AppContextMixin, Worker):
    """Forks a work horse per job: the parent's memory stays flat over any number of jobs."""

    forks = True


class InProcessWorker(AppContextMixin, SimpleWorker):
    """Runs jobs in its own process (tests, `tally --now`)."""

    forks = False


def make_worker(app: Flask, in_process: bool = False) -> Worker:
    with app.app_context():
        connection = redis_connection()
        queues = [get_queue(name) for name in QUEUE_NAMES]
    # Done once here, not lazily by the first query of every forked work horse (most of a small job's time).
    configure_mappers()
    worker = (InProcessWorker if in_process else AppWorker)(queues, connection=connection)
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


def run_cron(app: Flask) -> None:
    from participation.schedule import PERIODIC

    with app.app_context():
        scheduler = CronScheduler(connection=redis_connection(), name="participation-cron")
        for func, every in PERIODIC:
            seconds = app.config[every] if isinstance(every, str) else every
            scheduler.register(func, queue_name="default", interval=seconds)
    scheduler.start()
