"""Counts of this channel, recomputed from the rows: pure recomputes that write in one statement and do not
commit. What a count sets off (the review and discussion thresholds) is the services' (`refresh_count`)."""

from sqlalchemy import func, or_, select, update

from participation.core.time import utcnow
from participation.extensions import db
from participation.proposals.models import Proposal, ProposalState, Support


def support_count(proposal_id):
    """The number of supports (공감) of a proposal that count (not voided), as a scalar subquery (correlated when
    given a column)."""
    return (select(func.count()).select_from(Support).where(Support.proposal_id == proposal_id,
                                                            Support.void_id.is_(None))
            .correlate_except(Support).scalar_subquery())


def recount(proposal_id: int) -> None:
    """Recount one proposal's supports from the rows, in one statement."""
    db.session.execute(update(Proposal).where(Proposal.id == proposal_id)
                       .values(support_count=support_count(proposal_id), count_as_of=utcnow())
                       .execution_options(synchronize_session=False))


def recount_all(*conditions) -> int:
    """Recount every proposal (or those meeting `conditions`); returns how many counts had drifted."""
    drifted = db.session.execute(update(Proposal).where(Proposal.support_count != support_count(Proposal.id),
                                                        *conditions)
                                 .values(support_count=support_count(Proposal.id))
                                 .execution_options(synchronize_session=False)).rowcount
    db.session.execute(update(Proposal).where(*conditions).values(count_as_of=utcnow())
                       .execution_options(synchronize_session=False))
    return drifted


def changing():
    """The proposals whose count may still change: open ones, and any other with supports newer than its last
    count (or never counted)."""
    newer = select(Support.proposal_id).where(Support.proposal_id == Proposal.id,
                                              Support.created_at > Proposal.count_as_of)
    return or_(Proposal.state == ProposalState.open, Proposal.count_as_of.is_(None), newer.exists())
