"""The worker's refresh of the automatic measures: idempotent upserts, drift, overrides, KST years."""

import logging
import threading
from datetime import UTC, datetime

from sqlalchemy import delete, select

from participation.core.time import KST, kst_year_bounds
from participation.extensions import db
from participation.indicators import counts, feeds, tasks
from participation.indicators.models import Indicator, IndicatorValue
from participation.indicators.services import load_catalogue, set_manual_value
from tests import factories
from tests.conftest import empty_tables

AUTO_CODES = ["2.1.a", "2.2.a", "2.2.b", "2.2.c", "2.4.d", "3.1.c", "3.1.d", "3.1.e", "3.1.f", "3.2.b", "3.3.b"]


def stored(year: int) -> dict[str, tuple[int, str]]:
    return {code: (value, source) for code, value, source in db.session.execute(
        select(Indicator.code, IndicatorValue.value, IndicatorValue.source).join(IndicatorValue.indicator)
        .where(IndicatorValue.year == year))}


def test_refresh_writes_one_row_per_automatic_measure(catalogue, fake_feeds):
    fake_feeds.counts.update(petitions_received=412, poll_participants=1_234_567, forums_opened=3)
    written = tasks.refresh_year(2025)
    assert sorted(written) == AUTO_CODES
    rows = stored(2025)
    assert sorted(rows) == AUTO_CODES
    assert rows["2.2.a"] == (412, "auto")
    assert rows["3.1.d"] == (1_234_567, "auto")
    assert rows["3.1.f"] == (3, "auto")
    assert rows["3.1.e"] == (0, "auto")
    assert stored(2024) == {}


def test_refreshing_twice_leaves_the_same_rows(catalogue, fake_feeds):
    fake_feeds.counts.update(petitions_received=7, citizen_proposals=11)
    tasks.refresh_year(2025)
    ids = dict(db.session.execute(select(IndicatorValue.indicator_id, IndicatorValue.id)).all())
    first = stored(2025)
    tasks.refresh_year(2025)
    assert stored(2025) == first
    assert dict(db.session.execute(select(IndicatorValue.indicator_id, IndicatorValue.id)).all()) == ids
    assert db.session.scalar(select(db.func.count()).select_from(IndicatorValue)) == len(AUTO_CODES)


def test_a_different_count_is_written_and_logged_as_drift(catalogue, fake_feeds, caplog):
    fake_feeds.counts["petitions_received"] = 5
    tasks.refresh_year(2025)
    fake_feeds.counts["petitions_received"] = 8
    with caplog.at_level(logging.INFO, logger="participation.indicators.counts"):
        tasks.refresh_year(2025)
    assert stored(2025)["2.2.a"] == (8, "auto")
    assert [r.getMessage() for r in caplog.records if "drift" in r.getMessage()] == [
        "indicator 2.2.a 2025: drift fixed (5 -> 8)"]


def test_a_manual_override_is_never_overwritten(catalogue, fake_feeds):
    staff = factories.staff()
    fake_feeds.counts["poll_participants"] = 100
    tasks.refresh_year(2025)
    set_manual_value(staff, "3.1.d", 2025, 4_500_000, "오프라인 투표 포함 집계", override=True)
    fake_feeds.counts["poll_participants"] = 200
    tasks.refresh_year(2025)
    assert stored(2025)["3.1.d"] == (4_500_000, "manual")
    assert stored(2025)["3.1.e"] == (0, "auto")


def test_a_measure_without_a_feed_is_logged_and_skipped(catalogue, monkeypatch, caplog):
    """A catalogue row whose metric no feed serves (a catalogue edited ahead of the code) is a logged error, and
    the other measures are still counted."""
    monkeypatch.setattr(feeds, "FEEDS", {metric: feed for metric, feed in feeds.FEEDS.items()
                                         if metric != "petitions_received"})
    with caplog.at_level(logging.ERROR, logger="participation.indicators.counts"):
        written = tasks.refresh_year(2025)
    assert "2.2.a" not in written and "3.1.f" in written
    assert "no feed named 'petitions_received'" in " ".join(record.getMessage() for record in caplog.records)


def test_every_feed_is_a_channel_query_counting_a_year(catalogue):
    start, end = kst_year_bounds(2025)
    for metric, feed in feeds.FEEDS.items():
        assert feed.query.__module__.endswith(".queries"), metric
        assert feed(start, end) == 0, metric


def test_years_are_kst_calendar_years(catalogue, fake_feeds):
    tasks.refresh_year(2025)
    bounds = {(start, end) for _, start, end in fake_feeds.calls}
    assert bounds == {(datetime(2024, 12, 31, 15, tzinfo=UTC), datetime(2025, 12, 31, 15, tzinfo=UTC))}


def test_an_act_at_2025_12_31_2330_kst_counts_for_2025(catalogue, monkeypatch):
    """A channel that counts its rows by [start, end): the act is 14:30 UTC on 31 December."""
    acts = [datetime(2025, 12, 31, 23, 30, tzinfo=KST), datetime(2026, 1, 1, 0, 10, tzinfo=KST),
            datetime(2025, 1, 1, 0, 0, tzinfo=KST), datetime(2024, 12, 31, 23, 59, tzinfo=KST)]

    def count(metric, start, end):
        return sum(start <= act < end for act in acts) if metric == "petitions_received" else 0

    monkeypatch.setattr(feeds, "count", count)
    tasks.refresh_year(2024)
    tasks.refresh_year(2025)
    tasks.refresh_year(2026)
    assert [stored(year)["2.2.a"][0] for year in (2024, 2025, 2026)] == [1, 2, 1]
    assert kst_year_bounds(2025)[1] > acts[0].astimezone(UTC)


def test_periodic_and_full_refresh_are_registered(app):
    from participation import schedule

    assert (tasks.refresh_current_year, "INDICATOR_INTERVAL") in schedule.PERIODIC
    assert schedule.RECOUNTS[-1] is tasks.refresh_all_years


def test_full_refresh_covers_the_plan_years_up_to_now(catalogue, fake_feeds, monkeypatch):
    monkeypatch.setattr(counts, "kst_today", lambda: datetime(2026, 3, 1).date())
    tasks.refresh_all_years()
    assert sorted({start.astimezone(KST).year for _, start, _ in fake_feeds.calls}) == [2024, 2025, 2026]


def test_concurrent_refreshes_leave_the_same_rows(app, monkeypatch):
    """Two workers refreshing the same year at once, with real commits on separate connections."""
    monkeypatch.setattr(feeds, "count", lambda metric, start, end: len(metric))
    with app.app_context():
        load_catalogue()
        db.session.commit()
    errors = []
    barrier = threading.Barrier(4)

    def work():
        try:
            with app.app_context():
                barrier.wait()
                tasks.refresh_year(2025)
                db.session.remove()
        except Exception as error:  # reported below; a thread cannot fail the test itself
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        with app.app_context():
            assert errors == []
            rows = stored(2025)
            assert len(rows) == len(AUTO_CODES)
            assert rows == {code: (len(metric), "auto") for code, metric in db.session.execute(
                select(Indicator.code, Indicator.feed).where(Indicator.feed != "manual"))
                for metric in [metric.split(":")[1]]}
            db.session.execute(delete(IndicatorValue))
            db.session.commit()
    finally:
        with app.app_context():
            empty_tables()
