"""Sessions and logs.

Session fixation: the session is a signed cookie, so what an attacker could plant is a pre-login cookie.
Logging in clears the session and writes a new one: the planted cookie stays anonymous, and the CSRF token
it carried no longer works for the citizen. Logout clears the session; a logged-in cookie copied into
another browser is dropped (Flask-Login's strong session protection); a remember-me cookie, were one
issued, carries Secure, HttpOnly and SameSite in production.

Logs: over a whole citizen's journey (sign up, verify, log in, ask for a password reset, get an API token,
sign a petition, vote), no log record, audit entry or queued job carries an e-mail address, a password, a
verification or reset token, or an API token."""

import logging
import re

from flask_login import login_user
from rq.job import Job
from sqlalchemy import select

from participation import create_app
from participation.accounts.models import User
from participation.core.audit import AuditEntry
from participation.core.mail import OutboxMail
from tests import factories
from tests.conftest import api_token, csrf_token, free_port, login

SESSION = "session"


def signed_in(client) -> bool:
    response = client.get("/account")
    return response.status_code == 200


# ── session fixation ─────────────────────────────────────────────────────────────────────────────────────

def test_a_planted_pre_login_cookie_gains_nothing_from_the_login(app, client, db_session):
    citizen = factories.UserFactory(display_name="피해시민")
    db_session.commit()
    # The attacker's session (a real one, with its CSRF token) is planted in the citizen's browser.
    planted_token = csrf_token(client, "/login")
    planted = client.get_cookie(SESSION).value

    login(client, citizen)
    issued = client.get_cookie(SESSION).value
    assert issued != planted
    assert signed_in(client)

    # The attacker, holding the planted cookie, is still a visitor.
    attacker = app.test_client()
    attacker.set_cookie(SESSION, planted, domain="localhost")
    assert attacker.get("/account").status_code == 302
    assert "피해시민" not in attacker.get("/").get_data(as_text=True)

    # The CSRF token the attacker knew does not work in the citizen's new session.
    response = client.post("/logout", data={"csrf_token": planted_token})
    assert response.status_code == 400
    assert signed_in(client)


def test_logout_clears_the_session(app, client, db_session):
    citizen = factories.UserFactory()
    db_session.commit()
    login(client, citizen)
    assert signed_in(client)
    with client.session_transaction() as session:
        assert session["_user_id"] == f"{citizen.id}.0"

    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 303
    with client.session_transaction() as session:
        assert "_user_id" not in session and "_id" not in session and "csrf_token" not in session
    assert not signed_in(client)


