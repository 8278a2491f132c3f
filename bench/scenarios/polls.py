"""Votes: cast a ballot (distinct voters, full stack), the rejected second ballot, a budget ballot, live results."""

from bench.channels import make_budget, make_poll, require_route
from bench.context import Bench, bearer
from bench.data import count
from bench.harness import Row
from bench.scenarios import scenario

VOTES = "/api/v1/polls/<int:poll_id>/ballots"
RESULTS = "/api/v1/polls/<int:poll_id>/results"
SHARED = "one-second copy served before Flask (core/response_cache.py)"


@scenario("votes")
def votes(bench: Bench) -> None:
    require_route(bench.leg.app, VOTES, "POST")
    poll_id, option_ids = make_poll()
    bench.facts["vote_poll"] = poll_id
    voters = bench.take_people(8_000)
    requests = [["POST", f"/api/v1/polls/{poll_id}/ballots", bearer(token), {"choices": [option_ids[i % 4]]}]
                for i, (_uid, token) in enumerate(voters)]
    warm = [["GET", f"/api/v1/polls/{poll_id}", None, None]]
    figures = bench.measure(requests, mode="once", expect=(201,), warmup_requests=warm)
    accepted = figures["statuses"].get("201", 0)
    stored = count("poll_participation")
    row = bench.against_floor("cast a vote (distinct voters; auth, checks, insert, enqueue)", figures, 0.5,
                              f"{accepted} ballots accepted, {stored} participation rows stored")
    if stored != accepted:
        row.met = False
        row.note += " — MISMATCH between accepted ballots and stored rows"
    bench.facts["vote_rps"] = figures["rps"]
    bench.facts["vote_median_ms"] = figures["median_ms"]

    # The same voters again: every one must be refused with 409.
    again = requests[:max(1, figures["requests"])]
    figures = bench.measure(again, expect=(409,), warmup_requests=warm)
    bench.against_floor("rejected second vote (409)", figures, 0.8,
                        f"cycles over {len(again)} voters who already voted")
    bench.facts["second_vote_rps"] = figures["rps"]


@scenario("budget_votes")
def budget_votes(bench: Bench) -> None:
    """A participatory-budgeting ballot of four projects within the budget: auth, the process and its projects
    FOR KEY SHARE, the knapsack checks, the ballot sealed to the process's key, the participation row and the
    sealed ballot, the batch job enqueued."""
    require_route(bench.leg.app, "/api/v1/budgets/<int:budget_id>/ballots", "POST")
    budget_id, project_ids = make_budget()
    voters = bench.take_people(8_000)
    requests = [["POST", f"/api/v1/budgets/{budget_id}/ballots", bearer(token),
                 {"projects": [project_ids[(i + step) % len(project_ids)] for step in (0, 3, 6, 9)]}]
                for i, (_uid, token) in enumerate(voters)]
    warm = [["GET", f"/api/v1/budgets/{budget_id}", None, None]]
    figures = bench.measure(requests, mode="once", expect=(201,), warmup_requests=warm)
    accepted = figures["statuses"].get("201", 0)
    stored, sealed = count("budget_participation"), count("budget_sealed_ballot")
    row = bench.against_floor("cast a budget ballot (4 projects; auth, knapsack checks, sealed, enqueue)", figures,
                              0.5, f"{accepted} ballots accepted, {stored} participation rows and {sealed} sealed "
                                   "ballots stored")
    if not accepted == stored == sealed:
        row.met = False
        row.note += " — MISMATCH between accepted ballots and stored rows"


@scenario("results")
def results(bench: Bench) -> None:
    measured = False
    if any(rule.rule == RESULTS for rule in bench.leg.app.url_map.iter_rules()):
        poll_id = bench.facts.get("vote_poll") or make_poll()[0]
        figures = bench.measure([["GET", f"/api/v1/polls/{poll_id}/results", None, None]])
        bench.against_baseline("read live results (API)", figures, 0.9, "the tally the worker wrote, with as_of; "
                               f"anonymous readers share a {SHARED}")
        bench.facts["results_rps"] = figures["rps"]
        # A reader with a token gets no shared copy: the whole app (auth, view, serialisation) every time.
        readers = [["GET", f"/api/v1/polls/{poll_id}/results", bearer(token), None]
                   for _uid, token in bench.take_people(200)]
        figures = bench.measure(readers)
        bench.against_baseline("read live results (API) with a token: no shared copy", figures, None,
                               "the same answer through the whole app (token lookup, view, JSON) on every request")
        figures = bench.measure([["GET", f"/polls/{poll_id}", None, None]])
        bench.against_baseline("read live results (page /polls/<id>)", figures, 0.9)
        measured = True
    for channel, api, page in (("petition", "/api/v1/petitions/<int:petition_id>", "/petitions/{}"),
                               ("proposal", "/api/v1/proposals/<int:proposal_id>", "/proposals/{}")):
        if not any(rule.rule == api for rule in bench.leg.app.url_map.iter_rules()):
            bench.add(Row(scenario=f"read a {channel}'s count", figure="—", note="route not there yet"))
            continue
        item = target_item(bench, channel)
        figures = bench.measure([["GET", api.split("<")[0] + str(item), None, None]])
        bench.against_baseline(f"read a {channel}'s count (API)", figures, 0.9,
                               f"denormalised count + count_as_of; anonymous readers share a {SHARED}")
        figures = bench.measure([["GET", page.format(item), None, None]])
        bench.against_baseline(f"read a {channel}'s count (page)", figures, 0.9)
        measured = True
    if not measured:
        from bench.harness import Skip

        raise Skip("no results or count route yet")


def target_item(bench: Bench, channel: str) -> int:
    key = f"{channel}_target"
    if key not in bench.facts:
        from bench.channels import make_petitions, make_proposals

        bench.facts[key] = (make_petitions if channel == "petition" else make_proposals)(1, seed=99)[0]
    return bench.facts[key]
