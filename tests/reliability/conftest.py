"""A Redis server of the test's own (redis-server on a free port) that a test may stop and start
again, and an app configured to it (same test database as every other test)."""

import shutil
import socket
import subprocess
import time

import pytest

from participation import create_app
from tests.conftest import free_port, make_test_config


class RedisProcess:
    def __init__(self, port: int, directory):
        self.port, self.directory, self.process = port, directory, None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_process(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisProcess(free_port(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def outage_app(instance_dir, redis_process):
    """The app on the test database and on the Redis that the test can stop (rate limits on)."""
    return create_app({**make_test_config(instance_dir), "REDIS_URL": redis_process.url})


@pytest.fixture
def redis_app(app, instance_dir, redis_process):  # `app` has migrated the test database
    """An app on the test database and the test's own Redis, with committed rows emptied afterwards."""
    from participation.extensions import db
    from tests import factories
    from tests.conftest import empty_tables

    own = create_app({**make_test_config(instance_dir), "REDIS_URL": redis_process.url})
    with own.app_context():
        factories.bind(db.session)
        try:
            yield own
        finally:
            empty_tables()
            db.engine.dispose()
