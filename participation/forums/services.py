"""Forum writes: the life cycle, comments, likes, reports, statements and reactions. Flush, never commit."""

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from participation.accounts import identity
from participation.core import appeals, jobs, moderation_log
from participation.core.audit import audit
from participation.core.database import insert_once
from participation.core.errors import Conflict, InvalidTransition, NotFound, ValidationError
from participation.core.input import clean_text
from participation.core.lifecycle import Edge, Lifecycle
from participation.core.notifications import notify
from participation.core.permissions import Role, require_role, require_user, require_verified
from participation.core.reports import Report, file_report, resolve_reports, standing_reporter_count
from participation.core.settings import require_participation_open
from participation.core.time import end_of_kst_day, kst_today, utcnow
from participation.extensions import db
from participation.forums.models import (
    COMMENT_MAX,
    DEFAULT_DISCUSSION_DAYS,
    DEPARTMENTS_MAX,
    MAX_DISCUSSION_DAYS,
    STATEMENT_MAX,
    TEXT_MAX,
    TITLE_MAX,
    Comment,
    CommentLike,
    CommentState,
    Forum,
    ForumState,
    Reaction,
    ReactionValue,
    Stance,
    Statement,
    StatementState,
)

F = ForumState
# A forum's life cycle (core/lifecycle.py): draft → open → closed → answered, by staff. The system opens the
# forums the platform itself starts (a proposal's discussion) and closes forums at their time.
LIFECYCLE = Lifecycle("forum", F, [
    Edge(F.draft, F.open, Role.staff, system=True),
    Edge(F.open, F.closed, Role.staff, system=True),
    Edge(F.closed, F.answered, Role.staff),  # with the official answer: transition(..., answer="…")
])
# Jobs this channel schedules (core/jobs.py); the worker runs the functions of tasks.py named here.
jobs.register("recount:forum", "participation.forums.tasks.recount_forum")  # counts, stances, opinion map
jobs.register("notify:forum_answer", "participation.forums.tasks.tell_participants_of_answer", debounce=False)

AUTO_HIDE_REPORTS = 3
COMMENT_SUBJECT = "forum_comment"
M = Role.moderator
# A comment is hidden by a moderator, or by the system at AUTO_HIDE_REPORTS open reports until a moderator
# reviews it; a moderator shows a hidden comment again.
COMMENT_LIFECYCLE = Lifecycle(COMMENT_SUBJECT, CommentState, [
    Edge(CommentState.visible, CommentState.auto_hidden, system=True),
    Edge(CommentState.visible, CommentState.hidden, M, reason=True),
    Edge(CommentState.auto_hidden, CommentState.hidden, M, reason=True),
    Edge(CommentState.auto_hidden, CommentState.visible, M),
    Edge(CommentState.hidden, CommentState.visible, M),
])
# Citizens' statements wait for a moderator (staff's are approved when written).
STATEMENT_LIFECYCLE = Lifecycle("forum_statement", StatementState, [
    Edge(StatementState.pending, StatementState.approved, M),
    Edge(StatementState.pending, StatementState.rejected, M),
])


def _comment_title(comment: Comment) -> str:
    return _("'%(title)s'에 단 댓글", title=db.session.get(Forum, comment.forum_id).title)


def _restore_comment(comment: Comment, moderator, reason: str) -> None:
    COMMENT_LIFECYCLE.move(comment, CommentState.visible, moderator, reason)


appeals.register(appeals.Appealable(
    COMMENT_SUBJECT, _l("공론장 댓글"), Comment,
    removed=lambda comment: comment.state in (CommentState.hidden, CommentState.auto_hidden),
    restore=_restore_comment, title=_comment_title,
    path=lambda comment: f"/forums/{comment.forum_id}#comment-{comment.id}"))
moderation_log.register(moderation_log.LoggedSubject(
    COMMENT_SUBJECT, "forums", _l("공론장 댓글"), Comment, title=_comment_title,
    path=lambda comment: f"/forums/{comment.forum_id}#comment-{comment.id}"))
