import pytest


@pytest.fixture
def committed(app):
    """For tests whose threads commit for real: every table is emptied afterwards."""
    from tests.conftest import empty_tables

    yield
    with app.app_context():
        empty_tables()


@pytest.fixture
def batch_size(app, monkeypatch):
    """Set MIX_BATCH for this test (the worker opens sealed ballots only once this many wait)."""
    def set_to(size: int) -> None:
        monkeypatch.setitem(app.config, "MIX_BATCH", size)

    return set_to
