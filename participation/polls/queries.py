"""Reads of polls for the pages, the API, the jobs and the indicators. Results come from the tally
columns the worker writes; nothing here counts ballots per request."""

import functools
from datetime import datetime

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import joinedload, lazyload

from participation.accounts import profile
from participation.core import ballot_box
from participation.core.errors import Forbidden
from participation.core.receipts import hash_of_typed
from participation.core.seoul import AGE_BANDS, DISTRICTS, age_band, suppressed
from participation.core.time import days_left, to_kst, utcnow
from participation.extensions import db
from participation.polls.box import POLL_BOX
from participation.polls.models import (
    Participation,
    Poll,
    PollOption,
    PollState,
    PollTag,
    Receipt,
    ResultsVisibility,
    TurnoutCell,
)

UNKNOWN = "-"  # a participant without a district or an age band (counts.count_turnout)
PUBLIC_STATES = (PollState.scheduled, PollState.open, PollState.closed, PollState.tallied, PollState.cancelled)


def opening_day(poll: Poll):
    """The KST day a poll opened (or will open): ages for eligibility are counted on this day."""
    return to_kst(poll.opens_at or utcnow()).date()


def eligibility_problem(poll: Poll, user) -> str | None:
    """Why this person may not vote in this poll (a message), or None. District and birth year are the ones in
    force when the poll opened (accounts/profile.py), not the current profile: moving afterwards changes nothing."""
    if not (poll.eligible_districts or poll.eligible_age_bands):
        return None
    district, birth_year = voter_values(poll, user)
    if poll.eligible_districts and district not in poll.eligible_districts:
        if user.district in poll.eligible_districts:
            return _l("이 투표는 투표가 시작된 때 %(districts)s에 살던 주민만 참여할 수 있습니다. 그 뒤에 바꾼 "
                      "자치구는 자격에 들어가지 않습니다.", districts=", ".join(poll.eligible_districts))
        return _l("이 투표는 %(districts)s 주민만 참여할 수 있습니다.", districts=", ".join(poll.eligible_districts))
    if poll.eligible_age_bands and age_band(birth_year, opening_day(poll)) not in poll.eligible_age_bands:
        return _l("이 투표에 참여할 수 있는 연령대가 아닙니다.")
    return None


def voter_values(poll: Poll, user) -> tuple[str | None, int | None]:
    """The person's (district, birth year) in force when the poll opened, for a poll with eligibility rules (its
    turnout counts them too); the current ones for the others (no look-up)."""
    if not (poll.eligible_districts or poll.eligible_age_bands):
        return user.district, user.birth_year
    return profile.values_on(user, poll.opens_at)


@functools.cache
def poll_with_options(for_vote: bool) -> Select:
    # Built once per process: every vote and results read runs it, and building it (and its cache key) cost a
    # third of the read. Tags are loaded only where they are shown (a vote or a results read does not need them).
    statement = (select(Poll).where(Poll.id == bindparam("poll_id"))
                 .options(joinedload(Poll.options), lazyload(Poll.tag_rows)))
    if for_vote:
        statement = (statement.with_for_update(read=True, key_share=True, of=Poll)
                     .execution_options(populate_existing=True))
    return statement


def public_polls(status: str | None = None, tag: str | None = None, q: str | None = None) -> Select:
    statement = select(Poll).where(Poll.state.in_(PUBLIC_STATES))
    if status:
        statement = statement.where(Poll.state == status)
    if tag:
        statement = statement.where(Poll.id.in_(select(PollTag.poll_id).where(PollTag.tag == tag)))
    if q:
        pattern = f"%{q.strip()}%"
        statement = statement.where(or_(Poll.title.like(pattern), Poll.description.like(pattern)))
    return statement.order_by(Poll.closes_at.desc(), Poll.id.desc())


def open_polls(user=None) -> list[Poll]:
    """Open polls, closing soonest first; for a signed-in citizen the ones they may vote in come first."""
    polls = list(db.session.scalars(select(Poll).where(Poll.state == PollState.open)
                                    .order_by(Poll.closes_at, Poll.id).limit(100)))
    if user is not None and getattr(user, "is_authenticated", False):
        polls.sort(key=lambda poll: eligibility_problem(poll, user) is not None)
    return polls


def results_hidden(poll: Poll) -> bool:
    return poll.results_visibility == ResultsVisibility.after_close and poll.state not in (
        PollState.closed, PollState.tallied)


def require_results_visible(poll: Poll) -> None:
    """Results hidden until close are hidden from everyone, staff included."""
    if results_hidden(poll):
        raise Forbidden(_l("이 투표의 결과는 마감 후에 공개됩니다."), code="results_hidden")


def option_image_url(option: PollOption, external: bool = False) -> str | None:
    """Where the option's picture is served, or None. The stored name's start in the URL makes a replaced
    picture a new URL, so that caches never show the old one."""
    if option.image_name is None:
        return None
    return url_for("polls.option_image", option_id=option.id, v=option.image_name[:8], _external=external)


