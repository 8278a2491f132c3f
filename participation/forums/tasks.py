"""Jobs of this channel (RQ), idempotent: they take ids and recompute from the database.

`recount_forum` refreshes a forum's counts, its stance summary and its opinion map (여론 지도): the
participant × statement matrix (agree 1, disagree −1, pass or unseen 0) is reduced to two dimensions with
PCA and grouped with k-means, k in 2..5 chosen by silhouette score, with a fixed seed so that the same
reactions always give the same groups."""

from collections import Counter
from itertools import chain

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from sqlalchemy import case, func, or_, select, update
from threadpoolctl import threadpool_limits

from participation.accounts.models import User
from participation.core.database import begin_reading
from participation.core.seoul import AGE_BANDS, DISTRICTS, MIN_CELL_SIZE, age_band
from participation.core.time import kst_today, utcnow
from participation.extensions import db
from participation.forums.models import (
    Comment,
    CommentLike,
    CommentState,
    Forum,
    ForumState,
    Reaction,
    ReactionValue,
    Stance,
    Statement,
    StatementState,
)

MIN_REACTIONS = 7  # a participant is placed on the map after reacting to this many statements
MIN_PARTICIPANTS = 4
MAX_GROUPS = 5
SEED = 0
N_INIT = 10
SILHOUETTE_SAMPLE = 2000
DISTINCTIVE_PER_GROUP = 3
DISTINCTIVE_MIN_DIFFERENCE = 0.2
CONSENSUS_MIN_AGREE = 0.6
CONSENSUS_MAX = 5
VALUES = {ReactionValue.agree: 1, ReactionValue.disagree: -1, ReactionValue.pass_: 0}


def recount_forum(forum_id: int) -> None:
    """Job: refresh one forum's counts, stance summary and opinion map, then commit.

    The reads (seconds for a big forum's opinion map) are one snapshot that does not hold SQLite's write lock,
    so signatures, votes and comments go on meanwhile; the write after them is guarded, so the figures of an
    older snapshot never replace newer ones."""
    begin_reading()
    figures = forum_figures(forum_id)
    db.session.commit()
    if figures is not None:
        write_forum_figures(forum_id, figures)
        db.session.commit()


def refresh_forum(forum_id: int) -> None:
    """Recompute everything shown about a forum from its rows, in the caller's transaction (no commit)."""
    figures = forum_figures(forum_id)
    if figures is not None:
        write_forum_figures(forum_id, figures)


def forum_figures(forum_id: int) -> dict | None:
    """The forum row's figures, read from the comments, statements and reactions (None: no such forum)."""
    if db.session.get(Forum, forum_id) is None:
        return None
    return {"count_as_of": utcnow(),
            "comment_count": db.session.scalar(select(func.count()).select_from(Comment)
                                               .where(Comment.forum_id == forum_id)) or 0,
            "participant_count": participant_count(forum_id), "stance_summary": stance_summary(forum_id),
            "opinion_map": opinion_map(forum_id)}


def write_forum_figures(forum_id: int, figures: dict) -> None:
    """Each comment's like count and the forum row, each table in one statement; the forum row only if no
    later recount has written it."""
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


