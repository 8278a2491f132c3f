"""Participatory budgeting (시민참여예산): processes, their projects, supports, who voted and the secret ballots.

Amounts (the budget, costs) are integers in the process's smallest unit: 원 for the city's own processes.
A process imported from a Pabulib file keeps that file's currency, and `decimals` says how many decimal
places its amounts had (a cost of 376634.74 PLN is stored as 37663474 with decimals = 2).

Secrecy lives in the schema and in who writes what, exactly as for polls (core/ballot_box.py): the vote's
transaction writes `BudgetParticipation` (who voted: process, user, the KST day, district and age band) and the
ballot *sealed* to the process's public key (`BudgetSealedBallot`). The tally worker opens sealed ballots in
shuffled batches and writes what was voted (`BudgetBallot`, `BudgetBallotProject`: a random id, the process,
the projects) and, apart, the receipts (`BudgetReceipt`: the process and a hash), each in random order, in
transactions of its own. No ballot table has a user, a time or a link to a receipt; on SQLite they are WITHOUT
ROWID. Ballots imported from a Pabulib file are anonymous already and go straight into the opened tables.
"""

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.core.ballot_box import BoxColumns, ReceiptColumns, SealedBallotColumns
from participation.core.models import Base
from participation.core.time import utcnow

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
PLACE_MAX = 200
NOTES_MAX = 4000
# Above any city budget in 원 (9경); BigInteger holds it.
AMOUNT_MAX = 10**17
CODE_MAX = 60


class ProcessState(enum.StrEnum):
    draft = "draft"            # staff prepare it
    proposing = "proposing"    # citizens propose projects and support them
    reviewing = "reviewing"    # departments assess each project
    voting = "voting"          # citizens vote
    closed = "closed"          # voting ended; the worker allocates
    tallied = "tallied"        # the allocation is final
    cancelled = "cancelled"


class BallotKind(enum.StrEnum):
    knapsack = "knapsack"      # any projects whose costs together stay within the budget
    approval = "approval"      # up to max_projects projects


class Rule(enum.StrEnum):
    greedy = "greedy"
    equal_shares = "equal_shares"


class ProcessSource(enum.StrEnum):
    platform = "platform"
    pabulib = "pabulib"        # imported from a Pabulib file: not counted in the city's indicators


class ProjectStatus(enum.StrEnum):
    proposed = "proposed"      # waiting for the department's assessment
    feasible = "feasible"      # on the ballot
    infeasible = "infeasible"  # not on the ballot; the reason is public
    merged = "merged"          # folded into another project (merged_into_id)


