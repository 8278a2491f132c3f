"""In-site notifications (and mail when configured) for people who follow or took part in an item."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from participation.core.mail import public_url, send_mail
from participation.core.models import Base
from participation.core.time import utcnow
from participation.extensions import db


class Notification(Base):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


def notify(users, message: str, url: str, *, mail: bool = True) -> None:
    """Tell each user (in the site, and by mail for verified addresses) that something happened."""
    for user in users:
        if user.deleted_at is not None:
            continue
        db.session.add(Notification(user_id=user.id, message=message, url=url))
        if mail and user.email and user.email_verified:
            send_mail(user.email, message, f"{message}\n\n{public_url(url)}")
    db.session.flush()


def unread_count(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def recent(user_id: int, limit: int = 50) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user_id)
                                   .order_by(Notification.id.desc()).limit(limit)))


def mark_all_read(user_id: int) -> None:
    for notification in db.session.scalars(select(Notification).where(
            Notification.user_id == user_id, Notification.read_at.is_(None))):
        notification.read_at = utcnow()
