"""The opinion map (여론 지도), Pol.is's method (forums/opinion.py): planted camps are found along the planted
line, whatever each person's activity; the same input gives the same groups; what sets each group apart and
what all share follow Pol.is's statistics; statements with too few votes never speak for a group."""

from datetime import timedelta

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score
from sqlalchemy import select

from participation.core.time import utcnow
from participation.forums import counts, opinion, tasks
from participation.forums.models import Forum, Participant
from tests import factories

NAN = np.nan


def two_camps(people_per_camp: int = 15, statements: int = 10, seed: int = 3):
    """Camp A agrees with statements 2–5 and disagrees with 6–9, camp B the opposite; all agree with 0–1.
    Some reactions are passes (10 %) and some statements were not seen (5 %), as in real data."""
    rng = np.random.default_rng(seed)
    votes = np.zeros((2 * people_per_camp, statements))
    for person in range(2 * people_per_camp):
        sign = 1 if person < people_per_camp else -1
        for column in range(statements):
            votes[person, column] = 1 if column < 2 else (sign if column < 6 else -sign)
    votes[rng.random(votes.shape) < 0.1] = 0
    votes[rng.random(votes.shape) < 0.05] = NAN
    return votes


def test_two_planted_camps_are_found_with_their_statements_and_what_they_share():
    statement_ids = list(range(101, 111))
    result, _ = opinion.opinion_map(two_camps(), statement_ids)

    assert result["participants"] == 30 and result["voters"] == 30 and result["statements"] == 10
    assert [group["size"] for group in result["groups"]] == [15, 15]
    assert len(result["points"]) == 30 and {point[2] for point in result["points"]} == {1, 2}
    for group in result["groups"]:
        representative = {item["statement_id"] for item in group["distinctive"]}
        # Only the dividing statements speak for a group, at most five, agreements first.
        assert representative <= set(range(103, 111)) and 3 <= len(representative) <= 5
        reactions = [item["reaction"] for item in group["distinctive"]]
        assert reactions == sorted(reactions)  # "agree" < "disagree"
    assert {item["statement_id"] for item in result["consensus"]} == {101, 102}
    assert {item["statement_id"] for item in result["divisive"]} <= set(range(103, 111))
    assert result["divisive"] and result["consensus_disagree"] == []


def test_the_camps_split_exactly_along_the_planted_line():
    groups = opinion.opinion_groups(two_camps(people_per_camp=12))
    labels = groups.labels.tolist()
    assert len(set(labels[:12])) == 1 and len(set(labels[12:])) == 1 and labels[0] != labels[12]


