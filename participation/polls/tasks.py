"""Jobs of this channel (RQ), idempotent: they take ids and recompute from the database.

A poll's result is published at two speeds:

- The live tally (`tally_poll`, debounced, RECOUNT_DELAY seconds after a burst of ballots) counts the
  ballots (the only truth) per option, and their total, with one GROUP BY, and writes that onto the poll
  and its options. Nothing else: with a million ballots it costs about what the GROUP BY costs.
- The bulletin job (`publish_bulletin`, debounced with BULLETIN_DELAY, enqueued by the live tally when the
  ballot count moved past the count the digest covers) computes the public receipts digest (SHA-256 over
  every receipt hash, seconds for a million) and the turnout by district and age band, with their own
  "as of" (`bulletin_as_of`) and the number of receipts the digest covers (`tally_digest_count`).

Once a poll has closed, `tally_poll` is the final tally: counts, digest and turnout in one transaction,
so that the frozen result, its digest and its turnout agree, and the poll moves to `tallied`.

A tally (or a bulletin) is written only if no newer one is already there, so two running at once leave
the rows of the later snapshot; the guarded UPDATE of the poll row comes first and serialises them.
"""

import hashlib
import logging

from flask import current_app
from sqlalchemy import case, delete, func, insert, inspect, literal, or_, select, text, update
from sqlalchemy.orm.util import identity_key

from participation.core.database import begin_reading
from participation.core.jobs import enqueue_after_commit, enqueue_debounced, job_pending
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
    """Job: the live tally of an open poll (counts only), or the final tally of a closed one."""
    write_tally(poll_id)
    db.session.commit()


def write_tally(poll_id: int) -> None:
    """The tally itself (flushes; the caller commits)."""
    poll = db.session.execute(select(Poll.state, Poll.max_choices, Poll.tally_digest, Poll.tally_digest_count)
                              .where(Poll.id == poll_id)).one_or_none()
    if poll is None or poll.state not in (PollState.open, PollState.closed):
        # A tallied poll is frozen; drafts and cancelled polls have nothing to count.
        return
    as_of = utcnow()
    live = poll.state == PollState.open
    counts, total = count_ballots(poll_id, count_each_ballot=not live or poll.max_choices > 1)
    if live:
        if write_counts(poll_id, PollState.open, counts, total_ballots=total, tally_as_of=as_of) \
                and total != poll.tally_digest_count:
            enqueue_debounced(f"bulletin:poll:{poll_id}", publish_bulletin, poll_id,
                              delay=current_app.config["BULLETIN_DELAY"])
        return
    # The final tally: no ballot is taken any more, so counts, digest and turnout describe the same ballots.
    digest, digest_count = current_digest(poll_id, poll.tally_digest, poll.tally_digest_count, total)
    turnout = count_turnout(poll_id)
    if write_counts(poll_id, PollState.closed, counts, total_ballots=total, tally_as_of=as_of,
                    tally_digest=digest, tally_digest_count=digest_count, bulletin_as_of=as_of):
        replace_turnout(poll_id, turnout)
        transition(db.session.get(Poll, poll_id, populate_existing=True), PollState.tallied, None)
        schedule_ballot_rewrite(poll_id)


