"""Sign a petition, support a proposal (distinct citizens, full stack)."""

from bench.context import Bench, bearer
from bench.data import count
from bench.harness import Skip
from bench.scenarios import scenario
from bench.scenarios.polls import target_item

ACTIONS = (
    ("petition", "sign a petition", "/api/v1/petitions/<int:petition_id>/signatures", "/api/v1/petitions/{}/signatures",
     "petition_signature"),
    ("proposal", "support a proposal", "/api/v1/proposals/<int:proposal_id>/supports", "/api/v1/proposals/{}/supports",
     "proposal_support"),
)


@scenario("signatures")
def signatures(bench: Bench) -> None:
    rules = {rule.rule for rule in bench.leg.app.url_map.iter_rules()}
    done = 0
    for channel, label, rule, path, table in ACTIONS:
        if rule not in rules:
            continue
        item = target_item(bench, channel)
        people = bench.take_people(6_000)
        before = count(table)
        requests = [["POST", path.format(item), bearer(token), {}] for _uid, token in people]
        figures = bench.measure(requests, mode="once", expect=(201,),
                                warmup_requests=[["GET", path.format(item).rsplit("/", 1)[0], None, None]])
        stored = count(table) - before
        row = bench.against_floor(f"{label} (distinct citizens)", figures, 0.5,
                                  f"{figures['statuses'].get('201', 0)} accepted, {stored} rows stored")
        if stored != figures["statuses"].get("201", 0):
            row.met = False
            row.note += " — MISMATCH"
        bench.facts[f"{channel}_action_rps"] = figures["rps"]
        done += 1
    if not done:
        raise Skip("neither signatures nor supports have an API route yet")
