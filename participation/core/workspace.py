"""The moderation workspace (검토 작업 공간): every queue laid out and worked the same way.

A queue lists cases, the longest waiting first. A case is one item: waiting for a decision (a submitted petition, a
citizen's forum statement) or with open reports (a forum comment), or both. Each case shows the item's text, its
open reports grouped by reason with counts, and the acts possible on it now:

    publish   the item goes public                  reject    refused before publication (a reason category)
    hide      a public item is taken down (a reason)  dismiss   the reports are dismissed, the item stays (or
                                                                  shows again after an automatic hide)

A channel declares its kinds of item (`register_kind(Kind(...))`, next to its console entry) and its queue
(`register_queue(Queue(...))`); an act is the channel's own service — mostly a life-cycle move (`move()` makes the
act from the channel's table, core/lifecycle.py), so who may and from which state stays in one place. The name,
title and link of an item come from the public moderation log's registry (core/moderation_log.py).

One route acts on one case or on many (moderation/views.py): `act()` checks every key before it changes anything,
so a bulk act is all or none."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import render_template
from flask_babel import lazy_gettext as _l

from participation.core import moderation_log
from participation.core.errors import Conflict, NotFound, ValidationError
from participation.core.forms import MODERATION_REASONS
from participation.core.pagination import Page, page_arguments
from participation.core.reports import (
    REPORT_REASONS,
    ReportedItem,
    open_report_count,
    reported_items,
    resolve_reports,
)
from participation.core.settings import get_setting
from participation.core.time import utcnow
from participation.extensions import db

ACTS = ("publish", "reject", "hide", "dismiss")
# Acts that take an item down: a reason category, an explanation for "기타", and a ticked confirmation.
DESTRUCTIVE = frozenset({"reject", "hide"})
ACT_LABELS = {"publish": _l("공개"), "reject": _l("반려"), "hide": _l("숨기기"), "dismiss": _l("유지 (신고 기각)")}
BULK_MAX = 100


@dataclass(frozen=True)
class Act:
    """What an act does to an item (`run(item, actor, reason, category)`) and whether it can now."""

    run: Callable[[object, object, str | None, str | None], object]
    possible: Callable[[object], bool]


def move(lifecycle, target) -> Act:
    """The act that is the life-cycle move to `target`: possible while the item's state has that edge."""
    target = lifecycle.states(target)
    return Act(run=lambda item, actor, reason, category: lifecycle.move(item, target, actor, reason,
                                                                        category=category),
               possible=lambda item: target in lifecycle.allowed(item.state))


def dismissal(subject: str) -> Act:
    """Dismiss the item's open reports and keep it (the public moderation log's "keep")."""
    return Act(run=lambda item, actor, reason, category: resolve_reports(actor, subject, item.id, upheld=False),
               possible=lambda item: open_report_count(subject, item.id) > 0)


@dataclass(frozen=True)
class Kind:
    """One kind of item moderators act on; its label, title and link are the moderation log's (`subject`)."""

    subject: str
    text: Callable[[object], str]  # the item's text, shown in full (Markdown)
    acts: dict[str, Act]
    waiting: Callable[[], list] | None = None  # items waiting for a decision, the longest waiting first
    since: Callable[[object], datetime] | None = None  # since when a waiting item waits
    reasons: dict | None = None  # the reason labels of a reject (default: core.forms.MODERATION_REASONS)

    @property
    def label(self) -> str:
        return str(moderation_log.SUBJECTS[self.subject].label)


@dataclass(frozen=True)
class Queue:
    """A moderation queue: its kinds' waiting items and reported items, or (`waiting=False`) reported ones only."""

    name: str
    label: object
    subjects: tuple[str, ...] | None  # None: every registered kind
    sla: str  # the setting holding the review target in days for waiting items (reports: REPORT_REVIEW_DAYS)
    endpoint: str  # the page
    waiting: bool = True

    def kinds(self) -> list[Kind]:
        return [kind for subject, kind in KINDS.items() if self.subjects is None or subject in self.subjects]

    @property
    def reasons(self) -> dict:
        """The reason labels of a bulk reject: the queue's one kind's own, else the common ones."""
        rejecting = [kind for kind in self.kinds() if "reject" in kind.acts]
        if len(rejecting) == 1 and rejecting[0].reasons:
            return rejecting[0].reasons
        return MODERATION_REASONS


@dataclass
class ReportGroup:
    """An item's open reports of one reason: how many, and what the reporters wrote (always for "기타")."""

    category: str
    count: int
    texts: list[str]

    @property
    def label(self) -> str:
        return str(REPORT_REASONS.get(self.category, REPORT_REASONS["other"]))


@dataclass
class Case:
    kind: Kind
    item: object
    since: datetime
    sla_days: int
    reports: ReportedItem | None = None
    acts: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.kind.subject}:{self.item.id}"

    @property
    def described(self) -> moderation_log.Described:
        entry = moderation_log.SUBJECTS[self.kind.subject]
        return moderation_log.Described(str(entry.label), entry.title(self.item),
                                        entry.path(self.item) if entry.path else None)

    @property
    def report_groups(self) -> list[ReportGroup]:
        return group_reports(self.reports.reasons) if self.reports else []


