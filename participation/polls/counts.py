"""Counts of this channel, recomputed from the rows (no commit): each option's votes and the ballot total, the
receipts digest, the turnout by district and age band, and the bulletin that publishes the last two.

A tally (or a bulletin) is written only if no newer one is already there, so two running at once leave the rows
of the later snapshot; the guarded UPDATE of the poll row comes first and serialises them. What a tally sets
off — opening a batch of sealed ballots, the final tally and its move to `tallied` — is the services'
(`services.write_tally`); the jobs that run them are in tasks.py."""

from sqlalchemy import case, delete, func, insert, inspect, literal, or_, select, update
from sqlalchemy.orm.util import identity_key

from participation.core import ballot_box
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


def receipts_digest(poll_id: int, up_to_batch: int) -> tuple[str, int]:
    """SHA-256 of the receipt hashes of batches 1..up_to_batch, sorted and joined with newlines; and how many."""
    return ballot_box.receipts_digest(POLL_BOX, poll_id, up_to_batch)


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
