"""Rate limits on signing and filing: 429 with Retry-After in the API, a Korean message on the page."""

import time

import pytest

from tests.conftest import api_token, csrf_token, login
from tests.factories import UserFactory, open_petition


@pytest.fixture
def production_limits(app, redis):
    from participation.config import DEFAULTS

    names = ("ACTION_LIMITS", "FILING_LIMITS")
    saved = {name: app.config[name] for name in names}
    app.config.update({name: DEFAULTS[name] for name in names})
    try:
        yield
    finally:
        app.config.update(saved)


def test_signing_is_limited_per_account(client, db_session, production_limits):
    petitions = [open_petition() for _ in range(6)]
    headers = api_token(client, UserFactory())
    statuses = [client.post(f"/api/v1/petitions/{petition.id}/signatures", headers=headers).status_code
                for petition in petitions]
    assert statuses == [201] * 5 + [429]
    response = client.post(f"/api/v1/petitions/{petitions[-1].id}/signatures", headers=headers)
    assert response.json["error"]["code"] == "rate_limited" and int(response.headers["Retry-After"]) > 0
    # Another citizen is not held back by that.
    assert client.post(f"/api/v1/petitions/{petitions[-1].id}/signatures",
                       headers=api_token(client, UserFactory())).status_code == 201


def test_filing_is_limited_and_the_page_says_so(client, db_session, production_limits):
    login(client, UserFactory())
    token = csrf_token(client, "/petitions/new")
    statuses = [client.post("/petitions/new", data={
        "csrf_token": token, "title": f"공영주차장 확충 {number}", "body": "주차할 곳이 없습니다.", "kind": "general",
        "category": "transport"}).status_code for number in range(6)]
    assert statuses == [303] * 5 + [429]
    response = client.post("/petitions/new", data={"csrf_token": token, "title": "한 번 더", "body": "내용",
                                                   "kind": "general", "category": "transport"})
    assert response.status_code == 429 and "요청이 너무 많습니다" in response.get_data(as_text=True)
    assert client.get("/petitions/new").status_code == 200


def test_the_answer_says_what_is_left_of_the_limit(client, db_session, production_limits):
    """The X-RateLimit headers come from the hit's own reply (core/limits.py: one round trip per limit), and say
    what reading the window again would: the tighter window, counted down, and when it ends."""
    petitions = [open_petition() for _ in range(6)]
    headers = api_token(client, UserFactory())
    started = time.time()
    responses = [client.post(f"/api/v1/petitions/{petition.id}/signatures", headers=headers)
                 for petition in petitions]
    assert [response.status_code for response in responses] == [201] * 5 + [429]
    assert [response.headers["X-RateLimit-Remaining"] for response in responses] == ["4", "3", "2", "1", "0", "0"]
    assert {response.headers["X-RateLimit-Limit"] for response in responses} == {"5"}
    assert all(started < int(response.headers["X-RateLimit-Reset"]) <= time.time() + 11 for response in responses)
