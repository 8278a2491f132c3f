"""Indicator 3.2.b (시민참여예산제 심의 예산) is fed by the budgeting channel: the budget of every process whose
voting ended in the KST year, shown in 억원, with the staff's manual override kept as for the other measures."""

from datetime import datetime, timedelta

from sqlalchemy import select

from participation.budgets import services
from participation.budgets.services import write_allocation
from participation.budgets.tasks import apply_budget_deadlines
from participation.core.time import KST
from participation.extensions import db
from participation.indicators import tasks
from participation.indicators.models import Indicator, IndicatorValue
from participation.indicators.services import load_catalogue, set_manual_value
from tests.factories import UserFactory, budget_with_projects, staff

LAST_EVENING_2025 = datetime(2025, 12, 31, 23, 30, tzinfo=KST)


def value(year: int) -> tuple[int | None, str | None]:
    row = db.session.execute(select(IndicatorValue.value, IndicatorValue.source).join(IndicatorValue.indicator)
                             .where(Indicator.code == "3.2.b", IndicatorValue.year == year)).one_or_none()
    return tuple(row) if row else (None, None)


def test_voting_that_ends_on_the_last_evening_of_2025_counts_for_2025(db_session, time_machine):
    load_catalogue()
    time_machine.move_to(LAST_EVENING_2025 - timedelta(days=10), tick=False)
    ending_2025 = budget_with_projects(budget=50_000_000_000, voting_closes_at=LAST_EVENING_2025,
                                       title="2025 서울시 시민참여예산")
    ending_2026 = budget_with_projects(budget=7_000_000_000, title="2026 마포구 주민참여예산",
                                       voting_closes_at=LAST_EVENING_2025 + timedelta(hours=1))
    for process in (ending_2025, ending_2026):
        services.cast_ballot(process, UserFactory(), [process.projects[0].id])
    # The periodic job closes each when its time comes: 23:30 KST on 31 December, then 00:30 KST on 1 January.
    time_machine.move_to(LAST_EVENING_2025, tick=False)
    apply_budget_deadlines()
    time_machine.move_to(LAST_EVENING_2025 + timedelta(hours=1), tick=False)
    apply_budget_deadlines()
    assert (ending_2025.state, ending_2026.state) == ("closed", "closed")
    for process in (ending_2025, ending_2026):
        write_allocation(process.id)
    tasks.refresh_year(2025)
    tasks.refresh_year(2026)
    assert value(2025) == (50_000_000_000, "auto")  # 500억원
    assert value(2026) == (7_000_000_000, "auto")  # 70억원


def test_a_manual_override_stays_until_staff_return_to_the_count(db_session):
    load_catalogue()
    process = budget_with_projects(budget=30_000_000_000)
    services.cast_ballot(process, UserFactory(), [process.projects[0].id])
    services.transition(process, "closed", staff(), "시험 마감")
    write_allocation(process.id)
    year = process.closed_at.astimezone(KST).year
    if year not in (2024, 2025, 2026, 2027):
        return  # the plan's years are over; nothing to count
    tasks.refresh_year(year)
    assert value(year) == (30_000_000_000, "auto")
    set_manual_value(staff(), "3.2.b", year, 52_000_000_000, "예산위원회 심의 결과 (타 시스템 포함)", override=True)
    tasks.refresh_year(year)
    assert value(year) == (52_000_000_000, "manual")
