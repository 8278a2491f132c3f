"""Rate limits: login throttling per address, and the 429 shape with Retry-After."""

import pytest
from sqlalchemy import func, select

from participation.accounts.models import User
from participation.extensions import limiter
from tests.factories import UserFactory


@pytest.fixture
def rate_limits(app, redis):
    """Tight limits instead of the tests' generous ones (each failed login costs an argon2 check). Per hour, so
    that a slow machine's thirty argon2 checks do not outlast a window."""
    tight = {"ACTION_LIMITS": "5 per 10 seconds", "FILING_LIMITS": "5 per hour", "LOGIN_LIMITS": "3 per hour"}
    saved = {name: app.config[name] for name in tight}
    app.config.update(tight)
    try:
        yield
    finally:
        app.config.update(saved)


def test_api_login_is_throttled_per_address(client, db_session, rate_limits):
    UserFactory(email="target@example.com")
    db_session.commit()  # the account outlives the failed logins' rollbacks
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


# Fullwidth and other compatibility spellings of one address (issue #18, item 6): each used to be a fresh throttle
# key, yet every one of them signs in to the same account.
SPELLINGS = ["target@ｅxample.com", "target@exａmple.com", "ｔarget@example.com", "TARGET@ＥＸＡＭＰＬＥ.ＣＯＭ",
             " Target@Example.com "]


def test_unicode_spellings_of_one_address_share_one_throttle(client, db_session, rate_limits):
    UserFactory(email="target@example.com")
    db_session.commit()  # the account outlives the failed logins' rollbacks
    statuses = [client.post("/api/v1/auth/token", json={"email": spelling, "password": "틀린 비밀번호"}).status_code
                for spelling in SPELLINGS[:4]]
    assert statuses == [401, 401, 401, 429]
    assert client.post("/api/v1/auth/token", json={"email": SPELLINGS[4], "password": "x"}).status_code == 429


def test_the_throttle_is_the_accounts_whatever_the_mailbox_spelling(client, db_session, rate_limits):
    UserFactory(email="kim.seoul@gmail.com")
    db_session.commit()
    spellings = ["kimseoul@gmail.com", "kim.seoul+vote@gmail.com", "KIM.SEOUL@googlemail.com", "kim.seoul@gmail.com"]
    statuses = [client.post("/api/v1/auth/token", json={"email": spelling, "password": "틀린 비밀번호"}).status_code
                for spelling in spellings]
    assert statuses == [401, 401, 401, 429]


def test_a_fullwidth_address_signs_in_and_resets_on_one_throttle(client, db_session, rate_limits):
    from tests.conftest import csrf_token
    from tests.factories import PASSWORD

    UserFactory(email="target@example.com")
    db_session.commit()
    assert client.post("/api/v1/auth/token", json={"email": "ｔarget@ｅxample.com", "password": PASSWORD}
                       ).status_code == 200
    # The sign-in took one of the account's three tries; reset mails for other spellings share the rest.
    token = csrf_token(client, "/reset")
    statuses = [client.post("/reset", data={"email": spelling, "csrf_token": token}).status_code
                for spelling in SPELLINGS[:3]]
    assert statuses == [303, 303, 429]


def test_ipv6_limits_count_a_whole_64(client, db_session, rate_limits):
    statuses = [client.post("/api/v1/auth/token", json={"email": f"user{n}@example.com", "password": "x"},
                            environ_base={"REMOTE_ADDR": f"2001:db8:1:2::{n:x}"}).status_code for n in range(31)]
    assert statuses == [401] * 30 + [429]  # ten times LOGIN_LIMITS per IP, whichever address of the /64
    other = client.post("/api/v1/auth/token", json={"email": "user99@example.com", "password": "x"},
                        environ_base={"REMOTE_ADDR": "2001:db8:1:3::1"})
    assert other.status_code == 401


def test_a_fullwidth_spelling_is_not_a_second_account(client, db_session):
    UserFactory(email="target@example.com")
    response = client.post("/api/v1/auth/register", json={
        "email": "ｔarget@ｅxample.com", "password": "서울시민참여-비밀번호", "display_name": "김서울",
        "district": "강남구", "birth_year": 1990, "privacy_consent": True})
    # Registration answers the same for a taken address as for a new one (no address enumeration): what matters
    # is that the fullwidth spelling made no second account.
    assert response.status_code == 201
    assert db_session.scalar(select(func.count()).select_from(User)) == 1
