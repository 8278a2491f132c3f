"""A worker killed with SIGKILL in the middle of a tally or a recount, ten times in a row: no job is lost for
good (each killed job is retried or kept in the failed registry), and the retried jobs and the reconciliation
give counts equal to a direct SQL count.

Real processes, real commits: a worker (`participation.worker.make_worker(app).work()`, running its jobs in
its own process) on the test database and on a Redis of the test's own, started again after each kill. To be
sure the job is mid-way when it is killed, the test holds a write lock on the row the job is about to write
(the job has already read the ballots and waits on its UPDATE); it kills the worker, then lets go of the lock.
The killed job stays in the started registry until its entry expires (the job's timeout + 60 s) and a
worker's registry cleanup retries it or fails it; the test runs that cleanup with the clock past the expiry."""

import os
import signal
import subprocess
import sys
import time

import pytest
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import func, select, text

from participation.core.jobs import RETRY, get_queue
from participation.extensions import db
from participation.petitions import services as petition_services
from participation.petitions.models import Petition, Signature
from participation.petitions.tasks import recount_petition
from participation.polls import services as poll_services
from participation.polls.models import Ballot, BallotChoice, Poll, PollOption
from participation.polls.tasks import tally_poll
from participation.schedule import reconcile
from participation.worker import release_scheduled_jobs
from tests import factories
from tests.conftest import ROOT

KILLS = 10


def wait_for(condition, seconds: float = 15, what: str = "condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class WorkerProcess:
    """A real RQ worker process, like `flask --app wsgi worker`."""

    def __init__(self, env: dict):
        self.env, self.process = env, None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from tests.live_app import app\n"
             "from participation.worker import make_worker\n"
             "make_worker(app).work(with_scheduler=False, logging_level='ERROR')"],
            cwd=ROOT, env=self.env)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def worker(redis_app, instance_dir, redis_process):
    worker = WorkerProcess({**os.environ, "PARTICIPATION_TEST_INSTANCE": str(instance_dir),
                            "REDIS_URL": redis_process.url})
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


def kill_mid_job(worker, func, item_id: int, lock_sql: str) -> str:
    """Enqueue the job while its row is locked, SIGKILL the worker once the job waits on that row, start a
    worker again and let its registry cleanup find the abandoned job."""
    with db.engine.connect() as lock:
        lock.execute(text(lock_sql), {"id": item_id})  # a write lock until rollback (row on PostgreSQL)
        job = get_queue().enqueue(func, item_id, retry=RETRY, failure_ttl=86400)
        started = StartedJobRegistry(queue=get_queue())
        wait_for(lambda: job.id in started.get_job_ids(), what=f"job {job.id} to start")
        time.sleep(0.3)  # well inside the job: it has read the rows and waits on its write
        assert job.get_status(refresh=True) == "started"
        os.kill(worker.process.pid, signal.SIGKILL)
        worker.process.wait(timeout=10)
        lock.rollback()
    assert job.get_status(refresh=True) == "started"  # abandoned, not lost
    worker.start()
    # What any worker's maintenance does once the entry has expired (the job's timeout + 60 s).
    StartedJobRegistry(queue=get_queue()).cleanup(timestamp=time.time() + job.timeout + 61)
    wait_for(lambda: job.get_status(refresh=True) in ("failed", "scheduled"), what="the cleanup")
    return job.id


def direct_counts(poll_id: int, petition_id: int) -> dict:
    counts = {
        "ballots": db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id)),
        "votes": dict(db.session.execute(select(BallotChoice.option_id, func.count())
                                         .where(BallotChoice.poll_id == poll_id)
                                         .group_by(BallotChoice.option_id)).all()),
        "signatures": db.session.scalar(select(func.count()).select_from(Signature)
                                        .where(Signature.petition_id == petition_id)),
    }
    db.session.rollback()  # SQLite: a transaction of the test's would hold the write lock the worker needs
    return counts