moderation_log.register(moderation_log.LoggedSubject(
    "forum_statement", "forums", _l("공론장 의견 문장"), Statement, title=lambda statement: statement.text,
    public_states=frozenset({StatementState.approved}), path=lambda statement: f"/forums/{statement.forum_id}"))


def can_see(forum: Forum, user) -> bool:
    """Drafts and imported Pol.is conversations are for staff only."""
    return (forum.state != ForumState.draft and not forum.imported_from) or is_staff(user)


def get_visible(forum_id: int, user) -> Forum:
    """The forum if this person may see it; to anyone else a draft does not exist (404, not 403)."""
    forum = db.session.get(Forum, forum_id)
    if forum is None or not can_see(forum, user):
        raise NotFound()
    return forum


def is_staff(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False) and actor.has_role(Role.staff)


def create_forum(actor, *, title, background, key_facts="", links="", departments="",
                 discussion_days=DEFAULT_DISCUSSION_DAYS, closes_at: datetime | None = None,
                 verification=identity.EMAIL) -> Forum:
    """Staff draft a forum (시민에게 묻습니다). It opens with `transition(..., open)`."""
    require_role(actor, Role.staff)
    errors: dict = {}
    fields = _subject_fields(errors, title=title, background=background, key_facts=key_facts, links=links,
                             departments=departments)
    if isinstance(discussion_days, bool) or not isinstance(discussion_days, int) \
            or not 1 <= discussion_days <= MAX_DISCUSSION_DAYS:
        errors["discussion_days"] = _l("1일에서 %(max)d일 사이로 정해 주세요.", max=MAX_DISCUSSION_DAYS)
    if closes_at is not None and (closes_at.tzinfo is None or closes_at <= utcnow()):
        errors["closes_at"] = _l("마감 시각은 시간대를 포함한 미래 시각이어야 합니다.")
    if verification not in identity.LEVELS:
        errors["verification"] = _l("email 또는 identity 중 하나여야 합니다.")
    if errors:
        raise ValidationError(errors)
    forum = Forum(**fields, discussion_days=discussion_days, closes_at=closes_at, created_by_id=actor.id,
                  verification=verification)
    db.session.add(forum)
    db.session.flush()
    audit(actor, "forum", forum.id, "created")
    return forum


def _subject_fields(errors: dict, *, title, background, key_facts="", links="", departments="") -> dict:
    """What a forum asks about, checked: the question, its background, key facts, links, the departments."""
    return {"title": clean_text(title, "title", TITLE_MAX, errors=errors),
            "background": clean_text(background, "background", TEXT_MAX, errors=errors),
            "key_facts": clean_text(key_facts, "key_facts", TEXT_MAX, required=False, errors=errors),
            "links": clean_text(links, "links", TEXT_MAX, required=False, errors=errors),
            "departments": clean_text(departments, "departments", DEPARTMENTS_MAX, required=False, errors=errors)}


def open_for_platform(*, title: str, background: str, links: str = "", departments: str = "",
                      reason: str) -> Forum:
    """The platform itself opens a forum, with no staff member behind it: a citizen proposal reached its
    discussion threshold (100 공감). It opens at once for the default discussion period."""
    errors: dict = {}
    fields = _subject_fields(errors, title=title, background=background, links=links, departments=departments)
    if errors:
        raise ValidationError(errors)
    forum = Forum(**fields)
    db.session.add(forum)
    db.session.flush()
    audit(None, "forum", forum.id, "created", reason)
    return transition(forum, ForumState.open, None, reason)


def withdraw_subject(forum: Forum, actor, *, title: str, background: str, reason: str) -> Forum:
    """The proposal a platform forum was copied from was hidden by a moderator: the copied text gives way
    to a notice and the discussion closes (comments stay under the forum's own moderation)."""
    require_role(actor, Role.moderator)
    forum.title, forum.background, forum.key_facts, forum.links = title, background, "", ""
    audit(actor, "forum", forum.id, "subject_withdrawn", reason)
    if forum.state == ForumState.open:
        transition(forum, ForumState.closed, None, reason)
    db.session.flush()
    return forum


