"""Mobile voting (엠보팅): polls, their options, who took part, and the secret ballots.

Secrecy lives in the schema: `Participation` says who voted (poll, user, when, district and age band
for turnout), `Ballot` says what was voted (poll, receipt hash, choices) and carries no user, no exact
time and a random id. On SQLite both ballot tables are WITHOUT ROWID, so not even the storage order
links a ballot to a participation row. Bulletins list receipt hashes sorted by hash, never by insertion.
"""

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.core.models import Base
from participation.core.time import utcnow

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
OPTION_LABEL_MAX = 200
OPTION_DESCRIPTION_MAX = 500
OPTIONS_MIN = 2
OPTIONS_MAX = 100
TAG_MAX = 40


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


class Poll(Base):
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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # The latest tally by the worker (the ballots are the truth; these are what pages read): the live tally
    # (every few seconds while open) writes the counts and tally_as_of.
    total_ballots: Mapped[int] = mapped_column(default=0)
    tally_as_of: Mapped[datetime | None]
    # The public bulletin, written by the slower bulletin job (every BULLETIN_DELAY seconds while ballots
    # come in) and by the final tally: the SHA-256 over every receipt hash, how many hashes it covers, and
    # when it and the turnout cells were computed. Ballots are only ever added, so while the count is the
    # same the digest is too, and the job does not recompute it.
    tally_digest: Mapped[str | None] = mapped_column(String(64))
    tally_digest_count: Mapped[int | None]
    bulletin_as_of: Mapped[datetime | None]
    # PostgreSQL: when the ballots of a poll that takes no more of them were written again in random-id order
    # (polls.tasks.rewrite_ballots_in_id_order); until then the periodic job keeps asking for it.
    ballots_rewritten_at: Mapped[datetime | None]

    options: Mapped[list["PollOption"]] = relationship(
        back_populates="poll", order_by="PollOption.position", cascade="all, delete-orphan", lazy="selectin")
    tag_rows: Mapped[list["PollTag"]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def tags(self) -> list[str]:
        return sorted(row.tag for row in self.tag_rows)

    @property
    def multiple(self) -> bool:
        return self.max_choices > 1


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
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Snapshots for turnout statistics, as on the poll's opening day.
    district: Mapped[str | None] = mapped_column(String(10))
    age_band: Mapped[str | None] = mapped_column(String(10))


class Ballot(Base):
    """What was voted: a random id, the poll and the receipt's hash. No user, no time."""

    __tablename__ = "poll_ballot"
    __table_args__ = (Index("ix_poll_ballot_poll_id_receipt_hash", "poll_id", "receipt_hash"),
                      {"sqlite_with_rowid": False})

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)


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
