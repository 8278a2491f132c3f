"""Counts of this channel, recomputed from the rows, written without committing: a forum's comment and
participant counts, each comment's likes, its stance summary and its opinion map (여론 지도): the participant ×
statement matrix of reactions goes through Pol.is's method (forums/opinion.py), with rows in the order of the
participants' anonymous numbers, which it gives to newcomers (forum_participant), so that the same reactions
always give the same groups, numbered the same way."""

from collections import Counter

import numpy as np
from sqlalchemy import func, or_, select, update

from participation.accounts.models import User
from participation.core.database import insert_missing
from participation.core.seoul import AGE_BANDS, DISTRICTS, age_band, suppressed_table
from participation.core.time import kst_today, utcnow
from participation.extensions import db
from participation.forums import opinion, queries
from participation.forums.models import (
    Comment,
    CommentLike,
    CommentState,
    Forum,
    Participant,
    Reaction,
    Stance,
    Statement,
    StatementState,
)

NUMBERS_PER_INSERT = 1_000  # rows of new participant numbers per INSERT (SQLite's limit on bound values)


def refresh_forum(forum_id: int, previous_count: int | None = None) -> None:
    """Recompute everything shown about a forum from its rows, in the caller's transaction (no commit)."""
    figures = forum_figures(forum_id, previous_count)
    if figures is not None:
        write_forum_figures(forum_id, figures)


def forum_figures(forum_id: int, previous_count: int | None = None) -> dict | None:
    """The forum row's figures, read from the comments, statements and reactions (None: no such forum)."""
    if db.session.get(Forum, forum_id) is None:
        return None
    reactions = reactions_of(forum_id)
    numbers, new = participant_numbers(forum_id, np.unique(reactions[:, 0]))
    return {"count_as_of": utcnow(), "new_participants": new,
            "comment_count": db.session.scalar(select(func.count()).select_from(Comment)
                                               .where(Comment.forum_id == forum_id)) or 0,
            "participant_count": participant_count(forum_id), "stance_summary": stance_summary(forum_id),
            "opinion_map": opinion_map(forum_id, numbers, previous_count, reactions)}


def write_forum_figures(forum_id: int, figures: dict) -> None:
    """The participants' new numbers, each comment's like count and the forum row, each table in one statement;
    the forum row only if no later recount has written it. A number another recount gave meanwhile stays."""
    figures = dict(figures)
    new = figures.pop("new_participants")
    for start in range(0, len(new), NUMBERS_PER_INSERT):
        insert_missing(Participant, [{"forum_id": forum_id, "user_id": user_id, "number": number}
                                     for user_id, number in new[start:start + NUMBERS_PER_INSERT]])
    likes = (select(func.count()).select_from(CommentLike).where(CommentLike.comment_id == Comment.id)
             .scalar_subquery())
    db.session.execute(update(Comment).where(Comment.forum_id == forum_id).values(like_count=likes)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(Forum).where(Forum.id == forum_id, or_(Forum.count_as_of.is_(None),
                                                                     Forum.count_as_of <= figures["count_as_of"]))
                       .values(**figures).execution_options(synchronize_session=False))
    db.session.expire_all()


def participant_count(forum_id: int) -> int:
    people = select(Comment.author_id.label("user_id")).where(Comment.forum_id == forum_id).union(
        select(Statement.author_id).where(Statement.forum_id == forum_id),
        select(Reaction.user_id).join(Statement, Statement.id == Reaction.statement_id)
        .where(Statement.forum_id == forum_id)).subquery()
    return db.session.scalar(select(func.count()).select_from(people).where(people.c.user_id.is_not(None))) or 0


UNKNOWN = "-"  # a commenter without a district, or too young or without a birth year for an age band


def stance_summary(forum_id: int) -> dict:
    """Each commenter's latest stance (moderator-hidden comments aside), counted overall, by district and
    by age band. The breakdowns are suppressed as two-way tables (core.seoul.suppressed_table): a row whose
    total is not shown is left out, and a cell that is not shown is None, so that no small group of people can
    be singled out, nor worked out from the totals and the other cells."""
    rows = db.session.execute(
        select(Comment.author_id, Comment.stance, User.district, User.birth_year)
        .join(User, User.id == Comment.author_id)
        .where(Comment.forum_id == forum_id, Comment.state != CommentState.hidden)
        .order_by(Comment.id))
    latest = {author_id: (stance, district, birth_year) for author_id, stance, district, birth_year in rows}
    today = kst_today()
    overall: Counter = Counter()
    by_district = {name: Counter() for name in (*DISTRICTS, UNKNOWN)}
    by_age = {band: Counter() for band in (*AGE_BANDS, UNKNOWN)}
    for stance, district, birth_year in latest.values():
        overall[stance] += 1
        by_district[district if district in by_district else UNKNOWN][stance] += 1
        by_age[age_band(birth_year, today) or UNKNOWN][stance] += 1

    def breakdown(groups: dict[str, Counter], names: tuple[str, ...]) -> list[dict]:
        table = {name: {stance.value: counts[stance] for stance in Stance} for name, counts in groups.items()}
        cells, totals = suppressed_table(table, hidden_rows=[UNKNOWN])
        return [{"name": name, "total": totals[name], "counts": cells[name]} for name in names
                if totals[name] is not None]

    return {
        "total": len(latest),
        "counts": {s.value: overall[s] for s in Stance},
        "by_district": breakdown(by_district, DISTRICTS),
        "by_age_band": breakdown(by_age, AGE_BANDS),
    }


