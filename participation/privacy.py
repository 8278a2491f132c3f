"""A person's own data across the channels: the copy they may ask for (개인정보 열람 청구, PIPA article 35) and
what leaves with their account when they delete it. An aggregator like staff/ and moderation/: it reads every
channel's tables, and no channel imports it.

Retention when an account is deleted (the account row itself is scrubbed by accounts.services.delete_account):
- mail to the address (the outbox, sent or not) is deleted;
- free text that is not public goes: the account's text answers to surveys (they may name people, places,
  phone numbers), its notifications, follows and its reports' reasons;
- what counts stays, so that no total changes after the fact: signatures, supports, poll participation, survey
  choices and numbers, likes and reactions, budget project supports and budget votes (who voted; ballots hold no
  person) — each with its district and age band snapshot (the small-cell rule
  applies to every published breakdown), but its time cut to the day (KST), so that no exact time ties a row
  to a person;
- public contributions (petitions, proposals, comments, statements, budget projects) stay, shown as "탈퇴한 사용자";
- a tombstone stays (accounts.models.Tombstone): keyed hashes of the canonical address and of the verified person,
  nothing else. While any item the account took part in still counts it (open, or hidden and so open to an upheld
  appeal), a new account with that address or person is refused — it would count that person twice; once none
  does, the daily job `purge_tombstones` deletes the tombstone and the address may sign up afresh."""

from datetime import datetime, time

from sqlalchemy import delete, select, union_all

from participation.core.time import KST, to_kst
from participation.extensions import db


def day_of(moment: datetime | None) -> datetime | None:
    """The start (00:00 KST) of the KST day of `moment`: the same day, month and year for every statistic."""
    if moment is None:
        return None
    return datetime.combine(to_kst(moment).date(), time(0), tzinfo=KST)


def _participation_rows(user_id: int):
    """(model, time column names) of every table that counts what the person did."""
    from participation.budgets.models import BudgetParticipation, ProjectSupport
    from participation.forums.models import CommentLike, Reaction
    from participation.petitions.models import Signature
    from participation.polls.models import Participation
    from participation.proposals.models import Support
    from participation.surveys.models import Response

    return [(Signature, ("created_at",)), (Support, ("created_at",)), (Participation, ("created_at",)),
            (Response, ("started_at", "updated_at", "submitted_at")), (CommentLike, ("created_at",)),
            (Reaction, ("reacted_at",)), (ProjectSupport, ("created_at",)), (BudgetParticipation, ("created_at",))]


def erase(user) -> None:
    """Remove what the person wrote for themselves and the exact times of what they did. Call it before the
    account row is scrubbed (the outbox is found by the address). Flushes."""
    from participation.core.mail import OutboxMail
    from participation.core.notifications import Notification, NotificationOptOut
    from participation.core.reports import Report
    from participation.proposals.models import Follow
    from participation.surveys.models import Answer, Response

    if user.email:
        db.session.execute(delete(OutboxMail).where(OutboxMail.to == user.email))
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))
    db.session.execute(delete(NotificationOptOut).where(NotificationOptOut.user_id == user.id))
    db.session.execute(delete(Follow).where(Follow.user_id == user.id))
    db.session.execute(delete(Answer).where(
        Answer.text_value.is_not(None), Answer.response_id.in_(select(Response.id).where(Response.user_id == user.id))))
    for report in db.session.scalars(select(Report).where(Report.reporter_id == user.id)):
        report.reason, report.created_at = "", day_of(report.created_at)
    for model, columns in _participation_rows(user.id):
        for row in db.session.scalars(select(model).where(model.user_id == user.id)):
            for column in columns:
                setattr(row, column, day_of(getattr(row, column)))
    db.session.flush()


