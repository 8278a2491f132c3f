"""본인인증 over OpenID Connect against the real development provider: the round trip, one person one account,
and every way it can go wrong leaving the account as it was."""

import logging
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa
from joserfc import jwk, jwt

from participation.accounts import identity
from participation.accounts.identity import person_hash
from participation.accounts.models import ProfileValue, VerifiedIdentity
from participation.core.audit import AuditEntry
from participation.extensions import db
from tests import factories
from tests.conftest import api_token, login
from tests.identity.conftest import back_at, page_text, person, query, refusal_page, sign_in_at_provider, start, verify


@pytest.fixture
def citizen(db_session):
    return factories.UserFactory(district="마포구", birth_year=1990)


def unchanged(user) -> None:
    db.session.refresh(user)
    assert (user.district, user.birth_year, user.verification) == ("마포구", 1990, "email")
    assert db.session.get(VerifiedIdentity, user.id) is None


def test_a_citizen_verifies_in_a_few_clicks_and_the_verified_values_replace_the_typed_ones(client, citizen, provider):
    sub = person(provider, ci="CI-김서울-0001", birthdate="1987-04-05", district="종로구", name="김서울")
    login(client, citizen)
    authorize_url = start(client)
    asked = query(authorize_url)
    # Authorization code with PKCE (S256), a state and a nonce, for this client, to come back here.
    assert authorize_url.startswith(provider + "/oauth2/authorize?")
    assert asked["response_type"] == "code" and asked["scope"] == "openid profile"
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert len(asked["state"]) >= 40 and len(asked["nonce"]) >= 40 and asked["state"] != asked["nonce"]
    assert asked["client_id"] == "seoul-participation-dev"
    assert asked["redirect_uri"] == "http://localhost/account/identity/callback"

    answer = back_at(client, sign_in_at_provider(authorize_url, sub))

    assert answer.status_code == 303 and answer.headers["Location"].endswith("/account")
    db.session.refresh(citizen)
    assert (citizen.district, citizen.birth_year, citizen.verification) == ("종로구", 1987, "identity")
    assert citizen.district_verified and citizen.birth_year_verified
    row = db.session.get(VerifiedIdentity, citizen.id)
    assert row.person_hash == person_hash("CI-김서울-0001") and row.issuer == provider
    assert "본인인증을 마쳤습니다" in page_text(client.get("/account"))
    me = client.get("/api/v1/me", headers=api_token(client, citizen)).json
    assert (me["verification"], me["district"], me["district_verified"], me["birth_year_verified"]) == \
        ("identity", "종로구", True, True)
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.subject_id == citizen.id)).all()
    assert {"identity_verified", "district_changed", "birth_year_changed"} <= set(actions)
    assert db.session.scalars(sa.select(ProfileValue.verified).where(ProfileValue.user_id == citizen.id)).all() \
        == [True]


def test_the_api_says_what_is_verified(client, db_session):
    unverified = factories.UserFactory(email_verified_at=None)
    assert client.get("/api/v1/me", headers=api_token(client, unverified)).json["verification"] == "none"
    verified = factories.UserFactory()
    assert client.get("/api/v1/me", headers=api_token(client, verified)).json["verification"] == "email"


def test_the_same_person_on_a_second_account_is_refused(client, db_session, provider):
    sub = person(provider, ci="CI-한사람-0002", birthdate="1970-01-01", district="노원구")
    first, second = factories.UserFactory(), factories.UserFactory(district="마포구", birth_year=1990)
    login(client, first)
    assert verify(client, sub).status_code == 303
    with client.session_transaction() as browser:
        browser.clear()
    login(client, second)

    answer = verify(client, sub)

    assert answer.status_code == 409
    assert "이미 다른 계정에 연결되어 있습니다" in page_text(answer)
    db.session.refresh(second)
    assert (second.district, second.birth_year, second.verification) == ("마포구", 1990, "email")
    assert db.session.scalars(sa.select(VerifiedIdentity.user_id)).all() == [first.id]


