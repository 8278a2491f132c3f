"""Citizen proposals (시민제안): the proposal, its supports (공감), comments, followers, images, and the
departments that answer them."""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.accounts.models import User
from participation.core.models import Base
from participation.core.seoul import CATEGORIES
from participation.core.time import utcnow
from participation.forums.models import Forum

TITLE_MAX = 120
TEXT_MAX = 10_000
COMMENT_MAX = 2_000
PORTAL_ID_MAX = 40
DEPARTMENT_NAME_MAX = 80


class ProposalState(enum.StrEnum):
    pending = "pending"            # waiting for a moderator
    open = "open"                  # public, collecting supports for 30 days
    closed = "closed"              # support period over below the review threshold
    under_review = "under_review"  # with the responsible department
    answered = "answered"
    rejected = "rejected"
    hidden = "hidden"
    merged = "merged"              # a duplicate, folded into another proposal


# States in which a proposal whose forum reached its mayor threshold awaits (or has) the mayor's answer.
MAYOR_STATES = (ProposalState.open, ProposalState.closed, ProposalState.under_review, ProposalState.answered)


class ProposalSource(enum.StrEnum):
    web = "web"
    national_portal = "national_portal"
    youth_committee = "youth_committee"


class AnswerOutcome(enum.StrEnum):
    adopted = "adopted"
    partly = "partly"
    not_adopted = "not_adopted"


STATE_LABELS = {
    ProposalState.pending: _l("검토 대기"), ProposalState.open: _l("공감 모으는 중"),
    ProposalState.closed: _l("공감 기간 종료"), ProposalState.under_review: _l("부서 검토 중"),
    ProposalState.answered: _l("답변 완료"), ProposalState.rejected: _l("반려"),
    ProposalState.hidden: _l("숨김"), ProposalState.merged: _l("다른 제안에 통합"),
}
SOURCE_LABELS = {
    ProposalSource.web: _l("상상대로 서울"), ProposalSource.national_portal: _l("국민제안(국민신문고)"),
    ProposalSource.youth_committee: _l("청소년 참여위원회"),
}
OUTCOME_LABELS = {
    AnswerOutcome.adopted: _l("채택"), AnswerOutcome.partly: _l("일부 채택"), AnswerOutcome.not_adopted: _l("불채택"),
}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(value)) for value in values)})"


