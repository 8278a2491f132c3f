"""One cron across all workers (participation/cron.py), with real processes: two workers start as `flask worker`
does (each with its cron process), exactly one cron holds the lock and enqueues the periodic jobs while the other
stands by; when the first worker is killed (SIGKILL of its whole process group: the worker and its cron, so
nothing gives the lock up) the lock expires and the second cron takes over, going on with the same schedule."""

import os
import signal
import subprocess
import sys

import psutil
import pytest
from rq.job import Job

from participation.core.jobs import job_id_for
from participation.cron import LEADERS_KEY, LOCK_KEY, NEXT_RUN_KEY, STANDBY_KEY, STATE_KEY, periodic_job_key
from participation.schedule import PERIODIC_JOBS
from tests.conftest import ROOT
from tests.reliability.test_worker_kill import wait_for

LOCK_SECONDS = 3


def start_worker(env: dict) -> subprocess.Popen:
    """`flask --app wsgi worker` on the test configuration: run_worker is its body."""
    return subprocess.Popen(
        [sys.executable, "-c", "from tests.live_app import app\n"
         "from participation.worker import run_worker\n"
         "run_worker(app)"], cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cron_pid(worker: subprocess.Popen) -> int | None:
    children = psutil.Process(worker.pid).children()
    return children[0].pid if children else None


def token_pid(token: bytes | str) -> int:
    text = token.decode() if isinstance(token, bytes) else token
    return int(text.split(":")[-2])


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


@pytest.fixture
def redis_client(redis_process):
    import redis

    return redis.Redis.from_url(redis_process.url)


def test_two_workers_run_one_cron_and_the_second_takes_over(redis_app, instance_dir, redis_process, redis_client):
    env = {**os.environ, "PARTICIPATION_TEST_INSTANCE": str(instance_dir), "REDIS_URL": redis_process.url,
           "PARTICIPATION_CRON_LOCK_SECONDS": str(LOCK_SECONDS)}
    workers = [start_worker(env), start_worker(env)]
    try:
        # Both crons are up: one holds the lock, the other stands by (and beats).
        wait_for(lambda: redis_client.get(LOCK_KEY) and redis_client.zcard(STANDBY_KEY) == 1, seconds=120,
                 what="one cron holding the lock and one standing by")
        crons = {cron_pid(worker): worker for worker in workers}
        assert None not in crons and len(crons) == 2
        holder = token_pid(redis_client.get(LOCK_KEY))
        standby_token = redis_client.zrange(STANDBY_KEY, 0, -1)[0]
        standby = token_pid(standby_token)
        assert {holder, standby} == set(crons)

        # The standby goes on beating (three more beats) and never takes the lock while the holder lives.
        first_beat = redis_client.zscore(STANDBY_KEY, standby_token)
        wait_for(lambda: redis_client.zscore(STANDBY_KEY, standby_token) >= first_beat + 2 * LOCK_SECONDS / 3,
                 seconds=60, what="the standby cron's beats")
        assert token_pid(redis_client.get(LOCK_KEY)) == holder
        assert redis_client.llen(LEADERS_KEY) == 1
        # Every periodic job was enqueued, once, by the holder.
        wait_for(lambda: redis_client.hlen(NEXT_RUN_KEY) == len(PERIODIC_JOBS), what="the schedule")
        enqueued_by = set()
        for name, job in PERIODIC_JOBS.items():
            if job.seconds(redis_app.config) >= 86400:
                continue  # the weekly sweep is first due a week after the schedule starts
            enqueued_by.add(Job.fetch(job_id_for(periodic_job_key(name)), connection=redis_client).meta["cron"])
        assert len(enqueued_by) == 1 and token_pid(enqueued_by.pop()) == holder
        schedule = redis_client.hgetall(NEXT_RUN_KEY)

        # The holder's worker dies with its cron: the lock expires and the standby takes over.
        stop(crons[holder])
        wait_for(lambda: redis_client.get(LOCK_KEY) == standby_token, seconds=60, what="the takeover")
        assert redis_client.llen(LEADERS_KEY) == 2
        assert token_pid(redis_client.lindex(LEADERS_KEY, 0).split(b" ")[1]) == standby
        assert redis_client.zcard(STANDBY_KEY) == 0
        wait_for(lambda: redis_client.hget(STATE_KEY, "holder") == standby_token, what="the new holder's beat")
        # It goes on with the schedule it found: nothing was due again at once.
        slow = [name for name, job in PERIODIC_JOBS.items() if job.seconds(redis_app.config) >= 300]
        assert all(redis_client.hget(NEXT_RUN_KEY, name) == schedule[name.encode()] for name in slow)
    finally:
        for worker in workers:
            stop(worker)


def test_a_stopped_worker_gives_the_lock_up_at_once(redis_app, instance_dir, redis_process, redis_client):
    env = {**os.environ, "PARTICIPATION_TEST_INSTANCE": str(instance_dir), "REDIS_URL": redis_process.url,
           "PARTICIPATION_CRON_LOCK_SECONDS": "600"}
    worker = start_worker(env)
    try:
        wait_for(lambda: redis_client.get(LOCK_KEY), seconds=120, what="the cron lock")
        worker.terminate()  # SIGTERM, as a supervisor stops it
        worker.wait(timeout=60)
        # Released, not left to expire in ten minutes.
        wait_for(lambda: redis_client.get(LOCK_KEY) is None, seconds=30, what="the lock to be released")
    finally:
        stop(worker)
