"""Proposal transitions and writes: check, audit, flush — never commit."""

from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import lazyload

from participation.accounts.models import User
from participation.core import appeals, jobs, moderation_log, networks, settings, trending
from participation.core.audit import audit
from participation.core.database import insert_once, inserted_once
from participation.core.errors import Conflict, NotFound, ValidationError
from participation.core.input import clean_text
from participation.core.lifecycle import Edge, Lifecycle
from participation.core.notifications import notify
from participation.core.permissions import Role, require_role, require_user, require_verified
from participation.core.reports import resolve_reports
from participation.core.seoul import CATEGORIES, DISTRICTS
from participation.core.time import end_of_kst_day, kst_today, to_kst, utcnow
from participation.extensions import db
from participation.forums import services as forums
from participation.forums.models import Forum
from participation.proposals.models import (
    DEPARTMENT_NAME_MAX,
    TEXT_MAX,
    TITLE_MAX,
    AnswerOutcome,
    Department,
    Follow,
    Proposal,
    ProposalSource,
    ProposalState,
    Support,
)

# Jobs this channel schedules (core/jobs.py); the worker runs the functions of tasks.py named here.
jobs.register("recount:proposal", "participation.proposals.tasks.recount_proposal")  # after supports, a merge

SUBJECT = "proposal"
COMMENT_SUBJECT = "proposal_comment"
S = ProposalState

M = Role.moderator
# A proposal's life cycle (core/lifecycle.py): pending → open (30 days of 공감) → under_review → answered, with
# rejection, hiding and merging into another proposal. The system sends a proposal to its department when the
# support count reaches the review threshold, and closes the ones that stay below it at the end of the period.
LIFECYCLE = Lifecycle(SUBJECT, S, [
    Edge(S.pending, S.open, M),
    Edge(S.pending, S.rejected, M, reason=True),
    Edge(S.pending, S.hidden, M, reason=True),
    Edge(S.pending, S.merged, M),  # through merge(), which moves the supports first
    Edge(S.open, S.under_review, M, system=True),  # a moderator forwards early, or the review threshold
    Edge(S.open, S.closed, system=True),  # the support period ended below the review threshold
    Edge(S.open, S.hidden, M, reason=True),
    Edge(S.open, S.merged, M),
    Edge(S.closed, S.under_review, M),
    Edge(S.closed, S.hidden, M, reason=True),
    Edge(S.closed, S.merged, M),
    Edge(S.under_review, S.answered, Role.staff),  # through answer(), which writes the answer first
    Edge(S.under_review, S.hidden, M, reason=True),
    Edge(S.answered, S.hidden, M, reason=True),
    # An upheld appeal (core/appeals.py): a rejected proposal is published, a hidden one goes back where it was.
    Edge(S.rejected, S.open, M, reason=True, via=appeals.VIA),
    *(Edge(S.hidden, state, M, reason=True, via=appeals.VIA)
      for state in (S.open, S.closed, S.under_review, S.answered)),
])
PUBLIC_STATES = {S.open, S.closed, S.under_review, S.answered, S.merged}


# --- who sees what ------------------------------------------------------------------------------------------

def can_see(proposal: Proposal, user) -> bool:
    if proposal.state in PUBLIC_STATES:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.has_role(Role.moderator):
        return True
    return proposal.author_id == user.id  # the author sees their own item, hidden too, and why


# A support needs the proposal's row only, not its author (joined by default).
ROW_ONLY = (lazyload(Proposal.author),)


def get_visible(proposal_id: int, user, *, row_only: bool = False) -> Proposal:
    """The proposal if this user may see it; someone else's pending proposal does not exist for them."""
    proposal = db.session.get(Proposal, proposal_id, options=ROW_ONLY if row_only else ())
    if proposal is None or not can_see(proposal, user):
        raise NotFound(_l("제안을 찾을 수 없습니다."))
    return proposal


def _restore(proposal: Proposal, moderator, reason: str) -> None:
    decision = appeals.decision_of(SUBJECT, proposal.id)
    transition(proposal, appeals.restore_target(decision, S.open), moderator, reason, via=appeals.VIA)


def _path(proposal: Proposal) -> str:
    return f"/proposals/{proposal.id}"


appeals.register(appeals.Appealable(
    SUBJECT, _l("시민제안"), Proposal, removed=lambda proposal: proposal.state in (S.rejected, S.hidden),
    restore=_restore, title=lambda proposal: proposal.title, path=_path))
