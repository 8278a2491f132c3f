"""A job that outlives its timeout is stopped (RQ's SIGALRM death penalty, in the worker's own process) and
marked failed, and the worker goes on with the next job on a clean session and connection."""

import time

from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import select, text

from participation.core.jobs import get_queue
from participation.extensions import db
from participation.petitions.models import Petition
from participation.petitions.services import sign
from participation.petitions.tasks import recount_petition
from participation.worker import make_worker
from tests import factories


def stuck_job(petition_id: int) -> None:
    """Takes the petition's write lock (SQLite: the database's) and never lets go."""
    db.session.execute(text("UPDATE petition SET title = title WHERE id = :id"), {"id": petition_id})
    time.sleep(600)


def test_a_job_past_its_timeout_is_stopped_and_failed_and_the_next_job_runs(redis_app):
    petition = factories.open_petition()
    petition_id = petition.id
    sign(petition_id, factories.UserFactory())
    db.session.commit()
    queue = get_queue()
    stuck = queue.enqueue(stuck_job, petition_id, job_timeout=1, failure_ttl=86400)
    recount = queue.enqueue(recount_petition, petition_id)

    make_worker(redis_app).work(burst=True, with_scheduler=False, logging_level="ERROR")

    stuck = Job.fetch(stuck.id, connection=queue.connection)
    assert stuck.get_status() == "failed"
    assert "JobTimeoutException" in stuck.latest_result().exc_string
    assert stuck.id in FailedJobRegistry(queue=queue).get_job_ids()
    # The stuck job's transaction was rolled back: the recount after it could write.
    assert Job.fetch(recount.id, connection=queue.connection).get_status() == "finished"
    db.session.expire_all()
    assert db.session.scalar(select(Petition.signature_count).where(Petition.id == petition_id)) == 1
    db.session.rollback()
