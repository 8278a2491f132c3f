"""Moderating proposals and their comments: folding a duplicate into another proposal (its supports and
followers move over), comments threaded one level, and hiding a comment (its reports upheld). Flush, never
commit."""

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, literal, select

from participation.core import appeals, moderation_log
from participation.core.audit import audit
from participation.core.database import insert_missing
from participation.core.errors import Conflict, NotFound, ValidationError
from participation.core.input import clean_text
from participation.core.lifecycle import REASON_MAX
from participation.core.permissions import Role, require_role, require_verified
from participation.core.reports import resolve_reports
from participation.core.time import utcnow
from participation.extensions import db
from participation.forums import services as forums
from participation.forums.models import Forum, ForumState
from participation.proposals import discussion
from participation.proposals.models import COMMENT_MAX, Comment, Follow, Proposal, ProposalState, Support
from participation.proposals.services import COMMENT_SUBJECT, LIFECYCLE, SUBJECT, _recount_later, can_see, transition

S = ProposalState
COMMENTABLE_STATES = {S.open, S.closed, S.under_review, S.answered}
MERGE_TARGET_STATES = {S.open, S.closed, S.under_review, S.answered}


def merge(duplicate: Proposal, target_id, actor, reason: str | None = None) -> Proposal:
    """Fold a duplicate into another proposal: its supports and followers move over, and a person who
    supported both still counts once (the unique constraint decides, in SQL)."""
    require_role(actor, Role.moderator)
    target = db.session.get(Proposal, target_id) if isinstance(target_id, int) else None
    if target is None or target.id == duplicate.id or target.state not in MERGE_TARGET_STATES:
        raise ValidationError({"target_id": _l("통합할 수 있는 공개된 다른 제안의 번호를 적어 주세요.")})
    LIFECYCLE.check(duplicate, S.merged, actor)
    insert_missing(Support, select(literal(target.id), Support.user_id, Support.created_at)
                   .where(Support.proposal_id == duplicate.id, Support.void_id.is_(None)),
                   columns=["proposal_id", "user_id", "created_at"])
    db.session.execute(delete(Support).where(Support.proposal_id == duplicate.id))
    insert_missing(Follow, select(literal(target.id), Follow.user_id, Follow.created_at)
                   .where(Follow.proposal_id == duplicate.id), columns=["proposal_id", "user_id", "created_at"])
    duplicate.merged_into_id = target.id
    transition(duplicate, S.merged, actor, reason)
    audit(actor, SUBJECT, target.id, f"merged_from:{duplicate.id}", reason)
    _move_forum(duplicate, target, actor)
    _recount_later(duplicate.id)
    _recount_later(target.id)
    return target


def _move_forum(duplicate: Proposal, target: Proposal, actor) -> None:
    """A merged duplicate's forum goes on as the target's when the target has none (the same question,
    its participants now count towards the target's mayor threshold); otherwise it closes, and the
    discussion goes on in the target's forum."""
    if duplicate.discussion_forum_id is None:
        return
    forum = db.session.get(Forum, duplicate.discussion_forum_id)
    if target.discussion_forum_id is None:
        duplicate.discussion_forum_id = None
        db.session.flush()
        if discussion.link_forum(target, forum.id, target.mayor_threshold or duplicate.mayor_threshold):
            audit(actor, SUBJECT, target.id, f"forum_moved_from:{duplicate.id}")
            db.session.flush()
            return
        # The target's own recount linked a forum since it was read: the duplicate keeps its forum, closed.
        duplicate.discussion_forum_id = forum.id
        db.session.flush()
    if forum.state == ForumState.open:
        with force_locale("ko"):  # stored for every reader: Korean, not the moderator's language
            reason = _("제안 %(id)d번에 통합되어 그 공론장에서 토론을 이어 갑니다.", id=target.id)
        forums.transition(forum, ForumState.closed, None, reason)


def add_comment(proposal: Proposal, actor, body, parent_id=None) -> Comment:
    require_verified(actor)
    if not can_see(proposal, actor):
        raise NotFound(_l("제안을 찾을 수 없습니다."))
    if proposal.state not in COMMENTABLE_STATES:
        raise Conflict(_l("지금은 댓글을 달 수 없습니다."), code="not_open")
    body = clean_text(body, "body", COMMENT_MAX, missing=_l("댓글 내용을 적어 주세요."))
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id) if isinstance(parent_id, int) else None
        if parent is None or parent.proposal_id != proposal.id or parent.parent_id is not None or parent.hidden_at:
            raise ValidationError({"parent_id": _l("답글을 달 수 없는 댓글입니다.")})
    comment = Comment(proposal_id=proposal.id, author_id=actor.id, parent_id=parent_id, body=body)
    db.session.add(comment)
    db.session.flush()
    return comment


def hide_comment(comment: Comment, actor, reason, category: str | None = None) -> None:
    require_role(actor, Role.moderator)
    reason = clean_text(reason, "reason", REASON_MAX, missing=_l("사유를 적어 주세요."))
    if comment.hidden_at is not None:
        raise Conflict(_l("이미 숨긴 댓글입니다."))
    comment.hidden_at = utcnow()
    audit(actor, COMMENT_SUBJECT, comment.id, "hidden", reason, category)
    resolve_reports(actor, COMMENT_SUBJECT, comment.id, upheld=True)


def _restore_comment(comment: Comment, moderator, reason: str) -> None:
    """An upheld appeal shows the comment again."""
    comment.hidden_at = None
    audit(moderator, COMMENT_SUBJECT, comment.id, "hidden->visible", reason)


def _comment_title(comment: Comment) -> str:
    return _("'%(title)s'에 단 댓글", title=db.session.get(Proposal, comment.proposal_id).title)


appeals.register(appeals.Appealable(
    COMMENT_SUBJECT, _l("제안 댓글"), Comment, removed=lambda comment: comment.hidden_at is not None,
    restore=_restore_comment, title=_comment_title,
    path=lambda comment: f"/proposals/{comment.proposal_id}#comment-{comment.id}"))
moderation_log.register(moderation_log.LoggedSubject(
    COMMENT_SUBJECT, "proposals", _l("제안 댓글"), Comment, title=_comment_title,
    path=lambda comment: f"/proposals/{comment.proposal_id}#comment-{comment.id}"))