def group_reports(reasons: list[tuple[str, str]]) -> list[ReportGroup]:
    """Reports of the same category together, the most frequent first, each with the words the reporters added."""
    groups: dict[str, ReportGroup] = {}
    for category, text in reasons:
        group = groups.setdefault(category, ReportGroup(category, 0, []))
        group.count += 1
        if text:
            group.texts.append(text)
    return sorted(groups.values(), key=lambda group: (-group.count, group.category == "other"))


KINDS: dict[str, Kind] = {}
QUEUES: dict[str, Queue] = {}


def register_kind(kind: Kind) -> None:
    KINDS[kind.subject] = kind


def register_queue(queue: Queue) -> None:
    QUEUES[queue.name] = queue


def queue_named(name: str) -> Queue:
    if name not in QUEUES:
        raise NotFound()
    return QUEUES[name]


def cases(queue: Queue, limit: int = 200) -> list[Case]:
    """The queue's cases, the longest waiting first: waiting items and items with open reports, one case each."""
    kinds = queue.kinds()
    found: dict[tuple[str, int], Case] = {}
    if queue.waiting:
        sla = get_setting(queue.sla)
        for kind in kinds:
            for item in (kind.waiting() if kind.waiting else [])[:limit]:
                found[(kind.subject, item.id)] = Case(kind, item, kind.since(item), sla)
    report_sla = get_setting("REPORT_REVIEW_DAYS")
    for reported in reported_items(tuple(kind.subject for kind in kinds), limit=limit):
        kind = KINDS[reported.subject_type]
        case = found.get((kind.subject, reported.subject_id))
        if case is None:
            item = db.session.get(_model(kind), reported.subject_id)
            if item is None:
                continue
            case = found[(kind.subject, item.id)] = Case(kind, item, reported.since, report_sla)
        case.reports = reported
    return sorted(found.values(), key=lambda case: (case.since, case.key))[:limit]


def _model(kind: Kind) -> type:
    return moderation_log.SUBJECTS[kind.subject].model


def parse_keys(values: list[str]) -> list[tuple[str, int]]:
    """`<subject>:<id>` keys, in order, without repeats; 422 when none or one is not such a key."""
    keys: list[tuple[str, int]] = []
    for value in values:
        subject, _colon, number = value.partition(":")
        if not number.isdigit() or len(number) > 9:
            raise ValidationError({"items": _l("알 수 없는 항목입니다: %(key)s", key=value[:60])})
        if (subject, int(number)) not in keys:
            keys.append((subject, int(number)))
    if not keys:
        raise ValidationError({"items": _l("처리할 항목을 하나 이상 고르세요.")})
    if len(keys) > BULK_MAX:
        raise ValidationError({"items": _l("한 번에 %(count)d건까지 처리할 수 있습니다.", count=BULK_MAX)})
    return keys


def act(queue: Queue, name: str, keys: list[tuple[str, int]], actor, reason: str | None = None,
        category: str | None = None) -> int:
    """Take the act `name` on every item of `keys`, or on none: each key is checked first — 404 when it is not an
    item of this queue's kinds or does not exist, 409 when the act is not possible on it now — then the channel's
    service acts (and checks again, under its lock). Flush, never commit. Returns how many items."""
    if name not in ACTS:
        raise ValidationError({"action": _l("처리 방법을 골라 주세요.")})
    kinds = {kind.subject: kind for kind in queue.kinds()}
    targets = []
    for subject, item_id in keys:
        kind = kinds.get(subject)
        item = db.session.get(_model(kind), item_id) if kind else None
        if item is None:
            raise NotFound(_l("이 대기열에 없는 항목입니다: %(key)s", key=f"{subject}:{item_id}"))
        if name not in kind.acts or not kind.acts[name].possible(item):
            raise Conflict(_l("'%(title)s'에는 지금 '%(act)s'을(를) 할 수 없습니다.",
                              title=moderation_log.SUBJECTS[subject].title(item), act=ACT_LABELS[name]),
                           code="not_possible")
        targets.append((kind, item))
    for kind, item in targets:
        kind.acts[name].run(item, actor, reason, category)
    db.session.flush()
    return len(targets)


def render(name: str, template: str = "moderation/queue.html", **context):
    """A queue's page in the shared layout (the macro `workspace` of templates/macros/queues.html)."""
    queue = queue_named(name)
    page, per_page = page_arguments(20)
    every = cases(queue)
    # After the last case of the last page was handled, that page is the one before.
    page = min(page, max(1, -(-len(every) // per_page)))
    shown = Page(items=every[(page - 1) * per_page:page * per_page], page=page, per_page=per_page, total=len(every))
    for case in shown.items:
        case.acts = [name for name in ACTS if name in case.kind.acts and case.kind.acts[name].possible(case.item)]
    return render_template(template, queue=queue, page=shown, now=utcnow(),
                           workspace_acts=ACTS, act_labels=ACT_LABELS, destructive_acts=DESTRUCTIVE, **context)