def stance_summary(forum_id: int) -> dict:
    """Each commenter's latest stance (moderator-hidden comments aside), counted overall, by district and
    by age band. A breakdown row with fewer than MIN_CELL_SIZE people is left out, and so is any cell with
    fewer than that (None), so that no small group of people can be singled out."""
    rows = db.session.execute(
        select(Comment.author_id, Comment.stance, User.district, User.birth_year)
        .join(User, User.id == Comment.author_id)
        .where(Comment.forum_id == forum_id, Comment.state != CommentState.hidden)
        .order_by(Comment.id))
    latest = {author_id: (stance, district, birth_year) for author_id, stance, district, birth_year in rows}
    today = kst_today()
    overall: Counter = Counter()
    by_district: dict[str, Counter] = {}
    by_age: dict[str, Counter] = {}
    for stance, district, birth_year in latest.values():
        overall[stance] += 1
        if district:
            by_district.setdefault(district, Counter())[stance] += 1
        band = age_band(birth_year, today)
        if band:
            by_age.setdefault(band, Counter())[stance] += 1

    def row(name: str, counts: Counter) -> dict:
        return {"name": name, "total": sum(counts.values()),
                "counts": {s.value: counts[s] if counts[s] >= MIN_CELL_SIZE else None for s in Stance}}

    return {
        "total": len(latest),
        "counts": {s.value: overall[s] for s in Stance},
        "by_district": [row(name, by_district[name]) for name in DISTRICTS
                        if sum(by_district.get(name, Counter()).values()) >= MIN_CELL_SIZE],
        "by_age_band": [row(band, by_age[band]) for band in AGE_BANDS
                        if sum(by_age.get(band, Counter()).values()) >= MIN_CELL_SIZE],
    }


def opinion_map(forum_id: int) -> dict:
    statement_ids = list(db.session.scalars(
        select(Statement.id).where(Statement.forum_id == forum_id, Statement.state == StatementState.approved)
        .order_by(Statement.id)))
    # A large forum has about a million reactions: the database turns each into −1/0/1 and they go into numpy
    # as plain integers (through Core, which builds rows at half the ORM's cost), not one enum and dictionary
    # look-up per reaction in Python.
    score = case((Reaction.value == ReactionValue.agree, VALUES[ReactionValue.agree]),
                 (Reaction.value == ReactionValue.disagree, VALUES[ReactionValue.disagree]),
                 else_=VALUES[ReactionValue.pass_])
    rows = db.session.connection().execute(select(Reaction.user_id, Reaction.statement_id, score)
                                           .where(Reaction.statement_id.in_(statement_ids))).all()
    reactions = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=3 * len(rows)).reshape(-1, 3)
    # Rows of the matrix: people with MIN_REACTIONS or more, by user id; columns: statements, by id.
    _, person, per_user = np.unique(reactions[:, 0], return_inverse=True, return_counts=True)
    placed = per_user >= MIN_REACTIONS
    row_of_person = np.cumsum(placed) - 1
    kept = placed[person]
    rows_at = row_of_person[person[kept]]
    columns_at = np.searchsorted(statement_ids, reactions[kept, 1])
    values = np.zeros((int(placed.sum()), len(statement_ids)))
    seen = np.zeros(values.shape, dtype=bool)
    values[rows_at, columns_at] = reactions[kept, 2]
    seen[rows_at, columns_at] = True
    return compute_opinion_map(values, seen, statement_ids)


