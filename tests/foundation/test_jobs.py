"""Debounced jobs: a burst of events makes one job; events during a run make the next one."""

from participation.core.jobs import enqueue_debounced, get_queue
from participation.extensions import db

RUNS: list[int] = []


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
