"""Petitions (청원), their signatures (서명) and official answers (답변)."""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.accounts.models import User
from participation.core.models import Base
from participation.core.seoul import CATEGORIES
from participation.core.time import utcnow

TITLE_MAX = 100
BODY_MAX = 20_000
REASON_MAX = 2000
DEPARTMENT_MAX = 100
LINKS_MAX = 10


class PetitionKind(enum.StrEnum):
    general = "general"                  # 청원
    resident_audit = "resident_audit"    # 주민감사 청구
    debate_request = "debate_request"    # 시민참여 토론회 청구


KIND_LABELS = {
    PetitionKind.general: _l("청원"),
    PetitionKind.resident_audit: _l("주민감사 청구"),
    PetitionKind.debate_request: _l("시민참여 토론회 청구"),
}


class PetitionState(enum.StrEnum):
    draft = "draft"
    pending = "pending"      # waiting for a moderator
    open = "open"            # public, collecting signatures
    closed = "closed"
    answered = "answered"
    rejected = "rejected"
    hidden = "hidden"


STATE_LABELS = {
    PetitionState.draft: _l("임시 저장"),
    PetitionState.pending: _l("검토 중"),
    PetitionState.open: _l("서명 진행 중"),
    PetitionState.closed: _l("서명 마감"),
    PetitionState.answered: _l("답변 완료"),
    PetitionState.rejected: _l("반려"),
    PetitionState.hidden: _l("숨김"),
}

# States everyone may see in lists.
PUBLIC_STATES = (PetitionState.open, PetitionState.closed, PetitionState.answered)
# The audit log's and the reports' subject types.
SUBJECT = "petition"
ANSWER_SUBJECT = "petition_answer"


def petition_path(petition_id: int) -> str:
    """The page's path; also usable outside a request (jobs, the demo)."""
    return f"/petitions/{petition_id}"


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(value)) for value in values)})"


class Petition(Base):
    __tablename__ = "petition"
    __table_args__ = (
        CheckConstraint(_in("kind", PetitionKind), name="kind"),
        CheckConstraint(_in("state", PetitionState), name="state"),
        CheckConstraint(_in("category", CATEGORIES), name="category"),
        CheckConstraint("signature_count >= 0", name="signature_count"),
        # An open petition always carries the rules it opened with.
        CheckConstraint("state IN ('draft', 'pending', 'rejected') OR (closes_at IS NOT NULL AND "
                        "answer_threshold IS NOT NULL AND debate_threshold IS NOT NULL AND answer_days IS NOT NULL)",
                        name="rules_copied"),
        Index("ix_petition_state_closes_at", "state", "closes_at"),
        Index("ix_petition_state_signature_count", "state", "signature_count"),
        Index("ix_petition_kind_submitted_at", "kind", "submitted_at"),
        # The public list (queries.public_list): newest first, most signed, closing soonest. The default
        # sort carries the state so that the state filter and deep OFFSETs are read from the index.
        Index("ix_petition_published_at_id_state", "published_at", "id", "state"),
        Index("ix_petition_state_published_at_id", "state", "published_at", "id"),
        Index("ix_petition_signature_count_id", "signature_count", "id"),
        Index("ix_petition_closes_at_id", "closes_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[PetitionKind] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20))
    state: Mapped[PetitionState] = mapped_column(String(20), default=PetitionState.draft)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Left draft for review: the moment indicators 2.2.a, 2.1.a and 3.1.c count.
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)
    published_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    # The rules in force when the petition opened.
    answer_threshold: Mapped[int | None]
    debate_threshold: Mapped[int | None]
    signature_days: Mapped[int | None]
    answer_days: Mapped[int | None]
    # What signing requires: "email" or "identity" (본인인증), set when the petition opens.
    verification: Mapped[str] = mapped_column(String(10), default="email", server_default="email")
    # Set at closing when the petition crossed its answer threshold.
    answer_due_at: Mapped[datetime | None]
    extension_reason: Mapped[str | None] = mapped_column(Text)
    answer_overdue_at: Mapped[datetime | None]
    # A progress note while the answer is owed, shown in public with its date.
    interim_answer: Mapped[str | None] = mapped_column(Text)
    interim_answered_at: Mapped[datetime | None]
    # When a debate request first reached its debate threshold (set once: audited, author and signers told).
    debate_reached_at: Mapped[datetime | None]
    # Denormalised by the recount job.
    signature_count: Mapped[int] = mapped_column(default=0)
    count_as_of: Mapped[datetime | None]
    district_counts: Mapped[dict | None] = mapped_column(JSON)

    author: Mapped[User | None] = relationship(lazy="joined")
    answer: Mapped["PetitionAnswer | None"] = relationship(back_populates="petition", lazy="selectin")

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[PetitionKind(self.kind)])

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[PetitionState(self.state)])

    @property
    def category_label(self) -> str:
        return str(CATEGORIES[self.category])

    @property
    def needs_answer(self) -> bool:
        return self.answer_due_at is not None and self.state == PetitionState.closed

    @property
    def is_overdue(self) -> bool:
        """An answer is owed and its deadline has passed (at this moment, not at the flagging job's last run)."""
        return self.needs_answer and self.answer_due_at < utcnow()


class Signature(Base):
    """One person's signature (서명). The district and age band are copied when signing, for the
    charts; a deleted account's signature keeps counting."""

    __tablename__ = "petition_signature"
    __table_args__ = (UniqueConstraint("petition_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petition.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    district: Mapped[str | None] = mapped_column(String(10))
    age_band: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The keyed hash of the network it came from (core/networks.py), purged 30 days after the item closed; and
    # the burst that voided it: a voided row stays, and does not count.
    network_hash: Mapped[str | None] = mapped_column(String(64))
    void_id: Mapped[int | None] = mapped_column(ForeignKey("participation_burst.id", ondelete="SET NULL"),
                                                index=True)


class PetitionAnswer(Base):
    """The city's official answer (공식 답변)."""

    __tablename__ = "petition_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petition.id", ondelete="CASCADE"), unique=True)
    department: Mapped[str] = mapped_column(String(DEPARTMENT_MAX))
    body: Mapped[str] = mapped_column(Text)
    # Attachments as links, one URL per line.
    links: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)

    petition: Mapped[Petition] = relationship(back_populates="answer")

    @property
    def link_list(self) -> list[str]:
        return [line for line in self.links.splitlines() if line.strip()]
