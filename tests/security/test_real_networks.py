"""Limits against real networks (issue #23, item 9). Korean mobile carriers put many phones behind one IPv4
address (CGNAT): in a city-wide vote one address is thousands of voters, so per-IP participation limits would
refuse legitimate people. Participation is limited per account; per address it is counted for staff (the
trending list), not refused. A phone that moves from Wi-Fi to LTE mid-vote stays signed in. Production must say
how many proxies stand in front of it, or every client would look like the proxy."""

import pytest

from participation import create_app
from participation.config import ConfigurationError
from tests import factories
from tests.conftest import csrf_token, login
from tests.security.conftest import bearer

CARRIER_ADDRESS = "203.0.113.77"  # one CGNAT address for a whole neighbourhood's phones


@pytest.fixture
def tight_limits(app):
    saved = app.config["ACTION_LIMITS"]
    app.config["ACTION_LIMITS"] = "5 per hour"  # per IP this used to mean 50 an hour
    try:
        yield
    finally:
        app.config["ACTION_LIMITS"] = saved


def test_sixty_voters_behind_one_address_are_all_counted(app, db_session, redis, tight_limits):
    """Ten times the per-account limit used to be the per-IP limit: the 51st phone behind the carrier's address
    was refused. Now every voter is taken, and the address is on the staff's trending list."""
    petition = factories.open_petition(title="지하철 막차 연장")
    citizens = [factories.UserFactory() for _ in range(60)]
    headers = [bearer(citizen) for citizen in citizens]
    staff = factories.staff()
    db_session.commit()
    statuses = []
    for header in headers:
        response = app.test_client().post(f"/api/v1/petitions/{petition.id}/signatures", headers=header,
                                          environ_base={"REMOTE_ADDR": CARRIER_ADDRESS})
        statuses.append(response.status_code)
    assert statuses == [201] * 60
    # One account is still held to its own limit.
    busy = bearer(factories.UserFactory())
    others = [factories.open_petition().id for _ in range(6)]
    db_session.commit()
    own = [app.test_client().post(f"/api/v1/petitions/{petition_id}/signatures", headers=busy,
                                  environ_base={"REMOTE_ADDR": CARRIER_ADDRESS}).status_code for petition_id in others]
    assert own == [201] * 5 + [429]
    from tests.security.conftest import web_client

    page = web_client(app, staff.id).get("/staff/trending").get_data(as_text=True)
    assert CARRIER_ADDRESS in page


def test_a_phone_moving_from_wifi_to_lte_stays_signed_in(app, client, db_session, redis):
    citizen = factories.UserFactory()
    petition = factories.open_petition()
    db_session.commit()
    client.environ_base["REMOTE_ADDR"] = "192.168.0.23"  # home Wi-Fi
    login(client, citizen)
    client.environ_base["REMOTE_ADDR"] = "100.64.12.9"  # the carrier's network, same phone and browser
    assert client.get("/account").status_code == 200
    response = client.post(f"/petitions/{petition.id}/sign",
                           data={"csrf_token": csrf_token(client, f"/petitions/{petition.id}")})
    assert response.status_code == 303 and "/login" not in response.headers["Location"]


@pytest.mark.parametrize("hops", [None, "one"])
def test_production_needs_the_number_of_proxies_said(tmp_path, monkeypatch, hops):
    monkeypatch.delenv("PARTICIPATION_PROXY_HOPS", raising=False)
    config = {"ENVIRONMENT": "production", "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "s" * 64,
              "TRUSTED_HOSTS": ["participation.seoul.go.kr"], "REDIS_URL": "redis://127.0.0.1:1/0",
              "RATELIMIT_STORAGE_URI": "memory://"}
    if hops is not None:
        config["PROXY_HOPS"] = hops
    with pytest.raises(ConfigurationError, match="PROXY_HOPS"):
        create_app(config)
    assert create_app({**config, "PROXY_HOPS": 0}).config["PROXY_HOPS"] == 0
    monkeypatch.setenv("PARTICIPATION_PROXY_HOPS", "1")
    assert create_app({key: value for key, value in config.items() if key != "PROXY_HOPS"}).config["PROXY_HOPS"] == 1