def _counting_participations(user_ids):
    """One select per table that counts what people did on an item that still counts it: open (or hidden, which an
    upheld appeal may reopen)."""
    from participation.budgets.models import (
        BudgetParticipation,
        BudgetProcess,
        BudgetProject,
        ProcessState,
        ProjectSupport,
    )
    from participation.forums.models import Comment, CommentLike, Forum, ForumState, Participant, Reaction, Statement
    from participation.petitions.models import Petition, PetitionState, Signature
    from participation.polls.models import Participation, Poll, PollState
    from participation.proposals.models import Proposal, ProposalState, Support
    from participation.surveys.models import Response, Survey, SurveyState

    def rows(model, item, item_key, states, *joins):
        statement = select(model.user_id)
        for target, condition in joins:
            statement = statement.join(target, condition)
        return statement.join(item, item_key == item.id).where(model.user_id.in_(user_ids), item.state.in_(states))

    return [
        rows(Signature, Petition, Signature.petition_id, [PetitionState.open, PetitionState.hidden]),
        rows(Support, Proposal, Support.proposal_id, [ProposalState.open, ProposalState.hidden]),
        rows(Participation, Poll, Participation.poll_id, [PollState.open, PollState.hidden]),
        rows(Response, Survey, Response.survey_id, [SurveyState.open]),
        rows(BudgetParticipation, BudgetProcess, BudgetParticipation.budget_id, [ProcessState.voting]),
        rows(ProjectSupport, BudgetProcess, BudgetProject.budget_id, [ProcessState.proposing],
             (BudgetProject, ProjectSupport.project_id == BudgetProject.id)),
        rows(Participant, Forum, Participant.forum_id, [ForumState.open]),
        rows(Reaction, Forum, Statement.forum_id, [ForumState.open],
             (Statement, Reaction.statement_id == Statement.id)),
        rows(CommentLike, Forum, Comment.forum_id, [ForumState.open],
             (Comment, CommentLike.comment_id == Comment.id)),
    ]


def still_counting(user_ids) -> bool:
    """Whether any of these (deleted) accounts took part in an item that still counts it: a new account of the
    same person would then count twice (accounts.services.refuse_return)."""
    user_ids = list(user_ids)
    return bool(user_ids) and db.session.scalar(
        select(union_all(*_counting_participations(user_ids)).subquery().c[0]).limit(1)) is not None


def purge_tombstones() -> int:
    """Delete the tombstones of deleted accounts whose participations no longer count anywhere (periodic)."""
    from participation.accounts.models import Tombstone

    kept = union_all(*_counting_participations(select(Tombstone.user_id).scalar_subquery())).subquery()
    result = db.session.execute(delete(Tombstone).where(Tombstone.user_id.not_in(select(kept.c[0]))))
    return result.rowcount