def compute_opinion_map(values: np.ndarray, seen: np.ndarray, statement_ids: list[int]) -> dict:
    """Groups from a participant × statement matrix (rows in a fixed order). The result names no one:
    points are sorted by group and position, not by participant."""
    participants = values.shape[0]
    result = {"participants": participants, "statements": len(statement_ids), "groups": [], "consensus": [],
              "points": []}
    if participants < MIN_PARTICIPANTS or len(statement_ids) < 2:
        return result
    # One thread: on small machines scikit-learn's thread pools oversubscribe the CPU and run 30× slower.
    with threadpool_limits(1):
        coordinates = PCA(n_components=2, svd_solver="full").fit_transform(values)
        labels = _best_clustering(coordinates)
    # Groups numbered by size (largest first), then by their first member: the same input, the same numbers.
    order = sorted(set(labels.tolist()), key=lambda label: (-int((labels == label).sum()),
                                                            int(np.argmax(labels == label))))
    labels = np.array([order.index(label) for label in labels.tolist()])
    agree, disagree = values == 1, values == -1
    groups = []
    for group in range(len(order)):
        inside = labels == group
        distinctive = []
        for column, statement_id in enumerate(statement_ids):
            scores = []
            for reaction, matrix in (("agree", agree), ("disagree", disagree)):
                difference = (_rate(matrix[inside, column], seen[inside, column])
                              - _rate(matrix[~inside, column], seen[~inside, column]))
                scores.append((difference, reaction, matrix))
            difference, reaction, matrix = max(scores, key=lambda score: score[:2])
            if difference >= DISTINCTIVE_MIN_DIFFERENCE:
                distinctive.append({
                    "statement_id": statement_id, "reaction": reaction, "difference": round(difference, 3),
                    "rate": _share(matrix[inside, column], seen[inside, column]),
                    "others_rate": _share(matrix[~inside, column], seen[~inside, column])})
        distinctive.sort(key=lambda item: (-item["difference"], item["statement_id"]))
        groups.append({"number": group + 1, "size": int(inside.sum()),
                       "distinctive": distinctive[:DISTINCTIVE_PER_GROUP]})
    consensus = []
    for column, statement_id in enumerate(statement_ids):
        members = [labels == group for group in range(len(order))]
        lowest = min(_rate(agree[inside, column], seen[inside, column]) for inside in members)
        if lowest >= CONSENSUS_MIN_AGREE:
            consensus.append({"statement_id": statement_id, "score": round(lowest, 3),
                              "rates": [_share(agree[inside, column], seen[inside, column]) for inside in members]})
    consensus.sort(key=lambda item: (-item["score"], item["statement_id"]))
    points = sorted((int(label) + 1, round(float(x), 3), round(float(y), 3))
                    for (x, y), label in zip(coordinates, labels, strict=True))
    result.update(groups=groups, consensus=consensus[:CONSENSUS_MAX],
                  points=[[x, y, group] for group, x, y in points])
    return result


def _best_clustering(coordinates: np.ndarray) -> np.ndarray:
    """k-means for k = 2..5, keeping the k with the best silhouette (the smaller k on a tie)."""
    distinct = len(np.unique(coordinates.round(9), axis=0))
    best, best_score = np.zeros(len(coordinates), dtype=int), None
    for k in range(2, min(MAX_GROUPS, distinct, len(coordinates) - 1) + 1):
        labels = KMeans(n_clusters=k, random_state=SEED, n_init=N_INIT).fit_predict(coordinates)
        if len(set(labels.tolist())) < 2:
            continue
        # The score on a fixed sample beyond SILHOUETTE_SAMPLE people: quadratic cost, same answer every run.
        score = silhouette_score(coordinates, labels, sample_size=min(len(coordinates), SILHOUETTE_SAMPLE),
                                 random_state=SEED)
        if best_score is None or score > best_score:
            best, best_score = labels, score
    return best


def _share(hits: np.ndarray, seen: np.ndarray) -> float:
    """The plain share shown on the page: of those who saw the statement, how many gave this reaction."""
    return round(float(hits[seen].sum()) / float(seen.sum()), 3) if seen.any() else 0.0


def _rate(hits: np.ndarray, seen: np.ndarray) -> float:
    """Share of those who saw a statement who gave this reaction, pulled towards ½ when few saw it."""
    return (float(hits[seen].sum()) + 1) / (float(seen.sum()) + 2)


def recount_all_forums() -> None:
    for forum_id in list(db.session.scalars(select(Forum.id).where(Forum.state != ForumState.draft))):
        refresh_forum(forum_id)
    db.session.commit()


def recount_open_forums() -> None:
    """Periodic reconciliation: events whose debounced job was lost (Redis down) are counted here."""
    for forum_id in list(db.session.scalars(select(Forum.id).where(Forum.state == ForumState.open))):
        refresh_forum(forum_id)
    db.session.commit()


def close_due_forums() -> None:
    """Periodic: close forums whose discussion period has ended."""
    from participation.forums import services

    services.close_due_forums()
    db.session.commit()


# (function, seconds between runs), run by the worker's cron scheduler.
PERIODIC: list = [(close_due_forums, 60)]
# Functions that recompute all of this channel's counts; `flask --app wsgi tally` runs them.
RECOUNTS: list = [recount_all_forums]
