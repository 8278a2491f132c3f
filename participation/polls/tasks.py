"""Jobs of this channel (RQ), idempotent: they take ids and recompute from the database.

The tally reads the ballots (the only truth) with one GROUP BY, digests every receipt hash (only when the
ballot count changed since the digest was last computed), and writes
the result onto the poll and its options. A tally is written only if no newer one is already there,
so two tallies running at once leave the rows of the later snapshot. After a poll closes, the tally
also moves it to `tallied`, which freezes its result.
"""

import hashlib
import logging

from sqlalchemy import case, func, literal, or_, select, text, update

from participation.core.jobs import enqueue_after_commit, enqueue_debounced
from participation.core.time import utcnow
from participation.extensions import db
from participation.polls.models import (
    Ballot,
    BallotChoice,
    Participation,
    Poll,
    PollOption,
    PollState,
    TurnoutCell,
)
from participation.polls.services import transition

log = logging.getLogger(__name__)
UNKNOWN = "-"


DIGEST_BATCH = 50_000


def receipts_digest(poll_id: int) -> tuple[str, int]:
    """SHA-256 of the poll's receipt hashes, sorted and joined with newlines; and how many there were.

    The hashes come in order from the (poll_id, receipt_hash) index through a streaming cursor (a server-side
    cursor on PostgreSQL), a batch at a time, each batch joined by C code and fed to hashlib at once."""
    digest = hashlib.sha256()
    count = 0
    statement = (select(Ballot.receipt_hash).where(Ballot.poll_id == poll_id).order_by(Ballot.receipt_hash)
                 .execution_options(stream_results=True, max_row_buffer=DIGEST_BATCH))
    result = db.session.connection().execute(statement)
    for batch in result.scalars().partitions(DIGEST_BATCH):
        digest.update((("\n" if count else "") + "\n".join(batch)).encode())
        count += len(batch)
    return digest.hexdigest(), count


def tally_poll(poll_id: int) -> None:
    """Job: count the poll's ballots per option and publish the count, the digest and the turnout."""
    write_tally(poll_id)
    db.session.commit()


def write_tally(poll_id: int) -> None:
    """The tally itself (flushes; the caller commits)."""
    poll = db.session.get(Poll, poll_id)
    if poll is None or poll.state not in (PollState.open, PollState.closed):
        # A tallied poll is frozen; drafts and cancelled polls have nothing to count.
        return
    as_of = utcnow()
    # One statement for every option's count and the ballot total, so that they agree.
    counts = dict(db.session.execute(
        select(BallotChoice.option_id, func.count()).where(BallotChoice.poll_id == poll_id)
        .group_by(BallotChoice.option_id)
        .union_all(select(literal(0), func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id))).all())
    total = counts.pop(0, 0)
    if poll.tally_digest is not None and poll.tally_digest_count == total:
        # Ballots are only ever added: the same count means the same receipts, hence the same digest.
        digest, digest_count = poll.tally_digest, total
    else:
        digest, digest_count = receipts_digest(poll_id)
    written = db.session.execute(
        update(Poll).where(Poll.id == poll_id, or_(Poll.tally_as_of.is_(None), Poll.tally_as_of <= as_of),
                           Poll.state.in_([PollState.open, PollState.closed]))
        .values(total_ballots=total, tally_digest=digest, tally_digest_count=digest_count, tally_as_of=as_of)
        .execution_options(synchronize_session=False)).rowcount
    if written:
        option_ids = db.session.scalars(select(PollOption.id).where(PollOption.poll_id == poll_id)).all()
        db.session.execute(
            update(PollOption).where(PollOption.poll_id == poll_id)
            .values(votes=case({option_id: counts.get(option_id, 0) for option_id in option_ids},
                               value=PollOption.id, else_=0))
            .execution_options(synchronize_session=False))
        write_turnout(poll_id)
        db.session.refresh(poll)
        if poll.state == PollState.closed:
            transition(poll, PollState.tallied, None)
            schedule_ballot_rewrite(poll_id)


# States in which a poll takes no more ballots and its ballots are written again (rewrite_ballots_in_id_order):
# after the final tally, or when an open or closed poll is cancelled or hidden without one.
BALLOTS_SETTLED = (PollState.tallied, PollState.cancelled, PollState.hidden)


def schedule_ballot_rewrite(poll_id: int) -> None:
    """After this transaction commits, write the poll's ballots again (PostgreSQL only; see below)."""
    if db.session.get_bind().dialect.name == "postgresql":
        # About 37 s for 200,000 ballots on a busy machine: a poll of millions needs far more than 180 s.
        enqueue_after_commit(rewrite_ballots_in_id_order, poll_id, job_id=f"rewrite-ballots:poll:{poll_id}",
                             timeout=6 * 3600)


