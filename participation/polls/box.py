"""The poll as a secret ballot box (core/ballot_box.py): a ballot is a set of the poll's option ids, at most
`max_choices` of them; opened ballots go into `Ballot` and `BallotChoice`."""

import secrets

from sqlalchemy import insert, select

from participation.core.ballot_box import BallotBox, register
from participation.extensions import db
from participation.polls.models import Ballot, BallotChoice, Poll, PollOption, Receipt, SealedBallot


class PollBox(BallotBox):
    kind = "poll"
    model = Poll
    sealed_model = SealedBallot
    receipt_model = Receipt

    def capacity(self, box: Poll) -> int:
        return box.max_choices

    def accepts(self, box_id: int):
        options = set(db.session.scalars(select(PollOption.id).where(PollOption.poll_id == box_id)))
        most = db.session.scalar(select(Poll.max_choices).where(Poll.id == box_id))
        return lambda ids: 0 < len(ids) <= most and set(ids) <= options

    def store(self, box_id: int, ballots: list[tuple[int, ...]]) -> None:
        """The opened ballots, each with a new random id, in the order given (already shuffled)."""
        ids = [secrets.token_hex(16) for _ in ballots]
        if not ballots:
            return
        db.session.execute(insert(Ballot), [{"id": ballot_id, "poll_id": box_id} for ballot_id in ids])
        db.session.execute(insert(BallotChoice), [
            {"ballot_id": ballot_id, "option_id": option_id, "poll_id": box_id}
            for ballot_id, options in zip(ids, ballots, strict=True) for option_id in options])

    def staff_url(self, box_id: int) -> str:
        return f"/polls/{box_id}/manage"


POLL_BOX = register(PollBox())
