"""The API's account calls and its error shapes."""

import pytest

from tests.conftest import api_token
from tests.factories import UserFactory


def assert_error(response, status, code=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.json["error"]
    assert isinstance(body["message"], str) and body["message"]
    if code:
        assert body["code"] == code
    return body


def test_register_token_me_and_revoke(client, db_session):
    response = client.post("/api/v1/auth/register", json={
        "email": "Mobile@Example.com", "password": "모바일-비밀번호-1", "display_name": "모바일시민",
        "district": "강남구", "birth_year": 1995, "privacy_consent": True, "status": "admin"})
    assert response.status_code == 201
    assert response.json == {"id": None, "email": "mobile@example.com",
                             "display_name": "모바일시민", "district": "강남구", "email_verified": False}
    token = client.post("/api/v1/auth/token", json={"email": "mobile@example.com",
                                                    "password": "모바일-비밀번호-1"}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/v1/me", headers=headers)
    assert me.json["roles"] == ["citizen"] and me.json["display_name"] == "모바일시민"
    assert "Set-Cookie" not in me.headers
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert_error(client.get("/api/v1/me", headers=headers), 401, "invalid_token")


def test_tokens_are_stored_hashed(client, db_session):
    from participation.accounts.models import ApiToken

    user = UserFactory()
    headers = api_token(client, user)
    token = headers["Authorization"].split()[1]
    stored = db_session.query(ApiToken).one()
    assert stored.token_hash != token and len(stored.token_hash) == 64


def test_wrong_password_is_401(client, db_session):
    UserFactory(email="a@example.com")
    assert_error(client.post("/api/v1/auth/token", json={"email": "a@example.com", "password": "nope"}), 401)


def test_register_with_invalid_fields_names_them(client, db_session):
    body = assert_error(client.post("/api/v1/auth/register", json={
        "email": "x", "password": "short", "display_name": "", "district": "해운대구", "birth_year": 1990,
        "privacy_consent": True}), 422)
    assert set(body["fields"]) == {"email", "password", "display_name", "district"}
    body = assert_error(client.post("/api/v1/auth/register", json={"email": "a@example.com"}), 422)
    assert {"password", "display_name", "district", "birth_year"} <= set(body["fields"])
    assert body["fields"]["password"] == ["필수 항목입니다."]


def test_a_taken_address_gets_the_answer_of_a_new_one(client, db_session):
    """Registration does not reveal which addresses have accounts (tests/security/test_smaller_items.py)."""
    UserFactory(email="taken@example.com")
    response = client.post("/api/v1/auth/register", json={
        "email": "TAKEN@example.com", "password": "충분히-긴-비밀번호", "display_name": "둘째",
        "district": "중구", "birth_year": 1990, "privacy_consent": True})
    assert response.status_code == 201 and response.json["id"] is None


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'"x"', b"123", "{\"a\": \"\xff\"}".encode("latin-1")])
def test_malformed_or_non_object_json_is_400(client, db_session, body):
    response = client.post("/api/v1/auth/register", data=body, content_type="application/json")
    assert_error(response, 400)


def test_unknown_route_and_method_are_json(client, db_session):
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(client.put("/api/v1/me"), 405, "method_not_allowed")


def test_oversized_body_is_413(client, db_session):
    response = client.post("/api/v1/auth/register", data=b"{" + b" " * 300_000 + b"}",
                           content_type="application/json")
    assert_error(response, 413, "payload_too_large")


def test_openapi_document_describes_the_api(client, db_session):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/auth/token" in spec["paths"] and "/api/v1/me" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_categories_have_korean_labels(client, db_session):
    items = client.get("/api/v1/categories").json["items"]
    assert {"code": "transport", "label": "교통"} in items and len(items) == 11


def test_korean_is_sent_as_utf8_not_escaped(client, db_session):
    body = client.get("/api/v1/categories").get_data()
    assert "교통".encode() in body and b"\\u" not in body


def test_a_nul_character_anywhere_is_refused_naming_the_field(client, db_session):
    from tests.conftest import csrf_token

    response = client.get("/api/v1/petitions?q=%00")
    assert response.status_code == 422 and response.json["error"]["fields"] == {
        "q": ["보이지 않는 제어 문자(NUL)는 입력할 수 없습니다."]}
    response = client.post("/api/v1/auth/token", json={"email": "a@example.com", "password": ["x\x00"]})
    assert response.status_code == 422 and list(response.json["error"]["fields"]) == ["password[0]"]
    response = client.post("/login", data={"email": "시민\x00@example.com", "password": "비밀번호",
                                           "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 422  # no referrer to go back to: the error page says why


@pytest.mark.parametrize("depth", [900, 5_000])
def test_deeply_nested_json_is_a_client_error_not_a_500(client, db_session, depth):
    for body in ("[" * depth + '"x\\u0000"' + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
        assert response.status_code in (400, 422), (depth, body[:10], response.status_code)


def test_numbers_beyond_the_database_range_are_a_404_in_urls_and_a_422_in_bodies(client, db_session):
    from tests import factories
    from tests.conftest import api_token

    assert client.get("/api/v1/proposals/99999999999999999999999").status_code == 404
    # One past PostgreSQL's integer: the URL converter refuses it, the views need no range checks of their own.
    for path in ("/forums/2147483648", "/polls/2147483648", "/polls/options/2147483648/image",
                 "/petitions/2147483648", "/api/v1/petitions/2147483648", "/api/v1/polls/2147483648/results"):
        assert client.get(path).status_code == 404, path
    forum = factories.ForumFactory()
    citizen = factories.UserFactory()
    db_session.commit()
    response = client.post(f"/api/v1/forums/{forum.id}/comments", headers=api_token(client, citizen),
                           json={"stance": "pro", "body": "따릉이를 늘려 주세요.", "parent_id": 10**30})
    assert response.status_code == 422, response.json
    assert response.json["error"]["message"] == "저장할 수 없는 값입니다. 숫자의 크기와 글자 수를 확인해 주세요."
