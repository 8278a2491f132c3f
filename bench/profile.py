"""Profile one hot path in-process with pyinstrument: where a request's time goes, hook by hook.

    .venv/bin/python -m bench.profile vote        # POST /api/v1/polls/<id>/ballots, 500 distinct voters
    .venv/bin/python -m bench.profile again       # the same voters again: every one refused (409)
    .venv/bin/python -m bench.profile me          # GET /api/v1/me with a token
    .venv/bin/python -m bench.profile categories  # GET /api/v1/categories: the fixed cost of a request
    .venv/bin/python -m bench.profile results     # GET /api/v1/polls/<id>/results with a token
    .venv/bin/python -m bench.profile vote 500 --save   # also write bench/profiles/vote.txt
    .venv/bin/python -m bench.profile vote 1000 --cpu   # no profiler: CPU µs per request (process_time)

Uses a fresh SQLite instance (or DATABASE_URL/REDIS_URL) prepared like a bench leg; prints the call tree.
Requests go through the whole WSGI app (the response cache middleware, every hook and decorator), as
gunicorn would call it, minus the server.
"""

import os
import sys
from pathlib import Path

from pyinstrument import Profiler

from bench.harness import Leg

WHAT = ("vote", "again", "me", "categories", "results")


def cpu_per_request(app, request, people) -> float:
    """CPU time per request, the test client's own work (building the environ) excluded: each request's
    environ is built first, then the WSGI app alone is called."""
    import time

    from werkzeug.test import EnvironBuilder

    calls = []
    for person in people:
        recorded = {}

        def capture(method, path, json=None, headers=None, recorded=recorded):
            recorded["environ"] = EnvironBuilder(method=method, path=path, json=json, headers=headers).get_environ()

        request(person, capture)
        calls.append(recorded["environ"])
    started = time.process_time()
    for environ in calls:
        body = app(environ, lambda status, headers, exc_info=None: None)
        b"".join(body)
        getattr(body, "close", lambda: None)()
    return (time.process_time() - started) / len(calls) * 1e6


def main() -> None:
    args = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    what = args[0] if args else "vote"
    if what not in WHAT:
        raise SystemExit(f"what to profile: one of {', '.join(WHAT)}")
    n = int(args[1]) if len(args) > 1 else 500
    leg = Leg("profile", os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL"), 1, 1)
    try:
        leg.prepare()
        from bench.channels import make_poll
        from bench.data import make_users

        people = make_users(n + 50, "profile")
        poll_id, options = make_poll()
        # Requests must each get their own app context (and `g`): leave the leg's one while they run.
        leg.context.pop()
        client = leg.app.test_client()

        def send(method, path, json=None, headers=None):
            return client.open(path, method=method, json=json, headers=headers)

        def request(uid_token, call=send):
            headers = {"Authorization": f"Bearer {uid_token[1]}"}
            if what in ("vote", "again"):
                return call("POST", f"/api/v1/polls/{poll_id}/ballots", {"choices": [options[0]]}, headers)
            if what == "results":
                return call("GET", f"/api/v1/polls/{poll_id}/results", None, headers)
            if what == "categories":
                return call("GET", "/api/v1/categories")
            return call("GET", "/api/v1/me", None, headers)

        for person in people[:50]:  # warm-up
            request(person)
        if what == "again":
            for person in people[50:]:
                request(person)
        if "--cpu" in sys.argv:
            print(f"{what}: {cpu_per_request(leg.app, request, people[50:]):.0f} µs of CPU per request "
                  f"(in-process, {n} requests)")
            leg.context.push()
            return
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for person in people[50:]:
            request(person)
        profiler.stop()
        text = profiler.output_text(unicode=True, color=False, show_all=False)
        print(text)
        if "--save" in sys.argv:
            path = Path(__file__).resolve().parent / "profiles" / f"{what}.txt"
            path.parent.mkdir(exist_ok=True)
            database = "PostgreSQL" if leg.database_url else "SQLite"
            path.write_text(f"# python -m bench.profile {what} {n} --save ({database}; {n} requests after 50 to "
                            "warm up; wall-clock samples every 0.5 ms)\n\n" + text)
        leg.context.push()
    finally:
        leg.close()


if __name__ == "__main__":
    main()
