"""The discussion of a proposal (공론): its support count and what the count sets off — 50 supports send it to the
department, 100 open a public deliberation forum on it (공론장), and when 1,000 people take part there the mayor
answers (시장 답변). Flush, never commit; tasks.py runs the recounts and the periodic jobs.

Its life cycle moves (open → under_review, open → closed) go through services.transition."""


from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update

from participation.core import settings
from participation.core.audit import audit
from participation.core.errors import Conflict
from participation.core.input import clean_text
from participation.core.notifications import notify
from participation.core.permissions import Role, require_role
from participation.core.time import utcnow
from participation.extensions import db
from participation.forums import services as forums
from participation.forums.models import TEXT_MAX as FORUM_TEXT_MAX
from participation.forums.models import Forum
from participation.proposals import counts
from participation.proposals.models import MAYOR_STATES, TEXT_MAX, Proposal, ProposalState
from participation.proposals.services import SUBJECT, _tell_followers, followers, transition

S = ProposalState
# States in which the support count opens a forum (MAYOR_STATES: in which its participants call on the mayor).
DISCUSSION_STATES = (S.open, S.under_review, S.answered)


def refresh_count(proposal_id: int) -> Proposal | None:
    """Recount one proposal's supports from the rows, then apply the thresholds."""
    counts.recount(proposal_id)
    proposal = db.session.get(Proposal, proposal_id, with_for_update=True, populate_existing=True)
    if proposal is not None:
        apply_thresholds(proposal)
    return proposal


def refresh_all_counts(*conditions) -> int:
    """Recount every proposal (or those meeting `conditions`) and apply the thresholds a recount reached; returns
    how many counts had drifted."""
    if conditions:
        # Read once: the recount changes what the conditions say (its time of count).
        conditions = (Proposal.id.in_(db.session.scalars(select(Proposal.id).where(*conditions)).all()),)
    drifted = counts.recount_all(*conditions)
    waiting = db.session.scalars(select(Proposal).where(
        *conditions,
        or_(and_(Proposal.state == S.open, Proposal.support_count >= Proposal.review_threshold),
            and_(Proposal.state.in_(DISCUSSION_STATES), Proposal.discussion_forum_id.is_(None),
                 Proposal.support_count >= Proposal.discussion_threshold)))
        .execution_options(populate_existing=True))
    for proposal in waiting:
        apply_thresholds(proposal)
    return drifted


def apply_thresholds(proposal: Proposal) -> None:
    """50 supports send it to the department; 100 open a public deliberation forum (settings copied at
    opening)."""
    if (proposal.state == S.open and proposal.review_threshold is not None
            and proposal.support_count >= proposal.review_threshold):
        transition(proposal, S.under_review, None)
    if (proposal.discussion_threshold is not None and proposal.discussion_forum_id is None
            and proposal.state in DISCUSSION_STATES and proposal.support_count >= proposal.discussion_threshold):
        open_discussion(proposal)


def _forum_background(proposal: Proposal, mayor_threshold: int) -> str:
    intro = _("시민제안 %(id)d번에 시민 %(count)d명이 공감해 열린 공론장입니다. 참여한 사람이 %(threshold)d명이 "
              "되면 서울시장이 답변합니다.", id=proposal.id, count=proposal.support_count, threshold=mayor_threshold)
    sections = ((_("현황 및 문제점"), proposal.problem), (_("제안 내용"), proposal.body),
                (_("기대 효과"), proposal.expected_effect))
    parts = [intro, *(f"## {heading}\n\n{text}" for heading, text in sections if text)]
    background = "\n\n".join(parts)
    if len(background) > FORUM_TEXT_MAX:
        more = "…\n\n" + _("전문은 제안 페이지에서 볼 수 있습니다.")
        background = background[:FORUM_TEXT_MAX - len(more)] + more
    return background


def open_discussion(proposal: Proposal) -> bool:
    """The discussion threshold is reached: a public deliberation forum (공론장) of the forums channel opens
    on the proposal. Exactly one per proposal: the link is written by one conditional UPDATE while it is
    still empty, so a second or concurrent recount rolls its own forum back. Returns whether it opened one.

    The mayor's threshold is fixed by then: proposals that opened before that rule existed take the
    setting in force when their forum opens."""
    mayor_threshold = proposal.mayor_threshold or settings.get_setting("PROPOSAL_MAYOR_THRESHOLD")
    with db.session.begin_nested() as savepoint:
        forum = forums.open_for_platform(
            title=proposal.title, background=_forum_background(proposal, mayor_threshold),
            links=f"- [{_('시민제안 %(id)d번 보기', id=proposal.id)}](/proposals/{proposal.id})",
            departments=proposal.department.name if proposal.department else "",
            reason=_("시민제안 %(id)d번 공감 %(count)d명", id=proposal.id, count=proposal.support_count))
        linked = link_forum(proposal, forum.id, mayor_threshold)
        if not linked:
            savepoint.rollback()
    if not linked:
        return False
    audit(None, SUBJECT, proposal.id, f"discussion_opened:{forum.id}")
    db.session.flush()
    _tell_followers(proposal, _("제안 '%(title)s'에 %(count)d명이 공감해 공론장이 열렸습니다.",
                                title=proposal.title, count=proposal.support_count))
    return True


