"""Jobs of this channel (RQ), idempotent: they take ids and recompute from the database."""

import logging
from datetime import timedelta

from sqlalchemy import or_, select, update

from participation.core import networks
from participation.core.time import utcnow
from participation.extensions import db
from participation.petitions.counts import recount
from participation.petitions.models import Petition, PetitionState, Signature
from participation.petitions.services import reach_debate_threshold, transition

log = logging.getLogger(__name__)


def recount_petition(petition_id: int) -> None:
    """Job: after a burst of signatures (debounced per petition). A debate request that reached its debate
    threshold becomes an agenda item here."""
    recount(petition_id)
    reach_debate_threshold(petition_id)
    db.session.commit()


def _recount_where(*conditions) -> int:
    drifted = 0
    for petition_id in db.session.scalars(select(Petition.id).where(*conditions).order_by(Petition.id)).all():
        before, after = recount(petition_id)
        reach_debate_threshold(petition_id)
        if before != after:
            drifted += 1
            log.info("petition %s: signature count drift fixed (%s -> %s)", petition_id, before, after)
    db.session.commit()
    return drifted


PUBLIC_STATES = (PetitionState.open, PetitionState.closed, PetitionState.answered, PetitionState.hidden)


def recount_changing_petitions() -> int:
    """Periodic reconciliation: the open petitions, and any other that has signatures newer than its last count
    (signed just before it closed, while Redis was down); returns how many had drifted."""
    newer = select(Signature.id).where(Signature.petition_id == Petition.id,
                                       Signature.created_at > Petition.count_as_of)
    return _recount_where(Petition.state.in_(PUBLIC_STATES), or_(
        Petition.state == PetitionState.open, Petition.count_as_of.is_(None), newer.exists()))


def recount_all_petitions() -> int:
    """Every petition that has ever been public."""
    return _recount_where(Petition.state.in_(PUBLIC_STATES))


def close_due_petitions() -> int:
    """Close every open petition whose signature period has ended; returns how many."""
    now = utcnow()
    due = db.session.scalars(select(Petition).where(
        Petition.state == PetitionState.open, Petition.closes_at <= now)
        .order_by(Petition.id).with_for_update(skip_locked=True, of=Petition)).all()
    for petition in due:
        transition(petition, PetitionState.closed, None)
    db.session.commit()
    return len(due)


def mark_overdue_answers() -> int:
    """Flag closed petitions whose answer is past due; returns how many were newly flagged."""
    now = utcnow()
    flagged = db.session.execute(update(Petition).where(
        Petition.state == PetitionState.closed, Petition.answer_due_at < now,
        Petition.answer_overdue_at.is_(None)).values(answer_overdue_at=now)).rowcount
    db.session.commit()
    return flagged


# (function, seconds between runs), run by the worker's cron scheduler.
def purge_network_hashes() -> int:
    """Forget which network each signature came from once its petition has been closed for PURGE_DAYS
    (core/networks.py); returns how many hashes went."""
    closed = select(Petition.id).where(Petition.closed_at < utcnow() - timedelta(days=networks.PURGE_DAYS))
    purged = db.session.execute(update(Signature).where(Signature.network_hash.is_not(None),
                                                        Signature.petition_id.in_(closed))
                                .values(network_hash=None)).rowcount
    db.session.commit()
    return purged


PERIODIC: list = [(close_due_petitions, 60), (mark_overdue_answers, 300), (purge_network_hashes, 3600)]
# Functions that recompute all of this channel's counts; `flask --app wsgi tally` runs them.
RECOUNTS: list = [recount_all_petitions]
# Functions that recount what may still change; the periodic reconciliation runs them.
RECONCILE: list = [recount_changing_petitions]
