"""The capacity plan, from the `capacity` scenario's measurements: the write rate with 1, 2 and 4 web processes,
and the CPU a vote costs the web tier and the database. On this 2-core machine shared by gunicorn, PostgreSQL,
Redis, the load generator and other people's work, rates stop growing when the two cores are full, not when the
database is; CPU per vote is what carries over to other machines, so the machine counts are built from it."""

import math

VOTERS = 1_000_000
HOURS = 1
HEADROOM = 2.0  # plan for twice the average rate: a vote's hour is not flat
YEARLY_PARTICIPANTS = 5_800_000  # 엠보팅 participants a year in the plan (indicator 2.4.a's target)
BUSY_DAY_SHARE = 0.10  # assume a tenth of a year's participants vote on its busiest day, within 12 hours
CORE_BUSY = 0.6  # plan each core at 60 % busy
# Bytes per row (table + its indexes) when the PostgreSQL leg has not measured them (typical for these shapes).
DEFAULT_BYTES = {"user": 400, "api_token": 250, "poll_participation": 120, "poll_ballot": 230,
                 "poll_ballot_choice": 110}


def pick(legs: list[dict]) -> dict | None:
    """The PostgreSQL leg when it measured capacity (production runs on it), else any leg that did."""
    measured = [leg for leg in legs if leg.get("facts", {}).get("capacity")]
    for leg in measured:
        if leg["leg"] == "postgresql":
            return leg
    return measured[0] if measured else None


