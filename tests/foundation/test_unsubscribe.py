"""Notification mail can be stopped: each kind per account on the notifications page, and by the one-click link in
every notification mail (a signed token; also RFC 8058's List-Unsubscribe header). Opening the link changes
nothing; its button, or the mail program's one-click POST, turns that kind of mail off; a forged token is a 400
and changes nothing."""

import re

from sqlalchemy import func, select

from participation.core import notifications
from participation.core.mail import OutboxMail, deliver_mail
from participation.core.notifications import Notification, NotificationOptOut, notify
from tests import factories
from tests.conftest import csrf_token, login
from tests.smtp_sink import SmtpSink

PUBLIC = "https://participation.example.kr"


def mails_to(db_session, address: str) -> list[OutboxMail]:
    return db_session.scalars(select(OutboxMail).where(OutboxMail.to == address).order_by(OutboxMail.id)).all()


def opt_outs(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(NotificationOptOut))


def test_every_notification_mail_has_a_one_click_unsubscribe_link(app, client, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)
    citizen = factories.UserFactory(email="follower@example.com")
    notify([citizen], "청원 '심야버스'에 서울시 답변이 등록되었습니다.", "/petitions/7")
    db_session.commit()
    [mail] = mails_to(db_session, "follower@example.com")
    link = re.search(rf"{PUBLIC}/unsubscribe/(\S+)", mail.body)
    assert link and mail.unsubscribe_url == link.group(0) and f"{PUBLIC}/petitions/7" in mail.body
    token = link.group(1)

    # The mail program sees RFC 8058's headers.
    sink = SmtpSink()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", sink.port)
    try:
        deliver_mail(mail.id)
    finally:
        sink.close()
    [sent] = sink.messages
    assert sent["List-Unsubscribe"] == f"<{link.group(0)}>"
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Opening the link (a person, or a link checker) changes nothing.
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200 and "그만 받기" in page.get_data(as_text=True)
    assert opt_outs(db_session) == 0
    # The one-click POST, without a CSRF token, as a mail program sends it.
    response = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "더는 보내지 않습니다" in response.get_data(as_text=True)
    assert notifications.opted_out(citizen.id) == {"petitions"}
    assert client.post(f"/unsubscribe/{token}").status_code == 200  # again: no change
    assert opt_outs(db_session) == 1

    # Petition news now stay in the site only; proposal news are still mailed.
    notify([citizen], "청원 소식", "/petitions/8")
    notify([citizen], "제안 소식", "/proposals/3")
    db_session.commit()
    assert [mail.subject for mail in mails_to(db_session, "follower@example.com")][1:] == ["제안 소식"]
    assert db_session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == citizen.id)) == 3


def test_a_forged_unsubscribe_token_is_a_422_and_changes_nothing(app, client, db_session):
    citizen = factories.UserFactory()
    db_session.commit()
    token = notifications.unsubscribe_token(citizen.id, "petitions")
    forged = [token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "not-a-token",
              notifications.unsubscribe_token(citizen.id, "petitions").replace(".", "x", 1),
              notifications._serializer().dumps({"user": citizen.id}),
              notifications._serializer().dumps([citizen.id, "everything"])]
    for bad in forged:
        for method in (client.get, client.post):
            response = method(f"/unsubscribe/{bad}")
            assert response.status_code == 422, bad
            assert "알림 해지 링크가 올바르지 않습니다" in response.get_data(as_text=True)
    gone = factories.UserFactory()
    db_session.commit()
    gone_token = notifications.unsubscribe_token(gone.id, "forums")
    db_session.delete(gone)
    db_session.commit()
    assert client.post(f"/unsubscribe/{gone_token}").status_code == 404
    assert opt_outs(db_session) == 0


def test_each_kind_can_be_switched_off_on_the_notifications_page(client, db_session):
    citizen = factories.UserFactory()
    db_session.commit()
    login(client, citizen)
    page = client.get("/notifications").get_data(as_text=True)
    assert page.count('type="checkbox" name="mail"') == len(notifications.KINDS) and "checked" in page
    assert client.post("/notifications/preferences", data={"mail": ["petitions"]}).status_code == 400  # no CSRF
    assert opt_outs(db_session) == 0
    token = csrf_token(client, "/notifications")
    response = client.post("/notifications/preferences", data={"mail": ["petitions", "forums"], "csrf_token": token})
    assert response.status_code == 303
    assert notifications.opted_out(citizen.id) == set(notifications.KINDS) - {"petitions", "forums"}
    client.post("/notifications/preferences", data={"mail": list(notifications.KINDS), "csrf_token": token})
    assert notifications.opted_out(citizen.id) == set()


def test_the_choice_is_in_the_personal_data_and_goes_with_the_account(db_session):
    from participation import privacy

    citizen = factories.UserFactory()
    notifications.set_preferences(citizen.id, {"forums"})
    assert privacy.export(citizen)["notification_mail_off"][0]["kind"] == "forums"
    privacy.erase(citizen)
    assert opt_outs(db_session) == 0
