"""Appeals (이의 신청): the author of a rejected or hidden item asks for a second look, once per decision.

A channel registers what can be appealed (`register(Appealable(...))` in its services): the subject (the audit
log's subject_type), the model, whether the item is removed now, and how an upheld appeal restores it (through
its life cycle, on an edge declared `via="appeal"` where a plain transition must not take it).

The decision appealed against is the item's newest audit row that rejected or hid it (`moderation_log.act_of`):
its actor is the moderator who decided (None when the platform hid it), its time starts the APPEAL_DAYS window.

- `file_appeal`: only the author (anyone else: 404, as for any item they may not see); only while the item is
  rejected or hidden; once per decision (a unique constraint decides, concurrent requests included); within the
  window. Writes the audit row `appealed`.
- `decide`: a moderator other than the one who decided (403 `same_moderator`) and other than the author;
  `upheld` restores the item, `dismissed` leaves it; the reason is required and shown to the author. Writes
  `appeal_upheld` or `appeal_dismissed`, which the public moderation log shows.

Flush, never commit: the view or API endpoint that called commits once."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column

from participation.accounts.models import User
from participation.core.audit import AuditEntry, audit
from participation.core.database import insert_once
from participation.core.errors import Conflict, Forbidden, NotFound, ValidationError
from participation.core.input import clean_text
from participation.core.models import Base
from participation.core.moderation_log import REMOVALS, act_of
from participation.core.notifications import notify
from participation.core.permissions import Role, require_role, require_user
from participation.core.settings import get_setting
from participation.core.time import utcnow
from participation.extensions import db

TEXT_MAX = 2000
REASON_MAX = 2000
VIA = "appeal"


class AppealStatus(StrEnum):
    pending = "pending"
    upheld = "upheld"
    dismissed = "dismissed"


STATUS_LABELS = {AppealStatus.pending: _l("검토 중"), AppealStatus.upheld: _l("받아들여짐 (복원)"),
                 AppealStatus.dismissed: _l("기각")}
OUTCOMES = (AppealStatus.upheld, AppealStatus.dismissed)


class Appeal(Base):
    __tablename__ = "appeal"
    __table_args__ = (Index("ix_appeal_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int]
    # The audit row of the rejection or hiding appealed against: one appeal per decision.
    decision_id: Mapped[int] = mapped_column(ForeignKey("audit_entry.id", ondelete="CASCADE"), unique=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[AppealStatus] = mapped_column(String(20), default=AppealStatus.pending, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    outcome_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[AppealStatus(self.status)])


@dataclass(frozen=True)
class Appealable:
    """What a channel tells the appeals about one kind of item."""

    subject: str
    label: object  # what the item is called: "청원", "제안 댓글" …
    model: type
    removed: Callable[[object], bool]  # rejected or hidden now
    restore: Callable[[object, object, str], None]  # (item, moderator, reason): an upheld appeal
    title: Callable[[object], str]
    path: Callable[[object], str]  # where its author sees it


APPEALABLE: dict[str, Appealable] = {}


def register(entry: Appealable) -> None:
    APPEALABLE[entry.subject] = entry


def appealable(subject: str) -> Appealable:
    entry = APPEALABLE.get(subject)
    if entry is None:
        raise NotFound()
    return entry


def restore_target(decision: AuditEntry, published: str) -> str:
    """The state an upheld appeal restores: the one the item was in before the decision, or `published` when it
    was waiting for review (an upheld rejection publishes) or hidden already (auto-hidden, then hidden)."""
    source, _arrow, _target = decision.action.partition("->")
    return published if source in ("", "pending", *REMOVALS) else source


# --- reading --------------------------------------------------------------------------------------------------

def decision_of(subject: str, item_id: int) -> AuditEntry | None:
    """The newest audit row that rejected or hid the item."""
    rows = db.session.scalars(select(AuditEntry).where(
        AuditEntry.subject_type == subject, AuditEntry.subject_id == item_id).order_by(AuditEntry.id.desc()))
    return next((row for row in rows if act_of(row.action) in ("reject", "hide", "auto_hide")), None)


def appeal_of(decision: AuditEntry | None) -> Appeal | None:
    if decision is None:
        return None
    return db.session.scalar(select(Appeal).where(Appeal.decision_id == decision.id))


def window_closes(decision: AuditEntry) -> datetime:
    return decision.at + timedelta(days=get_setting("APPEAL_DAYS"))


@dataclass
class Standing:
    """What the author of a removed item sees: the decision, its reason, the appeal (if any) and whether one can
    still be made."""

    decision: AuditEntry
    appeal: Appeal | None
    closes_at: datetime
    can_appeal: bool


def standing(subject: str, item, user) -> Standing | None:
    """For the item's author while it is rejected or hidden (or after an appeal restored it): None otherwise."""
    entry = APPEALABLE.get(subject)
    if entry is None or user is None or not getattr(user, "is_authenticated", False) \
            or getattr(item, "author_id", None) != user.id:
        return None
    decision = decision_of(subject, item.id)
    if decision is None:
        return None
    appeal = appeal_of(decision)
    removed = entry.removed(item)
    if not removed and appeal is None:
        return None
    closes_at = window_closes(decision)
    return Standing(decision, appeal, closes_at, removed and appeal is None and utcnow() <= closes_at)