moderation_log.register(moderation_log.LoggedSubject(
    SUBJECT, "proposals", _l("시민제안"), Proposal, title=lambda proposal: proposal.title,
    public_states=frozenset(PUBLIC_STATES), path=_path))


# --- the state machine --------------------------------------------------------------------------------------

# The one way a proposal changes state; `actor` None is the system (threshold and deadline jobs).
transition = LIFECYCLE.move


@LIFECYCLE.guard(S.answered)
def _answer_written(proposal: Proposal, _step) -> None:
    if not proposal.answer_body:
        raise ValidationError({"answer_body": _l("답변 내용을 적어 주세요.")})


@LIFECYCLE.on_enter(S.open)
def _published(proposal: Proposal, step) -> None:
    if step.source != S.hidden:  # a restored proposal keeps its support period
        start_support_period(proposal, step.at)


@LIFECYCLE.on_enter(S.rejected)
def _rejected(proposal: Proposal, step) -> None:
    proposal.rejection_reason = step.reason


@LIFECYCLE.on_enter(S.under_review)
def _forwarded(proposal: Proposal, step) -> None:
    """To the responsible department: by a moderator (forwarded early) or by the review threshold (once: a
    restored proposal keeps its dates)."""
    if step.source == S.hidden:
        return
    proposal.review_started_at = step.at
    proposal.forwarded = not step.by_system
    proposal.answer_due_at = end_of_kst_day(kst_today() + timedelta(days=proposal.answer_days or 0))


@LIFECYCLE.on_enter(S.hidden)
def _hidden(proposal: Proposal, step) -> None:
    resolve_reports(step.actor, SUBJECT, proposal.id, upheld=True)
    _withdraw_forum(proposal, step.actor, step.reason)


@LIFECYCLE.on_enter(*S)
def _tell_followers_of_the_move(proposal: Proposal, _step) -> None:
    _tell_followers(proposal, _("제안 '%(title)s'이(가) '%(state)s' 상태가 되었습니다.",
                                title=proposal.title, state=proposal.state_label))


def opening_rules() -> dict:
    """The rules in force now, which a proposal keeps from the day it opens."""
    return {"closes_at": end_of_kst_day(kst_today() + timedelta(days=settings.get_setting("PROPOSAL_SUPPORT_DAYS"))),
            "review_threshold": settings.get_setting("PROPOSAL_REVIEW_THRESHOLD"),
            "discussion_threshold": settings.get_setting("PROPOSAL_DISCUSSION_THRESHOLD"),
            "answer_days": settings.get_setting("PROPOSAL_ANSWER_DAYS"),
            "mayor_threshold": settings.get_setting("PROPOSAL_MAYOR_THRESHOLD")}


def start_support_period(proposal: Proposal, now: datetime, rules: dict | None = None) -> None:
    """Publish: 공감 is open for the configured days, under the rules in force now."""
    proposal.published_at = now
    for name, value in (rules or opening_rules()).items():
        setattr(proposal, name, value)


def followers(proposal: Proposal) -> list[User]:
    return list(db.session.scalars(select(User).join(Follow, Follow.user_id == User.id)
                                   .where(Follow.proposal_id == proposal.id).order_by(User.id)))


def _tell_followers(proposal: Proposal, message: str) -> None:
    notify(followers(proposal), message[:300], f"/proposals/{proposal.id}")


# --- writing and editing ------------------------------------------------------------------------------------

def clean_fields(data: dict) -> dict:
    """Check a proposal's fields; return them trimmed. Raises ValidationError naming each bad field."""
    errors: dict = {}
    cleaned = {name: clean_text(data.get(name), name, limit, required=required, errors=errors,
                                missing=_l("필수 항목입니다."))
               for name, required, limit in (("title", True, TITLE_MAX), ("body", True, TEXT_MAX),
                                             ("problem", False, TEXT_MAX), ("expected_effect", False, TEXT_MAX))}
    if data.get("category") not in CATEGORIES:
        errors["category"] = _l("분야를 골라 주세요.")
    cleaned["category"] = data.get("category")
    district = data.get("district") or None
    if district is not None and district not in DISTRICTS:
        errors["district"] = _l("서울시 25개 자치구 중 하나이거나 서울시 전체여야 합니다.")
    cleaned["district"] = district
    if errors:
        raise ValidationError(errors)
    return cleaned


