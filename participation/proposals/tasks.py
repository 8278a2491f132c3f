"""Jobs of this channel (RQ), idempotent: they take ids and recompute from the database."""

import logging
from datetime import timedelta

from sqlalchemy import select, update

from participation.core import networks
from participation.core.time import utcnow
from participation.extensions import db
from participation.proposals import counts, discussion, importer
from participation.proposals.models import Proposal, ProposalState, Support

log = logging.getLogger(__name__)


def recount_proposal(proposal_id: int) -> None:
    """Recount one proposal's supports (공감) and apply its thresholds."""
    discussion.refresh_count(proposal_id)
    db.session.commit()


def recount_all_proposals() -> None:
    """Reconciliation: recount every proposal, logging any drift it fixed."""
    drifted = discussion.refresh_all_counts()
    db.session.commit()
    if drifted:
        log.warning("proposals: fixed %d drifted support counts", drifted)


def recount_changing_proposals() -> None:
    """Periodic reconciliation: the proposals whose count may still change (counts.changing)."""
    drifted = discussion.refresh_all_counts(counts.changing())
    db.session.commit()
    if drifted:
        log.warning("proposals: fixed %d drifted support counts", drifted)


def close_expired_proposals() -> None:
    """Close proposals whose support period ended below the review threshold."""
    discussion.close_expired()
    db.session.commit()


def request_mayor_answers() -> None:
    """Ask the mayor to answer proposals whose forum reached the mayor threshold (the forum's own recount
    job writes its participant count; this job reads it, so the forums channel needs no hook)."""
    asked = discussion.request_mayor_answers()
    db.session.commit()
    if asked:
        log.info("proposals: %d proposals now await the mayor's answer", asked)


def remove_stale_import_uploads() -> None:
    """Delete national portal exports that were uploaded for a dry run and never confirmed."""
    removed = importer.remove_stale_uploads()
    db.session.commit()
    if removed:
        log.info("proposals: removed %d unconfirmed import uploads", removed)


# (function, seconds between runs), run by the worker's cron scheduler.
def purge_network_hashes() -> int:
    """Forget which network each support came from once its proposal's support period has been over for
    PURGE_DAYS (core/networks.py); returns how many hashes went."""
    closed = select(Proposal.id).where(Proposal.closes_at < utcnow() - timedelta(days=networks.PURGE_DAYS),
                                       Proposal.state != ProposalState.open)
    purged = db.session.execute(update(Support).where(Support.network_hash.is_not(None),
                                                      Support.proposal_id.in_(closed))
                                .values(network_hash=None)).rowcount
    db.session.commit()
    return purged


PERIODIC: list = [(close_expired_proposals, 60), (request_mayor_answers, 60), (remove_stale_import_uploads, 3600),
                  (purge_network_hashes, 3600)]
# Functions that recompute all of this channel's counts; `flask --app wsgi tally` runs them.
RECOUNTS: list = [recount_all_proposals]
# Functions that recount what may still change; the periodic reconciliation runs them.
RECONCILE: list = [recount_changing_proposals]
