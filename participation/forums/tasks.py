"""Jobs of this channel (RQ), idempotent: they take ids and recompute from the database (counts.py)."""

from sqlalchemy import or_, select

from participation.core.database import begin_reading
from participation.extensions import db
from participation.forums import services
from participation.forums.counts import forum_figures, refresh_forum, write_forum_figures
from participation.forums.models import Comment, CommentLike, Forum, ForumState, Reaction, Statement


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


def recount_all_forums() -> None:
    for forum_id in list(db.session.scalars(select(Forum.id).where(Forum.state != ForumState.draft))):
        refresh_forum(forum_id)
    db.session.commit()


def recount_changing_forums() -> None:
    """Periodic reconciliation: the open forums, and any other with comments, likes, statements or reactions
    newer than its last count (events whose debounced job was lost while Redis was down). A closed forum's
    opinion map is not computed again every few minutes: only by the weekly sweep or `tally`."""
    for forum_id in list(db.session.scalars(select(Forum.id).where(
            Forum.state != ForumState.draft, or_(Forum.state == ForumState.open, changed_since_count())))):
        refresh_forum(forum_id)
    db.session.commit()


def changed_since_count():
    """Whether a forum has rows newer than its last count (or was never counted)."""
    as_of = Forum.count_as_of
    statements = select(Statement.id).where(Statement.forum_id == Forum.id)
    return or_(as_of.is_(None),
               select(Comment.id).where(Comment.forum_id == Forum.id, Comment.created_at > as_of).exists(),
               select(CommentLike.comment_id).join(Comment, Comment.id == CommentLike.comment_id)
               .where(Comment.forum_id == Forum.id, CommentLike.created_at > as_of).exists(),
               statements.where(Statement.created_at > as_of).exists(),
               select(Reaction.user_id).where(Reaction.statement_id.in_(statements), Reaction.reacted_at > as_of)
               .exists())


def close_due_forums() -> None:
    """Periodic: close forums whose discussion period has ended."""
    services.close_due_forums()
    db.session.commit()


def tell_participants_of_answer(forum_id: int) -> None:
    """Job: an answered forum's participants are told (once)."""
    services.tell_participants_of_answer(forum_id)
    db.session.commit()


def tell_answers_not_yet_told() -> int:
    """Periodic: answers whose job was lost (Redis down when the answer was saved) are told here."""
    told = 0
    for forum_id in services.answers_not_yet_told():
        told += services.tell_participants_of_answer(forum_id)
        db.session.commit()
    return told


# (function, seconds between runs), run by the worker's cron scheduler.
PERIODIC: list = [(close_due_forums, 60), (tell_answers_not_yet_told, 300)]
# Functions that recompute all of this channel's counts; `flask --app wsgi tally` runs them.
RECOUNTS: list = [recount_all_forums]
# Functions that recount what may still change; the periodic reconciliation runs them.
RECONCILE: list = [recount_changing_forums]
