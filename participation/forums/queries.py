"""Forum reads for the pages, the API, the jobs, the home page and the indicators."""

from datetime import datetime
from itertools import chain

import numpy as np
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import Select, case, func, select

from participation.core.pagination import Page, paginate
from participation.core.reports import Report, ReportStatus
from participation.extensions import db
from participation.forums.models import (
    Comment,
    CommentLike,
    CommentState,
    Forum,
    ForumState,
    Participant,
    Reaction,
    ReactionValue,
    Statement,
    StatementState,
)

PUBLIC_STATES = (ForumState.open, ForumState.closed, ForumState.answered)
COMMENT_SORTS = ("newest", "liked")
# The opinion map's statement × group table sorts by: statement order, everyone's agree / disagree / pass
# share, group-informed consensus, how much the groups differ, or one group's agree share ("group-2").
TABLE_SORTS = ("order", "agree", "disagree", "pass", "consensus", "divisive")
REACTIONS = ("agree", "disagree", "pass")


def integer_rows(statement: Select, width: int) -> np.ndarray:
    """The rows of a SELECT of `width` integer columns as one int64 array, straight from the driver's cursor.

    For reads of every reaction of a forum (about a million in a large one): no ORM object, SQLAlchemy row or
    Python datetime per row, which took most of the time. The statement may hold only literals made by the
    code (they are rendered into the SQL), never user input."""
    connection = db.session.connection()
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=width * len(rows)).reshape(-1, width)


def reaction_vote():
    """A reaction as a number: agree 1, disagree −1, pass 0 (Pol.is's votes)."""
    return case((Reaction.value == ReactionValue.agree, 1), (Reaction.value == ReactionValue.disagree, -1),
                else_=0)


def count_opened(start: datetime, end: datetime) -> int:
    """Forums opened in [start, end) (indicator 3.1.f, 공론장 운영 건수)."""
    return db.session.scalar(select(func.count()).select_from(Forum).where(
        Forum.opened_at >= start, Forum.opened_at < end)) or 0


def home_items(limit: int) -> list[tuple[str, str, str]]:
    forums = db.session.scalars(select(Forum).where(Forum.state == ForumState.open)
                                .order_by(Forum.opened_at.desc(), Forum.id.desc()).limit(limit))
    return [(forum.title, url_for("forums.detail", forum_id=forum.id),
             _("참여 %(count)d명", count=forum.participant_count)) for forum in forums]


def draft_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Forum).where(Forum.state == ForumState.draft)) or 0


def forum_list(state: str | None = None, include_drafts: bool = False) -> Select:
    """Forums, newest first; drafts and conversations imported from Pol.is only with `include_drafts` (staff)."""
    statement = select(Forum).order_by(Forum.opened_at.desc().nulls_first(), Forum.id.desc())
    if not include_drafts:
        statement = statement.where(Forum.imported_from.is_(None))
    if state:
        return statement.where(Forum.state == state)
    states = (*PUBLIC_STATES, ForumState.draft) if include_drafts else PUBLIC_STATES
    return statement.where(Forum.state.in_(states))


def thread(forum_id: int, sort: str, page: int, per_page: int) -> tuple[Page, dict[int, list[Comment]]]:
    """A page of top-level comments (newest or most liked first) and the replies to them, in order."""
    top = paginate(comments(forum_id, sort).where(Comment.parent_id.is_(None)), page, per_page)
    replies: dict[int, list[Comment]] = {}
    parent_ids = [comment.id for comment in top.items]
    for reply in db.session.scalars(select(Comment).where(Comment.parent_id.in_(parent_ids)).order_by(Comment.id)):
        replies.setdefault(reply.parent_id, []).append(reply)
    return top, replies


def comments(forum_id: int, sort: str = "newest") -> Select:
    order = (Comment.like_count.desc(), Comment.id.desc()) if sort == "liked" else (Comment.id.desc(),)
    return select(Comment).where(Comment.forum_id == forum_id).order_by(*order)


def liked_comment_ids(forum_id: int, user_id: int) -> set[int]:
    return set(db.session.scalars(select(CommentLike.comment_id).join(Comment, Comment.id == CommentLike.comment_id)
                                  .where(Comment.forum_id == forum_id, CommentLike.user_id == user_id)))


def approved_statements(forum_id: int) -> Select:
    return select(Statement).where(Statement.forum_id == forum_id, Statement.state == StatementState.approved) \
        .order_by(Statement.id)


def statement_texts(forum_id: int) -> dict[int, str]:
    return {statement.id: statement.text for statement in db.session.scalars(approved_statements(forum_id))}


