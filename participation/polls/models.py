"""Mobile voting (엠보팅): polls, their options, who took part, and the secret ballots.

Secrecy lives in the schema and in who writes what (core/ballot_box.py): `Participation` says who voted (poll,
user, the KST day, district and age band for turnout) and is written with the ballot *sealed* to the poll's
public key (`SealedBallot`); the tally worker opens sealed ballots in shuffled batches and writes what was
voted (`Ballot`, `BallotChoice`: a random id, the poll, the options) and, apart, the receipts (`Receipt`: the
poll and a hash), each in random order, in transactions of its own. No ballot table has a user, a time or a
link to a receipt. On SQLite they are WITHOUT ROWID: stored in the order of their random ids or hashes.
"""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.core.ballot_box import BoxColumns, ReceiptColumns, SealedBallotColumns
from participation.core.models import Base
from participation.core.time import utcnow

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
OPTION_LABEL_MAX = 200
OPTION_DESCRIPTION_MAX = 500
OPTIONS_MIN = 2
OPTIONS_MAX = 100
TAG_MAX = 40
# The official tags: staff polls carrying them feed the plan's measures (2.4.d counts the top-10 news vote).
TAG_LABELS = {"top10_news": _l("올해의 10대 뉴스"), "top10_policy": _l("올해의 10대 정책")}
# The yearly top-ten votes choose ten, however few options a ballot may tick.
TOP_TEN_TAGS = frozenset({"top10_news", "top10_policy"})


class PollState(enum.StrEnum):
    pending = "pending"        # a citizen's poll waiting for moderation
    rejected = "rejected"
    draft = "draft"            # a staff poll being prepared
    scheduled = "scheduled"
    open = "open"
    closed = "closed"
    tallied = "tallied"        # final result frozen
    cancelled = "cancelled"
    hidden = "hidden"          # removed by a moderator


class ResultsVisibility(enum.StrEnum):
    live = "live"
    after_close = "after_close"


