import pytest
from sqlalchemy import select

from participation.extensions import db
from participation.indicators import feeds
from participation.indicators.models import Indicator
from participation.indicators.services import load_catalogue


@pytest.fixture
def catalogue(db_session):
    """The shipped catalogue, loaded into the test's transaction; maps code -> Indicator."""
    load_catalogue()
    return {indicator.code: indicator for indicator in db.session.scalars(select(Indicator))}


@pytest.fixture
def fake_feeds(monkeypatch):
    """Replace the channel queries: `counts[metric]` is what each metric counts (any [start, end))."""
    counts: dict[str, int] = {metric: 0 for metric in feeds.FEEDS}
    calls: list = []

    def count(metric, start, end):
        calls.append((metric, start, end))
        return counts[metric]

    monkeypatch.setattr(feeds, "count", count)
    counts_calls = type("FakeFeeds", (), {"counts": counts, "calls": calls})
    return counts_calls