def count_ballots(poll_id: int, count_each_ballot: bool = True) -> tuple[dict[int, int], int]:
    """Every option's count (options without a vote are absent) and the ballot total, in one statement so
    that they agree.

    Without `count_each_ballot` (the live tally of a single-choice poll) the total is the sum of the counts:
    every ballot of such a poll has exactly one choice, written with it in one transaction (cast_ballot), and
    options are never removed from a poll that has ballots. That halves the live tally: counting the ballots
    scans the (poll_id, receipt_hash) index, which costs as much as the GROUP BY itself. The final tally and
    the bulletin count the ballots themselves."""
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
    """Job (every BULLETIN_DELAY seconds while ballots come in): the public bulletin of an open poll, i.e. the
    receipts digest (skipped while the receipt count is the one it covers) and the turnout cells.

    A closed poll's bulletin comes with its final tally, and a tallied one is frozen: nothing to do then.

    The reads (seconds for a million receipts) are one snapshot that does not hold SQLite's write lock; the
    write after them is guarded, so a bulletin of an older snapshot never replaces a newer one."""
    begin_reading()
    poll = db.session.execute(select(Poll.state, Poll.tally_digest, Poll.tally_digest_count)
                              .where(Poll.id == poll_id)).one_or_none()
    if poll is None or poll.state != PollState.open:
        return
    as_of = utcnow()
    total = db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id))
    digest, digest_count = current_digest(poll_id, poll.tally_digest, poll.tally_digest_count, total)
    turnout = count_turnout(poll_id)
    db.session.commit()
    written = db.session.execute(
        update(Poll).where(Poll.id == poll_id, Poll.state == PollState.open,
                           or_(Poll.bulletin_as_of.is_(None), Poll.bulletin_as_of <= as_of))
        .values(tally_digest=digest, tally_digest_count=digest_count, bulletin_as_of=as_of)
        .execution_options(synchronize_session=False)).rowcount
    if written:
        replace_turnout(poll_id, turnout)
        expire_cached(poll_id)
    db.session.commit()


def current_digest(poll_id: int, digest: str | None, digest_count: int | None, total: int) -> tuple[str, int]:
    """The receipts digest for `total` ballots: the stored one if it covers as many (ballots are only ever
    added, so the same count means the same receipts), else computed again."""
    if digest is not None and digest_count == total:
        return digest, digest_count
    return receipts_digest(poll_id)


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


# States in which a poll takes no more ballots and its ballots are written again (rewrite_ballots_in_id_order):
# after the final tally, or when an open or closed poll is cancelled or hidden without one.
BALLOTS_SETTLED = (PollState.tallied, PollState.cancelled, PollState.hidden)


def schedule_ballot_rewrite(poll_id: int) -> None:
    """After this transaction commits, write the poll's ballots again (PostgreSQL only; see below)."""
    if db.session.get_bind().dialect.name == "postgresql":
        # About 37 s for 200,000 ballots on a busy machine: a poll of millions needs far more than 180 s.
        enqueue_after_commit(rewrite_ballots_in_id_order, poll_id, job_id=rewrite_job_id(poll_id),
                             timeout=6 * 3600)


def rewrite_job_id(poll_id: int) -> str:
    return f"rewrite-ballots:poll:{poll_id}"


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
    db.session.execute(update(Poll).where(Poll.id == poll_id).values(ballots_rewritten_at=utcnow())
                       .execution_options(synchronize_session=False))
    db.session.commit()


def ballots_awaiting_rewrite() -> list[int]:
    """PostgreSQL: polls that take no more ballots, have some, and whose ballots were not written again yet
    (Redis was down when the final tally, the cancellation or the hiding asked for it; or the job failed)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return []
    return list(db.session.scalars(select(Poll.id).where(
        Poll.state.in_(BALLOTS_SETTLED), Poll.ballots_rewritten_at.is_(None),
        select(Ballot.id).where(Ballot.poll_id == Poll.id).exists())))


def apply_poll_deadlines() -> None:
    """Periodic: open scheduled polls whose time has come, close open polls whose time is up, and make
    sure every closed poll gets its final tally and every settled poll's ballots are written again (also if
    Redis was down when it closed)."""
    now = utcnow()
    for poll in db.session.scalars(select(Poll).where(Poll.state == PollState.scheduled, Poll.opens_at <= now)).all():
        transition(poll, PollState.open, None)
    for poll in db.session.scalars(select(Poll).where(Poll.state == PollState.open, Poll.closes_at <= now)).all():
        transition(poll, PollState.closed, None)
    for poll_id in db.session.scalars(select(Poll.id).where(Poll.state == PollState.closed)).all():
        enqueue_debounced(f"recount:poll:{poll_id}", tally_poll, poll_id)
    for poll_id in ballots_awaiting_rewrite():
        if not job_pending(rewrite_job_id(poll_id)):
            schedule_ballot_rewrite(poll_id)
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