class Department(Base):
    """A city department that answers proposals. Staff enter them; the demo's are labelled examples."""

    __tablename__ = "proposal_department"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(DEPARTMENT_NAME_MAX), unique=True)
    is_example: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Proposal(Base):
    __tablename__ = "proposal"
    __table_args__ = (
        CheckConstraint(_in("state", ProposalState), name="state"),
        CheckConstraint(_in("source", ProposalSource), name="source"),
        CheckConstraint(f"answer_outcome IS NULL OR {_in('answer_outcome', AnswerOutcome)}", name="answer_outcome"),
        CheckConstraint("support_count >= 0", name="support_count"),
        CheckConstraint("portal_id IS NULL OR source = 'national_portal'", name="portal_id_source"),
        CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="not_merged_into_itself"),
        Index("ix_proposal_source_submitted", "source", "submitted_at"),
        Index("ix_proposal_state_published", "state", "published_at"),
        Index("ix_proposal_state_due", "state", "answer_due_at"),
        # The public list (queries.public_list): newest submitted first (with the state, for the filter and
        # deep OFFSETs), most supported.
        Index("ix_proposal_submitted_at_id_state", "submitted_at", "id", "state"),
        Index("ix_proposal_state_submitted_at_id", "state", "submitted_at", "id"),
        Index("ix_proposal_support_count_id", "support_count", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[ProposalSource] = mapped_column(String(20), default=ProposalSource.web)
    # The national portal's own number: importing the same export twice changes nothing.
    portal_id: Mapped[str | None] = mapped_column(String(PORTAL_ID_MAX), unique=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    # Who entered it for someone else (staff, for the youth committee or an import).
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    problem: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text)
    expected_effect: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(20), index=True)
    # One of the 25 districts, or NULL for the whole city.
    district: Mapped[str | None] = mapped_column(String(10), index=True)
    state: Mapped[ProposalState] = mapped_column(String(20), default=ProposalState.pending)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Received: web and youth committee on entry, the national portal's own date when imported.
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    # The rules in force when it opened (settings may change later).
    review_threshold: Mapped[int | None]
    discussion_threshold: Mapped[int | None]
    answer_days: Mapped[int | None]
    review_started_at: Mapped[datetime | None]
    forwarded: Mapped[bool] = mapped_column(Boolean, default=False)
    answer_due_at: Mapped[datetime | None]
    discussion_flagged_at: Mapped[datetime | None]
    # The public deliberation forum opened when the discussion threshold is reached (100 supports).
    discussion_forum_id: Mapped[int | None] = mapped_column(ForeignKey("forum.id", ondelete="SET NULL"), unique=True)
    # When that many people take part in the forum (1,000), the mayor answers; copied at opening like the others.
    mayor_threshold: Mapped[int | None]
    mayor_answer_requested_at: Mapped[datetime | None]
    mayor_answer: Mapped[str | None] = mapped_column(Text)
    mayor_answered_at: Mapped[datetime | None]
    department_id: Mapped[int | None] = mapped_column(ForeignKey("proposal_department.id", ondelete="SET NULL"),
                                                      index=True)
    support_count: Mapped[int] = mapped_column(default=0)
    count_as_of: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="SET NULL"))
    interim_answer: Mapped[str | None] = mapped_column(Text)
    interim_answered_at: Mapped[datetime | None]
    # The answer deadline was extended once, for this reason (shown in public).
    extension_reason: Mapped[str | None] = mapped_column(Text)
    answer_outcome: Mapped[AnswerOutcome | None] = mapped_column(String(20))
    answer_body: Mapped[str | None] = mapped_column(Text)
    follow_up: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    department: Mapped[Department | None] = relationship()
    discussion_forum: Mapped[Forum | None] = relationship()
    images: Mapped[list["ProposalImage"]] = relationship(back_populates="proposal", order_by="ProposalImage.id",
                                                         cascade="all, delete-orphan")

    @property
    def state_label(self):
        return STATE_LABELS[ProposalState(self.state)]

    @property
    def category_label(self):
        return CATEGORIES.get(self.category, self.category)

    @property
    def source_label(self):
        return SOURCE_LABELS[ProposalSource(self.source)]

    @property
    def outcome_label(self):
        return OUTCOME_LABELS[AnswerOutcome(self.answer_outcome)] if self.answer_outcome else ""

    @property
    def is_overdue(self) -> bool:
        return (self.state == ProposalState.under_review and self.answer_due_at is not None
                and self.answer_due_at < utcnow())

    @property
    def accepts_supports(self) -> bool:
        return (self.state in (ProposalState.open, ProposalState.under_review) and self.closes_at is not None
                and utcnow() < self.closes_at)


class Support(Base):
    """공감: one per person and proposal."""

    __tablename__ = "proposal_support"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The keyed hash of the network it came from (core/networks.py), purged 30 days after the item closed; and
    # the burst that voided it: a voided row stays, and does not count.
    network_hash: Mapped[str | None] = mapped_column(String(64))
    void_id: Mapped[int | None] = mapped_column(ForeignKey("participation_burst.id", ondelete="SET NULL"),
                                                index=True)


class Follow(Base):
    """Someone who wants to hear when the proposal's state changes or it is answered."""

    __tablename__ = "proposal_follow"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Comment(Base):
    """A comment, or a reply to a top-level comment (one level of threading)."""

    __tablename__ = "proposal_comment"
    __table_args__ = (
        Index("ix_proposal_comment_proposal", "proposal_id", "id"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("proposal_comment.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    hidden_at: Mapped[datetime | None]

    author: Mapped[User | None] = relationship(lazy="joined")


class ProposalImage(Base):
    """An uploaded image, re-encoded by the server and stored under instance/uploads/proposals/."""

    __tablename__ = "proposal_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="images")
