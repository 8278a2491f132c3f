"""The public moderation log and the monthly transparency report, read from the audit rows.

Every moderation act on public content is already an audit row (core/audit.py): a life-cycle move writes
"<from>-><to>", and the other acts write their own action names. `act_of(action)` names the act by the shape of
the action alone, so a new channel's moves, or a new act such as `voided`, appear without code here:

    …->rejected  reject        …->hidden / hidden   hide       …->auto_hidden  auto_hide
    rejected|hidden|auto_hidden->…  restore        voided / unvoided  void / unvoid
    appeal_upheld / appeal_dismissed               reports_dismissed  keep (reports dismissed, item kept)

A row is in the log when its act is one of these and its subject is registered here (`register(LoggedSubject)`,
one line in the channel's services: which channel, how the item is called and where its title is). The log shows
the date, channel, item (its title if it was ever public, else "an unpublished item"), act, reason category and
whether the platform acted by itself — never who moderated or who reported: the actor's id is read only as
"a person or the platform", and the free-text reason (which may name people) is never shown."""

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from statistics import median

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from participation.core.audit import AuditEntry
from participation.core.pagination import Page, paginate
from participation.core.settings import setting_at
from participation.core.time import KST, to_kst
from participation.extensions import db

REMOVALS = ("rejected", "hidden", "auto_hidden")
NAMED_ACTS = {"hidden": "hide", "unhidden": "restore", "voided": "void", "unvoided": "unvoid",
              "appeal_upheld": "appeal_upheld", "appeal_dismissed": "appeal_dismissed", "reports_dismissed": "keep"}
ACT_LABELS = {
    "reject": _l("반려"), "hide": _l("숨김"), "auto_hide": _l("자동 숨김 (신고 누적)"), "restore": _l("복원"),
    "void": _l("무효 처리"), "unvoid": _l("무효 취소"), "appeal_upheld": _l("이의 신청 받아들임"),
    "appeal_dismissed": _l("이의 신청 기각"), "keep": _l("신고 기각 (유지)"),
}
# Reason categories: a moderator picks one (petitions' rejection reasons are these); acts without one show "none".
REASON_LABELS = {
    "duplicate": _l("중복"), "not_city": _l("서울시 소관 아님"), "personal_data": _l("개인정보·명예 침해"),
    "abusive": _l("욕설·비방·혐오"), "advertising": _l("광고·홍보"), "unclear": _l("내용 불분명"),
    "off_topic": _l("주제와 무관"), "reports": _l("신고 누적"), "other": _l("기타"), "none": _l("분류 없음"),
}
UNPUBLISHED = _l("공개된 적 없는 글")
UNKNOWN_ITEM = _l("삭제된 글")


def act_of(action: str) -> str | None:
    """The moderation act an audit action is, or None (see the module's docstring)."""
    name = action.split(":", 1)[0]
    if name in NAMED_ACTS:
        return NAMED_ACTS[name]
    source, arrow, target = action.partition("->")
    if not arrow:
        return None
    if target in REMOVALS:
        return {"rejected": "reject", "hidden": "hide", "auto_hidden": "auto_hide"}[target]
    return "restore" if source in REMOVALS else None


def _act_filter():
    """SQL that finds the rows `act_of` names (it then names each)."""
    patterns = [f"%->{state}" for state in REMOVALS] + [f"{state}->%" for state in REMOVALS]
    return or_(*(AuditEntry.action.like(pattern) for pattern in patterns),
               *(AuditEntry.action == name for name in NAMED_ACTS),
               *(AuditEntry.action.like(f"{name}:%") for name in NAMED_ACTS))


@dataclass(frozen=True)
class LoggedSubject:
    """A kind of public item whose moderation the log shows."""

    subject: str  # the audit log's subject_type
    channel: str  # petitions, proposals, polls, forums …
    label: object  # 청원, 제안 댓글 …
    model: type
    title: Callable[[object], str]
    # The states in which the item is public; None: public from the moment it is written (comments).
    public_states: frozenset[str] | None = None
    path: Callable[[object], str] | None = None  # where a moderator finds it


