"""Jobs and exports, measured against the raw SQL they need: the poll tally, the indicator refresh, the
survey export's memory and the opinion map."""

import time

import sqlalchemy as sa

from bench.channels import add_ballots, make_petitions, make_poll, make_proposals, require
from bench.context import Bench
from bench.data import NOW, bulk_insert, count
from bench.harness import Row
from bench.scenarios import scenario


def best_of(function, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        function()
        times.append(time.perf_counter() - t0)
    return min(times)


def raw_seconds(statements: list[tuple[str, object]], runs: int = 3) -> float:
    """Run SQL statements straight on the DBAPI connection (no ORM), best of `runs`."""
    from participation.extensions import db

    def once():
        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                cursor.fetchall()
            cursor.close()
        finally:
            connection.close()

    return best_of(once, runs)


class Recorder:
    """Collects the SQL the engine runs (to time the same statements raw)."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[tuple[str, object]] = []

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self.record)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self.record)

    def record(self, _conn, _cursor, statement, parameters, _context, _executemany):
        self.statements.append((statement, parameters))


# ---------------------------------------------------------------------------------------------------- tally
@scenario("tally")
def tally(bench: Bench) -> None:
    require("poll_ballot", "poll_ballot_choice")
    from participation.extensions import db
    from participation.polls import tasks

    n = bench.settings.tally_ballots
    poll_id, option_ids = make_poll(title_text="벤치마크 집계 투표")
    t0 = time.perf_counter()
    add_ballots(poll_id, option_ids, n)
    inserted = time.perf_counter() - t0
    with db.engine.connect() as connection:  # fresh statistics for the planner, like autovacuum would
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("ANALYZE poll_ballot"))
            connection.execute(sa.text("ANALYZE poll_ballot_choice"))
        else:
            connection.execute(sa.text("ANALYZE"))
        connection.commit()
    raw_sql = "SELECT option_id, count(*) FROM poll_ballot_choice WHERE poll_id = {p} GROUP BY option_id"
    marker = "%s" if db.engine.dialect.name == "postgresql" else "?"
    raw = raw_seconds([(raw_sql.format(p=marker), (poll_id,))])

    from participation.polls.models import Poll
    forget_digest = hasattr(Poll, "tally_digest_count")

    def run_tally():
        if forget_digest:  # as if ballots had arrived since the last tally: the digest is recomputed
            with db.engine.begin() as connection:
                connection.execute(sa.text("UPDATE poll SET tally_digest_count = NULL WHERE id = :id"), {"id": poll_id})
        tasks.tally_poll(poll_id)
        db.session.remove()

    job = best_of(run_tally, runs=2)
    unchanged = None
    if forget_digest:
        def run_unchanged():  # no ballot since the last tally: the stored digest is kept
            tasks.tally_poll(poll_id)
            db.session.remove()

        unchanged = best_of(run_unchanged, runs=2)
    def run_digest():
        tasks.receipts_digest(poll_id)
        db.session.remove()

    digest = best_of(run_digest, runs=1)
    with db.engine.connect() as connection:
        total = connection.scalar(sa.text("SELECT total_ballots FROM poll WHERE id = :id"), {"id": poll_id})
    ratio = job / raw if raw else float("inf")
    bench.add(Row(scenario=f"tally a poll of {n:,} ballots (tally_poll job)", figure=f"{job:.2f} s",
                  ratio=round(ratio, 2), target="≤ 1.5× raw GROUP BY", met=ratio <= 1.5 and total == n,
                  note=f"raw GROUP BY {raw:.3f} s; of the job, the receipts digest (sort + SHA-256 of every "
                       f"receipt hash) takes {digest:.2f} s; total_ballots written {total}; "
                       f"bulk insert {inserted:.0f} s"
                       + (f"; a re-tally with no new ballot (digest kept) {unchanged:.2f} s = "
                          f"{unchanged / raw if raw else float('inf'):.1f}× raw" if unchanged is not None else ""),
                  extra={"gap": f"the job is {ratio:.1f}× the GROUP BY; the receipts digest over all ballots, "
                                f"recomputed on every tally, alone takes {digest:.1f} s"}))
    if db.engine.dialect.name == "postgresql":
        sizes = {}
        with db.engine.connect() as connection:
            for name in ("user", "api_token", "poll_participation", "poll_ballot", "poll_ballot_choice"):
                rows = connection.scalar(sa.text(f'SELECT count(*) FROM "{name}"'))
                size = connection.scalar(sa.text(f"SELECT pg_total_relation_size('\"{name}\"')"))
                if rows:
                    sizes[name] = round(size / rows)
        bench.facts["pg_bytes_per_row"] = sizes
    bench.facts.update(tally_seconds=job, tally_raw_seconds=raw, tally_digest_seconds=digest, tally_ballots=n,
                       tally_unchanged_seconds=unchanged)


# ----------------------------------------------------------------------------------------------- indicators
@scenario("indicators")
def indicators(bench: Bench) -> None:
    require("indicator", "indicator_value", "poll_participation", "petition", "proposal")
    from participation.extensions import db
    from participation.indicators import tasks
    from participation.indicators.services import load_catalogue

    load_catalogue()
    db.session.commit()
    year = NOW.year
    n = bench.settings.indicator_rows
    # Rows across channels in this year: petitions, proposals, poll participations.
    have = count("petition") + count("proposal") + count("poll_participation")
    if have < n:
        missing = n - have
        make_petitions(missing // 4, seed=7)
        make_proposals(missing // 4, seed=8)
        rest = missing - 2 * (missing // 4)
        people = [uid for uid, _token in bench.people]
        polls = []
        while len(polls) * len(people) < rest:
            polls.append(make_poll(title_text=f"벤치마크 지표 투표 {len(polls) + 1}")[0])
        start_of_year = NOW.replace(month=1, day=1, hour=0, minute=0, second=0)
        span = (NOW - start_of_year).total_seconds()
        from datetime import timedelta

        bulk_insert("poll_participation", ({"poll_id": polls[i // len(people)], "user_id": people[i % len(people)],
                                            "created_at": start_of_year + timedelta(seconds=span * (i % 997) / 997),
                                            "district": "중구", "age_band": "30s"} for i in range(rest)))
    rows = count("petition") + count("proposal") + count("poll_participation")
    with Recorder(db.engine) as recorder:
        t0 = time.perf_counter()
        written = tasks.refresh(year)
        db.session.commit()
        job_first = time.perf_counter() - t0
    counts = [(s, p) for s, p in recorder.statements if "count(" in s.lower()]

    def run_refresh():
        tasks.refresh(year)
        db.session.commit()

    job = best_of(run_refresh)
    raw = raw_seconds(counts)
    ratio = job / raw if raw else float("inf")
    bench.add(Row(scenario=f"indicator refresh for {year} ({rows:,} rows across channels)", figure=f"{job:.3f} s",
                  ratio=round(ratio, 2), target="≤ 2× the raw COUNTs", met=ratio <= 2,
                  note=f"{len(counts)} COUNT queries take {raw:.3f} s raw; {len(written)} measures written; "
                       f"first run {job_first:.3f} s",
                  extra={"gap": f"{ratio:.1f}× the raw COUNT queries"}))
    bench.facts.update(indicator_seconds=job, indicator_raw_seconds=raw)
