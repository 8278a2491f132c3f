"""The RQ worker through many real jobs: its resident memory after 100 jobs against after all of them."""

import time

from bench.channels import make_petitions, make_poll, require
from bench.context import Bench
from bench.harness import Row, Skip, rss_mb, stop
from bench.scenarios import scenario


@scenario("worker_memory")
def worker_memory(bench: Bench) -> None:
    """`flask worker` (participation.worker.AppWorker: every job runs in the worker process itself, on its pooled
    connections) through real jobs: the poll tally and the petition recount that votes and signatures enqueue,
    alternating. The resident memory of that process, where the jobs ran, after 100 jobs against after all."""
    require("poll", "petition")
    from participation.core.jobs import get_queue
    from participation.petitions.tasks import recount_petition
    from participation.polls.tasks import tally_poll

    poll_id, _options = make_poll(title_text="벤치마크 작업자 메모리 투표")
    petition_id = make_petitions(1, seed=9)[0]
    jobs = bench.settings.worker_jobs
    # Last in the leg: it may use what is left of the leg's budget, up to worker_seconds (at least a minute).
    budget = min(bench.settings.worker_seconds, max(60.0, bench.seconds_left()))
    queue = get_queue()
    queue.empty()
    for start in range(0, jobs, 1000):
        with queue.connection.pipeline() as pipe:
            queue.enqueue_many([queue.prepare_data(tally_poll, (poll_id,), result_ttl=0) if i % 2 else
                                queue.prepare_data(recount_petition, (petition_id,), result_ttl=0)
                                for i in range(start, min(jobs, start + 1000))], pipeline=pipe)
            pipe.execute()
    worker = bench.leg.worker()
    t0 = time.monotonic()
    after_100 = None
    done = 0
    peak = 0.0
    while time.monotonic() - t0 < budget:
        remaining = len(queue)
        done = jobs - remaining
        current = rss_mb(worker.pid)
        if after_100 is None and done >= 100:
            after_100 = current
        if after_100 is not None:  # not start-up's transient (imports, app set-up)
            peak = max(peak, current)
        if remaining == 0 and not queue.started_job_registry.count:  # the last job has finished too
            break
        time.sleep(0.2)
    final = rss_mb(worker.pid)
    failed = queue.failed_job_registry.count
    elapsed = time.monotonic() - t0
    stop(worker)
    queue.empty()
    if after_100 is None:
        raise Skip(f"the worker finished fewer than 100 jobs in {budget:.0f} s")
    growth = final / after_100
    bench.add(Row(scenario=f"worker memory over {done:,} jobs (tally_poll and recount_petition, in the worker process)",
                  figure=f"{final:.0f} MB", ratio=round(growth, 2), target="≤ 1.2× its memory after 100 jobs",
                  met=growth <= 1.2 and done >= jobs and not failed,
                  note=f"RSS of the `flask worker` process: {after_100:.1f} MB after 100 jobs, {final:.1f} MB after "
                       f"{done:,} (peak since then {peak:.1f} MB); {done / elapsed:.0f} jobs/s"
                       + ("" if done >= jobs else f"; only {done:,} of {jobs:,} jobs within {budget:.0f} s")
                       + (f"; {failed:,} failed" if failed else ""),
                  extra={"gap": f"{done:,} of {jobs:,} jobs in the time budget" if done < jobs else
                         f"grew {growth:.2f}×"}))
    bench.facts.update(worker_jobs_per_s=done / elapsed)