def camps_with_activity(light_voters, per_camp: int = 40, statements: int = 30, seed: int = 5):
    """Two camps with opposite views on every statement (15 % noise); the rows `light_voters(row, camp)` picks
    saw only a third of the statements."""
    rng = np.random.default_rng(seed)
    camp = np.repeat([0, 1], per_camp)
    lean = np.where(np.arange(statements) % 2 == 0, 1.0, -1.0)
    votes = np.where(camp[:, None] == 0, lean, -lean)
    noise = rng.random(votes.shape) < 0.15
    votes[noise] = rng.choice([0.0, -1.0, 1.0], noise.sum())
    light = np.array([light_voters(row, camp[row]) for row in range(len(camp))])
    for row in np.flatnonzero(light):
        votes[row, rng.permutation(statements)[: statements * 2 // 3]] = NAN
    return votes, camp, light


def test_camps_that_vote_more_or_less_are_split_by_opinion_not_by_activity():
    # One camp reacts to everything, the other to a third of the statements.
    votes, camp, _ = camps_with_activity(lambda row, camp: camp == 1)
    groups = opinion.opinion_groups(votes)
    assert groups.count == 2 and adjusted_rand_score(camp, groups.labels) == 1.0

    # Within both camps, every other person reacts to a third: treating what they never saw as a pass (the old
    # map) made four groups that followed activity as much as opinion (ARI 0.49 against the camps).
    votes, camp, light = camps_with_activity(lambda row, camp: row % 2 == 1)
    groups = opinion.opinion_groups(votes)
    assert groups.count == 2 and adjusted_rand_score(camp, groups.labels) == 1.0
    assert adjusted_rand_score(light, groups.labels) < 0.05


def test_someone_who_saw_few_statements_is_placed_with_those_who_answered_alike():
    votes = two_camps(people_per_camp=20)
    votes[0, :] = NAN
    votes[0, [2, 3, 4, 6, 7, 8, 9]] = [1, 1, 1, -1, -1, -1, -1]  # seven reactions, all camp A's
    groups = opinion.opinion_groups(votes)
    assert groups.labels[0] == groups.labels[1] != groups.labels[25]
    # Scaled by √(10 / 7): as far out as the camp, not pulled into the middle by what they did not see.
    distances = np.linalg.norm(groups.coordinates, axis=1)
    assert distances[0] > 0.8 * np.median(distances[1:20])


def test_the_same_reactions_give_the_same_groups_numbered_the_same_way():
    votes = two_camps(seed=7)
    first, _ = opinion.opinion_map(votes, list(range(10)))
    second, _ = opinion.opinion_map(votes.copy(), list(range(10)))
    assert first == second
    # Groups are numbered by size, largest first.
    votes = two_camps(people_per_camp=16)[:26]  # 16 of camp A, 10 of camp B
    groups = opinion.opinion_groups(votes)
    assert np.bincount(groups.labels).tolist() == [16, 10] and groups.labels[0] == 0


def test_only_people_with_seven_reactions_are_placed_and_too_few_make_no_groups():
    votes = two_camps(people_per_camp=10)
    votes[0, :4] = NAN  # six reactions left
    groups = opinion.opinion_groups(votes)
    assert groups.labels[0] == -1 and (groups.labels[1:] >= 0).all()

    result, _ = opinion.opinion_map(two_camps(people_per_camp=1), list(range(10)))
    assert result["groups"] == [] and result["points"] == [] and result["participants"] == 2


def test_the_number_of_groups_stays_while_it_is_within_the_margin_of_the_best():
    margin = opinion.STABILITY_MARGIN
    silhouettes = {2: 0.40, 3: 0.40 + margin / 2, 4: 0.30}
    assert opinion.choose_count(silhouettes) == 2  # more groups only when clearly better
    assert opinion.choose_count(silhouettes, previous_count=3) == 3  # the previous count while it fits
    assert opinion.choose_count({2: 0.30, 3: 0.30 + 2 * margin}) == 3
    assert opinion.choose_count({2: 0.30, 3: 0.30 + 2 * margin}, previous_count=2) == 3
    assert opinion.choose_count({2: 0.30}, previous_count=4) == 2


def test_representativeness_follows_pol_is_tests():
    # Group 0 (ten people) agrees with statement 0, the other group (ten) disagrees; statement 1 is split evenly.
    votes = np.array([[1, 1]] * 5 + [[1, -1]] * 5 + [[-1, 1]] * 5 + [[-1, -1]] * 5, dtype=float)
    labels = np.repeat([0, 1], 10)
    groups = opinion.Groups(labels, np.zeros((20, 2)), {2: 1.0}, labels >= 0)
    described = opinion.describe(votes, groups, ["첫째", "둘째"])
    first = described["groups"][0]["distinctive"]
    assert [item["statement_id"] for item in first] == ["첫째"]
    item = first[0]
    # pₐ = (10 + 1)/(10 + 2); the rest's (0 + 1)/(10 + 2): rₐ = 11; z of Pol.is's two-proportion test.
    assert item["reaction"] == "agree" and item["rate"] == 1.0 and item["others_rate"] == 0.0
    assert item["repness"] == pytest.approx(11.0, abs=1e-3)
    pooled = 12 / 22
    z = (11 / 11 - 1 / 11) / np.sqrt(pooled * (1 - pooled) * (2 / 11))
    assert item["z"] == pytest.approx(z, abs=1e-3)
    assert described["groups"][1]["distinctive"][0]["reaction"] == "disagree"
    # The table: counts of agree, disagree and pass, overall and per group.
    assert described["table"][0] == {"statement_id": "첫째", "total": [10, 10, 0], "groups": [[10, 0, 0], [0, 10, 0]],
                                     "consensus": round((1 / 12) * (11 / 12), 3), "spread": round(10 / 12, 3)}


def test_a_statement_with_too_few_votes_never_speaks_for_a_group():
    # Four members of group 0 agree with statement 1 and everyone else disagrees: strong, but only four votes.
    votes = np.full((30, 2), NAN)
    votes[:, 0] = np.repeat([1.0, -1.0], 15)
    votes[:4, 1] = 1
    votes[15:, 1] = -1
    groups = opinion.Groups(np.repeat([0, 1], 15), np.zeros((30, 2)), {2: 1.0}, np.ones(30, bool))
    described = opinion.describe(votes, groups, [0, 1])
    assert [item["statement_id"] for item in described["groups"][0]["distinctive"]] == [0]
    votes[4, 1] = 1  # a fifth member agrees: now it may
    described = opinion.describe(votes, groups, [0, 1])
    assert {item["statement_id"] for item in described["groups"][0]["distinctive"]} == {0, 1}


def test_consensus_needs_every_group_even_a_small_one():
    # 20 people in group 0 and 6 in group 1. Statement 0: all agree. Statement 1: group 0 agrees, group 1 does
    # not: 20 of 26 agree (77 %), yet it is not shared. Statement 2: all disagree.
    votes = np.zeros((26, 3))
    votes[:, 0] = 1
    votes[:20, 1], votes[20:, 1] = 1, -1
    votes[:, 2] = -1
    groups = opinion.Groups(np.repeat([0, 1], [20, 6]), np.zeros((26, 2)), {2: 1.0}, np.ones(26, bool))
    described = opinion.describe(votes, groups, [10, 11, 12])
    assert [item["statement_id"] for item in described["consensus"]] == [10]
    assert described["consensus"][0]["score"] == round((21 / 22) * (7 / 8), 3)
    assert described["consensus"][0]["rates"] == [1.0, 1.0]
    assert [item["statement_id"] for item in described["consensus_disagree"]] == [12]
    assert [item["statement_id"] for item in described["divisive"]] == [11]


def test_a_statement_moderated_out_is_a_column_of_passes_and_is_never_shown():
    votes = two_camps()
    moderated_out = np.zeros(10, dtype=bool)
    moderated_out[9] = True
    result, groups = opinion.opinion_map(votes, list(range(10)), moderated_out)
    assert result["statements"] == 9
    assert 9 not in {row["statement_id"] for row in result["table"]}
    assert all(item["statement_id"] != 9 for group in result["groups"] for item in group["distinctive"])
    # It does not move anyone: the same as a statement everyone passed on.
    passed = votes.copy()
    passed[:, 9] = 0
    assert np.allclose(groups.coordinates, opinion.opinion_groups(passed).coordinates)


# ------------------------------------------------------------------------------------------ the recount job
def react_as_camp(statements, users, camp_sign):
    for user in users:
        for index, statement in enumerate(statements):
            value = "agree" if index < 2 or (index < 6) == (camp_sign > 0) else "disagree"
            factories.ForumReactionFactory(statement_id=statement.id, user_id=user.id, value=value)


def test_the_job_places_only_people_with_seven_reactions_and_running_it_twice_changes_nothing(db_session):
    forum = factories.ForumFactory()
    statements = [factories.ForumStatementFactory(forum_id=forum.id) for _ in range(10)]
    factories.ForumStatementFactory(forum_id=forum.id, state="pending")
    camp_a = [factories.UserFactory() for _ in range(6)]
    camp_b = [factories.UserFactory() for _ in range(6)]
    react_as_camp(statements, camp_a, 1)
    react_as_camp(statements, camp_b, -1)
    shy = factories.UserFactory()  # six reactions: counted as a participant, not placed on the map
    for statement in statements[:6]:
        factories.ForumReactionFactory(statement_id=statement.id, user_id=shy.id, value="agree")

    tasks.recount_forum(forum.id)
    stored = db_session.get(Forum, forum.id).opinion_map
    assert stored["participants"] == 12 and stored["voters"] == 13
    assert [group["size"] for group in stored["groups"]] == [6, 6]
    assert {item["statement_id"] for item in stored["consensus"]} == {statements[0].id, statements[1].id}
    assert db_session.get(Forum, forum.id).participant_count == 13
    # The table has a row per approved statement; the pending one is not there.
    assert [row["statement_id"] for row in stored["table"]] == [statement.id for statement in statements]

    tasks.recount_forum(forum.id)
    assert db_session.get(Forum, forum.id).opinion_map == stored


def test_the_job_numbers_participants_once_in_the_order_they_came_and_keeps_the_numbers(db_session):
    forum = factories.ForumFactory()
    statements = [factories.ForumStatementFactory(forum_id=forum.id) for _ in range(8)]
    late, early = factories.UserFactory(), factories.UserFactory()
    author = factories.UserFactory()
    factories.ForumStatementFactory(forum_id=forum.id, author_id=author.id, created_at=utcnow() - timedelta(days=3))
    for statement in statements:
        factories.ForumReactionFactory(statement_id=statement.id, user_id=early.id,
                                       reacted_at=utcnow() - timedelta(days=2))
        factories.ForumReactionFactory(statement_id=statement.id, user_id=late.id, reacted_at=utcnow())
    tasks.recount_forum(forum.id)
    numbers = dict(db_session.execute(select(Participant.user_id, Participant.number)
                                      .where(Participant.forum_id == forum.id)).all())
    assert numbers == {author.id: 0, early.id: 1, late.id: 2}

    newcomer = factories.UserFactory()
    factories.ForumReactionFactory(statement_id=statements[0].id, user_id=newcomer.id,
                                   reacted_at=utcnow() - timedelta(days=30))  # earliest of all, yet last to come
    tasks.recount_forum(forum.id)
    numbers = dict(db_session.execute(select(Participant.user_id, Participant.number)
                                      .where(Participant.forum_id == forum.id)).all())
    assert numbers == {author.id: 0, early.id: 1, late.id: 2, newcomer.id: 3}


def test_the_job_reads_agree_disagree_and_pass_into_rows_ordered_by_participant_number(db_session, monkeypatch):
    forum = factories.ForumFactory()
    statements = [factories.ForumStatementFactory(forum_id=forum.id) for _ in range(8)]
    hidden = factories.ForumStatementFactory(forum_id=forum.id, state="pending")
    people = [factories.UserFactory() for _ in range(5)]
    pattern = ["agree", "disagree", "pass", "agree", "pass", "disagree", "agree", None]
    expected = np.full((5, 8), NAN)
    for row, person in enumerate(people):
        for column, statement in enumerate(statements):
            value = pattern[(column + row) % len(pattern)]
            if value is not None:
                factories.ForumReactionFactory(statement_id=statement.id, user_id=person.id, value=value,
                                               reacted_at=utcnow() - timedelta(hours=10 - row))
                expected[row, column] = {"agree": 1, "disagree": -1, "pass": 0}[value]
    seen = {}
    real = opinion.opinion_map
    monkeypatch.setattr(opinion, "opinion_map", lambda votes, *args: seen.update(votes=votes, args=args)
                        or real(votes, *args))
    del hidden  # pending: not a column (nobody could react to it)
    stored = counts.opinion_map(forum.id)
    assert np.array_equal(seen["votes"], expected, equal_nan=True)
    assert seen["args"][0] == [statement.id for statement in statements]
    assert stored["participants"] == 5 and stored["voters"] == 5


def test_a_burst_of_reactions_makes_one_recount_job(client, run_jobs):
    from participation.core.jobs import get_queue
    from participation.extensions import db
    from participation.forums import services

    forum = factories.ForumFactory()
    statements = [factories.ForumStatementFactory(forum_id=forum.id) for _ in range(7)]
    forum_id, user = forum.id, factories.UserFactory()
    for statement in statements:
        services.react(forum, statement, user, "agree")
        db.session.commit()
    assert len(get_queue().scheduled_job_registry.get_job_ids()) == 1
    run_jobs()
    stored = db.session.get(Forum, forum_id)
    assert stored.participant_count == 1 and stored.opinion_map["participants"] == 1


def test_the_reconciliation_counts_rows_whose_job_was_lost(db_session):
    forum = factories.ForumFactory()
    for _ in range(3):
        factories.ForumCommentFactory(forum_id=forum.id)
    # A closed forum counted after its last comment is settled: only the full recount reads it again.
    closed = factories.ForumFactory(state="closed", count_as_of=utcnow())
    factories.ForumCommentFactory(forum_id=closed.id, created_at=utcnow() - timedelta(days=1))
    tasks.recount_changing_forums()
    assert db_session.get(Forum, forum.id).comment_count == 3
    assert db_session.get(Forum, closed.id).comment_count == 0
    tasks.recount_all_forums()
    assert db_session.get(Forum, closed.id).comment_count == 1