def test_a_refusal_at_the_provider_changes_nothing(client, citizen, provider):
    login(client, citizen)
    answer = back_at(client, sign_in_at_provider(start(client), None, deny=True))
    assert answer.status_code == 400
    assert "본인인증 제공자가 인증을 마치지 않았습니다 (access_denied)" in page_text(answer)
    unchanged(citizen)


def test_a_forged_state_is_refused(client, citizen, provider):
    sub = person(provider, ci="CI-위조-0003", birthdate="1990-02-02", district="종로구")
    login(client, citizen)
    callback = sign_in_at_provider(start(client), sub)
    forged = callback.replace(f"state={query(callback)['state']}", "state=forged-by-an-attacker")
    answer = back_at(client, forged)
    assert answer.status_code == 400 and "본인인증 요청이 올바르지 않거나" in page_text(answer)
    unchanged(citizen)


def test_a_callback_without_a_started_verification_is_refused(client, citizen, provider):
    login(client, citizen)
    answer = refusal_page(client, client.get("/account/identity/callback?code=abc&state=def"))
    assert answer.status_code == 400
    unchanged(citizen)


def test_a_refused_callback_takes_the_used_code_out_of_the_address(client, citizen, provider):
    """The code and state stay neither in the browser's history nor in a bookmark: the refusal is said on the
    identity page's own address, once."""
    sub = person(provider, ci="CI-주소-0009", birthdate="1990-02-02", district="종로구")
    login(client, citizen)
    callback = sign_in_at_provider(start(client), sub)
    forged = callback.replace(f"state={query(callback)['state']}", "state=forged-by-an-attacker")
    parts = urlsplit(forged)

    answer = client.get(f"{parts.path}?{parts.query}")

    assert answer.status_code == 303 and answer.headers["Location"] == "/account/identity"
    shown = client.get("/account/identity")
    assert shown.status_code == 400 and "본인인증 요청이 올바르지 않거나" in page_text(shown)
    again = client.get("/account/identity")
    assert again.status_code == 200 and "본인인증 요청이 올바르지 않거나" not in page_text(again)
    unchanged(citizen)


def test_a_replayed_callback_is_refused(client, citizen, provider):
    sub = person(provider, ci="CI-재사용-0004", birthdate="1991-03-03", district="마포구")
    login(client, citizen)
    callback = sign_in_at_provider(start(client), sub)
    assert back_at(client, callback).status_code == 303
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))

    again = back_at(client, callback)

    assert again.status_code == 400 and "이미 쓰였거나" in page_text(again)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == entries


def test_a_used_code_is_refused_by_the_provider(client, citizen, provider):
    sub = person(provider, ci="CI-코드-0005", birthdate="1992-04-04", district="마포구")
    other = factories.UserFactory(district="마포구", birth_year=1990)
    login(client, other)
    first_callback = sign_in_at_provider(start(client), sub)
    assert back_at(client, first_callback).status_code == 303
    with client.session_transaction() as browser:
        browser.clear()
    login(client, citizen)
    # A fresh verification whose callback carries the code already exchanged.
    fresh = query(sign_in_at_provider(start(client), person(provider, ci="CI-코드-0006")))
    answer = refusal_page(client, client.get(
        f"/account/identity/callback?code={query(first_callback)['code']}&state={fresh['state']}"))
    assert answer.status_code == 400
    assert "인증 코드를 받아들이지 않았습니다 (invalid_grant)" in page_text(answer)
    unchanged(citizen)


@pytest.mark.parametrize("bad", [
    {"iss": "https://not-the-provider.example"},
    {"aud": "another-application"},
    {"nonce": "a-nonce-from-another-request"},
    {"exp": 946684800, "iat": 946684000},
], ids=["issuer", "audience", "nonce", "expired"])
def test_an_id_token_that_fails_a_check_is_refused(client, citizen, provider, bad):
    # The real provider signs whatever claims the person has: these override the ones it would set.
    sub = person(provider, ci="CI-토큰-0007", birthdate="1980-05-05", district="종로구", **bad)
    login(client, citizen)
    answer = verify(client, sub)
    assert answer.status_code == 400
    assert "신원 확인 토큰이 올바르지 않습니다" in page_text(answer)
    unchanged(citizen)