def transition(forum: Forum, to, actor, reason: str | None = None, *, answer: str | None = None) -> Forum:
    """The one way a forum changes state; `actor` None is the system. Answering needs the official answer
    (Markdown); everyone who took part is told."""
    return LIFECYCLE.move(forum, to, actor, reason, answer=answer)


@LIFECYCLE.guard(F.open)
def _closes_later(forum: Forum, step) -> None:
    if forum.closes_at is not None and forum.closes_at <= step.at:
        raise ValidationError({"closes_at": _l("마감 시각이 이미 지났습니다.")})


@LIFECYCLE.guard(F.answered)
def _not_imported(forum: Forum, _step) -> None:
    if forum.imported_from:  # a conversation imported from Pol.is stays as it came
        raise InvalidTransition(forum.state, F.answered, ())


@LIFECYCLE.guard(F.answered)
def _answer_given(_forum: Forum, step) -> None:
    clean_text(step.context.get("answer"), "answer", TEXT_MAX)


@LIFECYCLE.on_enter(F.open)
def _opened(forum: Forum, step) -> None:
    if forum.closes_at is None:
        forum.closes_at = end_of_kst_day(kst_today() + timedelta(days=forum.discussion_days))
    forum.opened_at = step.at


@LIFECYCLE.on_enter(F.closed)
def _closed(forum: Forum, step) -> None:
    forum.closed_at = step.at
    _close_closing_poll(forum, step.actor, step.reason)


@LIFECYCLE.on_enter(F.answered)
def _answered(forum: Forum, step) -> None:
    forum.answer = step.context["answer"].strip()
    forum.answered_at = step.at
    # Thousands of participants are told by a job, not in the staff member's request (after the commit; if Redis
    # is down, the periodic sweep finds the forum by its empty answer_told_at).
    jobs.schedule("notify:forum_answer", forum.id)


def tell_participants_of_answer(forum_id: int) -> bool:
    """Tell an answered forum's participants, once: the conditional UPDATE of answer_told_at decides between
    the job and the sweep, and the notifications commit with it. Returns whether this call told them."""
    told = db.session.execute(
        update(Forum).where(Forum.id == forum_id, Forum.state == ForumState.answered,
                            Forum.answer_told_at.is_(None))
        .values(answer_told_at=utcnow()).execution_options(synchronize_session=False)).rowcount == 1
    if told:
        forum = db.session.get(Forum, forum_id)
        notify(participants(forum_id), str(_l("공론장 '%(title)s'에 서울시의 답변이 올라왔습니다.", title=forum.title)),
               f"/forums/{forum_id}#answer")
    return told


def answers_not_yet_told() -> list[int]:
    return list(db.session.scalars(select(Forum.id).where(
        Forum.state == ForumState.answered, Forum.answer_told_at.is_(None)).order_by(Forum.id)))


def attach_closing_poll(forum: Forum, actor, options, max_choices=1):
    """Staff add a closing vote to an open forum: a poll of the polls channel (엠보팅), open at once and
    closing with the discussion. One per forum."""
    from participation.polls import services as polls

    require_role(actor, Role.staff)
    if forum.closing_poll_id is not None:
        raise Conflict(_l("이미 마무리 투표가 있습니다."), code="closing_poll_exists")
    if forum.state != ForumState.open:
        raise Conflict(_l("의견을 받고 있는 공론장에만 마무리 투표를 붙일 수 있습니다."), code="forum_not_open")
    poll = polls.create_poll(actor, title=forum.title, options=options, max_choices=max_choices,
                             closes_at=forum.closes_at,
                             description=str(_l("공론장 '%(title)s'의 마무리 투표입니다.", title=forum.title)))
    polls.transition(poll, "open", actor)
    forum.closing_poll_id = poll.id
    audit(actor, "forum", forum.id, "closing_poll_attached", f"poll {poll.id}")
    db.session.flush()
    return poll


