"""The printed table, the per-leg JSON (bench/results/<leg>.json) and bench/RESULTS.md."""

import json
from pathlib import Path

from bench.capacity import capacity_plan

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
LEG_ORDER = ("sqlite", "postgresql")

# What the issue asks for, so that RESULTS.md names what a leg could not measure.
EXPECTED = {
    "votes": "cast a vote (distinct voters) and the rejected second vote (409)",
    "results": "read live results / a petition's or proposal's count (API and page)",
    "signatures": "sign a petition, support a proposal",
    "lists": "list pages with 100,000 petitions and proposals (first page, deep page, search)",
    "sustained": "sustained: 100 votes/s for 60 s with 50 clients polling results; jobs per vote",
    "tally": "tally of a poll with 1,000,000 ballots vs a raw SQL GROUP BY",
    "indicators": "indicator refresh for a year with 1,000,000 rows vs the raw COUNT queries",
    "export": "survey export of 100,000 responses (peak memory)",
    "opinion_map": "opinion map of 5,000 participants × 200 statements",
    "worker_memory": "worker memory over 10,000 jobs",
}


def check_rows(result: dict) -> None:
    """Verdicts that older result files got wrong: the sustained run must also keep its vote rate."""
    import re

    for row in result["rows"]:
        if row["scenario"].startswith("tally a poll") and row.get("ratio") and "of the job, the receipts digest" in \
                row.get("note", ""):  # the tally that still computed the digest (before the bulletin job)
            row.setdefault("extra", {})["gap"] = (f"the job is {row['ratio']:.0f}× the GROUP BY; the receipts digest "
                                                  "alone (see the note) takes about as long as the whole job")
        match = re.match(r"sustained: (\d+) votes/s for", row["scenario"])
        if match and row.get("met") and row.get("rps") is not None and row["rps"] < 0.95 * int(match.group(1)):
            row["met"] = False
            row["target"] = f"{match.group(1)} votes/s kept, " + row.get("target", "")
            row.setdefault("extra", {})["gap"] = f"only {row['rps']:.0f} of {match.group(1)} votes/s were kept"


def verdict(row: dict) -> str:
    if row.get("met") is True:
        return "met"
    if row.get("met") is False:
        return "MISSED"
    return ""


