"""Time: stored in UTC, shown and counted in Asia/Seoul (KST) days and years."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

KST = ZoneInfo("Asia/Seoul")


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_kst(moment: datetime) -> datetime:
    return moment.astimezone(KST)


def kst_today() -> date:
    return utcnow().astimezone(KST).date()


def kst_year_bounds(year: int) -> tuple[datetime, datetime]:
    """[start, end) of a calendar year in KST, as UTC datetimes."""
    start = datetime(year, 1, 1, tzinfo=KST).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=KST).astimezone(UTC)
    return start, end


def start_of_kst_day(moment: datetime) -> datetime:
    """00:00 KST of the moment's KST day, as UTC: a time that keeps the day and drops the hour."""
    return datetime.combine(to_kst(moment).date(), time(), tzinfo=KST).astimezone(UTC)


def end_of_kst_day(day: date) -> datetime:
    """The last instant of a KST day, as UTC: deadlines follow KST days."""
    return (datetime.combine(day + timedelta(days=1), time(), tzinfo=KST) - timedelta(microseconds=1)
            ).astimezone(UTC)


def days_left(deadline: datetime, now: datetime | None = None) -> int:
    """Whole KST days from today until the deadline's day (0 on the last day)."""
    now = now or utcnow()
    return max(0, (to_kst(deadline).date() - to_kst(now).date()).days)