def capacity_plan(legs: list[dict]) -> list[str]:
    out = ["## Capacity plan", ""]
    leg = pick(legs)
    if leg is None:
        return [*out, "No leg has run the `capacity` scenario yet: `python -m bench --only floor capacity`."]
    facts = leg["facts"]
    runs = {int(workers): figures for workers, figures in facts["capacity"].items()}
    command = leg.get("command", "python -m bench")
    out += [f"Measured on the **{leg['leg']}** leg ({leg['date']}, `{command}`; {leg['machine'].get('nproc')} cores "
            f"shared by gunicorn, the database, Redis, the load generator and other people's work — load average "
            f"{leg['machine'].get('loadavg_start', '?')} at the start). Each line: gunicorn with that many worker "
            "processes × 4 threads, 16 keep-alive connections, 3 s; CPU is what the web processes and the "
            "database's own server processes used during the run, divided by the requests answered.", "",
            "| web processes | floor of a write | cast a vote | vote ÷ floor | vote CPU: web | vote CPU: database | "
            "floor CPU: database |", "|---|---|---|---|---|---|---|"]
    for workers, run in sorted(runs.items()):
        db_vote = f"{run['vote_db_ms']:.2f} ms" if run.get("vote_db_ms") is not None else "(in the web process)"
        db_floor = f"{run['floor_db_ms']:.2f} ms" if run.get("floor_db_ms") is not None else "(in the web process)"
        out.append(f"| {workers} | {run['floor_rps']:.0f} req/s | {run['vote_rps']:.0f} votes/s | "
                   f"{run['vote_rps'] / run['floor_rps']:.2f}× | {run['vote_web_ms']:.2f} ms | {db_vote} | "
                   f"{db_floor} |")
    best = max(runs.values(), key=lambda run: run["vote_rps"])
    web_ms = min(run["vote_web_ms"] for run in runs.values())
    db_values = [run["vote_db_ms"] for run in runs.values() if run.get("vote_db_ms")]
    db_ms = min(db_values) if db_values else None
    floor_db = [run["floor_db_ms"] for run in runs.values() if run.get("floor_db_ms")]
    out += ["", f"- Rates grow from 1 to 2 processes and stop at {best['vote_rps']:.0f} votes/s: the machine has "
            f"{leg['machine'].get('nproc')} cores for everything, so the ceiling here is CPU, not the database. "
            "More processes than cores only add switching."]
    if db_ms:
        out.append(f"- One PostgreSQL: a vote costs its server processes {db_ms:.2f} ms of CPU (a single committed "
                   f"INSERT, the floor: {min(floor_db):.2f} ms), so one database core sustains "
                   f"**{1000 / db_ms:,.0f} votes/s** at full use, {CORE_BUSY * 1000 / db_ms:,.0f} at "
                   f"{CORE_BUSY:.0%}; the database saturates when its cores do, long after the web tier here.")
    out.append(f"- One web core serves {1000 / web_ms:,.0f} votes/s at full use ({web_ms:.2f} ms of CPU per vote in "
               "gunicorn: parsing, token lookup, checks, the inserts' round trips, the Redis marks).")

    need = VOTERS / (HOURS * 3600)
    plan = need * HEADROOM
    web_cores = math.ceil(plan * web_ms / 1000 / CORE_BUSY)
    out += ["", f"**A city-wide vote: {VOTERS:,} voters in {HOURS} hour** = {need:.0f} votes/s on average; planned "
            f"for {HEADROOM:g}× that ({plan:.0f} votes/s), each core {CORE_BUSY:.0%} busy:", "",
            "| what | how many | from |", "|---|---|---|",
            f"| web: gunicorn, 1 process per core, 4 threads | **{web_cores} cores** (e.g. {math.ceil(web_cores / 4)}"
            f" machines of 4 cores, + 1 spare) | {plan:.0f} votes/s × {web_ms:.2f} ms ÷ {CORE_BUSY:.0%}; results "
            "and pages come from the one-second copy (reads ≥ the bare endpoint, see the results rows), so the "
            "readers add little |"]
    if db_ms:
        db_cores = math.ceil(plan * db_ms / 1000 / CORE_BUSY)
        out.append(f"| PostgreSQL | **1 primary of {max(4, db_cores * 2)} cores** + 1 streaming replica | {plan:.0f} "
                   f"votes/s × {db_ms:.2f} ms ÷ {CORE_BUSY:.0%} = {db_cores} cores for the votes; twice that for "
                   "the workers' tallies, the pages' reads and autovacuum |")
    out += ["| PgBouncer | 1 per web machine, or 1 beside the database | transaction mode; the web processes "
            f"hold {web_cores * 4} client connections, PostgreSQL sees `default_pool_size` (about 2 × its cores) |",
            "| RQ workers | **2 processes** (one runs the cron) | jobs are debounced (one recount per poll per "
            "2 s burst); a tally of 1,000,000 ballots is a fraction of a second (tally row) |",
            "| Redis | 1 primary + 1 replica (Sentinel), < 1 GB | rate-limit counters, debounce marks, queues; "
            "losing it delays counts, never a vote |"]
    sizes = facts.get("pg_bytes_per_row") or {}
    rows = {"user": VOTERS, "api_token": VOTERS, "poll_participation": VOTERS, "poll_ballot": VOTERS,
            "poll_ballot_choice": VOTERS}
    total = sum(rows[name] * sizes.get(name, DEFAULT_BYTES[name]) for name in rows)
    out += [f"| database size for the vote | **{total / 1e9:.1f} GB** | a user, token, participation, ballot and "
            "choice row per voter "
            + ("(bytes per row measured on the PostgreSQL leg)" if sizes else "(typical bytes per row)") + " |"]

    yearly_peak = YEARLY_PARTICIPANTS * BUSY_DAY_SHARE / (12 * 3600)
    year_bytes = sum(YEARLY_PARTICIPANTS * sizes.get(name, DEFAULT_BYTES[name])
                     for name in ("poll_participation", "poll_ballot", "poll_ballot_choice"))
    out += ["", f"**엠보팅 over a year: {YEARLY_PARTICIPANTS:,} participants** = "
            f"{YEARLY_PARTICIPANTS / 365:,.0f} a day on average. Even if a tenth of them voted on one day within 12 "
            f"hours, that is {yearly_peak:.0f} votes/s: "
            f"{max(1, math.ceil(yearly_peak * web_ms / 1000 / CORE_BUSY))} web core and a small fraction of one "
            f"database core; the year's participation, ballot and choice rows take about {year_bytes / 1e9:.1f} GB. "
            "The platform for the year is the city-wide vote's platform, mostly idle: size for the peak vote, not "
            "for the year.", ""]
    out += ["**What runs where, and what fails over how.** Web: N stateless gunicorn processes (one per core) on any "
            "number of machines behind a load balancer that checks `/healthz`; a dead machine drops out of the "
            "balancer and loses nothing (no local files: uploads are in the database or S3, sessions in signed "
            "cookies, the same `SECRET_KEY` everywhere). Workers: `flask worker` (with the cron) on one machine, "
            "`flask worker --no-cron` on others, under a supervisor; a worker killed mid-job has its job retried "
            "after its timeout, and the periodic reconciliation recounts whatever a lost job missed; every job is "
            "idempotent, so a second cron after a failover repeats work, never counts twice. PostgreSQL: a primary "
            "and a streaming replica with automatic failover (Patroni, or a managed service); the web processes "
            "answer 503 with Retry-After while it fails over and lose no committed vote "
            "(`tests/reliability/test_database_outage.py`). PgBouncer in transaction mode between them "
            "(`tests/reliability/test_two_machines.py` votes through one): `pool_mode = transaction`, "
            "`default_pool_size` ≈ 2 × the database's cores, `max_client_conn` ≥ all web threads + workers, and "
            "`PARTICIPATION_DATABASE_PREPARED_STATEMENTS=false` unless PgBouncer ≥ 1.21 runs with "
            "`max_prepared_statements`. Redis: a primary with a replica under Sentinel; while it is gone, votes "
            "still commit and the reconciliation restores the counts (`tests/reliability/test_redis_outage.py`).",
            "", "SQLite (the embedded default) takes one writer at a time: it is for one machine, development and "
            "demos; the figures above are for PostgreSQL."]
    return out
