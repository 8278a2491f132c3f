"""Sign-up, verification, login, logout, reset and deletion through the pages, with CSRF on."""

import re

from sqlalchemy import select

from participation.accounts.models import User
from participation.core.audit import AuditEntry
from participation.core.mail import OutboxMail
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD, UserFactory


def sign_up(client, **overrides):
    data = {"email": "  Kim.Seoul@Example.com ", "password": "서울시민-비밀번호1", "display_name": "김서울",
            "district": "강남구", "birth_year": "1985", "privacy_consent": "y",
            "csrf_token": csrf_token(client, "/register")}
    data.update(overrides)
    return client.post("/register", data=data)


def last_link(db_session, path: str) -> str:
    mail = db_session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc())).first()
    match = re.search(rf"http://localhost(/{path}/\S+)", mail.body)
    assert match, mail.body
    return match.group(1)


def test_sign_up_verify_log_out_and_in(client, db_session):
    response = sign_up(client)
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert "받은 메일의 링크를 열어 이메일을 인증한 뒤 로그인해 주세요" in client.get("/login").get_data(as_text=True)
    user = db_session.scalar(select(User).where(User.email == "kim.seoul@example.com"))
    assert user.display_name == "김서울" and user.district == "강남구" and not user.email_verified
    login(client, user, "서울시민-비밀번호1")
    assert "이메일 인증 전에는" in client.get("/").get_data(as_text=True)

    opened = client.get(last_link(db_session, "verify"))
    assert opened.status_code == 303 and opened.headers["Location"] == "/verify"
    assert "kim.seoul@example.com" in client.get("/verify").get_data(as_text=True)
    response = client.post("/verify", data={"csrf_token": csrf_token(client, "/verify")})
    assert response.status_code == 303
    db_session.refresh(user)
    assert user.email_verified

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert "로그인" in client.get("/").get_data(as_text=True)
    response = client.post("/login", data={"email": "KIM.SEOUL@example.com ", "password": "서울시민-비밀번호1",
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 303
    assert "김서울" in client.get("/").get_data(as_text=True)


def test_forms_without_csrf_are_refused(client, db_session):
    response = client.post("/register", data={"email": "a@example.com", "password": "x" * 12,
                                              "display_name": "가", "district": "중구", "birth_year": "1990"})
    assert response.status_code == 400
    assert db_session.scalar(select(User).where(User.email == "a@example.com")) is None


def test_invalid_sign_up_gives_the_form_back_with_messages(client, db_session):
    response = sign_up(client, email="not-an-email", password="short", district="부산진구", birth_year="2020")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "올바른 이메일 주소가 아닙니다." in page
    assert "비밀번호는 10자 이상이어야 합니다." in page
    assert "서울시 25개 자치구 중 하나를 골라 주세요." in page
    assert "만 14세 이상만 가입할 수 있습니다." in page
    assert db_session.scalar(select(User)) is None


def test_second_account_on_same_mailbox_is_refused(client, db_session):
    owner = UserFactory(email="kimseoul@gmail.com", email_canonical="kimseoul@gmail.com")
    response = sign_up(client, email="Kim.Seoul+petitions@gmail.com")
    assert response.status_code == 303  # the answer of a new address: the mail tells the owner
    assert db_session.scalars(select(User.id)).all() == [owner.id]
    mail = db_session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc())).first()
    assert mail.to == "kimseoul@gmail.com" and "이미 가입된 계정이 있어" in mail.body


def test_login_does_not_tell_which_emails_exist(client, db_session):
    UserFactory(email="exists@example.com")
    wrong_password = client.post("/login", data={"email": "exists@example.com", "password": "wrong-password",
                                                 "csrf_token": csrf_token(client)})
    no_account = client.post("/login", data={"email": "nobody@example.com", "password": "wrong-password",
                                             "csrf_token": csrf_token(client)})
    assert wrong_password.status_code == no_account.status_code == 401
    assert "이메일 또는 비밀번호가 맞지 않습니다." in wrong_password.get_data(as_text=True)
    assert "이메일 또는 비밀번호가 맞지 않습니다." in no_account.get_data(as_text=True)


def test_an_empty_login_form_is_refused_naming_its_fields(client, db_session):
    """Bad input is a 422 with the form back, as on the sign-up page; wrong credentials stay a 401."""
    response = client.post("/login", data={"email": "", "password": "", "csrf_token": csrf_token(client)})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#email"' in page and 'href="#password"' in page and "입력값을 확인해 주세요." in page
    assert client.post("/reset", data={"email": "", "csrf_token": csrf_token(client, "/reset")}).status_code == 422


def test_a_refused_password_change_says_why_next_to_the_field(client, db_session):
    user = UserFactory()
    login(client, user)
    before = user.password_hash

    empty = client.post("/account/password", data={"current_password": "", "password": "",
                                                   "csrf_token": csrf_token(client, "/account")})
    wrong = client.post("/account/password", data={"current_password": "틀린-비밀번호-입니다",
                                                   "password": "새-비밀번호-12345",
                                                   "csrf_token": csrf_token(client, "/account")})

    assert empty.status_code == 422 and 'href="#current_password"' in empty.get_data(as_text=True)
    assert wrong.status_code == 422
    assert re.search(r'id="current_password-error">현재 비밀번호가 맞지 않습니다.', wrong.get_data(as_text=True))
    db_session.refresh(user)
    assert user.password_hash == before


