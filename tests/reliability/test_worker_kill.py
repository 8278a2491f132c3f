"""A worker killed with SIGKILL in the middle of a tally or a recount, ten times in a row: no job is lost for
good (each killed job is retried or kept in the failed registry), and the retried jobs and the reconciliation
give counts equal to a direct SQL count. A tally killed in the middle of opening a batch of sealed ballots
(it has opened them, written the plaintext and deleted the sealed rows, and waits to write the counts) leaves
the sealed rows in place; the retry opens them again, and no ballot is ever counted twice.

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
from collections import Counter

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
from participation.polls.models import Ballot, BallotChoice, Participation, Poll, PollOption, Receipt, SealedBallot
from participation.polls.tasks import tally_poll
from participation.schedule import reconcile
from participation.worker import release_scheduled_jobs
from tests import factories
from tests.conftest import ROOT

KILLS = 10

pytestmark = pytest.mark.slow


def wait_for(condition, seconds: float = 15, what: str = "condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class WorkerProcess:
    """A real RQ worker process, like `flask --app wsgi worker`. Importing the app takes seconds (half a minute on
    a loaded machine), so the next process is always started beside the working one and waits, the app imported,
    for a line on its standard input: the worker that replaces a killed one begins at once."""

    COMMAND = ("import sys\nfrom tests.live_app import app\nfrom participation.worker import make_worker\n"
               "sys.stdin.readline()\nmake_worker(app).work(with_scheduler=False, logging_level='ERROR')")

    def __init__(self, env: dict):
        self.env, self.process, self.standby = env, None, None

    def spawn(self) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", self.COMMAND], cwd=ROOT, env=self.env, stdin=subprocess.PIPE)

    def start(self) -> None:
        self.process, self.standby = self.standby or self.spawn(), self.spawn()
        self.process.stdin.write(b"work\n")
        self.process.stdin.close()

    def stop(self) -> None:
        for process in (self.process, self.standby):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            process.stdin.close()  # after it ended: the standby would take the end of its input as the word to work


# Each round's three ballots make a batch, so that every killed tally is killed while opening one.
BATCH = 3
# Held while the tally job runs: on PostgreSQL the job has opened the batch and waits to write the counts onto the
# options (the last writes of its transaction); on SQLite it waits for the database's write lock.
MID_BATCH = "UPDATE poll_option SET label = label WHERE poll_id = :id"


@pytest.fixture
def worker(redis_app, instance_dir, redis_process):
    redis_app.config["MIX_BATCH"] = BATCH
    worker = WorkerProcess({**os.environ, "PARTICIPATION_TEST_INSTANCE": str(instance_dir),
                            "REDIS_URL": redis_process.url, "PARTICIPATION_MIX_BATCH": str(BATCH)})
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
        # A worker process just started may take long to import the app on a loaded machine (as long as the live
        # server's wait in tests/conftest.py allows: over 90 s was seen with two test workers beside other work).
        wait_for(lambda: job.id in started.get_job_ids(), seconds=240, what=f"job {job.id} to start")
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


def direct_counts(poll_id: int, petition_id: int, cast: dict) -> dict:
    """What a count must show: every ballot cast (one per participation row), per option as the test cast them,
    and the signatures."""
    counts = {
        "ballots": db.session.scalar(select(func.count()).select_from(Participation)
                                     .where(Participation.poll_id == poll_id)),
        "votes": dict(cast),
        "signatures": db.session.scalar(select(func.count()).select_from(Signature)
                                        .where(Signature.petition_id == petition_id)),
    }
    db.session.rollback()  # SQLite: a transaction of the test's would hold the write lock the worker needs
    return counts


def stored_ballots(poll_id: int) -> tuple[int, int, int, dict]:
    """Sealed ballots left, opened ballots, receipts, and the opened choices per option."""
    result = (db.session.scalar(select(func.count()).select_from(SealedBallot).where(SealedBallot.box_id == poll_id)),
              db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id)),
              db.session.scalar(select(func.count()).select_from(Receipt).where(Receipt.box_id == poll_id)),
              dict(db.session.execute(select(BallotChoice.option_id, func.count())
                                      .where(BallotChoice.poll_id == poll_id).group_by(BallotChoice.option_id)).all()))
    db.session.rollback()
    return result


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
    cast: Counter = Counter()
    for round_ in range(KILLS):
        # Citizens keep voting and signing between the crashes.
        for number in range(3):
            citizen = factories.UserFactory()
            poll_services.cast_ballot(db.session.get(Poll, poll_id), citizen, [options[(round_ + number) % 3]])
            cast[options[(round_ + number) % 3]] += 1
            petition_services.sign(petition_id, citizen)
        db.session.commit()
        if round_ % 2 == 0:
            killed.append(kill_mid_job(worker, tally_poll, poll_id, MID_BATCH))
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
    # Nothing written by a killed job: the published counts are still the old ones, and every ballot is still
    # sealed (the plaintext the killed tallies had written went with their transactions).
    assert published_counts(poll_id, petition_id) != direct_counts(poll_id, petition_id, cast)
    assert stored_ballots(poll_id) == (KILLS * 3, 0, 0, {})

    # The retries run (what the scheduler does when their delay is up) and finish.
    release_scheduled_jobs(redis_app)
    queue = get_queue()
    wait_for(lambda: queue.count == 0 and not StartedJobRegistry(queue=queue).get_job_ids()
             and all(Job.fetch(job_id, connection=connection).get_status() == "finished" for job_id in killed),
             seconds=30, what="the retried jobs to finish")
    assert published_counts(poll_id, petition_id) == direct_counts(poll_id, petition_id, cast)
    # Every ballot opened exactly once: none sealed, none twice.
    assert stored_ballots(poll_id) == (0, KILLS * 3, KILLS * 3, dict(cast))

    # A fresh reconciliation agrees with a direct SQL count too (and changes nothing now).
    reconcile()
    db.session.remove()
    expected = direct_counts(poll_id, petition_id, cast)
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
    kill_mid_job(worker, tally_poll, poll_id, MID_BATCH)
    kill_mid_job(worker, recount_petition, petition_id, "UPDATE petition SET title = title WHERE id = :id")
    get_queue().connection.flushdb()  # every retry gone
    cast = {option_id: 4}
    assert published_counts(poll_id, petition_id) != direct_counts(poll_id, petition_id, cast)
    reconcile()
    db.session.remove()
    assert published_counts(poll_id, petition_id) == direct_counts(poll_id, petition_id, cast) == {
        "ballots": 4, "votes": {option_id: 4}, "signatures": 4}
    assert stored_ballots(poll_id) == (0, 4, 4, cast)