@dataclass
class Described:
    """An item as a moderation queue names it: "청원: 심야버스 노선을 늘려 주세요", linked."""

    label: str
    title: str | None
    path: str | None


def describe(subject: str, item_id: int) -> Described:
    entry = SUBJECTS.get(subject)
    item = db.session.get(entry.model, item_id) if entry else None
    if entry is None or item is None:
        return Described(str(UNKNOWN_ITEM), None, None)
    return Described(str(entry.label), entry.title(item), entry.path(item) if entry.path else None)


SUBJECTS: dict[str, LoggedSubject] = {}
CHANNEL_LABELS = {"petitions": _l("청원"), "proposals": _l("시민제안"), "polls": _l("시민 투표"),
                  "forums": _l("공론장"), "surveys": _l("여론조사"), "budgets": _l("주민참여예산")}


def register(subject: LoggedSubject) -> None:
    SUBJECTS[subject.subject] = subject


@dataclass
class LogRow:
    at: datetime
    channel: str
    subject: str
    item_id: int
    title: str | None  # None: never public
    act: str
    category: str
    automatic: bool

    @property
    def act_label(self) -> str:
        return str(ACT_LABELS[self.act])

    @property
    def channel_label(self) -> str:
        return str(CHANNEL_LABELS.get(self.channel, self.channel))

    @property
    def subject_label(self) -> str:
        return str(SUBJECTS[self.subject].label)

    @property
    def category_label(self) -> str:
        return str(REASON_LABELS.get(self.category, REASON_LABELS["other"]))

    def as_json(self) -> dict:
        return {"at": self.at.isoformat(), "channel": self.channel, "item_type": self.subject,
                "item_id": self.item_id, "title": self.title, "act": self.act, "reason": self.category,
                "automatic": self.automatic}


def statement(channel: str | None = None, start: datetime | None = None, end: datetime | None = None):
    subjects = [name for name, subject in SUBJECTS.items() if channel in (None, subject.channel)]
    statement = (select(AuditEntry).where(AuditEntry.subject_type.in_(subjects), _act_filter())
                 .order_by(AuditEntry.id.desc()))
    if start is not None:
        statement = statement.where(AuditEntry.at >= start)
    if end is not None:
        statement = statement.where(AuditEntry.at < end)
    return statement


def category_of(entry: AuditEntry, act: str) -> str:
    if entry.category:
        return entry.category
    return "reports" if act == "auto_hide" else "none"


def rows(entries: list[AuditEntry]) -> list[LogRow]:
    """The log's rows for these audit rows (those that are moderation acts), titles read in one query per kind."""
    entries = [entry for entry in entries if act_of(entry.action) and entry.subject_type in SUBJECTS]
    ids: dict[str, set[int]] = defaultdict(set)
    for entry in entries:
        ids[entry.subject_type].add(entry.subject_id)
    titles = {subject: _public_titles(SUBJECTS[subject], item_ids) for subject, item_ids in ids.items()}
    result = []
    for entry in entries:
        act, subject = act_of(entry.action), SUBJECTS[entry.subject_type]
        result.append(LogRow(at=entry.at, channel=subject.channel, subject=subject.subject,
                             item_id=entry.subject_id, title=titles[subject.subject].get(entry.subject_id),
                             act=act, category=category_of(entry, act), automatic=entry.actor_id is None))
    return result


def _public_titles(subject: LoggedSubject, item_ids: set[int]) -> dict[int, str]:
    """Titles of the items that were ever public: public now, or moved into a public state once (the audit
    rows say so); comments are public when written."""
    items = db.session.scalars(select(subject.model).where(subject.model.id.in_(item_ids))).all()
    if subject.public_states is None:
        return {item.id: subject.title(item) for item in items}
    once_public = set()
    moves = db.session.execute(select(AuditEntry.subject_id, AuditEntry.action).where(
        AuditEntry.subject_type == subject.subject, AuditEntry.subject_id.in_(item_ids),
        AuditEntry.action.like("%->%")))
    for item_id, action in moves:
        if action.partition("->")[2] in subject.public_states:
            once_public.add(item_id)
    return {item.id: subject.title(item) for item in items
            if item.id in once_public or str(item.state) in subject.public_states}


