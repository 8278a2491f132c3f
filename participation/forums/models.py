"""Deliberation forums (공론장, 시민에게 묻습니다): the question, comments with a stance, short
statements that citizens react to, and the opinion map a worker job computes from the reactions."""

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.core.models import Base
from participation.core.time import utcnow

TITLE_MAX = 200
TEXT_MAX = 20_000
DEPARTMENTS_MAX = 300
COMMENT_MAX = 3_000
STATEMENT_MAX = 140
# Statements imported from a Pol.is export keep their text, and Pol.is allowed longer ones than this form does.
STATEMENT_STORED_MAX = 1_000
IMPORTED_FROM_MAX = 500
DEFAULT_DISCUSSION_DAYS = 30
MAX_DISCUSSION_DAYS = 365
ATTACHMENT_NAME_MAX = 255


class ForumState(enum.StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"
    answered = "answered"


class Stance(enum.StrEnum):
    pro = "pro"  # 찬성
    con = "con"  # 반대
    other = "other"  # 기타


class CommentState(enum.StrEnum):
    visible = "visible"
    auto_hidden = "auto_hidden"  # three open reports from different people, until a moderator reviews it
    hidden = "hidden"  # hidden by a moderator


class StatementState(enum.StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class ReactionValue(enum.StrEnum):
    agree = "agree"
    disagree = "disagree"
    pass_ = "pass"


class Forum(Base):
    __tablename__ = "forum"
    __table_args__ = (
        CheckConstraint(f"discussion_days BETWEEN 1 AND {MAX_DISCUSSION_DAYS}", name="discussion_days"),
        CheckConstraint("state IN ('draft', 'open', 'closed', 'answered')", name="state"),
        CheckConstraint("state != 'answered' OR answer IS NOT NULL", name="answered_has_answer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    background: Mapped[str] = mapped_column(Text)
    key_facts: Mapped[str] = mapped_column(Text, default="")
    links: Mapped[str] = mapped_column(Text, default="")
    departments: Mapped[str] = mapped_column(String(DEPARTMENTS_MAX), default="")
    discussion_days: Mapped[int] = mapped_column(default=DEFAULT_DISCUSSION_DAYS)
    state: Mapped[ForumState] = mapped_column(String(20), default=ForumState.draft)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(index=True)
    # What taking part (comments, likes, statements, reactions) requires: "email" or "identity" (본인인증).
    verification: Mapped[str] = mapped_column(String(10), default="email", server_default="email")
    closes_at: Mapped[datetime | None] = mapped_column(index=True)
    closed_at: Mapped[datetime | None]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    # When the participants were told of the answer (services.tell_participants_of_answer, a job): NULL while
    # an answered forum's notifications are still owed.
    answer_told_at: Mapped[datetime | None]
    # Set for a conversation imported from a Pol.is export (forums/interchange.py): its source (the export's URL
    # or topic). Such a forum is a closed copy for study, seen by staff only, and never counted as opened here.
    imported_from: Mapped[str | None] = mapped_column(String(IMPORTED_FROM_MAX))
    # The optional closing vote, a poll of the polls channel (엠보팅) that closes with the discussion.
    closing_poll_id: Mapped[int | None] = mapped_column(ForeignKey("poll.id", ondelete="SET NULL"), unique=True)
    # Written by the recount job (tasks.recount_forum) in one statement.
    comment_count: Mapped[int] = mapped_column(default=0)
    participant_count: Mapped[int] = mapped_column(default=0)
    stance_summary: Mapped[dict | None] = mapped_column(JSON)
    opinion_map: Mapped[dict | None] = mapped_column(JSON)
    count_as_of: Mapped[datetime | None]


class Comment(Base):  # 댓글
    __tablename__ = "forum_comment"
    __table_args__ = (
        CheckConstraint("stance IN ('pro', 'con', 'other')", name="stance"),
        CheckConstraint("state IN ('visible', 'auto_hidden', 'hidden')", name="state"),
        # The parent is named with its forum, so that a reply can only answer a comment of the same forum.
        UniqueConstraint("id", "forum_id", name="uq_forum_comment_id_forum_id"),
        ForeignKeyConstraint(["parent_id", "forum_id"], ["forum_comment.id", "forum_comment.forum_id"],
                             name="fk_forum_comment_parent_same_forum", ondelete="CASCADE"),
        Index("ix_forum_comment_forum_id_parent_id", "forum_id", "parent_id", "id"),
        Index("ix_forum_comment_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    stance: Mapped[Stance] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[CommentState] = mapped_column(String(20), default=CommentState.visible)
    like_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author = relationship("User", lazy="joined")

    @property
    def is_hidden(self) -> bool:
        return self.state != CommentState.visible


class CommentLike(Base):  # 좋아요
    __tablename__ = "forum_comment_like"

    comment_id: Mapped[int] = mapped_column(ForeignKey("forum_comment.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Statement(Base):  # 의견 문장
    __tablename__ = "forum_statement"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'approved', 'rejected')", name="state"),
        Index("ix_forum_statement_forum_id_state", "forum_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    text: Mapped[str] = mapped_column(String(STATEMENT_STORED_MAX))
    state: Mapped[StatementState] = mapped_column(String(20), default=StatementState.pending)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reaction(Base):  # 동의 / 비동의 / 넘어가기
    __tablename__ = "forum_reaction"
    __table_args__ = (
        CheckConstraint("value IN ('agree', 'disagree', 'pass')", name="value"),
        Index("ix_forum_reaction_user_id", "user_id"),
    )

    statement_id: Mapped[int] = mapped_column(ForeignKey("forum_statement.id", ondelete="CASCADE"),
                                              primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[ReactionValue] = mapped_column(String(20))
    reacted_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Participant(Base):  # 참여자 번호
    """A person's anonymous number in a forum's open data (Pol.is's participant id): 0, 1, 2 … in the order
    people first reacted to or wrote a statement. Given once by the recount job (tasks.number_participants) and
    never changed, so that exports made at different times number everyone the same way; an imported
    conversation keeps its export's numbers."""

    __tablename__ = "forum_participant"
    __table_args__ = (
        UniqueConstraint("forum_id", "number", name="uq_forum_participant_forum_id_number"),
        CheckConstraint("number >= 0", name="number_not_negative"),
        Index("ix_forum_participant_user_id", "user_id"),
    )

    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int]


class ForumAttachment(Base):  # 첨부 문서 (배경 자료)
    """A document staff attach to a forum's background, stored under instance/uploads/forums/ with a random
    name; its type is the one its content was recognised as (see forums/attachments.py)."""

    __tablename__ = "forum_attachment"
    __table_args__ = (
        CheckConstraint("size > 0", name="size_positive"),
        Index("ix_forum_attachment_forum_id", "forum_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id", ondelete="CASCADE"))
    original_name: Mapped[str] = mapped_column(String(ATTACHMENT_NAME_MAX))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