def export(user) -> dict:
    """Everything the platform holds about the person, as plain data (the JSON download on the account page).
    Ballots are not in it: nothing links a person to a choice (only that they took part, and when)."""
    from participation.accounts.models import ApiToken
    from participation.budgets.models import BudgetParticipation, BudgetProject, ProjectSupport
    from participation.core.audit import AuditEntry
    from participation.core.mail import OutboxMail
    from participation.core.notifications import Notification, NotificationOptOut
    from participation.core.reports import Report
    from participation.forums.models import Comment as ForumComment
    from participation.forums.models import CommentLike, Reaction, Statement
    from participation.petitions.models import Petition, Signature
    from participation.polls.models import Participation
    from participation.proposals.models import Comment as ProposalComment
    from participation.proposals.models import Follow, Proposal, Support
    from participation.surveys.models import Answer, Response

    def rows(statement, *fields):
        return [{field: _plain(getattr(row, field)) for field in fields} for row in db.session.scalars(statement)]

    mine = user.id
    responses = []
    for response in db.session.scalars(select(Response).where(Response.user_id == mine).order_by(Response.id)):
        answers = db.session.scalars(select(Answer).where(Answer.response_id == response.id).order_by(Answer.id))
        responses.append({"survey_id": response.survey_id, "district": response.district,
                          "age_band": response.age_band, "submitted_at": _plain(response.submitted_at),
                          "answers": [{"question_id": answer.question_id, "option_id": answer.option_id,
                                       "number": answer.number_value, "text": answer.text_value}
                                      for answer in answers]})
    return {
        "account": {"id": mine, "email": user.email, "display_name": user.display_name, "district": user.district,
                    "birth_year": user.birth_year, "locale": user.locale, "roles": user.roles,
                    "created_at": _plain(user.created_at), "email_verified_at": _plain(user.email_verified_at)},
        "api_tokens": rows(select(ApiToken).where(ApiToken.user_id == mine).order_by(ApiToken.id),
                           "name", "created_at", "last_used_at", "revoked_at"),
        "petitions_written": rows(select(Petition).where(Petition.author_id == mine).order_by(Petition.id),
                                  "id", "title", "state", "created_at"),
        "signatures": rows(select(Signature).where(Signature.user_id == mine).order_by(Signature.id),
                           "petition_id", "district", "age_band", "created_at"),
        "proposals_written": rows(select(Proposal).where(Proposal.author_id == mine).order_by(Proposal.id),
                                  "id", "title", "state", "created_at"),
        "supports": rows(select(Support).where(Support.user_id == mine).order_by(Support.id),
                         "proposal_id", "created_at"),
        "proposals_followed": rows(select(Follow).where(Follow.user_id == mine), "proposal_id", "created_at"),
        "proposal_comments": rows(select(ProposalComment).where(ProposalComment.author_id == mine)
                                  .order_by(ProposalComment.id), "proposal_id", "body", "created_at"),
        "poll_participations": rows(select(Participation).where(Participation.user_id == mine)
                                    .order_by(Participation.id), "poll_id", "district", "age_band", "created_at"),
        "survey_responses": responses,
        "forum_comments": rows(select(ForumComment).where(ForumComment.author_id == mine).order_by(ForumComment.id),
                               "forum_id", "stance", "body", "created_at"),
        "forum_statements": rows(select(Statement).where(Statement.author_id == mine).order_by(Statement.id),
                                 "forum_id", "text", "created_at"),
        "forum_likes": rows(select(CommentLike).where(CommentLike.user_id == mine), "comment_id", "created_at"),
        "forum_reactions": rows(select(Reaction).where(Reaction.user_id == mine), "statement_id", "value",
                                "reacted_at"),
        "budget_projects_proposed": rows(select(BudgetProject).where(BudgetProject.author_id == mine)
                                         .order_by(BudgetProject.id), "budget_id", "id", "title", "created_at"),
        "budget_project_supports": rows(select(ProjectSupport).where(ProjectSupport.user_id == mine)
                                        .order_by(ProjectSupport.id), "project_id", "created_at"),
        "budget_votes": rows(select(BudgetParticipation).where(BudgetParticipation.user_id == mine)
                             .order_by(BudgetParticipation.id), "budget_id", "district", "age_band", "created_at"),
        "reports": rows(select(Report).where(Report.reporter_id == mine).order_by(Report.id),
                        "subject_type", "subject_id", "reason", "status", "created_at"),
        "notifications": rows(select(Notification).where(Notification.user_id == mine).order_by(Notification.id),
                              "message", "url", "created_at", "read_at"),
        "notification_mail_off": rows(select(NotificationOptOut).where(NotificationOptOut.user_id == mine)
                                      .order_by(NotificationOptOut.kind), "kind", "created_at"),
        "mail": rows(select(OutboxMail).where(OutboxMail.to == user.email).order_by(OutboxMail.id),
                     "subject", "created_at", "sent_at") if user.email else [],
        "account_history": rows(select(AuditEntry).where(AuditEntry.subject_type == "user",
                                                         AuditEntry.subject_id == mine).order_by(AuditEntry.id),
                                "action", "at"),
    }


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return value if value is None or isinstance(value, int | float | bool) else str(value)
