"""The audit log: every transition and moderation action of every channel writes one row."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from participation.core.models import Base
from participation.core.time import utcnow
from participation.extensions import db


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_subject", "subject_type", "subject_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(Text)
    # A moderation act's reason category (e.g. "duplicate", "abusive"): the public moderation log shows it, never
    # the free text, which may name people.
    category: Mapped[str | None] = mapped_column(String(40))


def audit(actor, subject_type: str, subject_id: int, action: str, reason: str | None = None,
          category: str | None = None) -> AuditEntry:
    """Record what an actor (None: the system) did to an item, e.g. action "pending->open"."""
    entry = AuditEntry(actor_id=getattr(actor, "id", None), subject_type=subject_type,
                       subject_id=subject_id, action=action, reason=reason, category=category)
    db.session.add(entry)
    return entry


def history(subject_type: str, subject_id: int) -> list[AuditEntry]:
    return list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id == subject_id)
        .order_by(AuditEntry.id)))