def pending_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Appeal)
                             .where(Appeal.status == AppealStatus.pending)) or 0


def queue() -> list[Appeal]:
    """Pending appeals, oldest first."""
    return list(db.session.scalars(select(Appeal).where(Appeal.status == AppealStatus.pending)
                                   .order_by(Appeal.created_at, Appeal.id)))


def item_of(appeal: Appeal):
    entry = appealable(appeal.subject_type)
    return entry, db.session.get(entry.model, appeal.subject_id)


# --- filing and deciding --------------------------------------------------------------------------------------

def file_appeal(actor, subject: str, item_id, text) -> Appeal:
    require_user(actor)
    entry = appealable(subject)
    item = db.session.get(entry.model, item_id) if isinstance(item_id, int) else None
    if item is None:
        raise NotFound()
    if item.author_id != actor.id:
        # Not "403: not yours": a rejected, hidden or pending item is not theirs to see, and the answer must not
        # tell that it exists.
        raise NotFound()
    decision = decision_of(subject, item.id) if entry.removed(item) else None
    if decision is None:
        raise Conflict(_l("반려되거나 숨겨진 글에만 이의를 신청할 수 있습니다."), code="not_removed")
    if appeal_of(decision) is not None:
        raise Conflict(_l("이 결정에는 이미 이의를 신청하셨습니다."), code="already_appealed")
    if utcnow() > window_closes(decision):
        raise Conflict(_l("이의 신청 기간(결정 후 %(days)d일)이 지났습니다.", days=get_setting("APPEAL_DAYS")),
                       code="appeal_window_closed")
    text = clean_text(text, "text", TEXT_MAX, missing=_l("이의 신청 내용을 적어 주세요."))
    appeal = insert_once(Appeal, ("decision_id",), subject_type=subject, subject_id=item.id,
                         decision_id=decision.id, author_id=actor.id, text=text, status=AppealStatus.pending)
    if appeal is None:  # a concurrent request of the same author won
        raise Conflict(_l("이 결정에는 이미 이의를 신청하셨습니다."), code="already_appealed")
    audit(actor, subject, item.id, "appealed")
    return appeal


def decide(appeal: Appeal, moderator, outcome, reason) -> Appeal:
    require_role(moderator, Role.moderator)
    if outcome not in set(OUTCOMES):
        raise ValidationError({"outcome": _l("받아들이기(upheld) 또는 기각(dismissed)을 골라 주세요.")})
    reason = clean_text(reason, "reason", REASON_MAX, missing=_l("결정 사유를 적어 주세요."))
    db.session.refresh(appeal, with_for_update=True)  # of two moderators deciding at once, the second waits
    if appeal.status != AppealStatus.pending:
        raise Conflict(_l("이미 결정된 이의 신청입니다."), code="already_decided")
    decision = db.session.get(AuditEntry, appeal.decision_id)
    if decision.actor_id == moderator.id:
        raise Forbidden(_l("처음 결정한 검토자가 아닌 다른 검토자가 결정해야 합니다."), code="same_moderator")
    if appeal.author_id == moderator.id:
        raise Forbidden(_l("자신의 이의 신청은 결정할 수 없습니다."), code="own_appeal")
    entry, item = item_of(appeal)
    if item is None:
        raise NotFound()
    if outcome == AppealStatus.upheld:
        if not entry.removed(item):
            raise Conflict(_l("이미 복원된 글입니다."), code="not_removed")
        entry.restore(item, moderator, reason)
    appeal.status, appeal.decided_at = AppealStatus(outcome), utcnow()
    appeal.decided_by_id, appeal.outcome_reason = moderator.id, reason
    audit(moderator, appeal.subject_type, appeal.subject_id, f"appeal_{outcome}", reason)
    _tell_author(appeal, entry, item)
    db.session.flush()
    return appeal


def _tell_author(appeal: Appeal, entry: Appealable, item) -> None:
    author = db.session.get(User, appeal.author_id) if appeal.author_id else None
    if author is None:
        return
    with force_locale(author.locale or "ko"):
        message = _("이의 신청 결과: '%(title)s' — %(outcome)s. 사유: %(reason)s", title=entry.title(item)[:60],
                    outcome=appeal.status_label, reason=appeal.outcome_reason[:150])
    notify([author], message[:300], entry.path(item))

