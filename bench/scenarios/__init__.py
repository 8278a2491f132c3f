"""The scenarios, in order of importance. Each is `run(bench)`; it appends rows to `bench.rows` or raises
`Skip("why")` when what it measures does not exist yet (its channel has not landed)."""

from collections.abc import Callable

SCENARIOS: list[tuple[str, Callable]] = []


def scenario(name: str):
    def register(function):
        SCENARIOS.append((name, function))
        return function

    return register


def load_all() -> list[tuple[str, Callable]]:
    from bench.scenarios import capacity, foundation, lists, memory, offline, polls, signatures, sustained, worker  # noqa: F401

    # Importance first, but the cheap load scenarios before the heavy data ones, so that a leg that runs out of
    # its time budget loses the fewest figures.
    order = ["auth", "home", "categories", "floor", "votes", "budget_votes", "mix", "results", "signatures",
             "capacity", "sustained", "lists", "tally", "export", "opinion_map", "indicators", "worker_memory"]
    return sorted(SCENARIOS, key=lambda item: order.index(item[0]) if item[0] in order else len(order))