def fmt(value, digits: int = 1) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table_lines(result: dict) -> list[str]:
    lines = ["| scenario | figure | ratio | target | verdict | errors | median ms | p99 ms | note |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in result["rows"]:
        ratio = f"{row['ratio']:.2f}×" if row.get("ratio") is not None else ""
        lines.append(f"| {row['scenario']} | {row['figure']} | {ratio} | {row.get('target', '')} | {verdict(row)} | "
                     f"{fmt(row.get('errors'))} | {fmt(row.get('median_ms'))} | {fmt(row.get('p99_ms'))} | "
                     f"{row.get('note', '')} |")
    return lines


def print_table(result: dict) -> None:
    rows = result["rows"]
    width = max([len(r["scenario"]) for r in rows] + [20])
    print()
    print(f"{'scenario':<{width}}  {'figure':>16}  {'ratio':>7}  {'target':<24} {'verdict':<7} {'err':>5} "
          f"{'med ms':>8} {'p99 ms':>8}")
    for row in rows:
        ratio = f"{row['ratio']:.2f}×" if row.get("ratio") is not None else ""
        print(f"{row['scenario']:<{width}}  {row['figure']:>16}  {ratio:>7}  {row.get('target', ''):<24} "
              f"{verdict(row):<7} {fmt(row.get('errors')):>5} {fmt(row.get('median_ms')):>8} "
              f"{fmt(row.get('p99_ms')):>8}")
        if row.get("errors") or row.get("met") is False:
            print(f"{'':<{width}}  ↳ {row.get('note', '')}")
    for name, reason in result["skipped"]:
        print(f"not measured: {name}: {reason}")
    print(f"leg {result['leg']} took {result['elapsed_s']} s")


def save_leg(result: dict) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    part = result.get("part", "main")
    path = RESULTS_DIR / (f"{result['leg']}.json" if part == "main" else f"{result['leg']}-{part}.json")
    path.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    return path


def load_legs() -> list[dict]:
    legs = []
    for name in LEG_ORDER:
        paths = [RESULTS_DIR / f"{name}.json", *sorted(RESULTS_DIR.glob(f"{name}-*.json"))]
        for path in paths:
            if path.exists():
                result = json.loads(path.read_text())
                check_rows(result)
                legs.append(result)
    return legs


def merged_facts(legs: list[dict]) -> list[dict]:
    """One entry per leg with the facts of all its parts (for the capacity plan)."""
    by_leg: dict[str, dict] = {}
    for result in legs:
        entry = by_leg.setdefault(result["leg"], {**result, "facts": {}})
        entry["facts"].update(result.get("facts", {}))
        if result.get("part", "main") == "main":
            entry.update({k: v for k, v in result.items() if k != "facts"})
    return list(by_leg.values())


def write_results() -> Path:
    legs = load_legs()
    out = ["# Benchmark results", "",
           "Written by `make bench` (`python -m bench`); do not edit by hand — the notes at the end are in",
           "`bench/report.py`. Every throughput figure is a ratio against a bare Flask endpoint (`bench/baseline.py`)",
           "served by the same gunicorn command with the same worker count, measured in the same run (mean of a run",
           "at the start and one at the end of the leg); job figures are ratios against the raw SQL they need.",
           "Load comes from `bench/load.py` (gevent + geventhttpclient, keep-alive connections, closed loop, bounded",
           "in time and requests) in its own process on 127.0.0.1. The machine is shared: the load generator, the",
           "database and gunicorn all run on the same cores, so absolute figures are low and noisy; the ratios are",
           "what to compare.", ""]
    for result in legs:
        machine = result["machine"]
        part = result.get("part", "main")
        out += [f"## Leg: {result['leg']} — {result['database']}" + ("" if part == "main" else f" (part: {part})"), "",
                f"- command: `{result['command']}`" + ("  (quick mode: small data, NOT the issue's sizes)"
                                                     if result.get("quick") else ""),
                f"- date: {result['date']}; the leg took {result['elapsed_s']} s"
                + (" (interrupted: figures up to its last finished scenario)" if result.get("partial") else ""),
                f"- machine: {machine['nproc']} cores ({machine['cpu']}), Python {machine['python']}, "
                f"{machine['kernel']}; load average (1/5/15 min) {machine.get('loadavg_start', '?')} at the start, "
                f"{machine.get('loadavg', '?')} at the end (other work shares this machine)",
                f"- memory (`free -m`): {' / '.join(machine['free'].splitlines()[1].split()[1:4])} MB "
                "total / used / free" if machine.get("free", "").count("\n") else "",
                f"- gunicorn: {result['workers']} workers × {result['threads']} threads (gthread), app and baseline "
                f"alike; load: {result['concurrency']} connections, {result['duration']:.0f} s per scenario after a "
                "warm-up", ""]
        out += table_lines(result)
        out.append("")
        measured = {row["extra"].get("group") for row in result["rows"] if row.get("extra")}
        missing = [(name, reason) for name, reason in result["skipped"]]
        others = {row["extra"].get("group") for other in legs if other is not result and other["leg"] == result["leg"]
                  for row in other["rows"] if row.get("extra")}
        missing = [(name, reason) for name, reason in missing if name not in others]
        for key in EXPECTED:
            if key not in measured and key not in others and key not in {name for name, _ in missing}:
                missing.append((key, "not run in this leg"))
        if missing:
            out.append("Not measured in this leg:")
            out.append("")
            for name, reason in missing:
                out.append(f"- **{name}** ({EXPECTED.get(name, name)}): {reason}")
            out.append("")
        missed = [row for row in result["rows"] if row.get("met") is False]
        if missed:
            out.append("Targets missed in this leg (the gap, with the figure):")
            out.append("")
            for row in missed:
                out.append(f"- {row['scenario']}: {row['figure']}"
                           + ((f" = {row['ratio']:.2f}× baseline" if row["extra"].get("vs_baseline") else
                               f" = {row['ratio']:.2f}× the floor" if row["extra"].get("vs_floor") else
                               f" ({row['ratio']:.2f}× its reference)") if row.get("ratio") is not None else "")
                           + f", target {row['target']}. {row['extra'].get('gap', '')}".rstrip())
            out.append("")
    if not legs:
        out.append("No leg has been run yet.")
    out += ["", *SEVENTH_ROUND, "", *SIXTH_ROUND, "", *FINDINGS, "", *ISSUE_19, "", *ISSUE_10, "",
            *ISSUE_10_JOBS_AND_LISTS, "", *polis_section(), "", *capacity_plan(merged_facts(legs)), "", *NOTES]
    path = HERE / "RESULTS.md"
    path.write_text("\n".join(line for line in out if line is not None) + "\n")
    return path


ISSUE_19 = [
    "## Sealed ballots: the vote and the opening of a batch (hand-written, 2026-12-03 10:30–10:50 UTC)",
    "",
    "A vote now writes two rows (the participation row and the ballot sealed to the poll's public key) instead of",
    "three, and seals the ballot first (one X25519 key agreement and XSalsa20-Poly1305 over 35 + 8 × max_choices",
    "bytes, well under a millisecond). Measured with `python -m bench --only floor votes --duration 6 --no-save` on",
    "the SQLite leg, main first and this branch right after, on a machine shared with two full test runs (load",
    "average about 16 on 2 cores, so absolute figures are low and the floor row itself moved threefold):",
    "",
    "| run | floor of a write | cast a vote | vote / floor | refused second vote |",
    "|---|---|---|---|---|",
    "| main (plaintext ballots) | 617 req/s | 22 req/s | 0.036 | 27 req/s |",
    "| this branch (sealed) | 203 req/s | 27 req/s | 0.13 | 27 req/s |",
    "",
    "The vote did not fall (22 → 27 req/s in the same conditions; the refused vote, which seals nothing, 27 → 27).",
    "The new `mix` scenario times the tally job opening a batch of 1,000 sealed ballots of the 10대 뉴스 shape (1–5",
    "of 30 options: open every box, check it, shuffle, insert ballots, choices and receipts, delete the sealed rows,",
    "count and write the poll), best of 3 batches: SQLite 0.426 s (quick run) and 0.649 s (the loaded run above);",
    "PostgreSQL 0.459 s (`--only mix`, 11:41 UTC, load average 13),",
    "target < 1 s, met in both runs. The row also reports the opening of the boxes alone. CPU dominates under",
    "this load: a standalone loop at 10:55 (load still about 16) took 0.80 s to open 1,000 boxes and 1.15 s to",
    "seal 1,000 (about 1 ms a vote), so the target holds on this machine only while it is not saturated; rerun",
    "`--only mix` on a quiet machine for a figure to plan with.",
]


# Seventh round (issue 24 items 3 and 4, 2026-12-03 18:00–19:30 UTC): counted, not timed.
SEVENTH_ROUND = [
    "## Seventh round (issue 24, hand-written, 2026-12-03 18:00–19:30 UTC): statements and round trips, counted",
    "",
    "`tests/foundation/test_write_counts.py` counts what one request costs, with rate limits on as in production",
    "(the tests' ACTION_LIMITS has one window, production's two: one more Redis round trip each), and fails if a",
    "count grows. SQL statements (SELECT / INSERT / UPDATE), commits and Redis round trips, before → after:",
    "",
    "| request | statements | commits | Redis round trips |",
    "|---|---|---|---|",
    "| cast a vote (token's first use this hour) | 5 → 5 | 2 → 1 | 5 → 2 |",
    "| sign a petition | 7 → 4 | 2 → 1 | 7 → 2 |",
    "| support a proposal | 4 → 4 | 2 → 1 | 7 → 2 |",
    "| refused second vote (409) | 3 → 3 | 0 → 0 | 3 → 1 |",
    "",
    "What went: the second transaction that wrote the token's last use after the view's (rollback, UPDATE,",
    "COMMIT: now in the write's own commit, `before_commit`); the after-commit round trips (the trending counts",
    "and the debounce mark: now one pipeline, `after_commit_pipelined`); the day's network key read before every",
    "signature and support (SET NX, GET: now kept per process and put back in the after-commit pipeline if Redis",
    "lost it); Flask-Limiter's re-reading of the window (GET, TTL) for the X-RateLimit headers after each hit",
    "(core/limits.py's storage answers it from the hit's reply); signing's loads of the petition's author, their",
    "roles and its answer, and the signature's read-back after the commit. The bench's tokens had no expiry",
    "since tokens expire (issue 23): every vote, signature and support of `bench/` answered 401; fixed here.",
]


# Sixth round (issue 24 items 3 and 4, 2026-12-03 13:45–16:10 UTC): what was cut, and why the targets still miss.
SIXTH_ROUND = [
    "## Sixth round (issue 24, hand-written, 2026-12-03 13:45–16:10 UTC): the write path, profiled again",
    "",
    "Profiles: `python -m bench.profile <what> N --calls` (cProfile on a CPU clock, the whole WSGI app called with",
    "prebuilt environs; `<what>` is vote, again, sign, support, me, categories or results), `--cpu` (no profiler,",
    "CPU µs per request), `--sql` (the statements of each request and whether SQLAlchemy's compiled cache served",
    "them: every statement of a vote, a refused vote and `/me` is `[cached since …]`), and the pyinstrument tree",
    "(`--save`, bench/profiles/). Shares of a vote's CPU before this round (SQLite, 500 votes): token lookup",
    "(user + roles through the ORM, joined) 16 %; the poll read with its options (ORM) 15 %; the two inserts 17 %",
    "(the sealed ballot as an ORM bulk insert of one row 8 %, the participation row loaded back as an object 9 %);",
    "after the commit, Redis 15 % (the trending pipeline 10 %, the debounce mark 5 %); the commit itself 6 %;",
    "Flask, Flask-Limiter's wrapper (rate limits off in the bench), webargs and the response schema about 15 %;",
    "the receipt code 2 %. `GET /api/v1/me`: the token lookup 45 % (of it: a pooled connection and BEGIN 12 %,",
    "the joined eager load of the roles 5 %), the session's teardown 9 %, the response schema 5 %, the rest",
    "Flask's own request handling. `GET /api/v1/categories` (no database): ten `ensure_sync` checks 8 %,",
    "Flask-Babel parsing the locale name 14 % (with the selector), the security headers 9 %, the request hooks",
    "(body size, NUL characters, CSRF) 8 %, the rest Flask and Werkzeug (context, routing, 36 proxy look-ups).",
    "",
    "Landed: the app's Flask subclass remembers which hooks and views are plain functions (`ensure_sync`), the",
    "locale selector hands Flask-Babel a `Locale` parsed once per name; the sealed ballot is a Core insert on its",
    "table; the vote's participation row is inserted by `inserted_once` (the same cached `ON CONFLICT DO NOTHING`,",
    "returning the id, no object loaded); the receipt code takes 20 CSPRNG bytes at once (uniform: 256 is a",
    "multiple of the 32-letter alphabet). Sealing is unchanged (one X25519 + XSalsa20-Poly1305 per vote, under",
    "a millisecond), and so is what is stored. In-process CPU, before → after, interleaved in one process or",
    "one after the other at the same load (load average 20–28, so about three times a quiet machine's figures):",
    "`GET /api/v1/categories` 589 and 481 → 358 and 335 µs a request; the sealed-ballot insert 577 → 169 µs, the",
    "participation insert 459 → 207 µs, the receipt 63 → 9 µs (together about 0.7 ms of a vote's 8 ms).",
    "",
    "Not done, measured: loading the user's roles only when asked (`lazyload`) makes the lookup 495 → 314 µs for",
    "a vote, a signature or a support (a citizen on a public item never needs the roles) but 1,065 µs for `/me`,",
    "which shows them (a second query); a one-query form that brings the roles as an aggregate would keep both.",
    "One Redis round trip after the commit instead of two (the trending counts and the debounce mark in one",
    "pipeline) would save about 5 % of a vote. Neither landed in this round's time.",
    "",
    "`make bench` rows (`python -m bench --only auth categories floor votes signatures --part write-path`, and the",
    "same with DATABASE_URL/REDIS_URL for PostgreSQL): the run before the changes (SQLite, 13:52 UTC, load average",
    "8.6) gave a vote 0.17× the floor, a refused vote 0.29×, sign 0.20×, support 0.32×, `/me` 0.30× and",
    "categories 0.74× the bare endpoint. The runs after them (16:00 UTC, the two legs at the same time on a",
    "machine at load average 28–33, tables under \"part: write-path\" above) say nothing about the change: the bare",
    "endpoint answered 129–222 req/s (2,360 in the recorded main run) and the writes 5–14 req/s; gunicorn took",
    "more than a minute to import the app (the harness now waits 240 s, like the tests' live server).",
    "",
    "Where the targets stand: none of the six is met in these runs (SQLite / PostgreSQL: vote 0.05× / 0.21× of the",
    "floor against 0.5×; refused vote 0.06× / 0.27× against 0.8×; sign 0.05× / 0.20× and support 0.10× / 0.33×",
    "against 0.5×; categories 0.63× / 0.69× against 0.8×; `/me` 0.38× / 0.18× against 0.5×). Why, from the",
    "profile: the floor is one Core INSERT and a commit (about 0.22 ms of CPU in-process on a quiet machine), a",
    "vote is a token lookup and a poll read through the ORM, two inserts, a commit and Redis after it (about",
    "2.3 ms after this round, from the fifth round's 2.5 ms): reaching 0.5× needs the vote at about twice the",
    "floor's work, which the ORM reads alone exceed. What would close most of the gap: the token, user and",
    "poll read as rows in one statement instead of ORM objects, the after-commit Redis work in one round trip,",
    "and Flask-Limiter's and flask-smorest's wrappers out of the write endpoints' path. Rerun the rows on a",
    "quiet machine before reading a verdict from them.",
]


# Where the gaps stand after the fifth round (issue 24, 2026-12-03); the sections after it are the dated history of
# the earlier rounds, superseded where this one says so.
FINDINGS = [
    "## Fifth round (issue 24, 2026-12-03): a cheaper write path, targets against the floor",
    "",
    "Targets now hold writes to the floor of a write measured in the same run (a vote ≥ 0.5×, a refused vote",
    "≥ 0.8×, sign and support ≥ 0.5×) and the fixed cost to the bare endpoint (`GET /api/v1/categories` ≥ 0.8×,",
    "`GET /api/v1/me` ≥ 0.5×). The legs of this round ran while the rest of the team ran its test suites on the same",
    "2 cores (load average 15–25, against 2 in quieter hours): single rows move by ±50 % from one run to the next,",
    "so the in-process figures below, which count CPU rather than wall time, say more about what changed.",
    "",
    "What each part of a request cost, in-process (`python -m bench.profile <what> 1000 --cpu`: the WSGI app",
    "called with prebuilt environs, `time.process_time()` per request, SQLite; the before column by the same",
    "measurement on the code before this round; cProfile with a CPU clock for the shares; pyinstrument trees kept",
    "in `bench/profiles/`, made by `python -m bench.profile <what> 300 --save`):",
    "",
    "| request (CPU µs per request) | before | after | what went |",
    "|---|---|---|---|",
    "| bare Flask endpoint (`bench/baseline.py`) | 59–63 | 59 | (reference) |",
    "| floor of a write (one INSERT committed) | 221 | 221 | (reference) |",
    "| `GET /api/v1/categories` | 302 | 124 | labels translated per request through Flask-Babel (35 %), the "
    "marshmallow dump (12 %), the signed session opened for the API (6 %), five `Headers.setdefault` (6 %) |",
    "| `GET /api/v1/me` | 970 | 504 | the token query built with its cache key on every request (half of it) |",
    "| cast a vote | 3,688 | 2,509 | `insert_once` compiled its `ON CONFLICT` insert every time (SQLAlchemy "
    "does not cache it: `[no key]` in the SQL log), the poll read's construction, the unit of work for two "
    "inserts |",
    "| refused second vote | 2,714 | 1,727 | the same, and the token query |",
    "",
    "Changed: the API opens no cookie session; security headers in one pass; code lists translated and",
    "serialised once per language; the token lookup and the poll read built once per process; `insert_once`",
    "rendered once per shape as typed text (SQLAlchemy's cache keeps it); the ballot and its choices as two",
    "Core inserts. SQLite: no pool pre-ping (a file does not drop connections), and the writers of one process",
    "queue on a Python lock before `BEGIN IMMEDIATE` instead of in SQLite's busy handler, which sleeps 1, 2, 5 …",
    "25 ms between tries while the lock sits idle (interleaved runs through gunicorn at load 24: 16.5 → 45.3 and",
    "10.9 → 88.7 votes/s). The SQLite leg now serves with one gunicorn process × 8 threads, the embedded shape",
    "of DESIGN.md: the capacity rows show a second and fourth process only queueing in the busy handler.",
    "",
    "Still missed, and why: a vote still costs about eleven times the floor's CPU in-process (2.5 ms against",
    "0.22 ms), and a refused vote eight times. What is left is the ORM (loading the user with roles and the poll",
    "with options as objects, ~40 % of a vote), the request's round trips (token, poll, three inserts, commit;",
    "two to Redis after it: the debounce mark and the trending count), and Flask's own dispatch with its",
    "decorators (limits, token, arguments, response: ~15 %). Taking the vote off the ORM (rows instead of",
    "objects for the token and the poll), folding the two Redis round trips into one pipeline after the",
    "commit, and the per-process debounce of a mark this process set itself are the next steps; the last one",
    "was tried and left out because `worker --burst` (tests, `flask tally`) releases scheduled jobs early,",
    "which breaks the assumption that a job starts no sooner than its delay. The vote itself is being",
    "rewritten for sealed ballots (issue 19); these figures are for the vote on main at the time of the run.",
    "",
    "## Where the gaps stand, and why (fourth round, 2026-11-26)",
    "",
    "This round's legs ran on a slower machine than the third round's: the bare endpoint answered 1,622–2,240",
    "req/s (3,626–4,673 on 2026-11-25), and one `top` reading showed 33 % of the CPU time stolen by the host.",
    "Ratios are taken in the same run and compare; absolute targets (100 votes/s sustained) do not.",
    "",
    "Changed in this round:",
    "",
    "- **The floor of a write** (new row): `bench/baseline.py` `POST /write` commits one INSERT through SQLAlchemy",
    "  Core on an engine configured like the app's (same URL and pool options, SQLite's pragmas and",
    "  `BEGIN IMMEDIATE`), with no auth, check, ORM, Redis or serialisation. It measured 0.50× (SQLite) and 0.27×",
    "  (PostgreSQL) of the bare endpoint; in other runs of this round 0.40–0.45× and 0.27–0.38×. It is the",
    "  ceiling of any write through this stack on this machine: a vote also needs the token lookup, the poll",
    "  check, three inserts and the debounce mark. On PostgreSQL the floor itself is below 0.4×; on SQLite a 0.4×",
    "  vote would have to cost no more than 1.25 single-INSERT requests (0.50 / 0.4), under the one write lock.",
    "- **Round trips**: on this machine one round trip costs 0.19–0.27 ms to PostgreSQL (`SELECT 1`, psycopg) and",
    "  0.27 ms to Redis, about the whole CPU cost of a bare-endpoint request. The floor makes 4 (pool pre-ping,",
    "  BEGIN, INSERT, COMMIT). A vote made 10 to PostgreSQL and 2 to Redis; it now makes 8 and 2, a refused",
    "  vote 6 instead of 8: a second ballot, signature or support is refused by `INSERT … ON CONFLICT DO",
    "  NOTHING RETURNING` (`core.database.insert_once`) instead of a savepoint around the insert and a caught",
    "  `IntegrityError` (the vote: 7 → 5 statements, a refused one 5 → 3). In interleaved A/B runs on this noisy",
    "  machine the vote rate moved between −34 % and +46 % from one pair to the next: within the noise.",
    "- **Statistics after bulk loads**: the bench analyses the users and tokens it bulk-inserts, as autovacuum",
    "  does for tables that grow by use. Without statistics, PostgreSQL found a token by scanning every user",
    "  (a seq scan it guessed would find one row): 2.1 ms (EXPLAIN ANALYZE) at 650 users, growing with the",
    "  table, whenever autovacuum had not yet analysed it; after ANALYZE the lookup takes 0.3 ms (psycopg).",
    "- **Sustained 100 votes/s** was missed on both legs in this run (90 and 86 votes/s kept, 0 errors,",
    "  tally = accepted = stored). On SQLite the third round's code (776af93), run in the same window with",
    "  `python -m bench --only votes sustained`, missed it as well (93 and 92 votes/s; p99/median 9.7 and",
    "  24.1; this round's code beside it 84 and 84): 100 votes/s is at this machine's write capacity today",
    "  (the votes rows: 108 and 72 req/s).",
    "",
    "Still missed, with the reason:",
    "",
    "1. **Cast a vote, sign, support** (≥ 0.4×) and **the refused second vote** (≥ 0.6×): 0.04–0.10×. The floor",
    "   row shows that on this machine even a bare INSERT reaches only 0.27–0.50×. What lies between the",
    "   floor and a vote is the token lookup and the poll read through the ORM, three inserts instead of one,",
    "   and the debounce mark in Redis: about four more round trips and twice the ORM work. Closing that would",
    "   mean answering before the database holds the vote (buffering in Redis or memory), which the rule",
    "   \"the database is the only truth\" forbids. On SQLite every write request also holds the one write lock",
    "   from its first statement (`BEGIN IMMEDIATE`), so writes run one at a time. What scales a city-wide vote",
    "   is more web processes on PostgreSQL: see the capacity plan below.",
    "2. **SQLite keyword search without the cache** is still a scan of title and body (the bench's search row",
    "   repeats one URL, so the shared copy answers it). An FTS5 trigram index kept by triggers was built and",
    "   tested in the third round (120 → 10.5 ms for 따릉이 over 100,000 petitions) but not landed: its triggers",
    "   made bulk inserts 5–7× slower. PostgreSQL has its trigram indexes (migration 0011).",
    "",
    "Third round (2026-11-25), kept for the record: reads (results, counts, lists, the home page) are served",
    "from a one-second anonymous copy by a WSGI middleware before Flask sees the request",
    "(`core/response_cache.py`); the live tally only counts (the receipts digest and turnout are the bulletin",
    "job's and the final tally's, read in a snapshot that does not hold SQLite's write lock); jobs run in the",
    "worker process (RQ `SimpleWorker`) instead of a process forked per job (60–90 ms a fork).",
]

# Hand-written: the before/after of the list indexes and the cheaper tally (issue 10). Kept by write_results().
ISSUE_10 = [
    "## List indexes and the tally digest: before and after (hand-written, 2026-11-25 15:38–16:00 UTC)",
    "",
    "Changed: indexes matching the public lists' WHERE + ORDER BY (migration 0009: petition `(published_at, id,",
    "state)`, `(state, published_at, id)`, `(signature_count, id)`, `(closes_at, id)`; proposal `(submitted_at, id,",
    "state)`, `(state, submitted_at, id)`, `(support_count, id)`); on SQLite the default list's unselective",
    "`state IN (...)` is written `state || ''` so that a state index cannot be picked without statistics",
    "(`petitions.queries.unselective_in`); the tally's receipts digest is streamed from the (poll_id, receipt_hash)",
    "index in batches of 50,000 joined in C (`partitions` + `\\n`.join) and skipped while the ballot count equals",
    "`poll.tally_digest_count` (ballots are only ever added). The bench's tally row now times a tally after new",
    "ballots (the digest is forced to be recomputed) and notes a re-tally with none; the lists scenario ANALYZEs",
    "after its bulk insert (autovacuum had not run: PostgreSQL then guessed ~277 rows and sorted deep pages).",
    "",
    "Command for both columns (the before column from a `git archive` of 4eb961d, the after from this commit):",
    "`python -m bench --only lists tally --scale 0.2 --duration 3 --no-save` (20,000 rows per list, deep page",
    "800 = OFFSET 15,980, 200,000 ballots; 4 connections for lists). The machine was much quieter than for the",
    "tables above but still shared with other engineers' tests: load average (1 min) noted per run. Medians in",
    "ms; ratios of the baseline do not reach the 0.3× target either way (the baseline ran at 1,500–3,600 req/s).",
    "SQLite columns and all tally rows: runs at 15:38–15:49; PostgreSQL list rows: a second pair of runs",
    "(`--only lists`, 15:50–15:53) after adding the ANALYZE to the lists scenario in both trees (the first pair,",
    "without it: petitions first page 110 → 37 ms, deep page 227 → 186 ms, because the planner had no statistics).",
    "The petitions HTML deep page on PostgreSQL did not improve and was not investigated for lack of time (the",
    "API deep page did); psycopg's prepared statements after 5 executions (generic plan, OFFSET unknown) are a",
    "suspect.",
    "",
    "| scenario (median ms, req/s) | SQLite before | SQLite after | PostgreSQL before | PostgreSQL after |",
    "|---|---|---|---|---|",
    "| load average at start → end | 0.98 → 5.51 | 4.94 → 6.23 | 5.03 → 5.84 | 4.54 → 5.03 |",
    "| petitions API first page | 101 ms, 28/s | 58 ms, 67/s | 110 ms, 37/s | 37 ms, 99/s |",
    "| petitions API deep page 800 | 696 ms, 5/s | 134 ms, 30/s | 216 ms, 18/s | 58 ms, 66/s |",
    "| petitions HTML first page | 268 ms, 14/s | 83 ms, 44/s | 110 ms, 36/s | 46 ms, 88/s |",
    "| petitions HTML deep page 800 | 1,380 ms, 3/s | 172 ms, 22/s | 227 ms, 18/s | 207 ms, 19/s (not improved) |",
    "| proposals API first page | 206 ms, 18/s | 38 ms, 87/s | 55 ms, 68/s | 25 ms, 152/s |",
    "| proposals API deep page 800 | 1,446 ms, 3/s | 65 ms, 59/s | 132 ms, 30/s | 45 ms, 77/s |",
    "| proposals HTML first page | 164 ms, 21/s | 51 ms, 74/s | 43 ms, 91/s | 43 ms, 90/s |",
    "| proposals HTML deep page 800 | 1,263 ms, 3/s | 52 ms, 67/s | 128 ms, 31/s | 50 ms, 79/s |",
    "| tally of 200,000 ballots (new ballots since the last tally) | 2.03 s = 49.4× GROUP BY | 0.68 s = 21.1× |"
    " 3.38 s = 80.9× | 1.48–1.70 s = 33–42× |",
    "| the receipts digest alone | 3.72 s | 0.88 s | 2.59 s | 1.26–1.57 s |",
    "| re-tally, no new ballot (digest kept) | (= a full tally) | 0.07 s = 2.1× | (= a full tally) | 0.10–0.11 s ="
    " 2.3–2.6× |",
    "",
    "EXPLAIN of `public_list()` LIMIT 20 (before: SQLite `SEARCH petition USING INDEX",
    "ix_petition_state_signature_count (state=?)` + `USE TEMP B-TREE FOR ORDER BY`, every page sorting every",
    "public row):",
    "",
    "- SQLite (EXPLAIN QUERY PLAN), first page and OFFSET 15,980: petitions `SCAN petition USING INDEX",
    "  ix_petition_published_at_id_state`, sort=signatures `... ix_petition_signature_count_id`, sort=closing",
    "  `... ix_petition_closes_at_id`, status=open `SEARCH ... ix_petition_state_published_at_id (state=?)`;",
    "  proposals `SCAN proposal USING INDEX ix_proposal_submitted_at_id_state`, sort=support",
    "  `... ix_proposal_support_count_id` — no temp B-tree. Proposals sort=closing (`closes_at IS NULL, closes_at,",
    "  id`) still sorts: no index added for it.",
    "- PostgreSQL 15 (EXPLAIN ANALYZE, 20,000 rows, analysed): petitions first page `Index Scan Backward using",
    "  ix_petition_published_at_id_state` 0.08 ms; OFFSET 15,980 the same scan, 10.4 ms (when the planner sorts",
    "  instead — without statistics, or with the `state || ''` form — a Sort, external merge on disk 11.6 MB,",
    "  111 ms); proposals 0.03 ms / 13.8 ms; sort=signatures/support and closing first pages use",
    "  their indexes (0.06–0.10 ms). Still sorting on PostgreSQL: petitions deep pages with sort=signatures, closing",
    "  or a status filter (the planner prefers a parallel seq scan + sort, 80–105 ms), proposals closing.",
    "- In-process `paginate(public_list(), page, 20)` on PostgreSQL (COUNT + page, 8 runs): petitions page 1 8–20 ms,",
    "  page 800 20–43 ms; proposals 11–21 / 14–31 ms. Without statistics the same page 800 took 115–141 ms.",
    "",
    "Still open: the 0.3× list target (the rest of a list request is ORM, serialisation and templates, several",
    "times the bare endpoint even for the first page); keyset pagination (`?after=`) was not done, so deep pages",
    "still walk OFFSET rows of the index (fine at 20,000–100,000 rows, linear beyond); the keyword search is",
    "unchanged (full scan). The tally was then 21–42× the GROUP BY whenever ballots arrived since the last tally:",
    "the digest is all ballots in sorted order through Python. (Superseded: the digest has since left the live",
    "tally for the bulletin job and the final tally; see the tally and bulletin rows.)",
]

def polis_section() -> list[str]:
    """Our opinion groups against Pol.is's on its published conversations (bench/polis.py, results/polis.json)."""
    path = RESULTS_DIR / "polis.json"
    out = ["## Opinion groups against Pol.is's, on the conversations Pol.is published", ""]
    if not path.exists():
        return [*out, "Not run yet: `python -m bench.polis DIR` (DIR: a copy of github.com/compdemocracy/openData).",
                ""]
    result = json.loads(path.read_text())
    rows = result["rows"]
    out += [f"- command: `{result['command']}`, DIR a copy of github.com/compdemocracy/openData (CC BY 4.0, The "
            "Computational Democracy Project); every export whose participants-votes.csv gives participants a "
            "group-id",
            f"- date: {result['date']}; {len(rows)} conversations in {result['elapsed_s']} s; the method exactly as a "
            "forum's recount runs it (`forums.opinion.opinion_groups`), fresh (no previous recount), nothing set per "
            "conversation",
            f"- **median adjusted Rand index {result['median_ari']}** (target ≥ 0.6); **the number of groups agrees on "
            f"{result['groups_agree']} of {len(rows)}** (target: at least half)", "",
            "ARI: between Pol.is's groups and ours, over the participants both place. Cost: k-means' objective (sum "
            "of squared distances to the group's centre) of our grouping over Pol.is's, both on our map's positions "
            "(below 1: ours is the tighter grouping of the same points). Silhouette change: how much each k's "
            f"silhouette moved when {100 * result['dropped']:.0f} % of the participants were left out "
            f"({rows[0]['resamples'] if rows else 0} times; p90 / max), against the stability margin of "
            f"{result['margin']}; k kept: recounts of those that kept the number of groups, fresh / starting from "
            "the full data's k.", "",
            "| conversation | participants | statements | compared | ARI | groups (ours / Pol.is) | sizes ours | "
            "sizes Pol.is | cost | silhouette change | k kept | seconds |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        out.append(f"| {row['conversation']} | {row['participants']:,} | {row['statements']} | {row['compared']:,} | "
                   f"{row['ari']:.3f} | {row['groups_ours']} / {row['groups_polis']} | "
                   f"{', '.join(map(str, row['sizes_ours']))} | {', '.join(map(str, row['sizes_polis']))} | "
                   f"{row['cost_ratio']:.3f} | "
                   f"{row['silhouette_change_p90']:.3f} / {row['silhouette_change_max']:.3f} | "
                   f"{row['k_kept_fresh']}/{row['resamples']}, {row['k_kept_with_previous']}/{row['resamples']} | "
                   f"{row['seconds']} |")
    out.append("")
    for name, reason in result["skipped"]:
        out.append(f"- not compared: {name}: {reason}")
    out += ["", *POLIS_FINDINGS]
    return out


# Hand-written notes on the Pol.is comparison (issue 21). Kept by write_results().
POLIS_FINDINGS = [
    "Findings (hand-written, 2026-12-03):",
    "",
    "- The projection is Pol.is's: on every two-group conversation above, a straight line in our map separates",
    "  Pol.is's two groups for 97–100 % of the participants (logistic regression on our 2-D positions: 0.971 on",
    "  affordable-housing, 0.974 freshwater, 0.980 brexit, 0.981 football, 0.982 bowling-green, ≥ 0.986 on the",
    "  other ten). Where the groups still differ, the difference is in the clustering: with the same number of",
    "  groups, ours has the same or a lower k-means cost on the same points (cost 0.97–1.00). Pol.is's published",
    "  groups are where its incremental updates left them (k-means warm-started from the previous update's",
    "  clusters, a set of placed participants that only grows, a k that changes after four wins in a row), and",
    "  on conversations without a clear boundary (bowling-green: 753 / 828 against our 1,022 / 557 along the same",
    "  axis) a fresh computation settles elsewhere. Pol.is also placed people that a fresh count does not (60",
    "  on ubi, 86 on affordable-housing, 842 on football-concussions: once placed, Pol.is keeps a participant).",
    "- Low agreement comes with a different number of groups (football 4 / 2, affordable-housing 3 / 2, ubi",
    "  2 / 4) or with a small outlying group placed differently (bg2050: Pol.is's 8 against our 1, the most",
    "  extreme voter, 323 votes; freshwater: 9 / 108 against 24 / 76).",
    "- Not tuned to these conversations: the constants are Pol.is's (7 votes, 100 base clusters, at most 5",
    "  groups, 2 + base clusters / 12) except the stability margin (0.03, about the 90th percentile of the",
    "  silhouette changes in the table), 10 and 50 k-means starts, and SEED 0, fixed before any comparison.",
    "  Their sensitivity, median ARI and agreeing numbers of groups: seeds 1, 2, 3: 0.852 / 14, 0.713 / 14,",
    "  0.733 / 13; margin 0: 0.735 / 12, margin 0.06: 0.735 / 15; one base k-means start: 0.713 / 14; placing",
    "  people from 5 or 10 votes: 0.733 / 14, 0.871 / 14; moderated-out statements dropped instead of kept as",
    "  passes: 0.753 / 14.",
    "- Stability: with the previous recount's number of groups (what the recount job passes), the number of",
    "  groups stayed the same in every recount without 2 % of the participants (85 of 85); fresh, in 81 of 85.",
    "- Not comparable here: three published conversations whose participants-votes.csv the fetched copy of",
    "  openData does not hold (its largest files: austria-climate.5tzfrp5eaa and .9xnndurbfm, march-on).",
]

# Hand-written: the opinion map, the worker and the list pages (issue 10, second round). Kept by write_results().
ISSUE_10_JOBS_AND_LISTS = [
    "## Opinion map, worker, list pages: before and after (hand-written, 2026-11-25 16:20–17:00 UTC)",
    "",
    "Measured in-process on scratch databases (`/tmp`, 100,000 petitions + 100,000 proposals bulk-inserted by",
    "`bench.channels`, a forum of 5,000 participants × 200 statements = 800,112 reactions shaped like the",
    "`opinion_map` scenario's), the before column from the previous commit's code, the after from this one, each",
    "in a fresh process, on the same data, one right after the other; the machine's load average was 4–10",
    "(other engineers' tests), so single figures vary by ±30 %.",
    "",
    "**Opinion map** (`forums.counts.opinion_map`). pyinstrument (SQLite, load 5): 24 of 32 s were reading the",
    "reactions — ORM rows,",
    "an `ORDER BY user_id`, then a Python loop with a `ReactionValue(value)` and two dict look-ups per reaction; PCA,",
    "k-means and the sampled silhouette took 0.6 s. Now the database maps agree/disagree/pass to 1/−1/0 (`CASE`),",
    "the rows come through Core (half the ORM's cost per row) straight into numpy (`np.fromiter`), and the",
    "matrix is filled by `np.unique` / `np.searchsorted` indexing. Same result, byte for byte (JSON compared).",
    "PostgreSQL, 4 alternating runs: before 6.3, 4.9, 6.8, 7.0 s, peak 514 MB; after 5.1, 3.7, 3.4, 4.7 s, peak",
    "448–468 MB (of which 210 MB is the app loaded before the job). The 22 s in the offline2 leg above was",
    "measured at load average 14–18.",
    "",
    "**Worker** (`participation.worker`). py-spy of `flask worker` over tally and recount jobs: 45 % of the samples",
    "were SQLAlchemy configuring the mappers — in every forked work horse, because the parent never ran a query",
    "and the configuration is lazy. `make_worker` now calls `configure_mappers()` before forking. What is left",
    "per job is the job's own statements (compiled afresh in each horse: the parent's statement cache is empty),",
    "RQ's Redis bookkeeping and the fork: about 60 ms of CPU per job (worker and horses together) at load 7–9.",
    "The bench's worker wrote its log to a pipe nobody read; RQ logs every job, so after some hundred jobs the",
    "pipe would fill and stall the worker: it now writes to a file. Resident memory of the worker process,",
    "sampled every 5 s: 114.7 MB throughout jobs 1,193–1,446 (before the change), 116.4 MB throughout jobs",
    "758–849 (after); `python -m bench --quick --only worker_memory`: 1.00× over 300 jobs. No growth to fix (a",
    "horse per job keeps the parent flat); the gap is throughput: 10,000 jobs need minutes of the leg's budget.",
    "",
    "**Worker, third round: no fork per job** (2026-11-25 19:05–19:30 UTC). Timed over 300 alternating tally and",
    "recount jobs in burst mode: the forking worker took 93 ms a job on SQLite and 59 ms on PostgreSQL, for a",
    "job body of 2.2–2.9 ms. A no-op job already cost 21–26 ms forked (fork + exit + wait alone: 6 ms; the",
    "rest RQ's work-horse bookkeeping); a real one then ran in a cold horse that opened Redis again and compiled",
    "every SQL statement again (cProfile of 200 horses: compilation about 20 ms, new Redis connections 11 ms, job",
    "preparation 14 ms a job); engine dispose + reconnect was 1 ms (SQLite) and 8 ms (PostgreSQL). The worker",
    "(`participation.worker.AppWorker`, RQ's `SimpleWorker`) now runs each job in its own process, in a fresh app",
    "context with `db.session.remove()` after it, on the pooled connections: 9.8 and 17 ms a job there. A job",
    "past its timeout is still stopped (SIGALRM) and failed (`tests/reliability/test_worker_timeout.py`); a",
    "worker killed mid-job leaves the job in the started registry until its timeout + 60 s, then a worker's",
    "cleanup (every minute) retries it (`test_worker_kill.py`). `worker_memory` now measures the process where",
    "the jobs run: SQLite 166 jobs/s, 10,000 of 10,000, 118.8 → 119.2 MB; PostgreSQL 72–85 jobs/s, 10,000 of",
    "10,000, 126.0 → 126.5 MB (1.00× on both; the few hundred kB come in the first 40 s, then it is flat).",
    "",
    "**List pages** (100,000 rows each; median of 7–12 requests through the Flask test client; `GET",
    "/api/v1/categories`, no database, takes 0.4–0.9 ms the same way). Three changes: (1) the COUNT behind",
    "`total` was 77 % of a first page (pyinstrument): a total of 10,000 rows or more is now kept 10 s per process",
    "(`core.pagination.count`; shorter totals stay exact); (2) a deep page selects its 20 ids first — an",
    "index-only walk of the sort index — and then those rows with their eager loads: before, PostgreSQL",
    "joined all 80,000 skipped rows to their authors and sorted them (EXPLAIN ANALYZE 242 ms → 29 ms);",
    "(3) the keyword search has pg_trgm GIN indexes on title and body on PostgreSQL (migration 0011): its",
    "COUNT went from a 198 ms seq scan to a 6 ms BitmapOr of the two indexes. SQLite keeps scanning for a",
    "search (no FTS5 table: its shadow tables and triggers were not worth the risk today). `?page=` and",
    "`?per_page=` are unchanged, so no cursor was added: a deep page by number is now a walk of the index.",
    "",
    "| request (ms, median) | SQLite before | SQLite after | PostgreSQL before | PostgreSQL after |",
    "|---|---|---|---|---|",
    "| petitions API first page | 51 | 13 | 28 | 13 |",
    "| petitions API page 4,000 | 141 | 41 | 332 | 35–49 |",
    "| petitions API search 따릉이 (1,000 hits) | 379 | 209 (still a scan) | 526 | 43 |",
    "| petitions page /petitions | 33 | 10 | 50 | 10–37 |",
    "| petitions page /petitions?page=4000 | 134 | 21 | 390 | 17–57 |",
    "| proposals API first page | 60 | 9 | 39 | 10–15 |",
    "| proposals API page 4,000 | 105 | 31 | 112 | 17–27 |",
    "| proposals API search 따릉이 | 297 | 188 (still a scan) | 437 | 31 |",
    "| proposals page /proposals | 70 | 16 | 48 | 18–26 |",
    "| proposals page /proposals?page=4000 | 92 | 34 | 117 | 19–36 |",
    "",
    "Still open: the 0.3× target. Even the first page costs 10–15 ms in-process against 0.4–0.9 ms for a request",
    "without the database — loading 20 rows through the ORM, serialising them (marshmallow) or rendering the",
    "template; only a cached response (keyed by the query and the counts' `as_of`) would come near 0.3× of a",
    "bare endpoint. The SQLite search is a scan of title and body (an FTS5 trigram table kept by triggers would",
    "fix it). The deep page's walk is linear in the page number (35–50 ms at page 4,000 of 5,000);",
    "a `?after=` cursor in the links would make following pages constant.",
    "",
    "**`make bench`** (the SQLite leg, every scenario at full size) took 13 min 28 s of wall time at 17:00–17:14",
    "(load average 2–13): the scenarios up to the indicators took 6½ minutes, and the worker scenario, last, ran",
    "until the leg's 13-minute budget was spent. A steady run of the same jobs outside the bench (load 3–4) did",
    "13–20 jobs/s with a flat 116.3 MB, so 10,000 jobs need 8–13 minutes on this machine: the worker row names",
    "how many of the 10,000 fitted. (Since the third round above, the worker does 10,000 jobs in 1–2½ minutes.)",
]

NOTES = [
    "## How the figures are made",
    "",
    "- Data is generated with bulk inserts (`bench/data.py`: executemany on SQLite, COPY on PostgreSQL), never",
    "  through the API. Citizens are verified accounts with one API token each (the SHA-256 inserted directly).",
    "- `RATELIMIT_ENABLED=false` and `REQUIRE_EMAIL_VERIFICATION=false` (PARTICIPATION_* environment).",
    "- Each vote, signature and support comes from a different citizen; a token is used once per action.",
    "- Memory figures are the peak resident set (VmHWM) of a fresh process doing only that work.",
    "- No timing is asserted in `make test`; this is the only place where speed is judged.",
]


if __name__ == "__main__":  # `python -m bench.report`: rebuild RESULTS.md from bench/results/*.json
    print(write_results())
