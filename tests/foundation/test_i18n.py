from participation import i18n


def test_home_is_korean_by_default(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="ko">' in page
    assert "서울시 시민참여" in page and "청원" in page


def test_language_switch_is_remembered(client):
    response = client.get("/lang/en?next=/")
    assert response.status_code == 303 and response.headers["Location"].endswith("/")
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Seoul Citizen Participation" in page and "Petitions" in page
    client.get("/lang/ko")
    assert "청원" in client.get("/").get_data(as_text=True)


def test_language_switch_refuses_open_redirect(client):
    assert client.get("/lang/en?next=https://evil.example/").headers["Location"] == "/"
    assert client.get("/lang/xx").status_code == 404


def test_api_messages_follow_accept_language(client):
    korean = client.get("/api/v1/me").json["error"]["message"]
    english = client.get("/api/v1/me", headers={"Accept-Language": "en"}).json["error"]["message"]
    assert korean == "유효한 인증 토큰이 필요합니다."
    assert english == "A valid access token is required."


def test_every_message_has_an_english_translation():
    missing = {part: i18n.missing(part) for part in i18n.parts()}
    assert {part: ids for part, ids in missing.items() if ids} == {}


def test_switching_language_writes_nothing_but_login_keeps_it_for_the_next_device(app, db_session, client):
    from tests import factories
    from tests.conftest import login

    user = factories.UserFactory()
    db_session.commit()
    client.get("/lang/en")
    assert user.locale is None  # a GET link only sets the cookie
    login(client, user)
    db_session.refresh(user)
    assert user.locale == "en"
    other_device = app.test_client()
    login(other_device, user)
    assert '<html lang="en">' in other_device.get("/").get_data(as_text=True)
