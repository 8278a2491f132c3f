"""Overload: when every database connection is taken, the app answers 503 with Retry-After at once (well
before a client would time out) instead of queueing the request; and the admin pause switch stops new
signatures and ballots platform-wide with a Korean message, in the API and on the page, writing nothing."""

import time

import pytest
from sqlalchemy import func, select

from participation import create_app
from participation.core.settings import set_setting
from participation.extensions import db
from participation.petitions.models import Signature
from participation.polls.models import Participation, SealedBallot
from tests import factories
from tests.conftest import csrf_token, login
from tests.security.conftest import bearer

PAUSED_MESSAGE = "일시 중지"


@pytest.fixture
def tiny_pool_app(app, instance_dir):
    from tests.conftest import make_test_config

    config = make_test_config(instance_dir)
    if not config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("pool exhaustion needs PostgreSQL's QueuePool (SQLite's pool does not queue connections)")
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "pool_size": 1, "max_overflow": 0,
                                           "pool_timeout": 1}
    small = create_app(config)
    yield small
    with small.app_context():
        db.engine.dispose()


def test_an_exhausted_pool_answers_503_quickly(tiny_pool_app):
    with tiny_pool_app.app_context():
        engine = db.engine
    held = engine.connect()  # the pool's only connection
    try:
        client = tiny_pool_app.test_client()
        for path in ("/api/v1/petitions", "/api/v1/polls"):
            started = time.monotonic()
            response = client.get(path)
            elapsed = time.monotonic() - started
            assert response.status_code == 503, (path, response.status_code)
            assert elapsed < 5, f"{path} took {elapsed:.1f} s"
            assert response.json["error"]["code"] == "unavailable"
            assert response.json["error"]["message"]
            assert int(response.headers["Retry-After"]) > 0
        started = time.monotonic()
        page = client.get("/petitions")
        assert page.status_code == 503 and time.monotonic() - started < 5
        assert "text/html" in page.content_type
    finally:
        held.close()
    # The connection is back: the same app serves again without a restart.
    assert tiny_pool_app.test_client().get("/api/v1/petitions").status_code == 200


def counts(petition_id, poll_id) -> tuple[int, int, int]:
    return (db.session.scalar(select(func.count()).select_from(Signature).where(Signature.petition_id == petition_id)),
            db.session.scalar(select(func.count()).select_from(SealedBallot).where(SealedBallot.box_id == poll_id)),
            db.session.scalar(select(func.count()).select_from(Participation).where(
                Participation.poll_id == poll_id)))


def test_the_pause_switch_stops_signing_and_voting_in_the_api_and_on_the_page(client, db_session):
    citizen = factories.UserFactory()
    petition = factories.open_petition()
    poll = factories.PollFactory()
    set_setting("PAUSE_PARTICIPATION", True, factories.admin(), note="지방선거 기간")
    headers = bearer(citizen)
    # A refusal rolls the request's session back: keep the setup (the test's transaction still ends rolled back).
    db_session.commit()

    response = client.post(f"/api/v1/petitions/{petition.id}/signatures", headers=headers)
    assert response.status_code == 503
    assert response.json["error"]["code"] == "paused"
    assert PAUSED_MESSAGE in response.json["error"]["message"]
    response = client.post(f"/api/v1/polls/{poll.id}/ballots", headers=headers,
                           json={"choices": [poll.options[0].id]})
    assert response.status_code == 503
    assert response.json["error"]["code"] == "paused"
    assert PAUSED_MESSAGE in response.json["error"]["message"]

    login(client, citizen)
    token = csrf_token(client, f"/petitions/{petition.id}")
    page = client.post(f"/petitions/{petition.id}/sign", data={"csrf_token": token})
    assert page.status_code == 503
    assert PAUSED_MESSAGE in page.get_data(as_text=True)
    # From the petition's page (with a Referer), the refusal is a message on that page.
    page = client.post(f"/petitions/{petition.id}/sign", data={"csrf_token": token},
                       headers={"Referer": f"http://localhost/petitions/{petition.id}"}, follow_redirects=True)
    assert page.status_code == 200 and PAUSED_MESSAGE in page.get_data(as_text=True)
    page = client.post(f"/polls/{poll.id}/vote", data={"csrf_token": csrf_token(client, f"/polls/{poll.id}"),
                                                       "choice": str(poll.options[0].id)}, follow_redirects=True)
    assert PAUSED_MESSAGE in page.get_data(as_text=True)

    assert counts(petition.id, poll.id) == (0, 0, 0)

    # Switched off again: the same citizen signs and votes.
    set_setting("PAUSE_PARTICIPATION", False, factories.admin(), note="선거 종료")
    db_session.commit()
    assert client.post(f"/api/v1/petitions/{petition.id}/signatures", headers=headers).status_code == 201
    assert client.post(f"/api/v1/polls/{poll.id}/ballots", headers=headers,
                       json={"choices": [poll.options[0].id]}).status_code == 201
    assert counts(petition.id, poll.id) == (1, 1, 1)