def rewrite_ballots_in_id_order(poll_id: int) -> None:
    """Job, PostgreSQL only, after the final tally (or a cancellation or hiding that ends voting without one):
    write the poll's ballots and choices again, in the order of their random ids.

    On PostgreSQL a row carries the id of the transaction that wrote it (xmin), and a vote writes its
    participation row and its ballot in one transaction; rows also lie in the heap in the order they were
    written. Either lets someone who reads the tables match a ballot to a participation row. Rewritten here,
    every ballot carries this job's transaction id and lies in random-id order. (SQLite stores the ballot
    tables WITHOUT ROWID, ordered by the random id, and keeps no writer id.) The old row versions stay in the
    table's files until VACUUM reclaims them, and in WAL archives and backups of the voting period.

    A job of its own, not part of the final tally: it costs about as much as the tally of a big poll (every
    row deleted and inserted again, with their foreign-key checks), and the frozen result must not wait for
    it. The same ballots, receipts and choices before and after, so running it twice changes nothing."""
    if db.session.scalar(select(Poll.state).where(Poll.id == poll_id)) not in BALLOTS_SETTLED:
        return
    for statement in (
            "CREATE TEMPORARY TABLE final_ballot ON COMMIT DROP AS "
            "SELECT id, receipt_hash FROM poll_ballot WHERE poll_id = :poll_id",
            "CREATE TEMPORARY TABLE final_ballot_choice ON COMMIT DROP AS "
            "SELECT ballot_id, option_id FROM poll_ballot_choice WHERE poll_id = :poll_id",
            "DELETE FROM poll_ballot_choice WHERE poll_id = :poll_id",
            "DELETE FROM poll_ballot WHERE poll_id = :poll_id",
            "INSERT INTO poll_ballot (id, poll_id, receipt_hash) "
            "SELECT id, :poll_id, receipt_hash FROM final_ballot ORDER BY id",
            "INSERT INTO poll_ballot_choice (ballot_id, option_id, poll_id) "
            "SELECT ballot_id, option_id, :poll_id FROM final_ballot_choice ORDER BY ballot_id, option_id"):
        db.session.execute(text(statement), {"poll_id": poll_id})
    db.session.commit()


def write_turnout(poll_id: int) -> None:
    db.session.query(TurnoutCell).filter(TurnoutCell.poll_id == poll_id).delete(synchronize_session=False)
    for dimension, column in (("district", Participation.district), ("age_band", Participation.age_band)):
        rows = db.session.execute(select(column, func.count()).where(Participation.poll_id == poll_id)
                                  .group_by(column)).all()
        db.session.add_all([TurnoutCell(poll_id=poll_id, dimension=dimension, value=value or UNKNOWN,
                                        participants=count) for value, count in rows])
    db.session.flush()


def apply_poll_deadlines() -> None:
    """Periodic: open scheduled polls whose time has come, close open polls whose time is up, and make
    sure every closed poll gets its final tally (also if Redis was down when it closed)."""
    now = utcnow()
    for poll in db.session.scalars(select(Poll).where(Poll.state == PollState.scheduled, Poll.opens_at <= now)).all():
        transition(poll, PollState.open, None)
    for poll in db.session.scalars(select(Poll).where(Poll.state == PollState.open, Poll.closes_at <= now)).all():
        transition(poll, PollState.closed, None)
    for poll_id in db.session.scalars(select(Poll.id).where(Poll.state == PollState.closed)).all():
        enqueue_debounced(f"recount:poll:{poll_id}", tally_poll, poll_id)
    db.session.commit()


def tally_all_polls() -> None:
    """Full recount: tally every open or closed poll now, and log any drift fixed."""
    polls = db.session.execute(select(Poll.id, Poll.total_ballots).where(
        Poll.state.in_([PollState.open, PollState.closed]))).all()
    for poll_id, before in polls:
        tally_poll(poll_id)
        after = db.session.scalar(select(Poll.total_ballots).where(Poll.id == poll_id))
        if after != before:
            log.info("poll %s tally corrected: %s -> %s ballots", poll_id, before, after)


# (function, seconds between runs), run by the worker's cron scheduler.
PERIODIC: list = [(apply_poll_deadlines, 60)]
# Functions that recompute all of this channel's counts; `flask --app wsgi tally` runs them.
RECOUNTS: list = [tally_all_polls]