def link_forum(proposal: Proposal, forum_id: int, mayor_threshold: int | None) -> bool:
    """Make `forum_id` the proposal's forum if it still has none. One conditional UPDATE, because the
    proposal read by the caller may be stale: of two requests or jobs that both saw no forum (recounts, a
    merge), one links its forum and the other learns that it did not."""
    linked = db.session.execute(
        update(Proposal).where(Proposal.id == proposal.id, Proposal.discussion_forum_id.is_(None))
        .values(discussion_forum_id=forum_id, mayor_threshold=mayor_threshold,
                discussion_flagged_at=func.coalesce(Proposal.discussion_flagged_at, utcnow()))
        .execution_options(synchronize_session=False)).rowcount == 1
    db.session.refresh(proposal, ["discussion_forum_id", "discussion_flagged_at", "mayor_threshold"])
    return linked


def close_expired() -> int:
    """The support period is over: recount, and close what stayed below the review threshold."""
    expired = db.session.scalars(select(Proposal.id).where(Proposal.state == S.open,
                                                           Proposal.closes_at <= utcnow())).all()
    for proposal_id in expired:
        proposal = refresh_count(proposal_id)
        if proposal is not None and proposal.state == S.open:
            transition(proposal, S.closed, None)
    return len(expired)


def request_mayor_answers() -> int:
    """Periodic: every proposal whose forum has as many participants as its mayor threshold (1,000) now
    awaits the mayor's answer. The forum's participant count is the forum recount job's; returns how many
    proposals were newly asked."""
    due = db.session.execute(
        select(Proposal, Forum.participant_count).join(Forum, Forum.id == Proposal.discussion_forum_id)
        .where(Proposal.mayor_answer_requested_at.is_(None), Proposal.state.in_(MAYOR_STATES),
               Forum.participant_count >= Proposal.mayor_threshold)
        .order_by(Proposal.id)).all()
    return sum(request_mayor_answer(proposal, participants) for proposal, participants in due)


def request_mayor_answer(proposal: Proposal, participants: int) -> bool:
    """Ask once: the conditional UPDATE decides between two concurrent runs; returns whether this one asked."""
    asked = db.session.execute(
        update(Proposal).where(Proposal.id == proposal.id, Proposal.mayor_answer_requested_at.is_(None))
        .values(mayor_answer_requested_at=utcnow()).execution_options(synchronize_session=False)).rowcount == 1
    db.session.refresh(proposal, ["mayor_answer_requested_at"])
    if asked:
        audit(None, SUBJECT, proposal.id, "mayor_answer_requested",
              _("공론장 참여 %(count)d명", count=participants))
        db.session.flush()
        _tell_followers(proposal, _("제안 '%(title)s'의 공론장에 %(count)d명이 참여해 서울시장이 답변합니다.",
                                    title=proposal.title, count=participants))
    return asked


def answer_as_mayor(proposal: Proposal, actor, text) -> Proposal:
    """Staff enter the mayor's answer; followers and the forum's participants are told."""
    require_role(actor, Role.staff)
    text = clean_text(text, "mayor_answer", TEXT_MAX, missing=_l("시장 답변을 적어 주세요."))
    if proposal.mayor_answer_requested_at is None or proposal.state not in MAYOR_STATES:
        raise Conflict(_l("공론장 참여 기준에 이른 제안에만 시장 답변을 등록할 수 있습니다."),
                       code="mayor_answer_not_requested")
    answered = db.session.execute(
        update(Proposal).where(Proposal.id == proposal.id, Proposal.mayor_answered_at.is_(None))
        .values(mayor_answer=text, mayor_answered_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount == 1
    if not answered:
        raise Conflict(_l("이미 시장 답변이 등록되었습니다."), code="mayor_already_answered")
    db.session.refresh(proposal, ["mayor_answer", "mayor_answered_at"])
    audit(actor, SUBJECT, proposal.id, "mayor_answered")
    db.session.flush()
    people = {user.id: user for user in [*followers(proposal), *forums.participants(proposal.discussion_forum_id)]}
    notify(people.values(), _("제안 '%(title)s'에 서울시장이 답변했습니다.", title=proposal.title)[:300],
           f"/proposals/{proposal.id}#mayor-answer")
    return proposal