def published_counts(poll_id: int, petition_id: int) -> dict:
    db.session.expire_all()
    counts = {
        "ballots": db.session.scalar(select(Poll.total_ballots).where(Poll.id == poll_id)),
        "votes": {option_id: votes for option_id, votes in db.session.execute(
            select(PollOption.id, PollOption.votes).where(PollOption.poll_id == poll_id)) if votes},
        "signatures": db.session.scalar(select(Petition.signature_count).where(Petition.id == petition_id)),
    }
    db.session.rollback()
    return counts


def test_killed_tallies_and_recounts_are_retried_and_reconciled(redis_app, worker, redis_process):
    poll = factories.PollFactory()
    petition = factories.open_petition()
    options = [option.id for option in poll.options]
    poll_id, petition_id = poll.id, petition.id
    db.session.commit()
    killed = []
    for round_ in range(KILLS):
        # Citizens keep voting and signing between the crashes.
        for number in range(3):
            citizen = factories.UserFactory()
            poll_services.cast_ballot(db.session.get(Poll, poll_id), citizen, [options[(round_ + number) % 3]])
            petition_services.sign(petition_id, citizen)
        db.session.commit()
        if round_ % 2 == 0:
            killed.append(kill_mid_job(worker, tally_poll, poll_id,
                                       "UPDATE poll SET title = title WHERE id = :id"))
        else:
            killed.append(kill_mid_job(worker, recount_petition, petition_id,
                                       "UPDATE petition SET title = title WHERE id = :id"))

    # No killed job is lost: each is waiting for its retry (or, retries spent, kept as failed).
    connection = get_queue().connection
    scheduled = set(ScheduledJobRegistry(queue=get_queue()).get_job_ids())
    failed = set(FailedJobRegistry(queue=get_queue()).get_job_ids())
    for job_id in killed:
        assert job_id in scheduled | failed, f"job {job_id} is lost"
        assert Job.fetch(job_id, connection=connection).get_status() in ("scheduled", "failed")
    assert len(killed) == KILLS
    # Nothing written by a killed job: the published counts are still the old ones.
    assert published_counts(poll_id, petition_id) != direct_counts(poll_id, petition_id)

    # The retries run (what the scheduler does when their delay is up) and finish.
    release_scheduled_jobs(redis_app)
    queue = get_queue()
    wait_for(lambda: queue.count == 0 and not StartedJobRegistry(queue=queue).get_job_ids()
             and all(Job.fetch(job_id, connection=connection).get_status() == "finished" for job_id in killed),
             seconds=30, what="the retried jobs to finish")
    assert published_counts(poll_id, petition_id) == direct_counts(poll_id, petition_id)

    # A fresh reconciliation agrees with a direct SQL count too (and changes nothing now).
    reconcile()
    db.session.remove()
    expected = direct_counts(poll_id, petition_id)
    assert expected["ballots"] == KILLS * 3 and expected["signatures"] == KILLS * 3
    assert published_counts(poll_id, petition_id) == expected


def test_reconciliation_alone_catches_up_after_killed_jobs(redis_app, worker, redis_process):
    """Retries spent or Redis flushed: the periodic reconciliation is enough on its own."""
    poll = factories.PollFactory()
    petition = factories.open_petition()
    poll_id, petition_id, option_id = poll.id, petition.id, poll.options[1].id
    for _ in range(4):
        citizen = factories.UserFactory()
        poll_services.cast_ballot(db.session.get(Poll, poll_id), citizen, [option_id])
        petition_services.sign(petition_id, citizen)
    db.session.commit()
    kill_mid_job(worker, tally_poll, poll_id, "UPDATE poll SET title = title WHERE id = :id")
    kill_mid_job(worker, recount_petition, petition_id, "UPDATE petition SET title = title WHERE id = :id")
    get_queue().connection.flushdb()  # every retry gone
    assert published_counts(poll_id, petition_id) != direct_counts(poll_id, petition_id)
    reconcile()
    db.session.remove()
    assert published_counts(poll_id, petition_id) == direct_counts(poll_id, petition_id) == {
        "ballots": 4, "votes": {option_id: 4}, "signatures": 4}
