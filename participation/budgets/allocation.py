"""Which projects a budget funds, computed with pabutools from the ballots, and why each other one is not.

Two rules, fixed before voting opens:

- **Greedy by votes** (`greedy`): projects in order of their votes; each is funded if its cost fits in what
  is left of the budget, else skipped (a cheaper one further down may still fit). In pabutools:
  `greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)` (with cost satisfaction the greedy
  order is the number of votes).
- **Method of Equal Shares** (`equal_shares`): the budget is split equally between the voters; a project is
  funded when its supporters can pay for it from their shares, its cost split between them as equally as
  their remaining money allows, cheapest-per-supporter first (equalshares.net). Satisfaction is the cost of
  what a voter approved (`Cost_Sat`, as in the cities that use it). Equal Shares alone usually leaves money
  unspent, so it is *completed*: (1) the voters' shares are raised by 1% of the budget at a time, for as
  long as the outcome still fits the real budget (pabutools' `exhaustion_by_budget_increase` with its
  default step), then (2) whatever is still left goes to the remaining projects greedily by votes. In
  pabutools: `completion_by_rule_combination(instance, profile, [exhaustion_by_budget_increase,
  greedy_utilitarian_welfare], [{"rule": method_of_equal_shares, "rule_params": {"sat_class": Cost_Sat}},
  {"sat_class": Cost_Sat}])`.

Ties (equal votes under greedy, equal price per supporter under Equal Shares) go to the project with more
votes, then the cheaper one, then the one whose Pabulib id comes first in natural order ("2" before "10").
Both rules are deterministic: the same ballots give the same outcome, on any machine.

`allocate()` is pure: it takes plain numbers and sets of project ids, so the worker, the tests and the
Pabulib round trip all run the same code. Amounts are integers in the process's smallest unit (원, or the
cent of an imported file's currency); the rules do not depend on the unit.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

from pabutools.election import ApprovalMultiProfile, Cost_Sat, FrozenApprovalBallot, Instance, Project
from pabutools.rules import (
    exhaustion_by_budget_increase,
    greedy_utilitarian_welfare,
    method_of_equal_shares,
)
from pabutools.tiebreaking import TieBreakingRule

GREEDY = "greedy"
EQUAL_SHARES = "equal_shares"
RULES = (GREEDY, EQUAL_SHARES)

# Why a project on the ballot is not funded.
# 예산 소진: when its turn came, no project after it could be funded any more
BUDGET_EXHAUSTED = "budget_exhausted"
# 남은 예산보다 큼: it cost more than what was left, and a cheaper project after it was still funded
EXCEEDS_REMAINING = "exceeds_remaining"
NO_BALLOTS = "no_ballots"                  # 투표 없음: nobody voted, so nothing is funded
# How a funded project was funded under Equal Shares.
BY_SHARES = "equal_shares"                 # paid by its supporters' shares
BY_COMPLETION = "completion"               # from what the shares left over, greedily by votes


def exact(value) -> Fraction:
    """A pabutools number (gmpy2's mpq, or an int) as a plain Fraction of Python ints."""
    value = Fraction(value)
    return Fraction(int(value.numerator), int(value.denominator))


def natural_key(name: str) -> tuple:
    """"2" before "10"; names with letters compare by their runs of digits and text ("P0064")."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.findall(r"\d+|\D+", name))


def tie_breaking(votes: dict[str, int]) -> TieBreakingRule:
    """More votes first, then the cheaper project, then the natural order of the project ids."""
    return TieBreakingRule(lambda _instance, _profile, project: (
        -votes.get(project.name, 0), project.cost, natural_key(project.name)))


@dataclass
class ProjectOutcome:
    project: str
    cost: int
    votes: int
    funded: bool = False
    # Funded: BY_SHARES or BY_COMPLETION under Equal Shares, None under greedy. Not funded: the reason.
    how: str | None = None
    reason: str | None = None
    # What was left of the budget when the project's turn came (greedy, and Equal Shares' completion).
    remaining: Fraction | None = None
    # Equal Shares: how many voters paid for a funded project and the most one of them paid; for a project
    # not funded, what its supporters had left of their shares when the shares were spent.
    payers: int | None = None
    largest_payment: Fraction | None = None
    supporters_money_left: Fraction | None = None


@dataclass
class Outcome:
    rule: str
    budget: int
    voters: int
    projects: dict[str, ProjectOutcome]
    # The funded projects in the order the rule chose them.
    selected: list[str] = field(default_factory=list)
    # Equal Shares: each voter's share of the budget in the run that decided (after the 1% raises), and how
    # many raises it took.
    share_per_voter: Fraction | None = None
    raises: int | None = None

    @property
    def spent(self) -> int:
        return sum(self.projects[name].cost for name in self.selected)


def build(budget: int, costs: dict[str, int], ballots: Counter) -> tuple[Instance, ApprovalMultiProfile]:
    """The pabutools instance and (multi)profile: `ballots` counts each distinct set of approved project ids."""
    projects = {name: Project(name, cost) for name, cost in costs.items()}
    instance = Instance(projects.values(), budget_limit=budget)
    profile = ApprovalMultiProfile(instance=instance)
    for approved, count in ballots.items():
        ballot = FrozenApprovalBallot(sorted((projects[name] for name in approved), key=lambda p: p.name))
        profile[ballot] += count
    return instance, profile


def allocate(rule: str, budget: int, costs: dict[str, int], ballots: Counter) -> Outcome:
    """The outcome of `rule` for a budget, the projects' costs (id → cost, all positive) and the ballots
    (a Counter of frozensets of project ids). Every project in `costs` is on the ballot."""
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}")
    votes = dict.fromkeys(costs, 0)
    for approved, count in ballots.items():
        for name in approved:
            votes[name] += count
    instance, profile = build(budget, costs, ballots)
    ties = tie_breaking(votes)
    outcome = Outcome(rule=rule, budget=budget, voters=sum(ballots.values()), projects={
        name: ProjectOutcome(project=name, cost=cost, votes=votes[name]) for name, cost in costs.items()})
    if rule == GREEDY:
        selection = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat, tie_breaking=ties)
        explain_greedy(outcome, [project.name for project in selection], Fraction(budget), ties_order(costs, votes))
        return outcome
    shares = exhaustion_by_budget_increase(instance, profile, method_of_equal_shares, {
        "sat_class": Cost_Sat, "tie_breaking": ties, "analytics": True})
    by_shares = [project.name for project in shares]
    completed = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat, tie_breaking=ties,
                                           initial_budget_allocation=shares)
    explain_equal_shares(outcome, shares, profile)
    for name in by_shares:
        outcome.projects[name].funded, outcome.projects[name].how = True, BY_SHARES
    outcome.selected = list(by_shares)
    left = Fraction(budget) - sum(costs[name] for name in by_shares)
    later = [project.name for project in completed if project.name not in set(by_shares)]
    explain_greedy(outcome, later, left, [name for name in ties_order(costs, votes) if name not in set(by_shares)],
                   how=BY_COMPLETION)
    return outcome


def ties_order(costs: dict[str, int], votes: dict[str, int]) -> list[str]:
    """The order in which greedy by votes considers the projects (votes, then the tie-breaking)."""
    return sorted(costs, key=lambda name: (-votes[name], costs[name], natural_key(name)))


def explain_greedy(outcome: Outcome, chosen: list[str], remaining: Fraction, order: list[str],
                   how: str | None = None) -> None:
    """Walk the greedy order with the money left: each project is funded (it must be one pabutools chose) or
    not, and then why not. A disagreement with pabutools' choice is a bug here, so it raises."""
    chosen_set = set(chosen)
    turns = []
    for name in order:
        project = outcome.projects[name]
        project.remaining = remaining
        fits = project.cost <= remaining
        if fits != (name in chosen_set):
            raise AssertionError(f"greedy explanation disagrees with pabutools on project {name}")
        if fits:
            project.funded, project.how = True, how
            remaining -= project.cost
            outcome.selected.append(name)
        turns.append((name, fits))
    # 예산 소진 when nothing after the project was funded any more; else it was too dear for what was left.
    funded_after = False
    for name, fits in reversed(turns):
        if fits:
            funded_after = True
        else:
            outcome.projects[name].reason = EXCEEDS_REMAINING if funded_after else BUDGET_EXHAUSTED


def explain_equal_shares(outcome: Outcome, shares, profile: ApprovalMultiProfile) -> None:
    """From pabutools' record of the deciding Equal Shares run: each voter's share, who paid what for each
    project it funded, and what the supporters of every other project had left at the end."""
    iterations = shares.details.iterations if shares.details is not None else []
    if not iterations:
        return
    # The run's voters are the satisfaction profile's entries, in this order (as method_of_equal_shares builds it).
    groups = [entry.ballot for entry in profile.as_sat_profile(Cost_Sat)]
    multiplicity = shares.details.voter_multiplicity
    first = iterations[0].voters_budget
    outcome.share_per_voter = exact(first[0]) if first else Fraction(0)
    if outcome.voters:
        step = Fraction(outcome.budget, 100)
        outcome.raises = round((outcome.share_per_voter * outcome.voters - outcome.budget) / step)
    money_left = iterations[-1].voters_budget_after_selection or iterations[-1].voters_budget
    for iteration in iterations:
        if iteration.selected_project is None:
            continue
        project = outcome.projects[iteration.selected_project.name]
        payments = [(exact(before) - exact(after), int(count)) for before, after, count in zip(
            iteration.voters_budget, iteration.voters_budget_after_selection, multiplicity, strict=True)]
        project.payers = sum(count for paid, count in payments if paid > 0)
        project.largest_payment = max((paid for paid, _count in payments), default=Fraction(0))
    selected = {iteration.selected_project.name for iteration in iterations if iteration.selected_project}
    for name, project in outcome.projects.items():
        if name not in selected:
            project.supporters_money_left = sum(
                (exact(money) * int(count) for ballot, money, count in zip(groups, money_left, multiplicity,
                                                                         strict=True)
                 if any(item.name == name for item in ballot)), Fraction(0))
