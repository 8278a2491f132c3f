"""Reads of proposals used by pages, the API, jobs and the indicator feed."""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, func, literal, select
from sqlalchemy.orm import selectinload

from participation.core.audit import history
from participation.core.search import contains_every
from participation.core.time import utcnow
from participation.extensions import db
from participation.petitions.queries import unselective_in
from participation.proposals.models import MAYOR_STATES, Comment, Department, Proposal, ProposalState

LISTED_STATES = (ProposalState.open, ProposalState.closed, ProposalState.under_review, ProposalState.answered)
SORTS = ("support", "newest", "closing")


def count_submitted(start: datetime, end: datetime, source: str | None = None) -> int:
    """Proposals received in [start, end) — the indicator feed for 2.2.c (web), 2.2.b (national_portal)
    and 3.3.b (youth_committee). One COUNT on the (source, submitted_at) index."""
    statement = select(func.count()).select_from(Proposal).where(Proposal.submitted_at >= start,
                                                                 Proposal.submitted_at < end)
    if source is not None:
        statement = statement.where(Proposal.source == source)
    return db.session.scalar(statement) or 0


def home_items(limit: int) -> list[tuple[str, str, str]]:
    rows = db.session.scalars(select(Proposal).where(Proposal.state == ProposalState.open)
                              .order_by(Proposal.published_at.desc(), Proposal.id.desc()).limit(limit))
    return [(proposal.title, f"/proposals/{proposal.id}", _("공감 %(count)d명", count=proposal.support_count))
            for proposal in rows]


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def public_list(*, q: str | None = None, category: str | None = None, district: str | None = None,
                status: str | None = None, source: str | None = None, sort: str | None = None) -> Select:
    """The public list, filtered; unknown filter values simply match nothing."""
    # Most proposals are listed: the IN narrows nothing and must not steer the planner away from the index
    # of the ORDER BY (see petitions.queries.unselective_in). A single status uses (state, submitted_at, id).
    if status:
        statement = select(Proposal).where(Proposal.state.in_(LISTED_STATES), Proposal.state == status)
    else:
        statement = select(Proposal).where(unselective_in(Proposal.state, LISTED_STATES))
    if category:
        statement = statement.where(Proposal.category == category)
    if district == "city":
        statement = statement.where(Proposal.district.is_(None))
    elif district:
        statement = statement.where(Proposal.district == district)
    if source:
        statement = statement.where(Proposal.source == source)
    if q and q.strip():
        statement = statement.where(contains_every(Proposal, [q.strip()]))
    if sort == "support":
        return statement.order_by(Proposal.support_count.desc(), Proposal.id.desc())
    if sort == "closing":
        return statement.order_by(Proposal.closes_at.is_(None), Proposal.closes_at, Proposal.id)
    return statement.order_by(Proposal.submitted_at.desc(), Proposal.id.desc())


def own_list(user_id: int) -> Select:
    """A citizen's own proposals in every state, newest first (hidden ones too: the author sees why)."""
    return (select(Proposal).where(Proposal.author_id == user_id)
            .order_by(Proposal.submitted_at.desc(), Proposal.id.desc()))


def pending_for_moderation() -> list[Proposal]:
    return list(db.session.scalars(select(Proposal).where(Proposal.state == ProposalState.pending)
                                   .order_by(Proposal.submitted_at, Proposal.id)))


def pending_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Proposal)
                             .where(Proposal.state == ProposalState.pending)) or 0


def under_review() -> list[Proposal]:
    """Proposals with departments, earliest due first (overdue ones come first)."""
    return list(db.session.scalars(select(Proposal).where(Proposal.state == ProposalState.under_review)
                                   .order_by(Proposal.answer_due_at, Proposal.id)))


def overdue_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Proposal).where(
        Proposal.state == ProposalState.under_review, Proposal.answer_due_at < utcnow())) or 0


def _awaiting_mayor() -> Select:
    # Only proposals with a forum are ever asked; naming it lets the forum's unique index narrow the scan to
    # the few proposals that reached 100 supports instead of reading them all.
    return select(Proposal).where(Proposal.discussion_forum_id.is_not(None),
                                  Proposal.mayor_answer_requested_at.is_not(None),
                                  Proposal.mayor_answered_at.is_(None), Proposal.state.in_(MAYOR_STATES))


def awaiting_mayor() -> list[Proposal]:
    """Proposals waiting for the mayor's answer, longest waiting first."""
    return list(db.session.scalars(_awaiting_mayor().options(selectinload(Proposal.discussion_forum))
                                   .order_by(Proposal.mayor_answer_requested_at, Proposal.id)))


def awaiting_mayor_count() -> int:
    return db.session.scalar(select(func.count()).select_from(_awaiting_mayor().subquery())) or 0


def departments() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.name)))


def comment_threads(proposal_id: int) -> list[tuple[Comment, list[Comment]]]:
    """Top-level comments in order, each with its replies."""
    comments = db.session.scalars(select(Comment).where(Comment.proposal_id == proposal_id).order_by(Comment.id))
    replies: dict[int, list[Comment]] = {}
    top = []
    for comment in comments:
        if comment.parent_id is None:
            top.append(comment)
        else:
            replies.setdefault(comment.parent_id, []).append(comment)
    return [(comment, replies.get(comment.id, [])) for comment in top]


def proposal_history(proposal_id: int):
    return history("proposal", proposal_id)



def owed_answers() -> Select:
    """Proposals with their department, waiting for its answer, in the columns of the public list of owed answers
    (main/answers.py)."""
    return select(literal("proposals").label("resource"), Proposal.id, Proposal.title, Proposal.answer_due_at,
                  Proposal.extension_reason, Proposal.interim_answer, Proposal.interim_answered_at).where(
        Proposal.state == ProposalState.under_review, Proposal.answer_due_at.is_not(None))


MERGE_CANDIDATES = 8


def merge_candidates(proposal: Proposal, keyword: str | None = None) -> list[Proposal]:
    """Proposals a duplicate may be merged into, for the moderator's picker: those whose title contains the
    keyword, or else those of the same category sharing the most title words (then the most supported)."""
    statement = select(Proposal).where(Proposal.id != proposal.id, Proposal.state.in_(LISTED_STATES))
    if keyword:
        rows = db.session.scalars(statement.where(Proposal.title.like(_like(keyword.strip()), escape="\\"))
                                  .order_by(Proposal.support_count.desc(), Proposal.id.desc()).limit(MERGE_CANDIDATES))
        return list(rows)
    words = {word for word in proposal.title.split() if len(word) > 1}
    rows = db.session.scalars(statement.where(Proposal.category == proposal.category)
                              .order_by(Proposal.id.desc()).limit(200))
    ranked = sorted(rows, key=lambda other: (-len(words & set(other.title.split())), -other.support_count, -other.id))
    return ranked[:MERGE_CANDIDATES]
