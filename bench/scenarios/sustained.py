"""Sustained: 100 votes/s for 60 s while 50 clients poll the results, with one RQ worker running.

Checks: no errors, the votes' p99 under 10× their median, the tally (after `worker --burst`) equal to the
accepted ballots, and jobs enqueued per vote (RQ job keys created during the run / votes) ≤ 0.01."""

import time

import sqlalchemy as sa

from bench.channels import make_poll, require_route
from bench.context import Bench, bearer
from bench.harness import Row, collect, load, stop
from bench.scenarios import scenario
from bench.scenarios.polls import RESULTS, VOTES


def job_keys(redis) -> int:
    return sum(1 for _ in redis.scan_iter(match="rq:job:*", count=1000))


@scenario("sustained")
def sustained(bench: Bench) -> None:
    require_route(bench.leg.app, VOTES, "POST")
    require_route(bench.leg.app, RESULTS)
    s = bench.settings
    poll_id, option_ids = make_poll(title_text="벤치마크 지속 부하 투표")
    voters = bench.take_people(s.sustained_rate * s.sustained_seconds)
    votes = [["POST", f"/api/v1/polls/{poll_id}/ballots", bearer(token), {"choices": [option_ids[i % 4]]}]
             for i, (_uid, token) in enumerate(voters)]
    polls = [["GET", f"/api/v1/polls/{poll_id}/results", None, None]]
    redis = bench.leg.redis
    worker = bench.leg.worker()
    time.sleep(3)  # the worker connects
    keys_before = job_keys(redis)
    voting_connections = 20
    voting = load(bench.app_base, votes, concurrency=voting_connections, duration=s.sustained_seconds, mode="once",
                  expect=(201,), interval=voting_connections / s.sustained_rate, warmup=0, background=True)
    polling = load(bench.app_base, polls, concurrency=s.pollers, duration=s.sustained_seconds,
                   interval=s.poll_interval, warmup=0, background=True)
    vote_figures = collect(voting)
    poll_figures = collect(polling)
    time.sleep(1)
    keys_after = job_keys(redis)
    stop(worker)
    bench.leg.burst()
    accepted = vote_figures["statuses"].get("201", 0)
    from participation.extensions import db

    with db.engine.connect() as connection:
        tally = connection.scalar(sa.text("SELECT total_ballots FROM poll WHERE id = :id"), {"id": poll_id})
        stored = connection.scalar(sa.text("SELECT count(*) FROM poll_ballot WHERE poll_id = :id"), {"id": poll_id})
    jobs = keys_after - keys_before
    per_vote = jobs / accepted if accepted else float("nan")
    ratio = vote_figures["p99_ms"] / vote_figures["median_ms"] if vote_figures["median_ms"] else float("inf")
    rate_kept = vote_figures["rps"] >= 0.95 * s.sustained_rate
    ok = (vote_figures["errors"] == 0 and poll_figures["errors"] == 0 and ratio < 10 and tally == accepted == stored
          and rate_kept)
    bench.add(Row(scenario=f"sustained: {s.sustained_rate} votes/s for {s.sustained_seconds} s (votes)",
                  figure=f"{vote_figures['rps']:.0f} votes/s",
                  target=f"{s.sustained_rate} votes/s kept, 0 errors, p99 < 10× median, tally = accepted",
                  met=ok, rps=vote_figures["rps"], errors=vote_figures["errors"],
                  median_ms=vote_figures["median_ms"], p99_ms=vote_figures["p99_ms"],
                  note=f"p99/median {ratio:.1f}; accepted {accepted}, stored {stored}, tally {tally}",
                  extra={"rate": s.sustained_rate,
                         "gap": "" if ok else f"{vote_figures['rps']:.0f} of {s.sustained_rate} votes/s kept, "
                                              f"{vote_figures['errors']} errors (statuses {vote_figures['statuses']}), "
                                              f"p99/median {ratio:.1f}, tally {tally} vs accepted {accepted}"}))
    bench.add(Row(scenario=f"sustained: {s.pollers} clients polling results every {s.poll_interval:g} s",
                  figure=f"{poll_figures['rps']:.0f} req/s", target="0 errors", met=poll_figures["errors"] == 0,
                  rps=poll_figures["rps"], errors=poll_figures["errors"], median_ms=poll_figures["median_ms"],
                  p99_ms=poll_figures["p99_ms"]))
    bench.add(Row(scenario="jobs enqueued per vote (sustained run)", figure=f"{per_vote:.4f}", target="≤ 0.01",
                  met=per_vote <= 0.01,
                  note=f"{jobs} RQ jobs for {accepted} votes (debounced recounts: at most one per "
                       f"{bench.leg.app.config['RECOUNT_DELAY']} s burst, whatever the vote rate)"))
    bench.facts.update(sustained_votes=accepted, sustained_jobs=jobs, sustained_vote_p99=vote_figures["p99_ms"])
