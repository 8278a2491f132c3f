"""What a scenario sees: the leg, the two servers, the baseline figure, people with tokens, the rows."""

import time
from dataclasses import dataclass, field

from bench.harness import Leg, Row, Skip, load


@dataclass
class Settings:
    duration: float = 5.0        # seconds of measured load per scenario
    concurrency: int = 16        # keep-alive connections of the load generator
    people: int = 25_000         # pre-created citizens with tokens
    sustained_seconds: int = 60  # the sustained vote run
    sustained_rate: int = 100    # votes per second in the sustained run
    pollers: int = 50            # clients polling results during the sustained run
    poll_interval: float = 1.0   # seconds between one poller's requests
    listing_rows: int = 100_000  # petitions and proposals for the list pages
    tally_ballots: int = 1_000_000
    indicator_rows: int = 1_000_000
    export_responses: int = 100_000
    map_people: int = 5_000
    map_statements: int = 200
    worker_jobs: int = 10_000
    worker_seconds: float = 420.0  # at most this long for the worker's jobs


@dataclass
class Bench:
    leg: Leg
    settings: Settings
    app_base: str = ""
    baseline_base: str = ""
    baseline_rps: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    people: list = field(default_factory=list)  # [(user id, token)]
    next_person: int = 0
    facts: dict = field(default_factory=dict)   # figures for the capacity plan
    started: float = field(default_factory=time.monotonic)
    deadline: float = float("inf")  # time.monotonic() at which the leg's --budget runs out

    # -- people --------------------------------------------------------------------------------------
    def take_people(self, n: int) -> list[tuple[int, str]]:
        """n citizens nobody used yet in this leg (one vote, signature or support each)."""
        if self.next_person + n > len(self.people):
            from bench.data import make_users

            more = max(n, 5_000)
            self.people.extend(make_users(more, f"{self.leg.name}{len(self.people)}"))
        chosen = self.people[self.next_person:self.next_person + n]
        self.next_person += n
        return chosen

    def seconds_left(self) -> float:
        return self.deadline - time.monotonic()

    # -- load ----------------------------------------------------------------------------------------
    @property
    def baseline(self) -> float:
        if not self.baseline_rps:
            raise Skip("no baseline measured")
        return sum(self.baseline_rps) / len(self.baseline_rps)

    def measure(self, requests: list, **options) -> dict:
        options.setdefault("duration", self.settings.duration)
        options.setdefault("concurrency", self.settings.concurrency)
        return load(self.app_base, requests, **options)

    def drain(self, limit: float = 120.0) -> float:
        """Wait until the app answers /healthz promptly again (abandoned slow requests have finished)."""
        import urllib.request

        t0 = time.monotonic()
        while time.monotonic() - t0 < limit:
            start = time.monotonic()
            try:
                with urllib.request.urlopen(self.app_base + "/healthz", timeout=limit) as response:
                    response.read()
            except OSError:
                time.sleep(1)
                continue
            if time.monotonic() - start < 0.5:
                break
            time.sleep(0.5)
        return time.monotonic() - t0

    def against_baseline(self, scenario: str, figures: dict, minimum: float | None, note: str = "",
                         require_no_errors: bool = True) -> Row:
        ratio = figures["rps"] / self.baseline if self.baseline else None
        met = None
        if minimum is not None:
            met = ratio is not None and ratio >= minimum and (figures["errors"] == 0 or not require_no_errors)
        errors_note = ""
        if figures["errors"]:
            errors_note = f"statuses {figures['statuses']}"
            if figures.get("failures"):
                errors_note += f" failures {figures['failures']}"
        row = Row(scenario=scenario, figure=f"{figures['rps']:.0f} req/s", target=f"≥ {minimum}× baseline"
                  if minimum is not None else "(no target)", ratio=round(ratio, 3) if ratio is not None else None,
                  met=met, rps=figures["rps"], errors=figures["errors"], median_ms=figures["median_ms"],
                  p99_ms=figures["p99_ms"], note="; ".join(part for part in (note, errors_note) if part),
                  extra={"requests": figures["requests"], "statuses": figures["statuses"], "vs_baseline": True,
                         "minimum": minimum, "require_no_errors": require_no_errors})
        self.rows.append(row)
        return row

    def against_floor(self, scenario: str, figures: dict, minimum: float, note: str = "") -> Row:
        """A write held to the floor of a write measured in this run (`floor` scenario): rps / floor rps. The
        ratio to the bare endpoint is kept in the row's note."""
        floor = self.facts.get("floor_rps")
        if not floor:
            raise Skip("the floor of a write was not measured in this run (scenario `floor`)")
        row = self.against_baseline(scenario, figures, None, note)
        ratio = figures["rps"] / floor
        row.ratio, row.target = round(ratio, 3), f"≥ {minimum}× floor"
        row.met = ratio >= minimum and figures["errors"] == 0
        row.extra.update(vs_baseline=False, vs_floor=True, floor_rps=floor, minimum=minimum)
        row.note = "; ".join(part for part in (f"{figures['rps'] / self.baseline:.2f}× the bare endpoint", row.note)
                             if part)
        return row

    def rescale(self) -> None:
        """Recompute every ratio against the mean of all baseline runs (start and end of the leg)."""
        for row in self.rows:
            if not row.extra.get("vs_baseline") or row.rps is None:
                continue
            row.ratio = round(row.rps / self.baseline, 3)
            minimum = row.extra.get("minimum")
            if minimum is not None:
                row.met = row.ratio >= minimum and (row.errors == 0 or not row.extra.get("require_no_errors"))

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