def reactions_of(forum_id: int) -> np.ndarray:
    """Every reaction to the forum's statements as (user id, statement id, 1 / −1 / 0) rows of one array."""
    return queries.integer_rows(select(Reaction.user_id, Reaction.statement_id, queries.reaction_vote())
                                .join(Statement, Statement.id == Reaction.statement_id)
                                .where(Statement.forum_id == int(forum_id)), 3)


def participant_numbers(forum_id: int, reactors: np.ndarray | None = None
                        ) -> tuple[dict[int, int], list[tuple[int, int]]]:
    """({user id: anonymous number} for everyone who reacted to (`reactors`, read if not given) or wrote a
    statement, [(user id, number) given now]). Numbers are given once, in the order people first took part,
    after the highest one given so far."""
    numbers = dict(db.session.execute(select(Participant.user_id, Participant.number)
                                      .where(Participant.forum_id == forum_id)).all())
    if reactors is None:
        reactors = np.unique(reactions_of(forum_id)[:, 0])
    statements = select(Statement.id).where(Statement.forum_id == forum_id)
    first_of: dict[int, object] = {}
    unnumbered = [user_id for user_id in reactors.tolist() if user_id not in numbers]
    for start in range(0, len(unnumbered), NUMBERS_PER_INSERT):
        first_of.update(db.session.execute(
            select(Reaction.user_id, func.min(Reaction.reacted_at))
            .where(Reaction.statement_id.in_(statements),
                   Reaction.user_id.in_(unnumbered[start:start + NUMBERS_PER_INSERT]))
            .group_by(Reaction.user_id)).all())
    for user_id, at in db.session.execute(
            select(Statement.author_id, func.min(Statement.created_at))
            .where(Statement.forum_id == forum_id, Statement.author_id.is_not(None)).group_by(Statement.author_id)):
        if user_id not in numbers and (user_id not in first_of or at < first_of[user_id]):
            first_of[user_id] = at
    following = max(numbers.values(), default=-1) + 1
    new = [(user_id, following + offset) for offset, user_id in
           enumerate(sorted(first_of, key=lambda user_id: (first_of[user_id], user_id)))]
    numbers.update(new)
    return numbers, new


def opinion_map(forum_id: int, numbers: dict[int, int] | None = None, previous_count: int | None = None,
                reactions: np.ndarray | None = None) -> dict:
    """The forum's opinion map (forums/opinion.py) from its reactions (`reactions_of`, read if not given), rows
    in the order of the participants' numbers, with each placed participant's group and place by number
    (`members`: number, group, x, y; for the open data and for "you are here"). `previous_count`: the number of
    groups shown so far (by default the stored map's), which a recount keeps while it fits."""
    if reactions is None:
        reactions = reactions_of(forum_id)
    users = np.unique(reactions[:, 0])
    if numbers is None:
        numbers = participant_numbers(forum_id, users)[0]
    statements = db.session.execute(select(Statement.id, Statement.state).where(Statement.forum_id == forum_id)
                                    .order_by(Statement.id)).all()
    # Columns: the approved statements, and any other that was reacted to (moderated out since: Pol.is keeps it
    # as a column of passes); rows: the people who reacted, by number.
    reacted = set(np.unique(reactions[:, 1]).tolist())
    columns = [(statement_id, state != StatementState.approved) for statement_id, state in statements
               if state == StatementState.approved or statement_id in reacted]
    column_ids = np.array([statement_id for statement_id, _ in columns], dtype=np.int64)
    order = np.argsort([numbers[user_id] for user_id in users.tolist()], kind="stable")
    row_of_user = np.empty(len(users), dtype=np.int64)
    row_of_user[order] = np.arange(len(users))
    votes = np.full((len(users), len(columns)), np.nan)
    votes[row_of_user[np.searchsorted(users, reactions[:, 0])], np.searchsorted(column_ids, reactions[:, 1])] = \
        reactions[:, 2]
    if previous_count is None:
        previous = (db.session.scalar(select(Forum.opinion_map).where(Forum.id == forum_id)) or {}).get("groups")
        previous_count = len(previous) if previous else None
    result, groups = opinion.opinion_map(votes, column_ids.tolist(),
                                         np.array([out for _, out in columns], dtype=bool), previous_count)
    user_of_row = users[order]
    result["members"] = sorted(
        [numbers[int(user_id)], int(group) + 1, round(float(x), opinion.DIGITS), round(float(y), opinion.DIGITS)]
        for user_id, group, (x, y) in zip(user_of_row.tolist(), groups.labels.tolist(), groups.coordinates.tolist(),
                                          strict=True) if group >= 0)
    return result
