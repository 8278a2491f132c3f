"""What exists from the start: the auth path, the home page, a code list."""

from bench.context import Bench, bearer
from bench.scenarios import scenario


@scenario("auth")
def auth(bench: Bench) -> None:
    from bench.data import tokens_used_now

    # Citizens of their own (the voters after them keep tokens unused this hour, as test_write_counts has them), with
    # tokens as issued ones are: used this hour. Unused bulk-loaded tokens made every request of a short run also
    # write the token's hourly use and commit: a write, not the read path.
    people = bench.take_people(1000)
    tokens_used_now([uid for uid, _token in people])
    requests = [["GET", "/api/v1/me", bearer(token), None] for _uid, token in people]
    figures = bench.measure(requests)
    bench.against_baseline("GET /api/v1/me with a token (auth path)", figures, 0.5,
                           "token lookup + user + roles + identity, one statement; cycles over 1,000 tokens used "
                           "this hour (as issued)")


@scenario("home")
def home(bench: Bench) -> None:
    figures = bench.measure([["GET", "/", None, None]])
    bench.against_baseline("GET / (home page)", figures, None, "newest items of each channel that provides them")


@scenario("categories")
def categories(bench: Bench) -> None:
    figures = bench.measure([["GET", "/api/v1/categories", None, None]])
    bench.against_baseline("GET /api/v1/categories", figures, 0.8,
                           "no database: the app's fixed cost per request (hooks, decorators, schema)")


@scenario("floor")
def floor(bench: Bench) -> None:
    """The cheapest write this stack can make (bench/baseline.py `POST /write`), against the same bare endpoint:
    what any full-stack write (a vote, a signature) can be held to on this machine."""
    from sqlalchemy import text

    from bench.baseline import FLOOR_TABLE
    from bench.harness import load
    from participation.extensions import db

    key = "INTEGER PRIMARY KEY" if db.engine.dialect.name == "sqlite" else "SERIAL PRIMARY KEY"
    db.session.execute(text(f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id {key}, n INTEGER NOT NULL)"))
    db.session.commit()
    figures = load(bench.baseline_base, [["POST", "/write", None, {"n": 1}]], duration=bench.settings.duration,
                   concurrency=bench.settings.concurrency, expect=(201,))
    stored = db.session.scalar(text(f"SELECT count(*) FROM {FLOOR_TABLE}"))
    db.session.commit()
    bench.facts["floor_rps"] = figures["rps"]
    bench.against_baseline("floor of a write: one INSERT committed (bare Flask + SQLAlchemy Core, no auth, ORM or "
                           "Redis)", figures, None, f"{stored} rows stored, warm-up included; what any write through "
                           "this stack can reach here")
