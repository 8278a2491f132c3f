"""Insecure only when told so (issue #23, item 4). A deployment that forgets to say what it is runs as production:
a secret key and host names are required, cookies are Secure, and a forged Host is refused. The mail outbox
(every reset and verification link) answers only on a developer machine, to a browser on that machine. The demo,
which creates admin@example.com with a published password, refuses production and a database with real people."""

import pytest
from sqlalchemy import func, select

from participation import create_app
from participation.accounts.models import User
from participation.config import ConfigurationError
from participation.core.mail import send_mail
from tests import factories
from tests.conftest import make_test_config
from tests.security.conftest import web_client

SAFE = {"SECRET_KEY": "s" * 64, "TRUSTED_HOSTS": ["participation.seoul.go.kr"],
        "REDIS_URL": "redis://127.0.0.1:1/0", "RATELIMIT_STORAGE_URI": "memory://", "PROXY_HOPS": 0}


@pytest.fixture
def clean_environment(monkeypatch):
    for name in ("PARTICIPATION_ENVIRONMENT", "SECRET_KEY", "PARTICIPATION_TRUSTED_HOSTS", "PARTICIPATION_PROXY_HOPS",
                 "PARTICIPATION_SESSION_COOKIE_SECURE", "PARTICIPATION_REMEMBER_COOKIE_SECURE"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("environment", [None, "staging", "prod", "Development", ""])
def test_anything_but_development_is_production(tmp_path, clean_environment, environment):
    config = {"INSTANCE_PATH": str(tmp_path)} | ({"ENVIRONMENT": environment} if environment is not None else {})
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app(config)
    with pytest.raises(ConfigurationError, match="TRUSTED_HOSTS"):
        create_app({**config, "SECRET_KEY": "s" * 64})
    app = create_app({**config, **SAFE})
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.test_client().get("/healthz", headers={"Host": "evil.example"}).status_code == 400
    assert not (tmp_path / "secret_key").exists()


def test_a_developer_machine_says_so(tmp_path, clean_environment):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "ENVIRONMENT": "development",
                      "REDIS_URL": "redis://127.0.0.1:1/0", "RATELIMIT_STORAGE_URI": "memory://", "PROXY_HOPS": 0})
    assert app.config["SESSION_COOKIE_SECURE"] is False and (tmp_path / "secret_key").exists()


def outbox_with_a_reset_link() -> None:
    send_mail("시민@example.com", "[서울시 시민참여] 비밀번호 다시 설정", "http://localhost/reset/비밀-토큰")


def test_the_outbox_answers_only_on_a_developer_machine_from_loopback(app, db_session, redis):
    outbox_with_a_reset_link()
    admin = factories.admin()
    db_session.commit()
    assert b"/reset/" in app.test_client().get("/dev/outbox").data  # REMOTE_ADDR 127.0.0.1
    for address in ("10.0.0.5", "203.0.113.9", "2001:db8::1"):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        assert client.get("/dev/outbox").status_code == 404, address
    admin_elsewhere = web_client(app, admin.id)
    admin_elsewhere.environ_base["REMOTE_ADDR"] = "10.0.0.5"
    assert admin_elsewhere.get("/dev/outbox").status_code == 404


def test_the_outbox_is_not_reached_through_a_proxy_on_the_same_machine(app, instance_dir, db_session, redis):
    """Behind a proxy on 127.0.0.1 the client is whoever the proxy says: not loopback."""
    behind_proxy = create_app({**make_test_config(instance_dir), "PROXY_HOPS": 1})
    outbox_with_a_reset_link()
    db_session.commit()
    client = behind_proxy.test_client()
    assert client.get("/dev/outbox", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404


def test_the_outbox_is_gone_in_production_even_for_admins(tmp_path, clean_environment, app, db_session):
    production = create_app({**make_test_config(tmp_path), **SAFE, "ENVIRONMENT": "production",
                             "DATABASE_URL": app.config["DATABASE_URL"], "TRUSTED_HOSTS": ["localhost"]})
    outbox_with_a_reset_link()
    admin = factories.admin()
    db_session.commit()
    client = web_client(production, admin.id)
    assert client.get("/dev/outbox", base_url="https://localhost").status_code == 404


def test_seed_demo_refuses_production(tmp_path, clean_environment, app):
    production = create_app({**make_test_config(tmp_path), **SAFE, "ENVIRONMENT": "production",
                             "DATABASE_URL": app.config["DATABASE_URL"]})
    with production.app_context():  # as the flask command line gives it
        result = production.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code != 0 and "production" in result.output
        assert production.test_cli_runner().invoke(args=["serve"]).exit_code != 0


def test_seed_demo_refuses_a_database_with_real_people(app, db_session):
    factories.UserFactory(email="real.person@seoul.example")
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "seed-demo" in result.output
    assert db_session.scalar(select(func.count()).select_from(User).where(User.email == "admin@example.com")) == 0
