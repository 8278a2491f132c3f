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
    from participation.polls import counts, services, tasks

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

    from participation.core.jobs import DEBOUNCE_PREFIX
    from participation.core.redis import redis_connection

    def ballots_arrived():  # as if a batch had been opened since the last bulletin: the digest no longer covers it
        with db.engine.begin() as connection:
            connection.execute(sa.text("UPDATE poll SET tally_digest_count = NULL, bulletin_batch = 0 WHERE id = :id"),
                               {"id": poll_id})
        # and no bulletin job is waiting yet, so the tally schedules one (a Redis round trip)
        redis_connection().delete(f"{DEBOUNCE_PREFIX}bulletin:poll:{poll_id}")

    def timed(function, runs: int) -> float:
        times = []
        for _ in range(runs):
            ballots_arrived()
            t0 = time.perf_counter()
            function(poll_id)
            db.session.remove()
            times.append(time.perf_counter() - t0)
        return min(times)

    job = timed(lambda poll: services.write_tally(poll, recount=True) or db.session.commit(), runs=3)
    union_sql = (raw_sql + " UNION ALL SELECT 0, count(*) FROM poll_ballot WHERE poll_id = {p}").format(p=marker)
    union_raw = raw_seconds([(union_sql, (poll_id, poll_id))])
    bulletin = timed(tasks.publish_bulletin, runs=2)

    def run_unchanged_bulletin():  # no ballot since the last bulletin: the digest is kept, the turnout recounted
        tasks.publish_bulletin(poll_id)
        db.session.remove()

    unchanged_bulletin = best_of(run_unchanged_bulletin, runs=2)

    def run_digest():
        counts.receipts_digest(poll_id, 1)
        db.session.remove()

    digest = best_of(run_digest, runs=1)
    bulletin_sql = [
        ("SELECT receipt_hash FROM poll_receipt WHERE poll_id = {p} AND batch <= 1 ORDER BY receipt_hash",
         (poll_id,)),
        ("SELECT district, count(*) FROM poll_participation WHERE poll_id = {p} GROUP BY district", (poll_id,)),
        ("SELECT age_band, count(*) FROM poll_participation WHERE poll_id = {p} GROUP BY age_band", (poll_id,))]
    bulletin_raw = raw_seconds([(statement.format(p=marker), parameters) for statement, parameters in bulletin_sql],
                               runs=2)
    with db.engine.connect() as connection:
        total, digest_count = connection.execute(sa.text("SELECT total_ballots, tally_digest_count FROM poll "
                                                         "WHERE id = :id"), {"id": poll_id}).one()
        participants = connection.scalar(sa.text("SELECT count(*) FROM poll_participation WHERE poll_id = :id"),
                                         {"id": poll_id})
    ratio = job / raw if raw else float("inf")
    bench.add(Row(scenario=f"tally a poll of {n:,} ballots (live tally_poll job)", figure=f"{job:.3f} s",
                  ratio=round(ratio, 2), target="≤ 1.5× raw GROUP BY", met=ratio <= 1.5 and total == n,
                  note=f"raw GROUP BY {raw:.3f} s; the live tally after new ballots: counts per option and the "
                       f"ballot total, written with tally_as_of, and the bulletin job scheduled; "
                       f"total_ballots written {total}; bulk insert {inserted:.0f} s; a single-choice poll (this "
                       f"one) takes the total as the sum of the counts, a multiple-choice poll's live tally and every "
                       f"final tally also count the ballots (GROUP BY + UNION ALL count, raw {union_raw:.3f} s)",
                  extra={"gap": f"the live tally is {ratio:.2f}× the GROUP BY"} if ratio > 1.5 else {}))
    bulletin_ratio = bulletin / bulletin_raw if bulletin_raw else float("inf")
    bench.add(Row(scenario=f"bulletin of a poll of {n:,} ballots (publish_bulletin job: receipts digest + turnout)",
                  figure=f"{bulletin:.2f} s", ratio=round(bulletin_ratio, 2), target="(no target)",
                  note=f"runs every BULLETIN_DELAY seconds (60 by default) while ballots come in, and once more "
                       f"within the final tally at the close; raw SQL it needs (ballot count, receipt hashes in "
                       f"order, the two turnout GROUP BYs over {participants:,} participation rows) "
                       f"{bulletin_raw:.2f} s; of the job, the receipts digest (SHA-256 over every receipt hash) "
                       f"{digest:.2f} s; digest covers {digest_count:,} receipts; with no new ballot (digest kept, "
                       f"turnout recounted) {unchanged_bulletin:.3f} s"))
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
                       bulletin_seconds=bulletin, bulletin_raw_seconds=bulletin_raw)


