"""Reports (신고) of any channel's item.

A citizen reports an item once, for one of REPORT_REASONS ("기타" needs an explanation); moderators see an item's
reports grouped by reason (core/workspace.py) and resolve them. Channels decide what a number of open
reports does (forums hide a comment at three reports from different people)."""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column

from participation.accounts.models import User
from participation.core.audit import audit
from participation.core.database import insert_once
from participation.core.errors import Conflict, Forbidden, ValidationError
from participation.core.input import clean_text
from participation.core.models import Base
from participation.core.permissions import Role, require_role, require_user
from participation.core.settings import get_setting
from participation.core.time import utcnow
from participation.extensions import db

REASON_MAX = 500
# Why a citizen reports an item: the moderators' reason categories that a reader can judge (core/forms.py's
# MODERATION_REASONS); "other" needs an explanation. A report filed without a category is an "other" one.
REPORT_REASONS = {
    "abusive": _l("욕설·비방·혐오"), "personal_data": _l("개인정보·명예 침해"), "advertising": _l("광고·홍보"),
    "duplicate": _l("중복"), "off_topic": _l("주제와 무관"), "other": _l("기타"),
}


class ReportStatus(enum.StrEnum):
    open = "open"
    upheld = "upheld"
    dismissed = "dismissed"


class Report(Base):
    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("subject_type", "subject_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int]
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(20), default="other", server_default="other")
    reason: Mapped[str] = mapped_column(Text)  # the reporter's words ("" when the category says it all)
    status: Mapped[ReportStatus] = mapped_column(String(20), default=ReportStatus.open, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


def require_standing(actor) -> None:
    """Only an account with a verified e-mail, at least REPORT_MIN_ACCOUNT_HOURS old, may report: three accounts
    made a minute ago must not hide a citizen's comment."""
    require_user(actor)
    if not actor.email_verified:
        raise Forbidden(_l("이메일을 인증한 계정만 신고할 수 있습니다."), code="email_not_verified")
    hours = get_setting("REPORT_MIN_ACCOUNT_HOURS")
    if actor.created_at > utcnow() - timedelta(hours=hours):
        raise Forbidden(_l("가입하고 %(hours)d시간이 지나야 신고할 수 있습니다.", hours=hours), code="account_too_new")


def file_report(actor, subject_type: str, subject_id: int, reason: str, category: str | None = None, *,
                author_id: int | None) -> Report:
    """`category`: one of REPORT_REASONS (None: "other"); the `reason` is required for "other". `author_id`: who
    wrote the item; nobody reports their own (pages do not offer it; a request made by hand gets a 403)."""
    require_standing(actor)
    if author_id is not None and author_id == actor.id:
        raise Forbidden(_l("내가 쓴 글은 신고할 수 없습니다."), code="own_item")
    category = category or "other"
    if category not in REPORT_REASONS:
        raise ValidationError({"category": _l("신고 사유를 목록에서 골라 주세요.")})
    reason = clean_text(reason, "reason", REASON_MAX, required=category == "other",
                        missing=_l("'기타'를 고르면 신고 사유를 적어 주세요."))
    report = insert_once(Report, ("subject_type", "subject_id", "reporter_id"), subject_type=subject_type,
                         subject_id=subject_id, reporter_id=actor.id, category=category, reason=reason)
    if report is None:
        raise Conflict(_l("이미 신고하셨습니다."), code="already_reported")
    return report


def open_report_count(subject_type: str, subject_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Report).where(
        Report.subject_type == subject_type, Report.subject_id == subject_id,
        Report.status == ReportStatus.open)) or 0


def standing_reporter_count(subject_type: str, subject_id: int) -> int:
    """Distinct reporters of the item's open reports whose accounts may report now (verified, old enough, neither
    deleted nor suspended): what an automatic hide counts."""
    cutoff = utcnow() - timedelta(hours=get_setting("REPORT_MIN_ACCOUNT_HOURS"))
    return db.session.scalar(
        select(func.count(Report.reporter_id.distinct())).join(User, User.id == Report.reporter_id).where(
            Report.subject_type == subject_type, Report.subject_id == subject_id, Report.status == ReportStatus.open,
            User.email_verified_at.is_not(None), User.created_at <= cutoff, User.deleted_at.is_(None),
            User.suspended_at.is_(None))) or 0


def open_reports(subject_type: str | None = None) -> list[Report]:
    statement = select(Report).where(Report.status == ReportStatus.open).order_by(Report.id)
    if subject_type:
        statement = statement.where(Report.subject_type == subject_type)
    return list(db.session.scalars(statement))


@dataclass
class ReportedItem:
    """One item's open reports: how many, their (category, words), and since when it waits (the first report)."""

    subject_type: str
    subject_id: int
    count: int
    reasons: list[tuple[str, str]]
    since: datetime


def reported_items(subject_types: tuple[str, ...] | None = None, limit: int = 200) -> list[ReportedItem]:
    """Items with open reports, the longest waiting first (one row per item, not per report)."""
    statement = (select(Report.subject_type, Report.subject_id, func.count(), func.min(Report.created_at))
                 .where(Report.status == ReportStatus.open).group_by(Report.subject_type, Report.subject_id)
                 .order_by(func.min(Report.created_at), Report.subject_type, Report.subject_id).limit(limit))
    if subject_types is not None:
        statement = statement.where(Report.subject_type.in_(subject_types))
    groups = [ReportedItem(kind, item_id, count, [], since) for kind, item_id, count, since
              in db.session.execute(statement)]
    if groups:
        index = {(group.subject_type, group.subject_id): group for group in groups}
        for kind, item_id, category, reason in db.session.execute(
                select(Report.subject_type, Report.subject_id, Report.category, Report.reason).where(
                    Report.status == ReportStatus.open, Report.subject_id.in_({g.subject_id for g in groups}))
                .order_by(Report.id)):
            if (kind, item_id) in index:
                index[(kind, item_id)].reasons.append((category, reason))
    return groups


def resolve_reports(actor, subject_type: str, subject_id: int, upheld: bool) -> int:
    require_role(actor, Role.moderator)
    reports = db.session.scalars(select(Report).where(
        Report.subject_type == subject_type, Report.subject_id == subject_id,
        Report.status == ReportStatus.open)).all()
    for report in reports:
        report.status = ReportStatus.upheld if upheld else ReportStatus.dismissed
        report.resolved_at, report.resolved_by_id = utcnow(), actor.id
    if reports:
        audit(actor, subject_type, subject_id, "reports_upheld" if upheld else "reports_dismissed")
    return len(reports)