def opinion_map_with_texts(forum: Forum) -> dict:
    """The stored opinion map with each statement's text (statements no longer approved left out)."""
    stored = forum.opinion_map or {}
    texts = statement_texts(forum.id)

    def with_text(items: list[dict]) -> list[dict]:
        return [{**item, "text": texts[item["statement_id"]]} for item in items if item["statement_id"] in texts]

    return {"forum_id": forum.id, "as_of": forum.count_as_of, "participants": stored.get("participants", 0),
            "voters": stored.get("voters", 0),
            "groups": [{**group, "distinctive": with_text(group["distinctive"])} for group in stored.get("groups", [])],
            "consensus": with_text(stored.get("consensus", [])),
            "consensus_disagree": with_text(stored.get("consensus_disagree", [])),
            "divisive": with_text(stored.get("divisive", [])),
            "table": [{"statement_id": row["statement_id"], "text": texts[row["statement_id"]],
                       "total": dict(zip(REACTIONS, row["total"], strict=True)),
                       "groups": [dict(zip(REACTIONS, counts, strict=True)) for counts in row["groups"]],
                       "consensus": row["consensus"], "spread": row["spread"]}
                      for row in stored.get("table", []) if row["statement_id"] in texts],
            "points": stored.get("points", [])}


def opinion_table(forum: Forum, texts: dict[int, str], sort: str) -> list[dict]:
    """The statement × group table of the forum page: per statement, everyone's and each group's reactions as
    (count, share of those who reacted), sorted as asked (`table_sort`'s keys; largest first, except the
    statements' own order)."""
    rows = []
    for order, row in enumerate((forum.opinion_map or {}).get("table", [])):
        if row["statement_id"] not in texts:
            continue
        rows.append({"order": order, "statement_id": row["statement_id"], "text": texts[row["statement_id"]],
                     "total": _shares(row["total"]), "groups": [_shares(counts) for counts in row["groups"]],
                     "consensus": row["consensus"], "spread": row["spread"]})
    if sort in REACTIONS:
        rows.sort(key=lambda row: (-row["total"][sort][1], row["order"]))
    elif sort == "consensus":
        rows.sort(key=lambda row: (-row["consensus"], row["order"]))
    elif sort == "divisive":
        rows.sort(key=lambda row: (-row["spread"], row["order"]))
    elif sort.startswith("group-"):
        group = int(sort.removeprefix("group-")) - 1
        rows.sort(key=lambda row: (-row["groups"][group]["agree"][1], row["order"]))
    return rows


def table_sort(value: str | None, groups: int) -> str:
    """A sort key of the table, or "order" for anything else."""
    if value in TABLE_SORTS or (value and value.startswith("group-") and value[6:].isdigit()
                                and 0 < int(value[6:]) <= groups):
        return value
    return "order"


def _shares(counts: list[int]) -> dict[str, tuple[int, float]]:
    total = sum(counts)
    return {reaction: (count, count / total if total else 0.0) for reaction, count in zip(REACTIONS, counts,
                                                                                         strict=True)}


def next_statement(forum_id: int, user_id: int) -> Statement | None:
    """The next approved statement this person has not reacted to (one at a time)."""
    reacted = select(Reaction.statement_id).where(Reaction.user_id == user_id)
    return db.session.scalar(approved_statements(forum_id).where(Statement.id.not_in(reacted)).limit(1))


def participant_number(forum_id: int, user_id: int) -> int | None:
    """The person's anonymous number in the forum's open data, if they have one yet."""
    return db.session.scalar(select(Participant.number).where(Participant.forum_id == forum_id,
                                                              Participant.user_id == user_id))


def reaction_progress(forum_id: int, user_id: int) -> tuple[int, int]:
    """(statements this person reacted to, approved statements)."""
    total = db.session.scalar(select(func.count()).select_from(approved_statements(forum_id).subquery())) or 0
    done = db.session.scalar(select(func.count()).select_from(Reaction).join(
        Statement, Statement.id == Reaction.statement_id).where(
        Statement.forum_id == forum_id, Statement.state == StatementState.approved, Reaction.user_id == user_id)) or 0
    return done, total


def _waiting_statements() -> Select:
    """Statements waiting for a moderator (not those of a conversation imported from Pol.is: nobody moderates
    a copy)."""
    return select(Statement).join(Forum, Forum.id == Statement.forum_id).where(
        Statement.state == StatementState.pending, Forum.imported_from.is_(None))


def pending_statements() -> list[Statement]:
    return list(db.session.scalars(_waiting_statements().order_by(Statement.id)))


def pending_statement_count() -> int:
    return db.session.scalar(select(func.count()).select_from(_waiting_statements().subquery())) or 0


def comments_to_review() -> list[Comment]:
    """Comments hidden by three reports, or with open reports, waiting for a moderator."""
    reported = select(Report.subject_id).where(Report.subject_type == "forum_comment",
                                               Report.status == ReportStatus.open)
    return list(db.session.scalars(select(Comment).where(
        (Comment.state == CommentState.auto_hidden) | Comment.id.in_(reported)).order_by(Comment.id)))


def review_count() -> int:
    return pending_statement_count() + len(comments_to_review())
