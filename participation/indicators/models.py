"""The plan's 40 measures (◈ 지표) and their yearly values.

Values are raw counts (4,300,000 people, not "430 만명"); `scale` is what the plan's unit multiplies by.
A value is either counted by the worker from the channels' rows (`auto`) or entered by staff
(`manual`); a manual value for an auto measure is an explicit override that the worker never touches.
"""

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.core.models import Base
from participation.core.time import utcnow

FIRST_YEAR = 2024
LAST_YEAR = 2027
YEARS = tuple(range(FIRST_YEAR, LAST_YEAR + 1))


class ValueSource(enum.StrEnum):
    auto = "auto"
    manual = "manual"


class Indicator(Base):
    """One measure of the plan (catalogue.csv), e.g. 3.1.d 엠보팅(모바일투표) 참여자 수."""

    __tablename__ = "indicator"
    __table_args__ = (
        CheckConstraint("scale > 0", name="scale_positive"),
        CheckConstraint("stock_or_flow IN ('stock', 'flow')", name="stock_or_flow"),
        CheckConstraint("feed = 'manual' OR feed LIKE 'auto:%'", name="feed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    strategy: Mapped[str] = mapped_column(String(120))
    strategy_ko: Mapped[str] = mapped_column(String(120))
    task: Mapped[str] = mapped_column(String(120))
    task_ko: Mapped[str] = mapped_column(String(120))
    name_ko: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    unit_ko: Mapped[str] = mapped_column(String(20))
    unit_en: Mapped[str] = mapped_column(String(40))
    scale: Mapped[int] = mapped_column(BigInteger)
    baseline_2024: Mapped[int] = mapped_column(BigInteger)
    target_2027: Mapped[int] = mapped_column(BigInteger)
    total_4yr: Mapped[int] = mapped_column(BigInteger)
    # "manual" or "auto:<metric>" (the metric's counting function is in feeds.py)
    feed: Mapped[str] = mapped_column(String(60))
    stock_or_flow: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")

    values: Mapped[list["IndicatorValue"]] = relationship(back_populates="indicator", order_by="IndicatorValue.year")

    @property
    def is_auto(self) -> bool:
        return self.feed.startswith("auto:")

    @property
    def metric(self) -> str | None:
        return self.feed.partition(":")[2] if self.is_auto else None

    @property
    def strategy_number(self) -> int:
        return int(self.code.split(".")[0])

    @property
    def task_number(self) -> int:
        return int(self.code.split(".")[1])

    @property
    def implied_2025_2026(self) -> int:
        """What 2025 and 2026 must add up to: the plan states no yearly targets for them."""
        return self.total_4yr - self.baseline_2024 - self.target_2027


class IndicatorValue(Base):
    """A measure's value for one calendar year (KST)."""

    __tablename__ = "indicator_value"
    __table_args__ = (
        UniqueConstraint("indicator_id", "year"),
        CheckConstraint(f"year BETWEEN {FIRST_YEAR} AND {LAST_YEAR}", name="year_in_plan"),
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("source IN ('auto', 'manual')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(SmallInteger)
    value: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[ValueSource] = mapped_column(String(20))
    # When the worker last counted it, or when staff entered it: the value's "as of".
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)

    indicator: Mapped[Indicator] = relationship(back_populates="values")


class IndicatorValueChange(Base):
    """Every change staff made to a value (and every return to the automatic count): who, when, old → new."""

    __tablename__ = "indicator_value_change"
    __table_args__ = (
        Index("ix_indicator_value_change_indicator_year", "indicator_id", "year", "id"),
        CheckConstraint(f"year BETWEEN {FIRST_YEAR} AND {LAST_YEAR}", name="year_in_plan"),
        CheckConstraint("source IN ('auto', 'manual')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(SmallInteger)
    old_value: Mapped[int | None] = mapped_column(BigInteger)
    new_value: Mapped[int | None] = mapped_column(BigInteger)
    old_source: Mapped[str | None] = mapped_column(String(20))
    # The source after the change: "manual" for an entry, "auto" for a return to the worker's count.
    source: Mapped[ValueSource] = mapped_column(String(20))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)

    indicator: Mapped[Indicator] = relationship()
    changed_by = relationship("User", foreign_keys=[changed_by_id])
