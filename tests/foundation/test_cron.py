"""The cron's beats, driven one at a time (the real processes are in tests/reliability/test_one_cron.py): one
holder at a time, a standby that takes over only once the lock is gone, and periodic jobs that never overlap
themselves, neither in the queue nor in the running."""

import pytest
from rq.job import Job

from participation.core.jobs import get_queue, job_id_for
from participation.cron import (
    LAST_ENQUEUED_KEY,
    LAST_FAILURE_KEY,
    LAST_SUCCESS_KEY,
    LEADERS_KEY,
    LOCK_KEY,
    RUN_LOCK_PREFIX,
    STANDBY_KEY,
    Cron,
    Periodic,
    periodic_job_key,
    run_exclusively,
)

RUNS = []


def count_a_run() -> None:
    RUNS.append(1)


def fail() -> None:
    raise RuntimeError("the job failed")


JOBS = [Periodic("count_a_run", count_a_run, 60), Periodic("weekly", count_a_run, 7 * 86400)]


def queued(redis) -> list[str]:
    return get_queue().get_job_ids()


def test_one_holder_enqueues_and_a_standby_waits(app, redis):
    first, second = Cron(redis, JOBS, app.config), Cron(redis, JOBS, app.config)
    first.step()
    second.step()
    assert (first.holding, second.holding) == (True, False)
    assert redis.get(LOCK_KEY).decode() == first.token
    assert redis.zrange(STANDBY_KEY, 0, -1) == [second.token.encode()]
    # The minutely job once; the weekly sweep is first due a week after the schedule starts.
    assert queued(redis) == [job_id_for(periodic_job_key("count_a_run"))]
    assert float(redis.hget(LAST_ENQUEUED_KEY, "weekly")) > 0
    for _ in range(3):
        first.step()
        second.step()
    assert second.holding is False and len(queued(redis)) == 1 and redis.llen(LEADERS_KEY) == 1

    # The holder is gone (its lock expired): the standby takes over and goes on with the same schedule.
    redis.delete(LOCK_KEY)
    second.step()
    assert second.holding and redis.llen(LEADERS_KEY) == 2 and redis.zcard(STANDBY_KEY) == 0
    assert len(queued(redis)) == 1  # nothing due again: the minute has not passed
    # The old holder finds the lock taken: it stands by, and its release does not touch the new holder's lock.
    first.step()
    assert first.holding is False
    first.release()
    assert redis.get(LOCK_KEY).decode() == second.token


def test_a_round_is_skipped_while_the_last_run_still_waits(app, redis):
    cron = Cron(redis, JOBS[:1], app.config)
    cron.step()
    job_id = job_id_for(periodic_job_key("count_a_run"))
    assert queued(redis) == [job_id]
    redis.hset(LAST_ENQUEUED_KEY, "count_a_run", 0)  # due again, long ago
    cron.step()
    assert queued(redis) == [job_id]  # not twice
    Job.fetch(job_id, connection=redis).delete()
    redis.hset(LAST_ENQUEUED_KEY, "count_a_run", 0)
    cron.step()
    assert queued(redis) == [job_id]


def test_a_run_is_skipped_while_another_run_of_the_same_job_holds_its_lock(app, redis):
    RUNS.clear()
    redis.set(RUN_LOCK_PREFIX + "count_a_run", "another run")
    assert run_exclusively(redis, "count_a_run", count_a_run, 60) is False
    assert RUNS == [] and redis.hget(LAST_SUCCESS_KEY, "count_a_run") is None
    redis.delete(RUN_LOCK_PREFIX + "count_a_run")
    assert run_exclusively(redis, "count_a_run", count_a_run, 60) is True
    assert RUNS == [1] and redis.hget(LAST_SUCCESS_KEY, "count_a_run") is not None
    assert redis.get(RUN_LOCK_PREFIX + "count_a_run") is None

    with pytest.raises(RuntimeError):
        run_exclusively(redis, "fail", fail, 60)
    assert redis.hget(LAST_FAILURE_KEY, "fail").decode().endswith(" RuntimeError")
    assert redis.get(RUN_LOCK_PREFIX + "fail") is None
