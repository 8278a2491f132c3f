"""Capacity: how the write rate grows with web processes, and what a vote costs each tier in CPU.

The floor of a write and the cast vote, each served by gunicorn with 1, 2 and 4 worker processes (4 threads each)
under the same 16-connection load. Beside every rate, the CPU time that the run took in the web processes and in
the database's own processes (PostgreSQL: the server processes of this leg's database; SQLite runs inside the web
processes), per request: on a machine whose cores are shared with the load generator and other work, CPU per
request is what carries over to other machines, and the capacity plan (bench/capacity.py) is built from it."""

import psutil

from bench.channels import make_poll, require_route
from bench.context import Bench, bearer
from bench.harness import Row, load
from bench.scenarios import scenario
from bench.scenarios.polls import VOTES

WORKERS = (1, 2, 4)
SECONDS = 3  # per run: six runs, and gunicorn starting for each, within the leg's 15 minutes


def database_processes(bench: Bench) -> list[psutil.Process]:
    """PostgreSQL's server processes for this leg's database (a backend's title names its database)."""
    if not bench.leg.database_url:
        return []
    name = bench.leg.database_url.rsplit("/", 1)[-1].split("?")[0]
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        title = " ".join(process.info["cmdline"] or ())
        if process.info["name"] == "postgres" and f" {name} " in f" {title} ":
            found.append(process)
    return found


def cpu_seconds(processes) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def measured(bench: Bench, base: str, server, requests: list, mode: str, expect, warm: list) -> dict:
    web = [psutil.Process(server.pid), *psutil.Process(server.pid).children()]
    # Warm the connection pools first, so that the database's processes exist when they are counted.
    load(base, warm, duration=1, concurrency=bench.settings.concurrency, warmup=0, expect=(200, 201))
    database = database_processes(bench)
    web_before, db_before = cpu_seconds(web), cpu_seconds(database)
    figures = load(base, requests, duration=SECONDS, concurrency=bench.settings.concurrency, mode=mode,
                   expect=expect, warmup=0)
    answered = max(1, figures["requests"])
    figures["web_ms"] = (cpu_seconds(web) - web_before) / answered * 1000
    figures["db_ms"] = (cpu_seconds(database) - db_before) / answered * 1000 if database else None
    return figures


@scenario("capacity")
def capacity(bench: Bench) -> None:
    require_route(bench.leg.app, VOTES, "POST")
    poll_id, option_ids = make_poll(title_text="벤치마크 용량 투표")
    results = {}
    for workers in WORKERS:
        base, server = bench.leg.gunicorn("bench.baseline:app", "/ping", workers=workers)
        write = [["POST", "/write", None, {"n": 1}]]
        floor = measured(bench, base, server, write, "cycle", (201,), write)
        bench.leg.stop(server)
        voters = bench.take_people(3_000)
        votes = [["POST", f"/api/v1/polls/{poll_id}/ballots", bearer(token), {"choices": [option_ids[i % 4]]}]
                 for i, (_uid, token) in enumerate(voters)]
        base, server = bench.leg.gunicorn("bench.wsgi:app", "/healthz", workers=workers)
        vote = measured(bench, base, server, votes, "once", (201,), [["GET", f"/api/v1/polls/{poll_id}", None, None]])
        bench.leg.stop(server)
        results[workers] = {"floor_rps": floor["rps"], "vote_rps": vote["rps"], "floor_web_ms": floor["web_ms"],
                            "floor_db_ms": floor["db_ms"], "vote_web_ms": vote["web_ms"], "vote_db_ms": vote["db_ms"],
                            "vote_errors": vote["errors"], "floor_errors": floor["errors"]}
        for kind, figures in (("floor of a write", floor), ("cast a vote", vote)):
            cpu = f"CPU per request: web {figures['web_ms']:.2f} ms" + (
                f", database {figures['db_ms']:.2f} ms" if figures["db_ms"] is not None else
                " (SQLite runs in the web processes)")
            bench.add(Row(scenario=f"capacity: {kind} with {workers} web worker{'s' if workers > 1 else ''} × 4 "
                                   "threads", figure=f"{figures['rps']:.0f} req/s", rps=figures["rps"],
                          errors=figures["errors"], median_ms=figures["median_ms"], p99_ms=figures["p99_ms"],
                          note=cpu, extra={"workers": workers}))
    bench.facts["capacity"] = results
