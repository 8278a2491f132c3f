"""Jobs of this channel (RQ), idempotent: they take ids and recompute from the database.

Ballots arrive sealed (core/ballot_box.py). A poll's result is published at two speeds:

- The tally (`tally_poll`, debounced, RECOUNT_DELAY seconds after a burst of ballots) opens the waiting sealed
  ballots once at least MIX_BATCH of them have accumulated (`open_batch`: shuffled, in this job's own
  transaction) and, in the same transaction, counts the opened ballots per option with one GROUP BY and
  writes that onto the poll and its options. With fewer than a batch waiting it writes nothing: live results
  and `total_ballots` move only batch by batch, never by one ballot.
- The bulletin job (`publish_bulletin`, debounced with BULLETIN_DELAY, enqueued after a batch) computes the
  public receipts digest over the receipts of every batch opened so far (SHA-256, seconds for a million),
  which batches it covers (`bulletin_batch`: the bulletin lists exactly those receipts), and the turnout by
  district and age band, with their own "as of" (`bulletin_as_of`).

Once a poll has closed, `tally_poll` is the final tally: it opens every sealed ballot still waiting however
few, then counts, digest and turnout in one transaction, so that the frozen result, its digest and its
turnout agree, and the poll moves to `tallied`. A poll whose private key is missing is not tallied: the poll
says so (`key_problem`), staff are told, and the next run after the key is restored tallies it.

A tally (or a bulletin) is written only if no newer one is already there, so two running at once leave
the rows of the later snapshot; the guarded UPDATE of the poll row comes first and serialises them.
"""

import logging

from sqlalchemy import select

from participation.core import ballot_box, jobs
from participation.core.database import begin_reading
from participation.core.time import utcnow
from participation.extensions import db
from participation.polls.box import POLL_BOX
from participation.polls.counts import read_bulletin, write_bulletin
from participation.polls.models import Poll, PollState
from participation.polls.services import transition, write_tally

log = logging.getLogger(__name__)
# A poll in these states may still take ballots (now or later): it needs its key pair.
NEEDS_KEY = (PollState.pending, PollState.draft, PollState.scheduled, PollState.open)


def make_poll_key(poll_id: int) -> None:
    """Job: make the poll's key pair in the tally key directory and publish its public key (idempotent)."""
    state = db.session.scalar(select(Poll.state).where(Poll.id == poll_id))
    if state not in NEEDS_KEY:
        return
    ballot_box.prepare_key(POLL_BOX, poll_id)
    db.session.commit()


def tally_poll(poll_id: int) -> None:
    """Job: open a batch of an open poll if one is ready and count it, or the final tally of a closed one."""
    write_tally(poll_id)
    db.session.commit()


def publish_bulletin(poll_id: int) -> None:
    """Job (BULLETIN_DELAY seconds after a batch): the public bulletin of an open poll, i.e. the receipts digest
    over every batch opened so far (skipped while it covers them all already) and the turnout cells.

    A closed poll's bulletin comes with its final tally, and a tallied one is frozen: nothing to do then.

    The reads (seconds for a million receipts) are one snapshot that does not hold SQLite's write lock; the
    write after them is guarded, so a bulletin of an older snapshot never replaces a newer one."""
    begin_reading()
    bulletin = read_bulletin(poll_id)
    db.session.commit()
    if bulletin is not None:
        write_bulletin(poll_id, bulletin)
        db.session.commit()


def apply_poll_deadlines() -> None:
    """Periodic: open scheduled polls whose time has come, close open polls whose time is up, and make
    sure every closed poll gets its final tally and every poll that may take ballots gets its key pair (also
    if Redis was down when they were asked for)."""
    now = utcnow()
    for poll in db.session.scalars(select(Poll).where(Poll.state == PollState.scheduled, Poll.opens_at <= now)).all():
        transition(poll, PollState.open, None)
    for poll in db.session.scalars(select(Poll).where(Poll.state == PollState.open, Poll.closes_at <= now)).all():
        transition(poll, PollState.closed, None)
    for poll_id in db.session.scalars(select(Poll.id).where(Poll.state == PollState.closed)).all():
        jobs.schedule("recount:poll", poll_id)
    for poll_id in db.session.scalars(select(Poll.id).where(Poll.state.in_(NEEDS_KEY), Poll.public_key.is_(None))):
        if not jobs.is_pending("tally-key:poll", poll_id):
            jobs.schedule("tally-key:poll", poll_id)
    db.session.commit()


def tally_all_polls() -> None:
    """Full recount: tally every open or closed poll now, and log any drift fixed."""
    polls = db.session.execute(select(Poll.id, Poll.total_ballots).where(
        Poll.state.in_([PollState.open, PollState.closed]))).all()
    for poll_id, before in polls:
        write_tally(poll_id, recount=True)
        db.session.commit()
        after = db.session.scalar(select(Poll.total_ballots).where(Poll.id == poll_id))
        if after != before:
            log.info("poll %s tally corrected: %s -> %s ballots", poll_id, before, after)


# (function, seconds between runs), run by the worker's cron scheduler.
PERIODIC: list = [(apply_poll_deadlines, 60)]
# Functions that recompute all of this channel's counts; `flask --app wsgi tally` runs them.
RECOUNTS: list = [tally_all_polls]
# Functions that recount what may still change (open and closed polls; a tallied one is frozen).
RECONCILE: list = [tally_all_polls]
