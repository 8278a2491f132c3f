"""Jobs by name (core/jobs.py), and debouncing: a burst of events makes one job; events during a run make the
next one."""

import pytest

from participation.core import jobs
from participation.core.jobs import enqueue_debounced, get_queue
from participation.extensions import db

RUNS: list[int] = []


@pytest.fixture(autouse=True)
def own_registry(monkeypatch):
    """The jobs these tests register are theirs alone (the registry is the process's)."""
    monkeypatch.setattr(jobs, "JOBS", dict(jobs.JOBS))


def record(value: int) -> None:
    RUNS.append(value)


def test_a_burst_makes_one_job_and_burst_worker_runs_it(app, db_session, redis, run_jobs):
    RUNS.clear()
    for _ in range(50):
        enqueue_debounced("test:burst", record, 7)
        db.session.commit()
    queue = get_queue()
    assert len(queue.scheduled_job_registry.get_job_ids()) == 1
    run_jobs()
    assert RUNS == [7]
    enqueue_debounced("test:burst", record, 8)
    db.session.commit()
    run_jobs()
    assert RUNS == [7, 8]


def test_rolled_back_work_enqueues_nothing(app, db_session, redis):
    enqueue_debounced("test:rollback", record, 1)
    db.session.rollback()
    assert get_queue().scheduled_job_registry.get_job_ids() == []


def test_a_job_is_scheduled_by_name_and_the_registry_makes_its_key(app, db_session, redis, run_jobs):
    RUNS.clear()
    jobs.register("test:named", "tests.foundation.test_jobs.record")
    for _ in range(3):
        jobs.schedule("test:named", 9)
        db.session.commit()
    queue = get_queue()
    [job_id] = queue.scheduled_job_registry.get_job_ids()
    assert queue.fetch_job(job_id).meta["debounce_key"] == "test:named:9"
    run_jobs()
    assert RUNS == [9]


def test_a_job_that_is_not_debounced_is_queued_once_under_its_key(app, db_session, redis):
    jobs.register("test:once", "tests.foundation.test_jobs.record", debounce=False)
    jobs.schedule("test:once", 4)
    db.session.commit()
    assert jobs.is_pending("test:once", 4) and not jobs.is_pending("test:once", 5)
    assert get_queue().job_ids == ["test-once-4"]


def test_a_name_means_one_job():
    jobs.register("test:same", "tests.foundation.test_jobs.record")
    jobs.register("test:same", "tests.foundation.test_jobs.record")  # importing a module twice is harmless
    with pytest.raises(ValueError, match="registered twice"):
        jobs.register("test:same", "tests.foundation.test_jobs.other")
    with pytest.raises(KeyError):
        jobs.schedule("test:never-registered", 1)
