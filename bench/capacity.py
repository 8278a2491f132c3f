"""The capacity plan: from the measured per-core figures to processes, rows, bytes and connections for a
vote of 1,000,000 people in one hour with a peak of ten times the average."""

import math

VOTERS = 1_000_000
HOURS = 1
PEAK = 10
READS_PER_VOTE = 3  # each voter opens the poll page, then reads the results about twice (assumption)
POOL_PER_PROCESS = 20  # config.py: pool_size 10 + max_overflow 10 on PostgreSQL
QUIET_BASELINE_PER_CORE = 1_670  # req/s of the bare endpoint per core on this machine at a quiet moment
# Bytes per row (table + its indexes) when the PostgreSQL leg has not measured them (typical for these shapes).
DEFAULT_BYTES = {"user": 400, "api_token": 250, "poll_participation": 120, "poll_ballot": 230,
                 "poll_ballot_choice": 110}


def pick(legs: list[dict]) -> dict | None:
    """The PostgreSQL leg when there is one (production runs on it), else the SQLite leg."""
    with_votes = [leg for leg in legs if leg.get("facts", {}).get("vote_rps")]
    for leg in with_votes:
        if leg["leg"] == "postgresql":
            return leg
    return with_votes[0] if with_votes else None


def capacity_plan(legs: list[dict]) -> list[str]:
    out = ["## Capacity plan: a vote of 1,000,000 people in one hour", ""]
    leg = pick(legs)
    average = VOTERS / (HOURS * 3600)
    peak = average * PEAK
    out += [f"Demand: {VOTERS:,} ballots in {HOURS} hour = {average:.0f} votes/s on average; planned for a peak of "
            f"{PEAK}× = **{peak:,.0f} votes/s**, with {READS_PER_VOTE} reads (poll page, results) per vote = "
            f"{peak * READS_PER_VOTE:,.0f} reads/s.", ""]
    if leg is None:
        out.append("No leg has measured the vote path yet (the polls channel's ballot endpoint), so there is no "
                   "per-core figure to plan from. Run `make bench` once it exists.")
        return out
    facts = leg["facts"]
    cores = int(leg["machine"].get("nproc") or 2)
    rows = {row["scenario"]: row for row in leg.get("rows", [])}
    vote_ratio = next((row["ratio"] for name, row in rows.items() if name.startswith("cast a vote")), None)
    read_ratio = next((row["ratio"] for name, row in rows.items() if name.startswith("read live results (API)")),
                      None)
    floor_ratio = next((row["ratio"] for name, row in rows.items() if name.startswith("floor of a write")), None)
    # Per core, two ways: what was measured on this shared machine, and the measured ratio to the bare endpoint
    # times what the bare endpoint does per core on a quiet machine.
    measured_vote = facts["vote_rps"] / cores
    measured_read = facts["results_rps"] / cores if facts.get("results_rps") else None
    quiet_vote = vote_ratio * QUIET_BASELINE_PER_CORE if vote_ratio else None
    quiet_read = read_ratio * QUIET_BASELINE_PER_CORE if read_ratio else None

    def cores_for(vote_core, read_core):
        return peak / vote_core + (peak * READS_PER_VOTE / read_core if read_core else 0)

    literal_cores = cores_for(measured_vote, measured_read)
    web_cores = cores_for(quiet_vote, quiet_read) if quiet_vote else literal_cores
    web = math.ceil(web_cores * 1.3)  # 30 % headroom
    out += [f"Measured on the **{leg['leg']}** leg ({leg['date']}; {cores} cores shared by gunicorn, the database, "
            f"Redis, the load generator and other people's test runs — load average "
            f"{leg['machine'].get('loadavg_start', '?')} at its start): {facts['vote_rps']:.0f} votes/s"
            + (f" ({vote_ratio:.2f}× the bare endpoint)" if vote_ratio else "")
            + (f" and {facts['results_rps']:.0f} result reads/s" if facts.get("results_rps") else "")
            + (f" ({read_ratio:.2f}×)" if read_ratio else "") + ".", "",
            f"- Literal figure: {measured_vote:.0f} votes/s per core"
            + (f", {measured_read:.0f} reads/s per core" if measured_read else "")
            + f" → {literal_cores:,.0f} cores. This is inflated by the machine's load (other work shares these "
            "cores, the load generator and the database included); do not plan from it.",
            f"- Planning figure: the ratio to the bare endpoint (measured in the same run, so the load cancels) × "
            f"{QUIET_BASELINE_PER_CORE:,} req/s per core for the bare endpoint (its best figure here at a quiet "
            "moment: 3,342 req/s on 2 cores with the load generator on the same cores)"
            + (f" = {quiet_vote:.0f} votes/s and {quiet_read:.0f} reads/s per core → **{web_cores:,.0f} cores**."
               if quiet_vote and quiet_read else "."),
            (f"- The ceiling of any write here: the floor row (one INSERT committed, nothing else) measured "
             f"{floor_ratio:.2f}× the bare endpoint in the same run, and a vote {vote_ratio:.2f}× "
             f"({vote_ratio / floor_ratio:.0%} of the floor). A vote as cheap as a bare INSERT would plan at "
             f"{floor_ratio * QUIET_BASELINE_PER_CORE:.0f} votes/s per core; plan with today's figure."
             if floor_ratio and vote_ratio else
             "- The floor row (one INSERT committed, nothing else) was not measured on this leg."), ""]
    out += ["| resource | need at peak | reasoning |", "|---|---|---|",
            f"| web (gunicorn gthread, 1 process per core, 4 threads) | **{web} processes/cores** (today's code) | "
            f"{web_cores:,.1f} cores from the planning figure + 30 % headroom; stateless, spread over machines behind "
            "the proxy |"]
    jobs_per_vote = facts.get("sustained_jobs", 0) / facts["sustained_votes"] if facts.get("sustained_votes") else None
    tally = facts.get("tally_seconds")
    jobs_s = facts.get("worker_jobs_per_s")
    if tally:
        # One hot poll: its recount runs at most once per debounce window, back to back when a tally is slow.
        busy = min(1.0, tally / 2.0) if tally else 0
        workers = 2 + (1 if busy > 0.5 else 0)
        out.append(f"| RQ workers | **{workers} processes** | jobs per vote {jobs_per_vote:.4f} (debounced: one "
                   f"recount per poll per 2 s burst) → at most 0.5 tallies/s for the hot poll; a tally of "
                   f"{facts.get('tally_ballots', 0):,} ballots took {tally:.1f} s, so one worker is "
                   f"{busy:.0%} busy with it; one more for every other channel's recounts and the periodic jobs"
                   + (f" (a worker ran {jobs_s:.0f} small jobs/s, in its own process)" if jobs_s else "")
                   + ", one spare |"
                   if jobs_per_vote is not None else
                   f"| RQ workers | **{workers} processes** | a tally of {facts.get('tally_ballots', 0):,} "
                   f"ballots took {tally:.1f} s; debounced to one per poll per 2 s |")
    sizes = facts.get("pg_bytes_per_row") or {}
    rows = {"user": VOTERS, "api_token": VOTERS, "poll_participation": VOTERS, "poll_ballot": VOTERS,
            "poll_ballot_choice": VOTERS}
    total = sum(rows[name] * sizes.get(name, DEFAULT_BYTES[name]) for name in rows)
    measured = "measured on the PostgreSQL leg" if sizes else "typical sizes (the PostgreSQL leg measures them)"
    detail = ", ".join(f"{name} {rows[name]:,} × {sizes.get(name, DEFAULT_BYTES[name]):.0f} B" for name in rows)
    connections = web * POOL_PER_PROCESS + 3 * 2 + 10
    out += [f"| PostgreSQL rows | **{sum(rows.values()):,} rows** | one account (+ token for app voters), one "
            f"participation, one ballot and one choice row per voter (single-choice poll) |",
            f"| PostgreSQL size | **{total / 1e9:.1f} GB** (tables + indexes) | {detail} ({measured}); keep it in RAM: "
            f"shared_buffers ≥ {max(1, math.ceil(total / 1e9 * 1.5))} GB |",
            f"| PostgreSQL connections | **{connections:,} client connections** | {web} web processes × "
            f"{POOL_PER_PROCESS} (pool_size 10 + max_overflow 10) + 3 workers × 2 + 10 for admin: too many for "
            "PostgreSQL itself, so PgBouncer (transaction mode) in front and pool_size lowered to the thread "
            "count (4): ≈ 200 server connections |",
            f"| PostgreSQL writes | **{peak:,.0f} transactions/s** at peak | one transaction per ballot (3–4 "
            "inserts); WAL on a fast disk, synchronous_commit on |",
            "| Redis memory | **≈ 0.3 GB** | rate-limit counters: 2 per account (10 s and 1 h windows), the hour "
            "ones for 1,000,000 accounts ≈ 110 B each ≈ 0.2 GB; RQ jobs (kept 600 s) and debounce marks are "
            "negligible (a few hundred); no session data (cookies) |",
            f"| Redis connections | **≈ {web * 4 + 20}** | one per gunicorn thread + one per worker and scheduler |",
            ""]
    out += ["SQLite serialises every write (one writer at a time, `BEGIN IMMEDIATE`): it is for one machine and "
            "development; the plan above is for PostgreSQL + Redis. Scale out by adding web processes and machines; "
            "workers scale independently; the tally is one job per hot poll however many voters there are."]
    return out
