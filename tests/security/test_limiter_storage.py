"""Rate limits must not turn off without a trace (issue #23, item 3). The limiter used to get a storage URI
rebuilt by hand from the Redis connection: a `rediss://` URL lost TLS, an ACL user name was dropped, a password
with `@`, `/` or `:` broke the URI, and with RATELIMIT_SWALLOW_ERRORS every limit — login throttling included — was
then off. Each case here runs a real redis-server that accepts only the right connection, and tries a fourth wrong
password where three a minute are allowed."""

import logging
import shutil
import socket
import subprocess
import time
from urllib.parse import quote

import pytest

from participation import create_app
from participation.core import limits
from tests.conftest import free_port, make_test_config

THROTTLED = ["401", "401", "401", "429"]


class Server:
    """A redis-server of the test's own, started with the given arguments."""

    def __init__(self, directory, *arguments: str, tls: bool = False):
        self.port = free_port()
        listen = ["--port", "0", "--tls-port", str(self.port)] if tls else ["--port", str(self.port)]
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(directory), *listen, *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def server_dir(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    return tmp_path


def wrong_logins(instance_dir, redis_url: str, **config) -> list[str]:
    app = create_app({**make_test_config(instance_dir), "REDIS_URL": redis_url, "LOGIN_LIMITS": "3 per minute",
                      **config})
    client = app.test_client()
    statuses = [str(client.post("/api/v1/auth/token", json={"email": "target@example.com", "password": "guess"})
                    .status_code) for _ in range(4)]
    with app.app_context():
        from participation.extensions import db

        db.engine.dispose()
    return statuses


def test_a_password_with_reserved_characters(app, instance_dir, server_dir):
    password = "p@ss/w:rd#1"
    server = Server(server_dir, "--requirepass", password)
    try:
        url = f"redis://:{quote(password, safe='')}@127.0.0.1:{server.port}/3"
        assert wrong_logins(instance_dir, url) == THROTTLED
    finally:
        server.stop()


def test_an_acl_user_name(app, instance_dir, server_dir):
    server = Server(server_dir, "--user", "default", "off", "--user", "limits", "on", ">s3cret", "~*", "&*", "+@all")
    try:
        assert wrong_logins(instance_dir, f"redis://limits:s3cret@127.0.0.1:{server.port}/0") == THROTTLED
    finally:
        server.stop()


def test_tls(app, instance_dir, server_dir):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1", "-keyout", str(server_dir / "key.pem"),
                    "-out", str(server_dir / "cert.pem")], check=True, capture_output=True)
    try:
        server = Server(server_dir, "--tls-cert-file", str(server_dir / "cert.pem"), "--tls-key-file",
                        str(server_dir / "key.pem"), "--tls-ca-cert-file", str(server_dir / "cert.pem"),
                        "--tls-auth-clients", "no", tls=True)
    except RuntimeError:
        pytest.skip("this redis-server has no TLS")
    try:
        url = f"rediss://127.0.0.1:{server.port}/0?ssl_ca_certs={quote(str(server_dir / 'cert.pem'))}"
        assert wrong_logins(instance_dir, url) == THROTTLED
    finally:
        server.stop()


def test_limits_fall_back_to_this_process_when_redis_is_down_and_say_so(app, instance_dir, caplog):
    """Nothing listens on the port: the limits still hold (per process), the failure is logged and counted."""
    before = limits.storage_errors()
    with caplog.at_level(logging.WARNING):
        assert wrong_logins(instance_dir, f"redis://127.0.0.1:{free_port()}/0") == THROTTLED
    assert limits.storage_errors() > before
    assert any("rate limit" in record.getMessage().lower() for record in caplog.records
               if record.levelno >= logging.WARNING)


def test_the_limiter_uses_the_apps_own_connection_settings(app):
    """One Redis configuration: the limiter's client is built on the app's connection pool (TLS, user, password,
    socket timeouts), not on a URI rebuilt from it."""
    from participation.core.redis import redis_connection
    from participation.extensions import limiter

    with app.app_context():
        assert limiter._storage.storage.connection_pool is redis_connection().connection_pool
    assert app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
