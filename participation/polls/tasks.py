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

from sqlalchemy import case, delete, func, insert, inspect, literal, or_, select, update
from sqlalchemy.orm.util import identity_key

from participation.core import ballot_box, jobs
from participation.core.database import begin_reading
from participation.core.tally_keys import TallyKeyError
from participation.core.time import utcnow
from participation.extensions import db
from participation.polls.box import POLL_BOX
from participation.polls.models import (
    Ballot,
    BallotChoice,
    Participation,
    Poll,
    PollOption,
    PollState,
    TurnoutCell,
)
from participation.polls.queries import UNKNOWN
from participation.polls.services import transition

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


def receipts_digest(poll_id: int, up_to_batch: int) -> tuple[str, int]:
    """SHA-256 of the receipt hashes of batches 1..up_to_batch, sorted and joined with newlines; and how many."""
    return ballot_box.receipts_digest(POLL_BOX, poll_id, up_to_batch)


def tally_poll(poll_id: int) -> None:
    """Job: open a batch of an open poll if one is ready and count it, or the final tally of a closed one."""
    write_tally(poll_id)
    db.session.commit()


def write_tally(poll_id: int, recount: bool = False) -> None:
    """The tally itself (flushes; the caller commits). `recount`: count even if no batch was opened (the
    reconciliation, which puts right whatever drifted)."""
    poll = db.session.execute(select(Poll.state, Poll.max_choices, Poll.tally_digest, Poll.tally_digest_count,
                                     Poll.bulletin_batch).where(Poll.id == poll_id)).one_or_none()
    if poll is None or poll.state not in (PollState.open, PollState.closed):
        # A tallied poll is frozen; drafts and cancelled polls have nothing to count.
        return
    live = poll.state == PollState.open
    try:
        batch = ballot_box.open_batch(POLL_BOX, poll_id, final=not live)
    except TallyKeyError as problem:
        ballot_box.report_key_problem(POLL_BOX, poll_id, problem)
        return
    if live and batch is None and not recount:
        return
    as_of = utcnow()
    counts, total = count_ballots(poll_id, count_each_ballot=not live or poll.max_choices > 1)
    if live:
        if write_counts(poll_id, PollState.open, counts, total_ballots=total, tally_as_of=as_of) \
                and (batch is not None or total != poll.tally_digest_count):
            jobs.schedule("bulletin:poll", poll_id)
        return
    # The final tally: no ballot is taken any more and none waits sealed, so counts, digest and turnout
    # describe the same ballots.
    batches = db.session.scalar(select(Poll.mixed_batches).where(Poll.id == poll_id))
    digest, digest_count = current_digest(poll_id, poll.tally_digest, poll.tally_digest_count,
                                          poll.bulletin_batch, batches)
    turnout = count_turnout(poll_id)
    if write_counts(poll_id, PollState.closed, counts, total_ballots=total, tally_as_of=as_of,
                    tally_digest=digest, tally_digest_count=digest_count, bulletin_batch=batches,
                    bulletin_as_of=as_of):
        replace_turnout(poll_id, turnout)
        check_ballots_against_voters(poll_id, total, turnout)
        transition(db.session.get(Poll, poll_id, populate_existing=True), PollState.tallied, None)


def check_ballots_against_voters(poll_id: int, total: int, turnout: list[dict]) -> None:
    """More ballots (counted or set aside) than people who voted means ballots were added behind the
    platform's back (only someone who can write the database could): staff are told."""
    voters = sum(cell["participants"] for cell in turnout if cell["dimension"] == "district")
    invalid = db.session.scalar(select(Poll.invalid_ballots).where(Poll.id == poll_id)) or 0
    if total + invalid > voters:
        ballot_box.alert_staff(POLL_BOX, poll_id, "more_ballots_than_voters",
                               f"{total} counted + {invalid} invalid > {voters} voters")


def count_ballots(poll_id: int, count_each_ballot: bool = True) -> tuple[dict[int, int], int]:
    """Every option's count (options without a vote are absent) and the ballot total, in one statement so
    that they agree.

    Without `count_each_ballot` (the live tally of a single-choice poll) the total is the sum of the counts:
    every opened ballot of such a poll has exactly one choice, written with it in one transaction
    (PollBox.store), and options are never removed from a poll that has ballots. That halves the live tally:
    counting the ballots scans the poll_id index, which costs as much as the GROUP BY itself. The final tally
    and the reconciliation count the ballots themselves."""
    statement = (select(BallotChoice.option_id, func.count()).where(BallotChoice.poll_id == poll_id)
                 .group_by(BallotChoice.option_id))
    if not count_each_ballot:
        counts = dict(db.session.execute(statement).all())
        return counts, sum(counts.values())
    counts = dict(db.session.execute(statement.union_all(
        select(literal(0), func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id))).all())
    return counts, counts.pop(0, 0)