def test_a_logged_in_cookie_copied_into_another_browser_is_dropped(app, client, db_session):
    citizen = factories.UserFactory()
    db_session.commit()
    login(client, citizen)
    stolen = client.get_cookie(SESSION).value

    elsewhere = app.test_client()
    elsewhere.set_cookie(SESSION, stolen, domain="localhost")
    response = elsewhere.get("/account", headers={"User-Agent": "다른 브라우저/1.0"},
                             environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    # The owner, from their own browser, is still signed in.
    assert signed_in(client)


def test_a_cookie_copied_before_logout_is_dead_after_it(app, client, db_session):
    citizen = factories.UserFactory(display_name="복사된쿠키")
    db_session.commit()
    login(client, citizen)
    copy = app.test_client()
    copy.set_cookie(SESSION, client.get_cookie(SESSION).value, domain="localhost")
    assert signed_in(copy)  # same browser and address: Flask-Login's strong protection cannot tell

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert not signed_in(copy)


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(app, client, db_session):
    citizen = factories.UserFactory()
    db_session.commit()
    login(client, citizen)
    phone = app.test_client()
    login(phone, citizen)
    app_token = api_token(app.test_client(), citizen)

    response = client.post("/account/password", data={
        "current_password": factories.PASSWORD, "password": "새비밀번호-2026-서울",
        "csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 303
    assert "비밀번호를 바꿨습니다" in client.get("/account").get_data(as_text=True)
    assert signed_in(client)
    assert not signed_in(phone)
    assert app.test_client().get("/api/v1/me", headers=app_token).status_code == 401


def test_login_issues_no_remember_me_cookie(app, client, db_session):
    citizen = factories.UserFactory()
    db_session.commit()
    login(client, citizen)
    assert client.get_cookie("remember_token") is None


def test_a_remember_me_cookie_would_be_secure_httponly_and_samesite_in_production(tmp_path, monkeypatch,
                                                                                   db_session):
    monkeypatch.delenv("PARTICIPATION_REMEMBER_COOKIE_SECURE", raising=False)
    production = create_app({"ENVIRONMENT": "production", "SECRET_KEY": "y" * 64, "INSTANCE_PATH": str(tmp_path),
                             "TRUSTED_HOSTS": ["localhost"], "REDIS_URL": "redis://127.0.0.1:1/0",
                             "RATELIMIT_STORAGE_URI": "memory://", "PROXY_HOPS": 0})
    citizen = factories.UserFactory()
    with production.test_request_context("/login", method="POST", base_url="https://localhost"):
        login_user(citizen, remember=True)
        response = production.process_response(production.response_class("확인"))
    cookies = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("remember_token=")]
    assert len(cookies) == 1
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookies[0].split(";")}
    assert "secure" in flags and "httponly" in flags
    assert flags["samesite"].lower() == "samesite=lax"


# ── logs without e-mails or tokens ───────────────────────────────────────────────────────────────────────

def everything_logged(records, db_session, redis) -> str:
    """The text of every log record, every audit entry and every job waiting or done in Redis."""
    parts = []
    for record in records:
        parts += [record.getMessage(), repr(record.args), record.exc_text or "", repr(record.__dict__)]
    for entry in db_session.scalars(select(AuditEntry)):
        parts.append(f"{entry.subject_type} {entry.action} {entry.reason}")
    for key in redis.scan_iter("rq:job:*"):
        job_id = key.decode().removeprefix("rq:job:")
        if ":" in job_id:  # rq:job:<id>:dependents and the like
            continue
        job = Job.fetch(job_id, connection=redis)
        parts += [job.func_name, repr(job.args), repr(job.kwargs), job.description or "", repr(job.meta)]
    for key in redis.scan_iter():
        if redis.type(key) == b"string":
            parts.append(repr(redis.get(key)))
    return "\n".join(parts)


def test_no_email_password_or_token_reaches_the_logs_or_the_jobs(app, client, db_session, redis, caplog,
                                                                  run_jobs):
    caplog.set_level(logging.DEBUG)
    # Mail goes through a job; its SMTP server is a closed port on this machine (the send fails at once).
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    try:
        email, password = "Log.Test+seoul@Example.com", "로그-시험-비밀번호-7"
        response = client.post("/register", data={
            "email": email, "password": password, "display_name": "기록시민", "district": "노원구",
            "birth_year": "1990", "privacy_consent": "y", "csrf_token": csrf_token(client, "/register")})
        assert response.status_code == 303
        mail = db_session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc())).first()
        verify_token = re.search(r"/verify/(\S+)", mail.body).group(1)
        assert client.get(f"/verify/{verify_token}").status_code == 303
        assert client.post("/verify", data={"csrf_token": csrf_token(client, "/verify")}).status_code == 303
        user = db_session.scalar(select(User).where(User.email == "log.test+seoul@example.com"))
        # A wrong password first (throttling and failure paths log too), then the right one.
        assert client.post("/login", data={"email": email, "password": password + "x",
                                           "csrf_token": csrf_token(client)}).status_code == 401
        login(client, user, password)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

        assert client.post("/reset", data={"email": email, "csrf_token": csrf_token(client, "/reset")}
                           ).status_code == 303
        mail = db_session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc())).first()
        reset_token = re.search(r"/reset/(\S+)", mail.body).group(1)

        response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
        assert response.status_code == 200
        api_token = response.json["token"]
        headers = {"Authorization": f"Bearer {api_token}"}
        petition = factories.open_petition(title="기록 시험 청원")
        poll = factories.PollFactory(title="기록 시험 투표")
        assert client.post(f"/api/v1/petitions/{petition.id}/signatures", headers=headers).status_code == 201
        assert client.post(f"/api/v1/polls/{poll.id}/ballots", headers=headers,
                           json={"choices": [poll.options[0].id]}).status_code == 201
        # A bad token and a second signature: the refusals are logged without the token either.
        assert client.post(f"/api/v1/petitions/{petition.id}/signatures",
                           headers={"Authorization": f"Bearer {api_token}x"}).status_code == 401
        assert client.post(f"/api/v1/petitions/{petition.id}/signatures", headers=headers).status_code == 409

        queued = everything_logged(caplog.records, db_session, redis)
        run_jobs()
        logged = queued + "\n" + everything_logged(caplog.records, db_session, redis)
    finally:
        app.config.update(MAIL_SERVER=None, MAIL_PORT=25)

    assert "deliver_mail" in queued, "the mail jobs were expected in the queue"
    assert caplog.records, "nothing was logged: the capture is not working"
    secrets = {"e-mail as typed": email, "e-mail": email.lower(), "mailbox": "log.test", "password": password,
               "verification token": verify_token, "reset token": reset_token, "API token": api_token}
    for name, secret in secrets.items():
        assert secret.lower() not in logged.lower(), f"the {name} appears in the logs or the jobs"