class Poll(BoxColumns, Base):
    __tablename__ = "poll"
    __table_args__ = (
        CheckConstraint("max_choices >= 1", name="max_choices_positive"),
        CheckConstraint("opens_at IS NULL OR opens_at < closes_at", name="opens_before_closing"),
        CheckConstraint("total_ballots >= 0", name="total_not_negative"),
        CheckConstraint("results_visibility IN ('live', 'after_close')", name="results_visibility_known"),
        Index("ix_poll_state_closes_at", "state", "closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[PollState] = mapped_column(String(20))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    by_staff: Mapped[bool] = mapped_column(default=False)
    max_choices: Mapped[int] = mapped_column(default=1)
    results_visibility: Mapped[ResultsVisibility] = mapped_column(String(20), default=ResultsVisibility.live)
    # Empty lists: everyone may vote.
    eligible_districts: Mapped[list] = mapped_column(JSON, default=list)
    eligible_age_bands: Mapped[list] = mapped_column(JSON, default=list)
    # What voting requires: "email" or "identity" (본인인증). Staff may ask for identity at creation; when the poll
    # opens, district or age-band eligibility requires it too (setting IDENTITY_FOR_ELIGIBILITY_POLLS).
    verification: Mapped[str] = mapped_column(String(10), default="email", server_default="email")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # The latest tally by the worker (the opened ballots are the truth; these are what pages read), written with
    # each batch of opened ballots (so they move batch by batch) and by the final tally: counts and tally_as_of.
    total_ballots: Mapped[int] = mapped_column(default=0)
    tally_as_of: Mapped[datetime | None]
    # The public bulletin, written by the slower bulletin job (every BULLETIN_DELAY seconds while batches
    # come in) and by the final tally: the SHA-256 over the receipt hashes of batches 1..bulletin_batch (the
    # bulletin lists exactly those), how many hashes it covers, and when it and the turnout cells were
    # computed. Receipts are only ever added, so while the count is the same the digest is too.
    tally_digest: Mapped[str | None] = mapped_column(String(64))
    tally_digest_count: Mapped[int | None]
    bulletin_batch: Mapped[int] = mapped_column(default=0, server_default="0")
    bulletin_as_of: Mapped[datetime | None]

    options: Mapped[list["PollOption"]] = relationship(
        back_populates="poll", order_by="PollOption.position", cascade="all, delete-orphan", lazy="selectin")
    tag_rows: Mapped[list["PollTag"]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def tags(self) -> list[str]:
        return sorted(row.tag for row in self.tag_rows)

    @property
    def multiple(self) -> bool:
        return self.max_choices > 1

    @property
    def seats(self) -> int:
        """How many options the vote chooses: ten for a yearly top-ten vote with more than ten options, else as
        many as a ballot may tick."""
        if TOP_TEN_TAGS & set(self.tags) and len(self.options) > 10:
            return 10
        return self.max_choices


class PollOption(Base):
    __tablename__ = "poll_option"
    __table_args__ = (UniqueConstraint("poll_id", "position"), CheckConstraint("votes >= 0", name="votes_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))
    position: Mapped[int]
    label: Mapped[str] = mapped_column(String(OPTION_LABEL_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    # An optional picture, re-encoded by core.images and stored under instance/uploads/polls/.
    image_name: Mapped[str | None] = mapped_column(String(80), unique=True)
    image_content_type: Mapped[str | None] = mapped_column(String(40))
    # Written by the tally job only.
    votes: Mapped[int] = mapped_column(default=0)

    poll: Mapped[Poll] = relationship(back_populates="options")


class PollTag(Base):
    """A tag such as `top10_news` (올해의 10대 뉴스) or `top10_policy`; indicators count by tag."""

    __tablename__ = "poll_tag"
    __table_args__ = (Index("ix_poll_tag_tag", "tag", "poll_id"),)

    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(TAG_MAX), primary_key=True)


class Participation(Base):
    """Who took part in a poll (one row per person per poll). Says nothing about the choice."""

    __tablename__ = "poll_participation"
    __table_args__ = (UniqueConstraint("poll_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # The KST day of the vote, as that day's 00:00 KST (core.time.start_of_kst_day): the indicators count by
    # year and the statistics by month; the second would order the voters for anyone who reads the table.
    created_at: Mapped[datetime] = mapped_column(index=True)
    # Snapshots for turnout statistics, as on the poll's opening day.
    district: Mapped[str | None] = mapped_column(String(10))
    age_band: Mapped[str | None] = mapped_column(String(10))


class SealedBallot(SealedBallotColumns, Base):
    """A ballot as cast, sealed to the poll's public key, until the worker opens it (core/ballot_box.py)."""

    __tablename__ = "poll_sealed_ballot"
    __box_table__ = "poll"
    __table_args__ = {"sqlite_with_rowid": False}


class Receipt(ReceiptColumns, Base):
    """A receipt's SHA-256 on the public bulletin, written per batch in random order; no link to a ballot."""

    __tablename__ = "poll_receipt"
    __box_table__ = "poll"
    __table_args__ = {"sqlite_with_rowid": False}


class Ballot(Base):
    """An opened ballot: a random id (not the sealed one's) and the poll. No user, no time, no receipt."""

    __tablename__ = "poll_ballot"
    __table_args__ = (Index("ix_poll_ballot_poll_id", "poll_id"), {"sqlite_with_rowid": False})

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))


class BallotChoice(Base):
    """One chosen option of a ballot; the primary key forbids choosing an option twice."""

    __tablename__ = "poll_ballot_choice"
    __table_args__ = (Index("ix_poll_ballot_choice_poll_id_option_id", "poll_id", "option_id"),
                      {"sqlite_with_rowid": False})

    ballot_id: Mapped[str] = mapped_column(ForeignKey("poll_ballot.id", ondelete="CASCADE"), primary_key=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("poll_option.id", ondelete="CASCADE"), primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))


class TurnoutCell(Base):
    """Turnout by one dimension (district or age band), written by the bulletin job and the final tally."""

    __tablename__ = "poll_turnout"

    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(20), primary_key=True)
    participants: Mapped[int]