def write_counts(poll_id: int, state: PollState, counts: dict[int, int], **values) -> bool:
    """Write `values` onto the poll and `counts` onto its options, unless the poll has left `state` or a
    newer tally is already there (the UPDATE's row lock serialises concurrent tallies). True if written."""
    as_of = values["tally_as_of"]
    written = db.session.execute(
        update(Poll).where(Poll.id == poll_id, Poll.state == state,
                           or_(Poll.tally_as_of.is_(None), Poll.tally_as_of <= as_of))
        .values(**values).execution_options(synchronize_session=False)).rowcount
    if written:
        votes = case(counts, value=PollOption.id, else_=0) if counts else 0
        db.session.execute(update(PollOption).where(PollOption.poll_id == poll_id).values(votes=votes)
                           .execution_options(synchronize_session=False))
        expire_cached(poll_id)
    return bool(written)


def expire_cached(poll_id: int) -> None:
    """The UPDATEs went around the session: a copy of the poll (and its loaded options) that it holds, e.g.
    in the caller of write_tally, is read again when next used. No query here."""
    poll = db.session.identity_map.get(identity_key(Poll, poll_id))
    if poll is not None:
        for option in inspect(poll).dict.get("options", ()):
            db.session.expire(option)
        db.session.expire(poll)


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


def read_bulletin(poll_id: int) -> dict | None:
    """The bulletin of an open poll as of now (None for any other poll)."""
    poll = db.session.execute(select(Poll.state, Poll.tally_digest, Poll.tally_digest_count, Poll.bulletin_batch,
                                     Poll.mixed_batches).where(Poll.id == poll_id)).one_or_none()
    if poll is None or poll.state != PollState.open:
        return None
    as_of = utcnow()
    digest, digest_count = current_digest(poll_id, poll.tally_digest, poll.tally_digest_count, poll.bulletin_batch,
                                          poll.mixed_batches)
    return {"values": {"tally_digest": digest, "tally_digest_count": digest_count,
                       "bulletin_batch": poll.mixed_batches, "bulletin_as_of": as_of},
            "turnout": count_turnout(poll_id)}


def write_bulletin(poll_id: int, bulletin: dict) -> None:
    """Write a bulletin read by read_bulletin, unless the poll has left `open` or a newer one is there."""
    as_of = bulletin["values"]["bulletin_as_of"]
    written = db.session.execute(
        update(Poll).where(Poll.id == poll_id, Poll.state == PollState.open,
                           or_(Poll.bulletin_as_of.is_(None), Poll.bulletin_as_of <= as_of))
        .values(**bulletin["values"]).execution_options(synchronize_session=False)).rowcount
    if written:
        replace_turnout(poll_id, bulletin["turnout"])
        expire_cached(poll_id)


def current_digest(poll_id: int, digest: str | None, digest_count: int | None, covered: int,
                   batches: int) -> tuple[str, int]:
    """The receipts digest over batches 1..`batches`: the stored one if it covers as many batches already
    (receipts are only ever added, a batch at a time), else computed again."""
    if digest is not None and digest_count is not None and covered == batches:
        return digest, digest_count
    return receipts_digest(poll_id, batches)


def count_turnout(poll_id: int) -> list[dict]:
    """Participants by district and by age band (a missing value counts as UNKNOWN)."""
    cells = []
    for dimension, column in (("district", Participation.district), ("age_band", Participation.age_band)):
        rows = db.session.execute(select(column, func.count()).where(Participation.poll_id == poll_id)
                                  .group_by(column)).all()
        cells += [{"poll_id": poll_id, "dimension": dimension, "value": value or UNKNOWN, "participants": count}
                  for value, count in rows]
    return cells


def replace_turnout(poll_id: int, cells: list[dict]) -> None:
    db.session.execute(delete(TurnoutCell).where(TurnoutCell.poll_id == poll_id)
                       .execution_options(synchronize_session=False))
    if cells:
        db.session.execute(insert(TurnoutCell), cells)


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