def test_a_token_signed_by_another_key_or_unsigned_is_refused(app, db_session, provider):
    metadata = requests.get(provider + "/.well-known/openid-configuration", timeout=10).json()
    claims = {"iss": provider, "aud": "seoul-participation-dev", "sub": "x", "nonce": "n", "iat": 2_000_000_000,
              "exp": 4_000_000_000}
    forged = jwt.encode({"alg": "RS256"}, claims, jwk.RSAKey.generate_key(2048))
    unsigned = jwt.encode({"alg": "none"}, claims, None, algorithms=["none"])
    with app.test_request_context():
        for token in (forged, unsigned):
            with pytest.raises(identity.IdentityFailed):
                identity.check_id_token({"id_token": token}, metadata, "n")


def test_a_provider_that_is_down_gets_a_clear_page(app, client, citizen, provider):
    login(client, citizen)
    app.config["IDENTITY_ISSUER"] = "http://127.0.0.1:9"  # nothing listens on the discard port
    answer = client.post("/account/identity", data={"csrf_token": _token(client)})
    assert answer.status_code == 503 and "본인인증 제공자에 연결할 수 없습니다" in page_text(answer)
    unchanged(citizen)


def test_a_provider_that_goes_down_before_the_callback_changes_nothing(app, client, citizen, provider):
    sub = person(provider, ci="CI-중단-0008", birthdate="1985-06-06", district="종로구")
    login(client, citizen)
    callback = sign_in_at_provider(start(client), sub)
    app.config["IDENTITY_ISSUER"] = "http://127.0.0.1:9"
    answer = back_at(client, callback)
    assert answer.status_code == 503
    unchanged(citizen)


def test_without_a_provider_verification_is_said_to_be_unavailable(app, client, citizen):
    assert not app.config.get("IDENTITY_ISSUER")
    login(client, citizen)
    assert "지금은 본인인증을 이용할 수 없습니다" in page_text(client.get("/account/identity"))
    answer = client.post("/account/identity", data={"csrf_token": _token(client)})
    assert answer.status_code == 503 and "본인인증 제공자가 설정되지 않았습니다" in page_text(answer)


def test_the_person_identifier_is_never_stored_nor_logged(client, citizen, provider, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "CI-비밀-880101-1234567"
    sub = person(provider, ci=secret, birthdate="1988-01-01", district="종로구")
    login(client, citizen)
    assert verify(client, sub).status_code == 303
    # ... nor on the failures: a replay, and a second account.
    assert verify(client, sub).status_code == 303  # the same person again on the same account: fine
    with client.session_transaction() as browser:
        browser.clear()
    login(client, factories.UserFactory())
    assert verify(client, sub).status_code == 409
    assert secret not in caplog.text
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)):
            assert secret not in repr(tuple(row)), table.name


def _token(client) -> str:
    from tests.conftest import csrf_token

    return csrf_token(client, "/account/identity")


def test_the_identity_page_lets_the_browser_follow_its_form_to_the_provider(app, client, citizen, provider):
    """The form posts here and the answer is a 303 to the provider's authorization endpoint; browsers apply the
    page's CSP form-action to that redirect too, so with form-action 'self' alone a real browser stopped there
    (seen in chromium on the demo; the test client does not enforce CSP). Only the identity page widens it."""
    login(client, citizen)
    policy = client.get("/account/identity").headers["Content-Security-Policy"]
    assert f"form-action 'self' {provider};" in policy and "frame-ancestors 'none'" in policy
    assert start(client).startswith(provider + "/")  # where the form leads
    assert "form-action 'self';" in client.get("/account").headers["Content-Security-Policy"]
    app.config["IDENTITY_ISSUER"] = "http://127.0.0.1:9"  # a provider that does not answer: nothing to allow
    assert "form-action 'self';" in client.get("/account/identity").headers["Content-Security-Policy"]