def log_page(page: int, per_page: int, channel: str | None = None) -> Page:
    result = paginate(statement(channel), page, per_page)
    result.items = rows(result.items)
    return result


# --- the monthly transparency report --------------------------------------------------------------------------

@dataclass
class MonthReport:
    channel: str
    month: str  # YYYY-MM (Seoul time)
    acts: Counter  # act -> count
    reasons: Counter  # (act, category) -> count
    automatic: int
    decisions: int  # queue decisions timed (published or rejected from the review queue)
    median_hours: float | None
    within_sla: int
    sla_days: int | None

    @property
    def channel_label(self) -> str:
        return str(CHANNEL_LABELS.get(self.channel, self.channel))


def month_bounds(month: str) -> tuple[datetime, datetime]:
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=KST)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=KST)
    return start, end


def month_of(moment: datetime) -> str:
    return to_kst(moment).strftime("%Y-%m")


def decision_hours(entries: list[AuditEntry], subject: LoggedSubject) -> list[float]:
    """Hours from entering review (the newest "…->pending" row before, or the item's creation) to each decision
    taken on a pending item (published or rejected)."""
    decided = [entry for entry in entries if entry.action.startswith("pending->") and entry.actor_id is not None]
    if not decided:
        return []
    item_ids = {entry.subject_id for entry in decided}
    entered: dict[int, list[datetime]] = defaultdict(list)
    for item_id, at in db.session.execute(select(AuditEntry.subject_id, AuditEntry.at).where(
            AuditEntry.subject_type == subject.subject, AuditEntry.subject_id.in_(item_ids),
            AuditEntry.action.like("%->pending"))):
        entered[item_id].append(at)
    created = dict(db.session.execute(select(subject.model.id, subject.model.created_at)
                                      .where(subject.model.id.in_(item_ids))).all())
    hours = []
    for entry in decided:
        starts = [at for at in entered[entry.subject_id] if at <= entry.at]
        start = max(starts) if starts else created.get(entry.subject_id)
        if start is not None:
            hours.append((entry.at - start).total_seconds() / 3600)
    return hours


SLA_SETTINGS = {"petitions": "PETITION_REVIEW_DAYS", "proposals": "PROPOSAL_REVIEW_DAYS",
                "polls": "POLL_REVIEW_DAYS", "forums": "STATEMENT_REVIEW_DAYS"}


def monthly(channel: str, month: str) -> MonthReport:
    start, end = month_bounds(month)
    subjects = [subject for subject in SUBJECTS.values() if subject.channel == channel]
    entries = list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.subject_type.in_([s.subject for s in subjects]),
                                 AuditEntry.at >= start, AuditEntry.at < end).order_by(AuditEntry.id)))
    acts, reasons, automatic = Counter(), Counter(), 0
    for entry in entries:
        act = act_of(entry.action)
        if act is None:
            continue
        acts[act] += 1
        reasons[(act, category_of(entry, act))] += 1
        automatic += entry.actor_id is None
    hours = [value for subject in subjects
             for value in decision_hours([e for e in entries if e.subject_type == subject.subject], subject)]
    sla = SLA_SETTINGS.get(channel)
    sla_days = setting_at(sla, end) if sla else None
    within = sum(value <= sla_days * 24 for value in hours) if sla_days is not None else 0
    return MonthReport(channel=channel, month=month, acts=acts, reasons=reasons, automatic=automatic,
                       decisions=len(hours), median_hours=round(median(hours), 1) if hours else None,
                       within_sla=within, sla_days=sla_days)