def submit(actor, data: dict) -> Proposal:
    """A citizen's proposal from the web: it waits for a moderator."""
    require_verified(actor)
    fields = clean_fields(data)
    proposal = Proposal(source=ProposalSource.web, author_id=actor.id, state=S.pending, submitted_at=utcnow(),
                        **fields)
    db.session.add(proposal)
    db.session.flush()
    audit(actor, SUBJECT, proposal.id, "submitted")
    follow(proposal, actor)
    return proposal


def edit(proposal: Proposal, actor, data: dict) -> Proposal:
    """The author edits until a moderator publishes it."""
    require_user(actor)
    if proposal.author_id != actor.id:
        raise NotFound(_l("제안을 찾을 수 없습니다."))
    if proposal.state != S.pending:
        raise Conflict(_l("공개된 제안은 고칠 수 없습니다."), code="not_editable")
    for name, value in clean_fields(data).items():
        setattr(proposal, name, value)
    audit(actor, SUBJECT, proposal.id, "edited")
    db.session.flush()
    return proposal


def enter_for_committee(actor, data: dict, submitted_on) -> Proposal:
    """Staff enter a youth committee proposal (청소년 참여위원회): public at once, dated by its entry day."""
    require_role(actor, Role.staff)
    fields = clean_fields(data)
    if submitted_on is None or submitted_on > kst_today():
        raise ValidationError({"submitted_on": _l("오늘이나 그 이전 날짜를 적어 주세요.")})
    proposal = Proposal(source=ProposalSource.youth_committee, entered_by_id=actor.id, state=S.open,
                        submitted_at=min(end_of_kst_day(submitted_on) - timedelta(hours=12), utcnow()), **fields)
    start_support_period(proposal, utcnow())
    db.session.add(proposal)
    db.session.flush()
    audit(actor, SUBJECT, proposal.id, "entered->open")
    return proposal


# --- supports (공감) -----------------------------------------------------------------------------------------

def _recount_later(proposal_id: int) -> None:
    jobs.schedule("recount:proposal", proposal_id)


def support(proposal: Proposal, actor) -> None:
    settings.require_participation_open()
    require_verified(actor)
    if not can_see(proposal, actor):
        raise NotFound(_l("제안을 찾을 수 없습니다."))
    if not proposal.accepts_supports:
        raise Conflict(_l("지금은 이 제안에 공감할 수 없습니다."), code="not_open")
    if not inserted_once(Support, ("proposal_id", "user_id"), proposal_id=proposal.id, user_id=actor.id,
                         network_hash=networks.network_hash()):
        raise Conflict(_l("이미 공감하셨습니다."), code="already_supported")
    trending.participated("proposals", proposal.id)
    _recount_later(proposal.id)


def withdraw_support(proposal: Proposal, actor) -> None:
    settings.require_participation_open()
    require_user(actor)
    if not can_see(proposal, actor):
        raise NotFound(_l("제안을 찾을 수 없습니다."))
    if not proposal.accepts_supports:
        raise Conflict(_l("공감 기간이 끝나 취소할 수 없습니다."), code="not_open")
    result = db.session.execute(delete(Support).where(Support.proposal_id == proposal.id,
                                                      Support.user_id == actor.id))
    if result.rowcount == 0:
        raise Conflict(_l("공감한 적이 없습니다."), code="not_supported")
    _recount_later(proposal.id)


