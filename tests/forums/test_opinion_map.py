"""The opinion map (여론 지도): PCA + k-means over the reactions finds planted camps, the same input gives the
same groups, and only people with seven reactions or more are placed."""

import numpy as np

from participation.forums import tasks
from participation.forums.models import Forum
from tests import factories


def two_camps(people_per_camp: int = 15, statements: int = 10, seed: int = 3):
    """Camp A agrees with statements 2–5 and disagrees with 6–9, camp B the opposite; all agree with 0–1.
    Some reactions are passes or missing, as in real data."""
    rng = np.random.default_rng(seed)
    values = np.zeros((2 * people_per_camp, statements))
    for person in range(2 * people_per_camp):
        sign = 1 if person < people_per_camp else -1
        for column in range(statements):
            values[person, column] = 1 if column < 2 else (sign if column < 6 else -sign)
    noise = rng.random(values.shape) < 0.1
    values[noise] = 0
    seen = rng.random(values.shape) > 0.05
    values[~seen] = 0
    return values, seen


def test_two_planted_camps_are_found_with_their_statements_and_what_they_share():
    values, seen = two_camps()
    statement_ids = list(range(101, 111))
    result = tasks.compute_opinion_map(values, seen, statement_ids)

    assert result["participants"] == 30
    assert [group["size"] for group in result["groups"]] == [15, 15]
    # Every point's group is its camp: the first fifteen rows in one group, the rest in the other.
    assert len(result["points"]) == 30
    groups_by_position = {(x, y): group for x, y, group in result["points"]}
    assert len(set(groups_by_position.values())) == 2
    distinctive = {item["statement_id"] for group in result["groups"] for item in group["distinctive"]}
    assert distinctive <= set(range(103, 111))
    assert all(len(group["distinctive"]) == 3 for group in result["groups"])
    assert {item["statement_id"] for item in result["consensus"]} == {101, 102}


def test_the_camps_split_exactly_along_the_planted_line():
    values, seen = two_camps(people_per_camp=12)
    from sklearn.decomposition import PCA

    result = tasks.compute_opinion_map(values, seen, list(range(10)))
    coordinates = PCA(n_components=2, svd_solver="full").fit_transform(values)
    group_of_point = {(round(float(x), 3), round(float(y), 3)): group for x, y, group in result["points"]}
    groups = [group_of_point[(round(float(x), 3), round(float(y), 3))] for x, y in coordinates]
    assert len(set(groups[:12])) == 1 and len(set(groups[12:])) == 1 and groups[0] != groups[12]


def test_the_same_reactions_give_the_same_groups_every_time():
    values, seen = two_camps(seed=7)
    first = tasks.compute_opinion_map(values, seen, list(range(10)))
    second = tasks.compute_opinion_map(values.copy(), seen.copy(), list(range(10)))
    assert first == second


def test_too_few_people_make_no_groups():
    values, seen = two_camps(people_per_camp=1)
    result = tasks.compute_opinion_map(values, seen, list(range(10)))
    assert result["groups"] == [] and result["points"] == [] and result["participants"] == 2


def react_as_camp(forum, statements, users, camp_sign):
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
    react_as_camp(forum, statements, camp_a, 1)
    react_as_camp(forum, statements, camp_b, -1)
    shy = factories.UserFactory()  # six reactions: counted as a participant, not placed on the map
    for statement in statements[:6]:
        factories.ForumReactionFactory(statement_id=statement.id, user_id=shy.id, value="agree")

    tasks.recount_forum(forum.id)
    stored = db_session.get(Forum, forum.id).opinion_map
    assert stored["participants"] == 12
    assert [group["size"] for group in stored["groups"]] == [6, 6]
    assert {item["statement_id"] for item in stored["consensus"]} == {statements[0].id, statements[1].id}
    assert db_session.get(Forum, forum.id).participant_count == 13

    tasks.recount_forum(forum.id)
    assert db_session.get(Forum, forum.id).opinion_map == stored


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
    closed = factories.ForumFactory(state="closed")
    factories.ForumCommentFactory(forum_id=closed.id)
    tasks.recount_open_forums()
    assert db_session.get(Forum, forum.id).comment_count == 3
    assert db_session.get(Forum, closed.id).comment_count == 0
    tasks.recount_all_forums()
    assert db_session.get(Forum, closed.id).comment_count == 1


def test_the_job_reads_agree_disagree_and_pass_into_the_matrix_of_placed_people_only(db_session):
    forum = factories.ForumFactory()
    statements = [factories.ForumStatementFactory(forum_id=forum.id) for _ in range(8)]
    hidden = factories.ForumStatementFactory(forum_id=forum.id, state="pending")
    people = [factories.UserFactory() for _ in range(5)]
    pattern = ["agree", "disagree", "pass", "agree", "pass", "disagree", "agree", None]
    expected_values, expected_seen = np.zeros((4, 8)), np.zeros((4, 8), dtype=bool)
    for row, person in enumerate(people[:4]):
        for column, statement in enumerate(statements):
            value = pattern[(column + row) % len(pattern)]
            if value is None:
                continue  # not seen
            factories.ForumReactionFactory(statement_id=statement.id, user_id=person.id, value=value)
            expected_values[row, column] = {"agree": 1, "disagree": -1, "pass": 0}[value]
            expected_seen[row, column] = True
        factories.ForumReactionFactory(statement_id=hidden.id, user_id=person.id, value="agree")
    for statement in statements[:6]:  # six reactions: not placed
        factories.ForumReactionFactory(statement_id=statement.id, user_id=people[4].id, value="disagree")

    assert tasks.opinion_map(forum.id) == tasks.compute_opinion_map(
        expected_values, expected_seen, [statement.id for statement in statements])
    assert tasks.opinion_map(forum.id)["participants"] == 4
