"""In-site notifications (and mail when configured) for people who follow or took part in an item.

Each notification is of a kind, the channel of its item (the first part of its link: "/petitions/5" is
"petitions"). A person can turn the mail of each kind off (the notifications page, or the one-click unsubscribe
link in every notification mail and its List-Unsubscribe header, RFC 8058); the notification in the site stays.
The unsubscribe link carries a token signed with SECRET_KEY (the account and the kind): no expiry, so the link
of an old mail still works, and a forged one changes nothing."""

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import ForeignKey, String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from participation.core.errors import NotFound, ValidationError
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


KINDS = {"petitions": _l("청원"), "proposals": _l("시민제안"), "polls": _l("투표"), "forums": _l("공론장"),
         "surveys": _l("설문"), "budgets": _l("참여예산")}
UNSUBSCRIBE_PATH = "/unsubscribe/"


class NotificationOptOut(Base):
    """A kind of notification whose mail this account does not want."""

    __tablename__ = "notification_opt_out"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def kind_of(url: str) -> str:
    kind = url.strip("/").split("/", 1)[0]
    return kind if kind in KINDS else "other"


def opted_out(user_id: int) -> set[str]:
    return set(db.session.scalars(select(NotificationOptOut.kind).where(NotificationOptOut.user_id == user_id)))


def notify(users, message: str, url: str, *, mail: bool = True, kind: str | None = None) -> None:
    """Tell each user (in the site, and by mail for verified addresses that did not turn this kind off) that
    something happened. The kind is the channel of the link unless given."""
    kind = kind or kind_of(url)
    for user in users:
        if user.deleted_at is not None:
            continue
        db.session.add(Notification(user_id=user.id, message=message, url=url))
        if mail and user.email and user.email_verified and kind not in opted_out(user.id):
            unsubscribe = public_url(UNSUBSCRIBE_PATH + unsubscribe_token(user.id, kind))
            body = _("%(message)s\n\n%(link)s\n\n--\n이런 알림 메일을 그만 받으려면: %(unsubscribe)s",
                     message=message, link=public_url(url), unsubscribe=unsubscribe)
            send_mail(user.email, message, body, unsubscribe_url=unsubscribe)
    db.session.flush()


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe")


def unsubscribe_token(user_id: int, kind: str) -> str:
    return _serializer().dumps([user_id, kind])


def unsubscribe_target(token: str) -> tuple[int, str]:
    """(account id, kind) of an unsubscribe token; ValidationError (422) for a forged or mangled one, NotFound
    (404) for an account that is gone. Nothing changes."""
    invalid = ValidationError({"token": _l("알림 해지 링크가 올바르지 않습니다.")})
    try:
        data = _serializer().loads(token)
    except BadSignature:
        raise invalid from None
    if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], int) and data[1] in (*KINDS, "other")):
        raise invalid
    from participation.accounts.models import User

    user = db.session.get(User, data[0])
    if user is None or user.deleted_at is not None:
        raise NotFound(_l("계정을 찾을 수 없습니다."))
    return user.id, data[1]


def unsubscribe(token: str) -> str:
    """Turn off the mail of the token's kind for its account (again: no change); returns the kind."""
    user_id, kind = unsubscribe_target(token)
    set_preferences(user_id, opted_out(user_id) | {kind})
    return kind


def set_preferences(user_id: int, off: set[str]) -> None:
    """The kinds whose mail this account does not want (every other kind is mailed)."""
    off = off & {*KINDS, "other"}
    current = opted_out(user_id)
    db.session.execute(delete(NotificationOptOut).where(NotificationOptOut.user_id == user_id,
                                                        NotificationOptOut.kind.not_in(off)))
    db.session.add_all(NotificationOptOut(user_id=user_id, kind=kind) for kind in sorted(off - current))
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
