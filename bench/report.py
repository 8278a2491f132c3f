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
                legs.append(json.loads(path.read_text()))
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
                f"- date: {result['date']}; the leg took {result['elapsed_s']} s",
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
                           + (f" = {row['ratio']:.2f}× baseline" if row.get("ratio") is not None else "")
                           + f", target {row['target']}. {row['extra'].get('gap', '')}".rstrip())
            out.append("")
    if not legs:
        out.append("No leg has been run yet.")
    out += ["", *capacity_plan(merged_facts(legs)), "", *NOTES]
    path = HERE / "RESULTS.md"
    path.write_text("\n".join(line for line in out if line is not None) + "\n")
    return path


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
