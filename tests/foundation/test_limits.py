"""Rate limits: login throttling per address, and the 429 shape with Retry-After."""

import pytest

from participation.extensions import limiter
from tests.factories import UserFactory


@pytest.fixture
def rate_limits(app, redis):
    """Tight limits instead of the tests' generous ones (each failed login costs an argon2 check)."""
    tight = {"ACTION_LIMITS": "5 per 10 seconds", "FILING_LIMITS": "5 per hour", "LOGIN_LIMITS": "3 per minute"}
    saved = {name: app.config[name] for name in tight}
    app.config.update(tight)
    try:
        yield
    finally:
        app.config.update(saved)


def test_api_login_is_throttled_per_address(client, db_session, rate_limits):
    UserFactory(email="target@example.com")
    statuses = [client.post("/api/v1/auth/token", json={"email": "target@example.com", "password": "guess"})
                .status_code for _ in range(4)]
    assert statuses == [401] * 3 + [429]
    response = client.post("/api/v1/auth/token", json={"email": "target@example.com", "password": "guess"})
    assert response.json["error"]["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0
    # Another address from the same IP is not locked out by that.
    other = client.post("/api/v1/auth/token", json={"email": "other@example.com", "password": "guess"})
    assert other.status_code == 401


def test_page_login_throttle_says_so_in_korean(client, db_session, rate_limits):
    from tests.conftest import csrf_token

    token = csrf_token(client, "/login")
    for _ in range(3):
        client.post("/login", data={"email": "x@example.com", "password": "guess", "csrf_token": token})
    response = client.post("/login", data={"email": "x@example.com", "password": "guess", "csrf_token": token})
    assert response.status_code == 429
    assert "요청이 너무 많습니다" in response.get_data(as_text=True)


def test_limits_are_off_when_the_setting_is_off(client, db_session, rate_limits):
    UserFactory(email="target@example.com")
    limiter.enabled = False
    try:
        statuses = {client.post("/api/v1/auth/token", json={"email": "target@example.com", "password": "guess"})
                    .status_code for _ in range(5)}
    finally:
        limiter.enabled = True
    assert statuses == {401}