def _close_closing_poll(forum: Forum, actor, reason: str | None) -> None:
    """The closing vote ends with the discussion (the system's close is the poll's own deadline)."""
    from participation.polls import services as polls
    from participation.polls.models import Poll, PollState

    poll = db.session.get(Poll, forum.closing_poll_id) if forum.closing_poll_id else None
    if poll is not None and poll.state == PollState.open:
        polls.transition(poll, PollState.closed, actor,
                         None if actor is None else reason or str(_l("공론장 토론이 마감되었습니다.")))


def participants(forum_id: int) -> list:
    """Everyone who took part: commented, proposed a statement or reacted to one."""
    from participation.accounts.models import User

    ids = select(Comment.author_id).where(Comment.forum_id == forum_id).union(
        select(Statement.author_id).where(Statement.forum_id == forum_id),
        select(Reaction.user_id).join(Statement, Statement.id == Reaction.statement_id)
        .where(Statement.forum_id == forum_id))
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)))


def close_due_forums(now: datetime | None = None) -> int:
    """Close every open forum whose discussion period has ended."""
    now = now or utcnow()
    forums = db.session.scalars(select(Forum).where(Forum.state == ForumState.open, Forum.closes_at <= now))
    closed = 0
    for forum in forums:
        transition(forum, ForumState.closed, None, "deadline")
        closed += 1
    return closed


def _require_open(forum: Forum) -> None:
    if forum.state != ForumState.open:
        raise Conflict(_l("의견을 받고 있는 공론장이 아닙니다."), code="forum_not_open")


def _recount(forum_id: int) -> None:
    jobs.schedule("recount:forum", forum_id)


def add_comment(forum: Forum, actor, stance, body, parent_id=None) -> Comment:
    """A citizen comments with a stance (찬성 / 반대 / 기타), or replies to a top-level comment."""
    require_verified(actor)
    identity.require_level(actor, forum.verification)
    errors: dict = {}
    try:
        stance = Stance(stance)
    except ValueError:
        errors["stance"] = _l("찬성, 반대, 기타 중 하나를 골라 주세요.")
    body = clean_text(body, "body", COMMENT_MAX, errors=errors)
    parent = None
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id) if isinstance(parent_id, int) \
            and not isinstance(parent_id, bool) else None
        if parent is None or parent.forum_id != forum.id:
            errors["parent_id"] = _l("이 공론장의 댓글에만 답글을 달 수 있습니다.")
        elif parent.parent_id is not None:
            errors["parent_id"] = _l("답글에는 다시 답글을 달 수 없습니다.")
    if errors:
        raise ValidationError(errors)
    _require_open(forum)
    comment = Comment(forum_id=forum.id, parent_id=parent.id if parent else None, author_id=actor.id,
                      stance=stance, body=body)
    db.session.add(comment)
    db.session.flush()
    _recount(forum.id)
    return comment