def test_a_refused_deletion_says_why_and_keeps_the_account(client, db_session):
    user = UserFactory(display_name="남는시민")
    login(client, user)
    response = client.post("/account/delete", data={"password": "틀린-비밀번호-입니다",
                                                    "csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 422 and "비밀번호가 맞지 않습니다." in response.get_data(as_text=True)
    db_session.refresh(user)
    assert user.display_name == "남는시민" and user.deleted_at is None


def test_the_district_list_speaks_the_page_language(client, db_session):
    assert '<option value="마포구">마포구</option>' in client.get("/register").get_data(as_text=True)
    client.get("/lang/en")
    english = client.get("/register").get_data(as_text=True)
    assert '<option value="마포구">Mapo-gu</option>' in english and ">마포구<" not in english
    assert sign_up(client, district="마포구").status_code == 303


def test_reset_request_says_the_same_for_unknown_addresses(client, db_session):
    UserFactory(email="exists@example.com")
    known = client.post("/reset", data={"email": "exists@example.com", "csrf_token": csrf_token(client, "/reset")})
    unknown = client.post("/reset", data={"email": "nobody@example.com", "csrf_token": csrf_token(client, "/reset")})
    assert known.status_code == unknown.status_code == 303
    assert db_session.query(OutboxMail).count() == 1


def test_password_reset_link_works_once(client, db_session):
    user = UserFactory(email="reset@example.com")
    client.post("/reset", data={"email": "reset@example.com", "csrf_token": csrf_token(client, "/reset")})
    link = last_link(db_session, "reset")
    assert client.get(link).headers["Location"] == "/reset/password"
    response = client.post("/reset/password", data={"password": "새-비밀번호-12345",
                                                    "csrf_token": csrf_token(client, "/reset/password")})
    assert response.status_code == 303
    login(client, user, "새-비밀번호-12345")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get(link).status_code == 303  # the same link, opened again: used up
    again = client.get("/reset/password")
    assert again.status_code == 422 and "올바르지 않거나 만료되었습니다" in again.get_data(as_text=True)


def test_delete_account_erases_personal_data(client, db_session):
    user = UserFactory(email="leave@example.com", display_name="떠나는시민")
    login(client, user)
    response = client.post("/account/delete", data={"password": PASSWORD,
                                                    "csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 303
    db_session.refresh(user)
    assert user.email is None and user.display_name is None and user.district is None
    assert user.birth_year is None and user.password_hash is None and user.deleted_at is not None
    assert user.public_name == "탈퇴한 사용자"
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "deleted")) is not None
    assert client.get("/account").status_code == 302


def test_profile_edit(client, db_session):
    user = UserFactory()
    login(client, user)
    response = client.post("/account", data={"display_name": "새이름", "district": "송파구", "birth_year": "1970",
                                             "csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 303
    db_session.refresh(user)
    assert (user.display_name, user.district, user.birth_year) == ("새이름", "송파구", 1970)


def test_admin_grants_roles_in_the_console(client, db_session):
    admin = UserFactory(roles=["admin"])
    citizen = UserFactory()
    login(client, admin)
    response = client.post(f"/admin/users/{citizen.id}/roles/moderator",
                           data={"grant": "1", "csrf_token": csrf_token(client, "/admin/users")})
    assert response.status_code == 303
    db_session.refresh(citizen)
    assert "moderator" in citizen.roles


def test_admin_console_is_for_admins_only(client, db_session):
    login(client, UserFactory())
    assert client.get("/admin/users").status_code == 403


def test_sign_up_asks_for_consent_to_collect_and_records_it(client, db_session):
    """개인정보 수집·이용 동의: what is collected, why and for how long, and a required box; refused without it."""
    page = client.get("/register").get_data(as_text=True)
    for words in ("개인정보 수집·이용 동의", "수집하는 항목", "사는 자치구, 태어난 해", "보유·이용 기간",
                  "동의를 거부할 수 있습니다"):
        assert words in page
    response = sign_up(client, privacy_consent="")
    assert response.status_code == 422
    assert "개인정보 수집·이용에 동의해야 가입할 수 있습니다." in response.get_data(as_text=True)
    assert db_session.scalar(select(User).where(User.email == "kim.seoul@example.com")) is None
    assert sign_up(client).status_code == 303
    user = db_session.scalar(select(User).where(User.email == "kim.seoul@example.com"))
    assert user.privacy_consent_at is not None
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.subject_id == user.id,
                                                      AuditEntry.action == "privacy_consent")) is not None


def test_the_api_refuses_a_sign_up_without_consent(client, db_session):
    body = {"email": "app@example.com", "password": "모바일-비밀번호-1", "display_name": "앱시민", "district": "중구",
            "birth_year": 1990}
    response = client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 422 and "privacy_consent" in response.json["error"]["fields"]
    response = client.post("/api/v1/auth/register", json={**body, "privacy_consent": False})
    assert response.status_code == 422
    assert response.json["error"]["fields"]["privacy_consent"] == ["개인정보 수집·이용에 동의해야 가입할 수 있습니다."]
    assert client.post("/api/v1/auth/register", json={**body, "privacy_consent": True}).status_code == 201


def test_the_notification_count_drops_once_the_list_is_read(client, db_session):
    from participation.core.notifications import notify

    user = UserFactory()
    notify([user], "청원에 답변이 달렸습니다", "/petitions/1", mail=False)
    notify([user], "제안이 검토되었습니다", "/proposals/1", mail=False)
    db_session.commit()
    login(client, user)
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'<span class="badge">2<span class="visually-hidden">개 안 읽음', home)
    page = client.get("/notifications").get_data(as_text=True)
    assert page.count("새 알림") == 2 and 'class="badge"' not in page
    assert 'class="badge"' not in client.get("/").get_data(as_text=True)
    assert "새 알림" not in client.get("/notifications").get_data(as_text=True)