def has_supported(proposal: Proposal, user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(select(Support.id).where(Support.proposal_id == proposal.id,
                                                      Support.user_id == user.id)) is not None


# --- following ----------------------------------------------------------------------------------------------


def _withdraw_forum(proposal: Proposal, actor, reason: str | None) -> None:
    """A hidden proposal's text must not live on in the forum copied from it."""
    if proposal.discussion_forum_id is None:
        return
    with force_locale("ko"):  # the forum's own text, read by everyone: Korean, not the moderator's language
        title = _("숨겨진 시민제안의 공론장")
        notice = _("이 공론장의 바탕이 된 시민제안은 운영 원칙에 따라 숨겨졌습니다.")
    forums.withdraw_subject(db.session.get(Forum, proposal.discussion_forum_id), actor,
                            title=title, background=notice, reason=reason)


def follow(proposal: Proposal, actor) -> None:
    require_user(actor)
    if not can_see(proposal, actor):
        raise NotFound(_l("제안을 찾을 수 없습니다."))
    insert_once(Follow, ("proposal_id", "user_id"), proposal_id=proposal.id, user_id=actor.id)  # twice is once


def unfollow(proposal: Proposal, actor) -> None:
    require_user(actor)
    db.session.execute(delete(Follow).where(Follow.proposal_id == proposal.id, Follow.user_id == actor.id))


def is_following(proposal: Proposal, user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.get(Follow, (proposal.id, user.id)) is not None


# --- staff: departments and answers -------------------------------------------------------------------------

def add_department(actor, name, is_example: bool = False) -> Department:
    require_role(actor, Role.staff)
    name = clean_text(name, "name", DEPARTMENT_NAME_MAX, missing=_l("부서 이름을 적어 주세요."))
    department = insert_once(Department, ("name",), name=name, is_example=is_example)
    if department is None:
        raise Conflict(_l("이미 있는 부서입니다."), code="department_exists")
    audit(actor, "proposal_department", department.id, "created")
    return department


def assign_department(proposal: Proposal, department_id, actor) -> None:
    require_role(actor, Role.staff)
    department = db.session.get(Department, department_id) if isinstance(department_id, int) else None
    if department is None:
        raise ValidationError({"department_id": _l("부서를 골라 주세요.")})
    if proposal.state not in PUBLIC_STATES - {S.merged}:
        raise Conflict(_l("지금 상태에서는 부서를 지정할 수 없습니다."))
    proposal.department_id = department.id
    audit(actor, SUBJECT, proposal.id, f"department:{department.id}", department.name)
    db.session.flush()


def write_interim_answer(proposal: Proposal, actor, text) -> None:
    """A progress note shown while the final answer is late."""
    require_role(actor, Role.staff)
    text = clean_text(text, "interim_answer", TEXT_MAX, missing=_l("중간 답변을 적어 주세요."))
    if proposal.state != S.under_review:
        raise Conflict(_l("부서 검토 중인 제안에만 중간 답변을 쓸 수 있습니다."))
    proposal.interim_answer = text
    proposal.interim_answered_at = utcnow()
    audit(actor, SUBJECT, proposal.id, "interim_answer")
    db.session.flush()


EXTENSION_REASON_MAX = 2000


def extend_answer_deadline(proposal: Proposal, actor, reason) -> None:
    """Once, by the configured number of days, with a reason that is shown in public (like petitions')."""
    require_role(actor, Role.staff)
    if proposal.state != S.under_review or proposal.answer_due_at is None:
        raise Conflict(_l("답변 기한이 있는 제안이 아닙니다."), code="no_answer_due")
    if proposal.extension_reason:
        raise Conflict(_l("답변 기한은 한 번만 연장할 수 있습니다."), code="already_extended")
    reason = clean_text(reason, "reason", EXTENSION_REASON_MAX, missing=_l("연장 사유를 적어 주세요."))
    days = settings.get_setting("PROPOSAL_EXTENSION_DAYS")
    proposal.answer_due_at = end_of_kst_day(to_kst(proposal.answer_due_at).date() + timedelta(days=days))
    proposal.extension_reason = reason
    audit(actor, SUBJECT, proposal.id, "answer_extended", reason)
    db.session.flush()


def answer(proposal: Proposal, actor, outcome, body, follow_up=None) -> Proposal:
    """The department's answer: adopted, partly adopted or not adopted, with reasons and follow-up."""
    require_role(actor, Role.staff)
    errors: dict = {}
    try:
        outcome = AnswerOutcome(outcome)
    except ValueError:
        errors["outcome"] = _l("채택, 일부 채택, 불채택 중 하나를 골라 주세요.")
    body = clean_text(body, "answer_body", TEXT_MAX, errors=errors, missing=_l("답변과 그 이유를 적어 주세요."))
    follow_up = clean_text(follow_up, "follow_up", TEXT_MAX, errors=errors,
                           required=outcome in (AnswerOutcome.adopted, AnswerOutcome.partly),
                           missing=_l("채택한 제안은 후속 조치를 적어 주세요."))
    if errors:
        raise ValidationError(errors)
    LIFECYCLE.check(proposal, S.answered, actor)
    proposal.answer_outcome, proposal.answer_body, proposal.follow_up = outcome, body, follow_up or None
    proposal.answered_at, proposal.answered_by_id = utcnow(), actor.id
    return transition(proposal, S.answered, actor)




