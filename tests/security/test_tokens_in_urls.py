"""Reset and verification tokens (issue #23, item 8). A token in a URL path lands in access logs, browser history
and the Referer of whatever the page loads; a token in a stored mail body lands in every backup. The link in the
mail is opened once: the token moves into the session and the browser is redirected to a URL without it, where a
button (not the GET) does the change; a delivered mail's body is not kept."""

import re
import smtplib

import pytest
from flask import request_started
from sqlalchemy import select

from participation.accounts.models import User
from participation.core.mail import OutboxMail, deliver_mail, send_mail
from tests.conftest import csrf_token, login
from tests.factories import UserFactory


@pytest.fixture
def paths(app):
    """Every path (with its query) the app is asked for during the test, as an access log would record it."""
    seen: list[str] = []

    def record(sender, **_extra):
        from flask import request

        seen.append(request.full_path)

    request_started.connect(record, app)
    yield seen
    request_started.disconnect(record, app)


def mailed_token(db_session, kind: str) -> str:
    mail = db_session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc())).first()
    return re.search(rf"/{kind}/(\S+)", mail.body).group(1)


def test_the_verification_token_leaves_the_url_at_once_and_a_button_verifies(client, db_session, paths):
    response = client.post("/register", data={
        "email": "new.citizen@example.com", "password": "서울시민-비밀번호1", "display_name": "새시민",
        "district": "강남구", "birth_year": "1985", "privacy_consent": "y",
        "csrf_token": csrf_token(client, "/register")})
    assert response.status_code == 303
    user = db_session.scalar(select(User).where(User.email == "new.citizen@example.com"))
    token = mailed_token(db_session, "verify")
    paths.clear()

    opened = client.get(f"/verify/{token}")
    assert opened.status_code == 303 and token not in opened.headers["Location"]
    page = client.get(opened.headers["Location"])
    assert page.status_code == 200 and token not in page.get_data(as_text=True)
    db_session.refresh(user)
    assert not user.email_verified  # opening a link (a mail scanner does too) changes nothing

    done = client.post(opened.headers["Location"], data={"csrf_token": csrf_token(client, opened.headers["Location"])})
    assert done.status_code == 303
    db_session.refresh(user)
    assert user.email_verified
    assert [path for path in paths if token in path] == [f"/verify/{token}?"]  # only the mail's own link
    with client.session_transaction() as session:
        assert token not in repr(dict(session))


def test_a_bad_verification_link_says_so_without_a_button(client, db_session):
    opened = client.get("/verify/not-a-token")
    assert opened.status_code == 303
    page = client.get(opened.headers["Location"])
    assert page.status_code == 422 and "올바르지 않거나 만료" in page.get_data(as_text=True)
    assert client.get("/verify").status_code == 422  # nothing in the session


def test_the_reset_token_leaves_the_url_at_once(client, db_session, paths):
    user = UserFactory(email="reset.me@example.com")
    client.post("/reset", data={"email": "reset.me@example.com", "csrf_token": csrf_token(client, "/reset")})
    token = mailed_token(db_session, "reset")
    paths.clear()

    opened = client.get(f"/reset/{token}")
    assert opened.status_code == 303 and token not in opened.headers["Location"]
    form_page = client.get(opened.headers["Location"])
    assert form_page.status_code == 200 and token not in form_page.get_data(as_text=True)
    changed = client.post(opened.headers["Location"], data={
        "password": "새-비밀번호-12345", "csrf_token": csrf_token(client, opened.headers["Location"])})
    assert changed.status_code == 303
    assert [path for path in paths if token in path] == [f"/reset/{token}?"]
    login(client, user, "새-비밀번호-12345")
    # The token was used and left the session: the form does not come back.
    assert client.get(opened.headers["Location"]).status_code == 422


class FakeSMTP:
    sent: list = []

    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, *args):
        pass

    def send_message(self, message):
        FakeSMTP.sent.append(message)


def test_a_delivered_mail_keeps_no_body(app, db_session, monkeypatch):
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent = []
    mail = send_mail("citizen@example.com", "[서울시 시민참여] 비밀번호 다시 설정",
                     "아래 링크에서 새 비밀번호를 정하세요.\n\nhttp://localhost/reset/비밀-토큰-123")
    db_session.commit()
    app.config["MAIL_SERVER"] = "127.0.0.1"
    try:
        deliver_mail(mail.id)
    finally:
        app.config["MAIL_SERVER"] = None
    assert "비밀-토큰-123" in FakeSMTP.sent[0].get_content()
    stored = db_session.get(OutboxMail, mail.id)
    assert stored.sent_at is not None and "비밀-토큰" not in stored.body and "/reset/" not in stored.body
