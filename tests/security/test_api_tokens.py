"""API tokens (issue #23, item 10): they expire, their use is recorded (to the hour), and their owner lists and
revokes them one by one — a lost phone's token is revoked from another device. Attacks written down: a token
stolen from an old backup or a log still working forever; another account's token revoked or listed."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from participation.accounts.models import ApiToken
from tests.factories import PASSWORD, UserFactory

ISSUED = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)


def issue(client, user, name=None) -> tuple[dict, int]:
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}, response.json["id"]


def test_a_token_stops_working_when_it_expires(client, db_session, time_machine, app):
    time_machine.move_to(ISSUED, tick=False)
    headers, _ = issue(client, UserFactory())
    listed = client.get("/api/v1/auth/tokens", headers=headers).json["items"]
    expires = datetime.fromisoformat(listed[0]["expires_at"])
    assert expires == ISSUED + timedelta(days=app.config["API_TOKEN_DAYS"])
    time_machine.move_to(expires - timedelta(seconds=1), tick=False)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    time_machine.move_to(expires + timedelta(seconds=1), tick=False)
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401 and response.json["error"]["code"] == "invalid_token"


def test_last_use_is_recorded_to_the_hour(client, db_session, time_machine):
    time_machine.move_to(ISSUED, tick=False)
    headers, token_id = issue(client, UserFactory())
    row = db_session.get(ApiToken, token_id)
    assert row.last_used_at == ISSUED  # issued with the password: its first use
    # Used within the hour: not written again (a vote a second would otherwise be a write a second).
    time_machine.move_to(ISSUED + timedelta(minutes=30), tick=False)
    client.get("/api/v1/me", headers=headers)
    db_session.refresh(row)
    assert row.last_used_at == ISSUED
    time_machine.move_to(ISSUED + timedelta(minutes=61), tick=False)
    client.get("/api/v1/me", headers=headers)
    db_session.refresh(row)
    assert row.last_used_at == ISSUED + timedelta(minutes=61)
    # A failed request records the use too, and commits nothing else.
    time_machine.move_to(ISSUED + timedelta(hours=3), tick=False)
    assert client.post("/api/v1/petitions", headers=headers, json={"title": ""}).status_code == 422
    db_session.refresh(row)
    assert row.last_used_at == ISSUED + timedelta(hours=3)


def test_the_owner_lists_and_revokes_one_token_and_nobody_else_can(client, db_session):
    owner, other = UserFactory(), UserFactory()
    phone, phone_id = issue(client, owner)
    laptop, laptop_id = issue(client, owner)
    stranger, stranger_id = issue(client, other)
    listed = client.get("/api/v1/auth/tokens", headers=laptop).json["items"]
    assert [(item["id"], item["current"]) for item in listed] == [(laptop_id, True), (phone_id, False)]
    assert all("token" not in item and "token_hash" not in item for item in listed)

    # Another account's token: 404, and it keeps working.
    response = client.delete(f"/api/v1/auth/tokens/{phone_id}", headers=stranger)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert client.get("/api/v1/me", headers=phone).status_code == 200
    assert [item["id"] for item in client.get("/api/v1/auth/tokens", headers=stranger).json["items"]] == [stranger_id]

    # The lost phone's token, revoked from the laptop.
    assert client.delete(f"/api/v1/auth/tokens/{phone_id}", headers=laptop).status_code == 204
    assert client.get("/api/v1/me", headers=phone).status_code == 401
    assert client.get("/api/v1/me", headers=laptop).status_code == 200
    assert [item["id"] for item in client.get("/api/v1/auth/tokens", headers=laptop).json["items"]] == [laptop_id]
    assert client.delete(f"/api/v1/auth/tokens/{phone_id}", headers=laptop).status_code == 404  # once
    assert client.delete("/api/v1/auth/tokens/999999", headers=laptop).status_code == 404
    assert client.get("/api/v1/auth/tokens").status_code == 401
    assert db_session.scalar(select(ApiToken.revoked_at).where(ApiToken.id == phone_id)) is not None
