import pytest

from participation import create_app
from participation.config import ConfigurationError, normalise_database_url


def test_production_without_secret_refuses_to_start(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app({"ENVIRONMENT": "production", "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": None})


def test_production_needs_its_host_names_and_refuses_any_other_host(tmp_path, monkeypatch):
    monkeypatch.delenv("PARTICIPATION_TRUSTED_HOSTS", raising=False)
    config = {"ENVIRONMENT": "production", "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "z" * 64,
              "REDIS_URL": "redis://127.0.0.1:1/0", "RATELIMIT_STORAGE_URI": "memory://", "PROXY_HOPS": 0}
    with pytest.raises(ConfigurationError, match="TRUSTED_HOSTS"):
        create_app(config)
    production = create_app({**config, "TRUSTED_HOSTS": ["participation.seoul.go.kr"]})
    client = production.test_client()
    # A forged Host would put its name into password-reset links and cached pages: refused before any view.
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/api/v1/petitions", headers={"Host": "evil.example"}).json["error"]["code"] == "bad_request"


def test_development_generates_and_keeps_a_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = create_app({"INSTANCE_PATH": str(tmp_path), "ENVIRONMENT": "development"}).config["SECRET_KEY"]
    second = create_app({"INSTANCE_PATH": str(tmp_path), "ENVIRONMENT": "development"}).config["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").read_text().strip() == first


def test_settings_come_from_prefixed_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PARTICIPATION_REQUIRE_EMAIL_VERIFICATION", "0")
    monkeypatch.setenv("PARTICIPATION_RATELIMIT_ENABLED", "false")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "ENVIRONMENT": "development"})
    assert app.config["REQUIRE_EMAIL_VERIFICATION"] == 0
    assert app.config["RATELIMIT_ENABLED"] is False


def test_postgres_urls_use_psycopg3():
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_health(client):
    # No worker runs in the tests: degraded, still 200 (tests/foundation/test_health.py has the other answers).
    response = client.get("/healthz")
    assert (response.status_code, response.json["status"], response.json["database"]) == (200, "degraded", "ok")


def test_security_headers(client):
    response = client.get("/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_behind_a_proxy_https_is_seen_and_hsts_sent(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "PROXY_HOPS": 1, "SECRET_KEY": "x" * 32,
                      "ENVIRONMENT": "development"})
    response = app.test_client().get("/lang/ko", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Secure" in response.headers["Set-Cookie"]