# ------------------------------------------------------------------------------------------ opening a batch
MIX_BALLOTS = 1_000


@scenario("mix")
def mix(bench: Bench) -> None:
    """The tally job opening a batch of 1,000 sealed ballots of the 10대 뉴스 shape (up to 5 of 30 options): open
    each sealed box, check it, shuffle, write the ballots, their choices and the receipts, delete the sealed rows,
    count the poll and write the counts, in one transaction."""
    require("poll_sealed_ballot", "poll_receipt")
    import hashlib
    import secrets
    from types import SimpleNamespace

    from nacl.public import SealedBox

    from participation.core import tally_keys
    from participation.extensions import db
    from participation.polls import tasks
    from participation.polls.box import POLL_BOX

    poll_id, option_ids = make_poll(options=30, max_choices=5, title_text="벤치마크 묶음 열기: 올해의 10대 뉴스")
    public_key = db.session.scalar(sa.text("SELECT public_key FROM poll WHERE id = :id"), {"id": poll_id})
    db.session.remove()
    box = SimpleNamespace(public_key=bytes(public_key), max_choices=5)
    rnd = __import__("random").Random(poll_id)
    times, opening = [], []
    for _round in range(3):
        sealed = [POLL_BOX.seal(box, hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
                                rnd.sample(option_ids, rnd.randint(1, 5))) for _ in range(MIX_BALLOTS)]
        bulk_insert("poll_sealed_ballot", ({"id": secrets.token_hex(16), "poll_id": poll_id, "ciphertext": ciphertext}
                                           for ciphertext in sealed))
        opener = SealedBox(tally_keys.load("poll", poll_id, bytes(public_key)))
        t0 = time.perf_counter()
        for ciphertext in sealed:
            opener.decrypt(ciphertext)
        opening.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        tasks.tally_poll(poll_id)
        db.session.remove()
        times.append(time.perf_counter() - t0)
    with db.engine.connect() as connection:
        batches, total = connection.execute(sa.text("SELECT mixed_batches, total_ballots FROM poll WHERE id = :id"),
                                            {"id": poll_id}).one()
        waiting = connection.scalar(sa.text("SELECT count(*) FROM poll_sealed_ballot WHERE poll_id = :id"),
                                    {"id": poll_id})
    best = min(times)
    bench.add(Row(scenario=f"open a batch of {MIX_BALLOTS:,} sealed ballots (tally_poll job)",
                  figure=f"{best:.3f} s", target="< 1 s", met=best < 1 and total == 3 * MIX_BALLOTS and not waiting,
                  note=f"best of 3 batches (all: {', '.join(f'{t:.3f}' for t in times)} s); of which opening the "
                       f"{MIX_BALLOTS:,} sealed boxes alone (X25519 + XSalsa20-Poly1305) {min(opening):.3f} s; "
                       f"{batches} batches opened, {total:,} ballots counted, {waiting} left sealed"))
    bench.facts.update(mix_seconds=best, mix_open_seconds=min(opening))


# ----------------------------------------------------------------------------------------------- indicators
@scenario("indicators")
def indicators(bench: Bench) -> None:
    require("indicator", "indicator_value", "poll_participation", "petition", "proposal")
    from participation.extensions import db
    from participation.indicators import counts as indicator_counts
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
        written = indicator_counts.refresh(year)
        db.session.commit()
        job_first = time.perf_counter() - t0
    counts = [(s, p) for s, p in recorder.statements if "count(" in s.lower()]

    def run_refresh():
        indicator_counts.refresh(year)
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