def get_comment(forum: Forum, comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.forum_id != forum.id:
        raise NotFound()
    return comment


def like_comment(forum: Forum, comment: Comment, actor) -> None:
    """One like per person and comment (the primary key guarantees it)."""
    require_verified(actor)
    identity.require_level(actor, forum.verification)
    _require_open(forum)
    if comment.is_hidden:
        raise Conflict(_l("숨겨진 댓글입니다."), code="comment_hidden")
    if insert_once(CommentLike, ("comment_id", "user_id"), comment_id=comment.id, user_id=actor.id) is None:
        raise Conflict(_l("이미 좋아요를 눌렀습니다."), code="already_liked")
    _recount(forum.id)


def unlike_comment(forum: Forum, comment: Comment, actor) -> None:
    require_user(actor)
    _require_open(forum)
    like = db.session.get(CommentLike, (comment.id, actor.id))
    if like is None:
        raise NotFound()
    db.session.delete(like)
    db.session.flush()
    _recount(forum.id)


def report_comment(comment: Comment, actor, reason: str, category: str | None = None) -> Report:
    """A citizen reports a comment; three open reports from different people hide it until reviewed."""
    report = file_report(actor, COMMENT_SUBJECT, comment.id, reason, category, author_id=comment.author_id)
    if comment.state == CommentState.visible \
            and standing_reporter_count(COMMENT_SUBJECT, comment.id) >= AUTO_HIDE_REPORTS:
        COMMENT_LIFECYCLE.move(comment, CommentState.auto_hidden, None, "reports")
    db.session.flush()
    return report


def keep_comment(comment: Comment, actor) -> Comment:
    """A moderator keeps a reported comment: its reports are dismissed, and a comment that reports hid shows again
    (a moderator hides one with `COMMENT_LIFECYCLE.move(comment, "hidden", …)`, its reports upheld)."""
    if comment.state == CommentState.visible:
        require_role(actor, M)
        resolve_reports(actor, COMMENT_SUBJECT, comment.id, upheld=False)
        db.session.flush()
        return comment
    return COMMENT_LIFECYCLE.move(comment, CommentState.visible, actor)


@COMMENT_LIFECYCLE.on_enter(CommentState.hidden, CommentState.visible)
def _comment_moderated(comment: Comment, step) -> None:
    resolve_reports(step.actor, COMMENT_SUBJECT, comment.id, upheld=step.target == CommentState.hidden)
    _recount(comment.forum_id)


def add_statement(forum: Forum, actor, text) -> Statement:
    """A short statement (≤ 140 characters). Staff seed approved ones; citizens' wait for a moderator."""
    require_verified(actor)
    if not actor.has_role(Role.staff):
        identity.require_level(actor, forum.verification)
    errors: dict = {}
    text = clean_text(text, "text", STATEMENT_MAX, errors=errors)
    if errors:
        raise ValidationError(errors)
    if forum.state not in (ForumState.draft, ForumState.open) or (
            forum.state == ForumState.draft and not is_staff(actor)):
        raise Conflict(_l("의견을 받고 있는 공론장이 아닙니다."), code="forum_not_open")
    state = StatementState.approved if is_staff(actor) else StatementState.pending
    statement = Statement(forum_id=forum.id, author_id=actor.id, text=text, state=state)
    db.session.add(statement)
    db.session.flush()
    return statement


def moderate_statement(statement: Statement, actor, approve: bool, reason: str | None = None) -> Statement:
    target = StatementState.approved if approve else StatementState.rejected
    return STATEMENT_LIFECYCLE.move(statement, target, actor, reason)


@STATEMENT_LIFECYCLE.on_enter(StatementState.approved, StatementState.rejected)
def _statement_moderated(statement: Statement, _step) -> None:
    _recount(statement.forum_id)


def get_statement(forum: Forum, statement_id: int) -> Statement:
    statement = db.session.get(Statement, statement_id)
    if statement is None or statement.forum_id != forum.id:
        raise NotFound()
    return statement


def react(forum: Forum, statement: Statement, actor, value) -> tuple[Reaction, bool]:
    """Agree, disagree or pass. A second reaction changes the first; returns (reaction, created)."""
    require_participation_open()
    require_verified(actor)
    identity.require_level(actor, forum.verification)
    try:
        value = ReactionValue(value)
    except ValueError:
        raise ValidationError({"value": _l("agree, disagree, pass 중 하나여야 합니다.")}) from None
    _require_open(forum)
    if statement.state != StatementState.approved:
        raise NotFound()
    reaction = db.session.get(Reaction, (statement.id, actor.id))
    created = reaction is None
    if created:
        reaction = insert_once(Reaction, ("statement_id", "user_id"), statement_id=statement.id, user_id=actor.id,
                               value=value)
        if reaction is None:
            # Someone (the same person, in another tab) reacted in between: change that row instead.
            created = False
            reaction = db.session.get(Reaction, (statement.id, actor.id))
    if not created:
        reaction.value = value
        reaction.reacted_at = utcnow()
    db.session.flush()
    _recount(forum.id)
    return reaction, created