def results(poll: Poll) -> dict:
    """The latest tally: per-option votes with shares of the ballots, as the worker wrote them (batch by batch
    while the poll is open); and the ballots set aside as invalid. Options stay in ballot order; each carries its
    rank by votes (equal votes, equal rank), its bar against the leader's votes, and on a final tally whether it
    is among the winners (rank within the poll's seats: ten for a yearly top-ten vote, else the number of choices a
    ballot may make; ties at the edge all win)."""
    total = poll.total_ballots
    leader = max((option.votes for option in poll.options), default=0)
    final = poll.state == PollState.tallied
    options = []
    for option in poll.options:
        rank = 1 + sum(other.votes > option.votes for other in poll.options)
        options.append({"id": option.id, "label": option.label, "votes": option.votes, "rank": rank,
                        "share": round(option.votes / total * 100, 1) if total else 0.0,
                        "bar": round(option.votes / leader * 100, 1) if leader else 0.0,
                        "winner": final and option.votes > 0 and rank <= poll.seats,
                        "image_url": option_image_url(option, external=True)})
    return {"poll_id": poll.id, "status": str(poll.state), "total_ballots": total, "options": options,
            "as_of": poll.tally_as_of, "digest": poll.tally_digest, "final": final,
            "invalid_ballots": poll.invalid_ballots, "batches": poll.mixed_batches}


def turnout(poll: Poll) -> dict[str, list[tuple[str, int | None]]]:
    """Participants by district and by age band, None where a cell is not shown (core.seoul.suppressed: small
    cells, and enough others that none can be worked out from the total). People without a district or age
    band (UNKNOWN) are never shown but count in the total."""
    cells = {(cell.dimension, cell.value): cell.participants for cell in db.session.scalars(
        select(TurnoutCell).where(TurnoutCell.poll_id == poll.id))}
    table = {}
    for dimension, values in (("district", DISTRICTS), ("age_band", AGE_BANDS)):
        counts = {value: cells.get((dimension, value), 0) for value in (*values, UNKNOWN)}
        shown = suppressed(counts, hidden=(UNKNOWN,))
        table[dimension] = [(value, shown[value]) for value in values]
    return table


def receipts(poll: Poll) -> Select:
    """The bulletin: the receipt hashes that the published digest covers (batches 1..bulletin_batch), sorted by
    hash (never by the order of voting)."""
    return ballot_box.receipts(POLL_BOX, poll.id, poll.bulletin_batch)


def find_receipt(poll: Poll, text: str) -> tuple[str, bool]:
    """A receipt code as given to a voter, or its hash: the hash, and whether the bulletin lists it."""
    wanted = hash_of_typed(text)
    found = db.session.scalar(select(Receipt.batch).where(Receipt.box_id == poll.id, Receipt.receipt_hash == wanted,
                                                          Receipt.batch <= poll.bulletin_batch))
    return wanted, found is not None


def participated(poll: Poll, user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(select(Participation.id).where(
        Participation.poll_id == poll.id, Participation.user_id == user.id)) is not None


def waiting_for_moderation() -> list[Poll]:
    return list(db.session.scalars(select(Poll).where(Poll.state == PollState.pending).order_by(Poll.id)))


def pending_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Poll).where(Poll.state == PollState.pending)) or 0


def managed_polls(state: str | None = None) -> Select:
    statement = select(Poll).where(Poll.state != PollState.pending)
    if state:
        statement = statement.where(Poll.state == state)
    return statement.order_by(Poll.id.desc())


def drafts_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Poll).where(
        Poll.state.in_([PollState.draft, PollState.scheduled]))) or 0


def count_participants(start: datetime, end: datetime, tag: str | None = None) -> int:
    """Participation rows (one per person per poll) created in [start, end), optionally only in polls
    carrying `tag`. Feeds indicators 3.1.d (all polls) and 2.4.d (tag "top10_news")."""
    statement = select(func.count()).select_from(Participation).where(
        Participation.created_at >= start, Participation.created_at < end)
    if tag is not None:  # staff polls only: a citizen's poll is never the city's official vote
        statement = statement.where(Participation.poll_id.in_(
            select(PollTag.poll_id).join(Poll, Poll.id == PollTag.poll_id).where(PollTag.tag == tag, Poll.by_staff)))
    return db.session.scalar(statement) or 0


def home_items(limit: int) -> list[tuple[str, str, str]]:
    polls = db.session.scalars(select(Poll).where(Poll.state == PollState.open)
                               .order_by(Poll.closes_at, Poll.id).limit(limit))
    return [(poll.title, url_for("polls.detail", poll_id=poll.id),
             str(_l("마감까지 %(days)d일", days=days_left(poll.closes_at)))) for poll in polls]
