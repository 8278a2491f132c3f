import pytest


@pytest.fixture
def committed(app):
    """For tests whose threads commit for real: every table is emptied afterwards."""
    from tests.conftest import empty_tables

    yield
    with app.app_context():
        empty_tables()