class Implementation(enum.StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    done = "done"


class BudgetProcess(BoxColumns, Base):
    """A budgeting process (시민참여예산 사업): a budget, its phases, its projects and its ballots."""

    __tablename__ = "budget_process"
    __table_args__ = (
        CheckConstraint("budget > 0", name="budget_positive"),
        CheckConstraint("decimals BETWEEN 0 AND 4", name="decimals_range"),
        CheckConstraint("ballot_kind IN ('knapsack', 'approval')", name="ballot_kind_known"),
        CheckConstraint("rule IN ('greedy', 'equal_shares')", name="rule_known"),
        CheckConstraint("ballot_kind = 'knapsack' OR max_projects >= 1", name="approval_has_maximum"),
        CheckConstraint("total_ballots >= 0", name="total_not_negative"),
        Index("ix_budget_process_state", "state", "id"),
        Index("ix_budget_process_closed_at", "closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[ProcessState] = mapped_column(String(20))
    source: Mapped[ProcessSource] = mapped_column(String(20), default=ProcessSource.platform)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    # None: city-wide. A district process is voted on by that district's residents.
    district: Mapped[str | None] = mapped_column(String(10))
    # Category codes (core.seoul.CATEGORIES) projects may choose from; empty: any.
    categories: Mapped[list] = mapped_column(JSON, default=list)
    eligible_age_bands: Mapped[list] = mapped_column(JSON, default=list)
    budget: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="KRW")
    decimals: Mapped[int] = mapped_column(SmallInteger, default=0)
    ballot_kind: Mapped[BallotKind] = mapped_column(String(20), default=BallotKind.knapsack)
    max_projects: Mapped[int | None]
    rule: Mapped[Rule] = mapped_column(String(20), default=Rule.greedy)
    # What supporting a project and voting require: "email" or "identity" (본인인증). Staff may ask for identity
    # at creation; when proposals open, the setting IDENTITY_FOR_BUDGETS requires it of every process.
    verification: Mapped[str] = mapped_column(String(10), default="email", server_default="email")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The phases' planned dates; the periodic job moves the process when they come.
    proposing_closes_at: Mapped[datetime | None]
    voting_opens_at: Mapped[datetime | None]
    voting_closes_at: Mapped[datetime | None]
    # When voting actually opened and ended (indicator 3.2.b counts processes by the KST year of closed_at).
    voting_opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # The Pabulib META of an imported file (kept for the export), else empty.
    pabulib_meta: Mapped[dict] = mapped_column(JSON, default=dict)
    # Written by the worker: people who voted so far (recounted each time a batch of sealed ballots is opened,
    # so it moves batch by batch), and the allocation at the final tally.
    participants: Mapped[int] = mapped_column(default=0)
    participants_as_of: Mapped[datetime | None]
    total_ballots: Mapped[int] = mapped_column(default=0)
    spent: Mapped[int | None] = mapped_column(BigInteger)
    tally_as_of: Mapped[datetime | None]
    tally_digest: Mapped[str | None] = mapped_column(String(64))
    # Equal Shares: each voter's share in the deciding run ("numerator/denominator") and the 1% raises it took.
    allocation: Mapped[dict] = mapped_column(JSON, default=dict)

    projects: Mapped[list["BudgetProject"]] = relationship(
        back_populates="process", order_by="BudgetProject.id", cascade="all, delete-orphan",
        foreign_keys="BudgetProject.budget_id")


class BudgetProject(Base):
    """A project (사업 제안) of a process: proposed by a citizen or staff, assessed, voted on, funded or not."""

    __tablename__ = "budget_project"
    __table_args__ = (
        UniqueConstraint("budget_id", "code"),
        CheckConstraint("cost > 0", name="cost_positive"),
        CheckConstraint("estimated_cost > 0", name="estimated_cost_positive"),
        CheckConstraint("status IN ('proposed', 'feasible', 'infeasible', 'merged')", name="status_known"),
        CheckConstraint("status != 'merged' OR merged_into_id IS NOT NULL", name="merged_has_target"),
        CheckConstraint("implementation_percent IS NULL OR implementation_percent BETWEEN 0 AND 100",
                        name="implementation_percent_range"),
        Index("ix_budget_project_budget_status", "budget_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget_process.id", ondelete="CASCADE"))
    # The project's id in Pabulib files: the imported file's own id, else the project's id.
    code: Mapped[str | None] = mapped_column(String(CODE_MAX))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    district: Mapped[str | None] = mapped_column(String(10))
    category: Mapped[str | None] = mapped_column(String(40))
    place: Mapped[str] = mapped_column(String(PLACE_MAX), default="")
    # The proposer's estimate; `cost` is what the ballot uses (the department's revised cost once assessed).
    estimated_cost: Mapped[int] = mapped_column(BigInteger)
    cost: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[ProjectStatus] = mapped_column(String(20), default=ProjectStatus.proposed)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("budget_project.id", ondelete="SET NULL"))
    # The department's assessment: notes (feasible) or the public reason (infeasible).
    assessment: Mapped[str] = mapped_column(Text, default="")
    assessed_at: Mapped[datetime | None]
    # Other columns of an imported Pabulib file's project row (kept for the export).
    pabulib_fields: Mapped[dict] = mapped_column(JSON, default=dict)
    # Written by the worker: supports (recount) and, at the final tally, votes and the outcome.
    support_count: Mapped[int] = mapped_column(default=0)
    votes: Mapped[int] = mapped_column(default=0)
    funded: Mapped[bool | None] = mapped_column(Boolean)
    # None when funded; else allocation.BUDGET_EXHAUSTED or EXCEEDS_REMAINING.
    outcome_reason: Mapped[str | None] = mapped_column(String(30))
    # The explanation's figures (allocation.ProjectOutcome), amounts as strings.
    outcome: Mapped[dict] = mapped_column(JSON, default=dict)
    # Funded projects: how the city carries them out (planned → in progress → done).
    implementation: Mapped[Implementation | None] = mapped_column(String(20))
    implementation_percent: Mapped[int | None] = mapped_column(SmallInteger)
    implementation_note: Mapped[str] = mapped_column(Text, default="")
    implementation_updated_at: Mapped[datetime | None]

    process: Mapped[BudgetProcess] = relationship(back_populates="projects", foreign_keys=[budget_id])
    images: Mapped[list["BudgetProjectImage"]] = relationship(
        back_populates="project", order_by="BudgetProjectImage.id", cascade="all, delete-orphan")

    @property
    def pabulib_id(self) -> str:
        return self.code or str(self.id)


class BudgetProjectImage(Base):
    """A photo of a project (optional, up to core.images.MAX_IMAGES), re-encoded by core.images and kept in the
    shared storage under budgets/<stored_name>."""

    __tablename__ = "budget_project_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("budget_project.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[BudgetProject] = relationship(back_populates="images")


class ProjectSupport(Base):
    """A citizen's support (공감) for a proposed project: one per person per project."""

    __tablename__ = "budget_project_support"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("budget_project.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BudgetParticipation(Base):
    """Who voted in a process (one row per person). Says nothing about the choice."""

    __tablename__ = "budget_participation"
    __table_args__ = (UniqueConstraint("budget_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget_process.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # The KST day of the vote, as that day's 00:00 KST (core.time.start_of_kst_day): the indicators count by
    # year; the second would order the voters for anyone who reads the table.
    created_at: Mapped[datetime]
    district: Mapped[str | None] = mapped_column(String(10))
    age_band: Mapped[str | None] = mapped_column(String(10))


class BudgetSealedBallot(SealedBallotColumns, Base):
    """A ballot as cast, sealed to the process's public key, until the worker opens it (core/ballot_box.py)."""

    __tablename__ = "budget_sealed_ballot"
    __box_table__ = "budget_process"
    __table_args__ = {"sqlite_with_rowid": False}


class BudgetReceipt(ReceiptColumns, Base):
    """A receipt's SHA-256 on the public bulletin, written per batch in random order; no link to a ballot."""

    __tablename__ = "budget_receipt"
    __box_table__ = "budget_process"
    __table_args__ = {"sqlite_with_rowid": False}


class BudgetBallot(Base):
    """An opened ballot: a random id (not the sealed one's) and the process. No user, no time, no receipt."""

    __tablename__ = "budget_ballot"
    __table_args__ = (Index("ix_budget_ballot_budget_id", "budget_id"), {"sqlite_with_rowid": False})

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget_process.id", ondelete="CASCADE"))


class BudgetBallotProject(Base):
    """One project approved on a ballot; the primary key forbids approving a project twice."""

    __tablename__ = "budget_ballot_project"
    __table_args__ = (Index("ix_budget_ballot_project_budget_id_project_id", "budget_id", "project_id"),
                      {"sqlite_with_rowid": False})

    ballot_id: Mapped[str] = mapped_column(ForeignKey("budget_ballot.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("budget_project.id", ondelete="CASCADE"), primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget_process.id", ondelete="CASCADE"))
