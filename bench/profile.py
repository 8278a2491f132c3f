"""Profile one hot path in-process with pyinstrument (the bench `extras`): where a request's time goes.

    .venv/bin/python -m bench.profile vote      # POST /api/v1/polls/<id>/ballots, 500 distinct voters
    .venv/bin/python -m bench.profile me        # GET /api/v1/me
    .venv/bin/python -m bench.profile results   # GET /api/v1/polls/<id>/results

Uses a fresh SQLite instance (or DATABASE_URL/REDIS_URL) prepared like a bench leg; prints the call tree.
"""

import os
import sys

from pyinstrument import Profiler

from bench.harness import Leg


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "vote"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 500
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

        def request(uid_token):
            headers = {"Authorization": f"Bearer {uid_token[1]}"}
            if what == "vote":
                return client.post(f"/api/v1/polls/{poll_id}/ballots", json={"choices": [options[0]]}, headers=headers)
            if what == "results":
                return client.get(f"/api/v1/polls/{poll_id}/results")
            return client.get("/api/v1/me", headers=headers)

        for person in people[:50]:  # warm-up
            request(person)
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for person in people[50:]:
            request(person)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False))
        leg.context.push()
    finally:
        leg.close()


if __name__ == "__main__":
    main()
