"""The allocation equals pabutools' own result: on real Pabulib instances (tests/budgets/pabulib/, parsed by
pabutools itself) and on Hypothesis-generated instances; and the explanations agree with the outcome."""

from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance, Project, parse_pabulib
from pabutools.rules import (
    completion_by_rule_combination,
    exhaustion_by_budget_increase,
    greedy_utilitarian_welfare,
    method_of_equal_shares,
)
from pabutools.tiebreaking import TieBreakingRule

from participation.budgets import allocation

FILES = sorted((Path(__file__).parent / "pabulib").glob("*.pb"))


def reference(rule: str, instance, profile) -> set[str]:
    """pabutools' own result with the documented rule and tie-breaking (more votes, cheaper, natural id)."""
    ties = TieBreakingRule(lambda _inst, prof, project: (-prof.approval_score(project), project.cost,
                                                          allocation.natural_key(project.name)))
    if rule == allocation.GREEDY:
        chosen = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat, tie_breaking=ties)
    else:
        chosen = completion_by_rule_combination(
            instance, profile, [exhaustion_by_budget_increase, greedy_utilitarian_welfare],
            [{"rule": method_of_equal_shares, "rule_params": {"sat_class": Cost_Sat, "tie_breaking": ties}},
             {"sat_class": Cost_Sat, "tie_breaking": ties}])
    return {project.name for project in chosen}


def as_integers(instance, profile) -> tuple[int, dict[str, int], Counter]:
    """The instance as the platform stores it: amounts in the smallest unit (grosze when there are decimals)."""
    amounts = [Fraction(str(instance.budget_limit)), *(Fraction(str(project.cost)) for project in instance)]
    unit = 100 if any(amount.denominator != 1 for amount in amounts) else 1
    costs = {project.name: int(Fraction(str(project.cost)) * unit) for project in instance}
    ballots = Counter(frozenset(project.name for project in ballot) for ballot in profile)
    return int(Fraction(str(instance.budget_limit)) * unit), costs, ballots


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
@pytest.mark.parametrize("rule", allocation.RULES)
def test_real_instances_equal_pabutools(path, rule):
    instance, profile = parse_pabulib(str(path))
    budget, costs, ballots = as_integers(instance, profile)
    outcome = allocation.allocate(rule, budget, costs, ballots)
    assert set(outcome.selected) == reference(rule, instance, profile)
    assert outcome.spent <= budget


def test_the_real_instances_are_ones_where_the_rules_disagree():
    """Equal Shares funds something other than greedy on four of the five files: the comparison above is not
    one that two identical rules would pass."""
    differ = 0
    for path in FILES:
        instance, profile = parse_pabulib(str(path))
        budget, costs, ballots = as_integers(instance, profile)
        differ += set(allocation.allocate("greedy", budget, costs, ballots).selected) != set(
            allocation.allocate("equal_shares", budget, costs, ballots).selected)
    assert differ == 4


@st.composite
def instances(draw):
    count = draw(st.integers(min_value=1, max_value=7))
    costs = {str(number): draw(st.integers(min_value=1, max_value=100)) for number in range(1, count + 1)}
    budget = draw(st.integers(min_value=1, max_value=sum(costs.values()) + 20))
    names = sorted(costs)
    ballots = draw(st.lists(st.frozensets(st.sampled_from(names), min_size=1), min_size=1, max_size=25))
    return budget, costs, ballots


@settings(max_examples=150, deadline=None, database=None)
@given(instances(), st.sampled_from(allocation.RULES))
def test_generated_instances_equal_pabutools(case, rule):
    budget, costs, ballots = case
    projects = {name: Project(name, cost) for name, cost in costs.items()}
    instance = Instance(projects.values(), budget_limit=budget)
    profile = ApprovalProfile([ApprovalBallot(projects[name] for name in ballot) for ballot in ballots],
                              instance=instance)
    outcome = allocation.allocate(rule, budget, costs, Counter(ballots))
    assert set(outcome.selected) == reference(rule, instance, profile)
    # Every project is funded or has exactly one reason; the remaining money at each turn is never negative.
    for project in outcome.projects.values():
        assert project.funded == (project.reason is None)
        assert project.remaining is None or project.remaining >= 0
    assert outcome.spent == sum(costs[name] for name in outcome.selected) <= budget


def test_greedy_reasons_tell_exhausted_from_too_dear():
    # 10 to share: A (6) 3 votes, B (6) 2 votes, C (3) 1 vote, D (2) 0 votes.
    costs = {"A": 6, "B": 6, "C": 3, "D": 2}
    ballots = Counter({frozenset("A"): 3, frozenset("B"): 2, frozenset("C"): 1})
    outcome = allocation.allocate("greedy", 10, costs, ballots)
    assert outcome.selected == ["A", "C"]
    assert outcome.projects["B"].reason == allocation.EXCEEDS_REMAINING and outcome.projects["B"].remaining == 4
    # After C only 1 is left and D (2) does not fit: nothing after it was funded.
    assert outcome.projects["D"].reason == allocation.BUDGET_EXHAUSTED and outcome.projects["D"].remaining == 1


def test_equal_shares_explains_who_paid():
    # 30 voters, budget 300: 20 want P (cost 200), 10 want Q (cost 100) and R (cost 100).
    costs = {"P": 200, "Q": 100, "R": 100}
    ballots = Counter({frozenset("P"): 20, frozenset("QR"): 10})
    greedy = allocation.allocate("greedy", 300, costs, ballots)
    shares = allocation.allocate("equal_shares", 300, costs, ballots)
    assert set(greedy.selected) == {"P", "Q"}
    # Each voter holds 10: P's 20 supporters pay 200, Q's 10 supporters pay 100; R is left for the completion.
    assert shares.share_per_voter == 10 and shares.raises == 0
    assert shares.projects["P"].how == allocation.BY_SHARES and shares.projects["P"].payers == 20
    assert shares.projects["P"].largest_payment == 10
    assert shares.projects["R"].supporters_money_left == 0
    assert shares.projects["R"].reason == allocation.BUDGET_EXHAUSTED


def test_ties_go_to_more_votes_then_the_cheaper_then_the_lower_id():
    costs = {"10": 5, "2": 5, "3": 4}
    ballots = Counter({frozenset({"10", "2", "3"}): 1})
    assert allocation.allocate("greedy", 5, costs, ballots).selected == ["3"]
    assert allocation.allocate("greedy", 5, {"10": 5, "2": 5}, Counter({frozenset({"10", "2"}): 1})).selected == ["2"]
