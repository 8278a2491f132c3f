"""Profile one hot path in-process: where a request's time goes, hook by hook.

    .venv/bin/python -m bench.profile vote        # POST /api/v1/polls/<id>/ballots, 500 distinct voters
    .venv/bin/python -m bench.profile again       # the same voters again: every one refused (409)
    .venv/bin/python -m bench.profile sign        # POST /api/v1/petitions/<id>/signatures, distinct citizens
    .venv/bin/python -m bench.profile support     # POST /api/v1/proposals/<id>/supports, distinct citizens
    .venv/bin/python -m bench.profile budget      # POST /api/v1/budgets/<id>/ballots, 4 of 12 projects, sealed
    .venv/bin/python -m bench.profile me          # GET /api/v1/me with a token
    .venv/bin/python -m bench.profile categories  # GET /api/v1/categories: the fixed cost of a request
    .venv/bin/python -m bench.profile results     # GET /api/v1/polls/<id>/results with a token
    .venv/bin/python -m bench.profile vote 500 --save   # pyinstrument's tree, also written to bench/profiles/vote.txt
    .venv/bin/python -m bench.profile vote 1000 --cpu   # no profiler: CPU µs per request (process_time)
    .venv/bin/python -m bench.profile vote 1000 --calls # cProfile on a CPU clock: the functions that cost most
    .venv/bin/python -m bench.profile vote 3 --sql      # the statements of the last requests, and whether
                                                        # SQLAlchemy's compiled cache served them ("cached since")

Uses a fresh SQLite instance (or DATABASE_URL/REDIS_URL) prepared like a bench leg. Requests go through the
whole WSGI app (the response cache middleware, every hook and decorator), as gunicorn would call it, minus the
server: each request's environ is built first, then the WSGI app alone is called, so the test client's own work
is not in the figures. pyinstrument samples wall-clock time (a busy machine shows up as time in whatever waited);
--cpu and --calls count this process's CPU only, which says more on a shared machine.
"""

import os
import sys
import time
from pathlib import Path

from bench.harness import Leg

WHAT = ("vote", "again", "sign", "support", "budget", "me", "categories", "results")
WARMUP = 50


def environs(requests) -> list[dict]:
    from werkzeug.test import EnvironBuilder

    return [EnvironBuilder(method=method, path=path, json=json, headers=headers).get_environ()
            for method, path, json, headers in requests]


def call(app, environ: dict) -> str:
    statuses = []
    body = app(dict(environ), lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(body)
    getattr(body, "close", lambda: None)()
    return statuses[0]


def run(app, calls: list[dict], expect: str) -> None:
    for environ in calls:
        status = call(app, environ)
        if not status.startswith(expect):
            raise SystemExit(f"unexpected answer {status} (expected {expect})")


def requests_for(what: str, people, item: dict) -> list:
    def bearer(token):
        return {"Authorization": f"Bearer {token}"}

    if what in ("vote", "again"):
        return [("POST", f"/api/v1/polls/{item['poll']}/ballots", {"choices": [item['options'][0]]}, bearer(token))
                for _uid, token in people]
    if what == "sign":
        return [("POST", f"/api/v1/petitions/{item['petition']}/signatures", {}, bearer(token))
                for _uid, token in people]
    if what == "support":
        return [("POST", f"/api/v1/proposals/{item['proposal']}/supports", {}, bearer(token)) for _uid, token in people]
    if what == "budget":  # as the bench's budget_votes: four projects within the budget
        projects = item["projects"]
        return [("POST", f"/api/v1/budgets/{item['budget']}/ballots",
                 {"projects": [projects[(i + step) % len(projects)] for step in (0, 3, 6, 9)]}, bearer(token))
                for i, (_uid, token) in enumerate(people)]
    if what == "results":
        return [("GET", f"/api/v1/polls/{item['poll']}/results", None, bearer(token)) for _uid, token in people]
    if what == "categories":
        return [("GET", "/api/v1/categories", None, None) for _ in people]
    return [("GET", "/api/v1/me", None, bearer(token)) for _uid, token in people]


EXPECT = {"vote": "201", "again": "409", "sign": "201", "support": "201", "budget": "201"}


def main() -> None:
    args = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    what = args[0] if args else "vote"
    if what not in WHAT:
        raise SystemExit(f"what to profile: one of {', '.join(WHAT)}")
    n = int(args[1]) if len(args) > 1 else 500
    leg = Leg("profile", os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL"), 1, 1)
    try:
        leg.prepare()
        from bench.channels import make_budget, make_petitions, make_poll, make_proposals
        from bench.data import make_users

        people = make_users(n + WARMUP, "profile")
        if what in ("me", "results"):  # reads: tokens as issued ones are, used this hour (bench.data)
            from bench.data import tokens_used_now

            tokens_used_now([uid for uid, _token in people])
        poll_id, options = make_poll()
        item = {"poll": poll_id, "options": options, "petition": make_petitions(1, seed=99)[0],
                "proposal": make_proposals(1, seed=99)[0]}
        item["budget"], item["projects"] = make_budget()
        # Requests must each get their own app context (and `g`): leave the leg's one while they run.
        leg.context.pop()
        try:
            expect = EXPECT.get(what, "200")
            if what == "again":  # everyone votes once first
                run(leg.app, environs(requests_for("vote", people, item)), "201")
            calls = environs(requests_for(what, people, item))
            run(leg.app, calls[:WARMUP], expect)
            measure(leg, what, n, calls[WARMUP:], expect)
        finally:
            leg.context.push()
    finally:
        leg.close()


def measure(leg: Leg, what: str, n: int, calls: list[dict], expect: str) -> None:
    database = "PostgreSQL" if leg.database_url else "SQLite"
    if "--sql" in sys.argv:
        import logging

        logging.basicConfig(format="%(message)s")
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
        run(leg.app, calls, expect)
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
        return
    if "--cpu" in sys.argv:
        started = time.process_time()
        run(leg.app, calls, expect)
        print(f"{what}: {(time.process_time() - started) / len(calls) * 1e6:.0f} µs of CPU per request "
              f"(in-process, {database}, {n} requests)")
        return
    if "--calls" in sys.argv:
        import cProfile
        import pstats

        profiler = cProfile.Profile(time.process_time)
        profiler.runcall(run, leg.app, calls, expect)
        stats = pstats.Stats(profiler)
        print(f"{what}: {stats.total_tt / len(calls) * 1e6:.0f} µs of CPU per request under cProfile ({database})")
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("cumulative").print_stats("/participation/", 40)
        stats.sort_stats("tottime").print_stats(30)
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    run(leg.app, calls, expect)
    profiler.stop()
    text = profiler.output_text(unicode=True, color=False, show_all=False)
    print(text)
    if "--save" in sys.argv:
        path = Path(__file__).resolve().parent / "profiles" / f"{what}.txt"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"# python -m bench.profile {what} {n} --save ({database}; {n} requests after {WARMUP} to "
                        "warm up; wall-clock samples every 0.5 ms)\n\n" + text)


if __name__ == "__main__":
    main()
