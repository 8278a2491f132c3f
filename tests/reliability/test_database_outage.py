"""The database briefly unreachable, as during a PostgreSQL restart: a TCP proxy (a thread of this test, on
127.0.0.1) stands between a gunicorn server and PostgreSQL, and the test cuts it — every open connection
closed, new ones refused, then new ones accepted but never answered — and restores it.

While it is cut, pages answer 503 with a Korean page and the API 503 in its error shape, within seconds;
signatures and ballots attempted across the cut are either wholly in the database or absent (a ballot
always with its participation row); once the proxy is back, the same server processes answer and take
writes again (pool pre-ping replaces the dead connections), without a restart.

The machine's PostgreSQL is shared and must not be restarted, hence the proxy. SQLite has no server to lose."""

import contextlib
import os
import selectors
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import psutil
import pytest
import requests
from sqlalchemy import func, select

from participation.accounts import services as accounts
from participation.extensions import db
from participation.petitions.models import Signature
from participation.polls.models import Ballot, Participation, SealedBallot
from tests import factories
from tests.conftest import ROOT, empty_tables, free_port, wait_until_serving

DATABASE_URL = os.environ.get("DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith(("postgresql", "postgres:")),
    reason="needs a database server to lose (PostgreSQL leg); SQLite is a file inside the app's process")

UNAVAILABLE_TITLE = "잠시 이용할 수 없습니다"
QUICK = 8.0  # seconds: the connect timeout (3 s) plus margin on a busy 2-core machine


class TcpProxy:
    """Forwards 127.0.0.1:<port> to the database. `cut()` closes every connection and refuses new ones;
    `hang()` accepts new ones but never forwards a byte (a server that is not answering); `restore()`."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.port = target, free_port()
        self.mode = "forward"
        self.lock = threading.Lock()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.held: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.stopped = threading.Event()
        self._listen()
        threading.Thread(target=self._pump, daemon=True).start()

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while not self.stopped.is_set() and self.listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self.lock:
                if self.mode == "hang":
                    self.held.append(client)
                    continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            client.setblocking(False)
            upstream.setblocking(False)
            with self.lock:
                self.pairs.append((client, upstream))

    def _pump(self) -> None:
        """One thread moves the bytes of every pair (small test traffic)."""
        while not self.stopped.is_set():
            with self.lock:
                pairs = list(self.pairs)
            if not pairs:
                time.sleep(0.005)
                continue
            selector = selectors.DefaultSelector()
            for client, upstream in pairs:
                try:
                    selector.register(client, selectors.EVENT_READ, upstream)
                    selector.register(upstream, selectors.EVENT_READ, client)
                except (ValueError, KeyError, OSError):
                    continue
            try:
                events = selector.select(timeout=0.05)
            finally:
                selector.close()
            for key, _ in events:
                source, destination = key.fileobj, key.data
                try:
                    data = source.recv(65536)
                    if not data:
                        raise ConnectionError
                    destination.setblocking(True)
                    destination.sendall(data)
                    destination.setblocking(False)
                except OSError:
                    self._drop(source, destination)

    def _drop(self, one: socket.socket, other: socket.socket) -> None:
        with self.lock:
            self.pairs = [pair for pair in self.pairs if one not in pair]
        for sock in (one, other):
            with contextlib.suppress(OSError):
                sock.close()

    def _close_all(self) -> None:
        with self.lock:
            pairs, self.pairs = self.pairs, []
            held, self.held = self.held, []
        for sock in [s for pair in pairs for s in pair] + held:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                sock.close()  # linger 0: a reset, as when the server process dies
            except OSError:
                pass

    def cut(self) -> None:
        with self.lock:
            self.mode = "refuse"
            listener, self.listener = self.listener, None
        if listener is not None:
            listener.close()
        self._close_all()

    def hang(self) -> None:
        with self.lock:
            self.mode = "hang"
        if self.listener is None:
            self._listen()

    def restore(self) -> None:
        self._close_all()
        with self.lock:
            self.mode = "forward"
        if self.listener is None:
            self._listen()

    def stop(self) -> None:
        self.stopped.set()
        self.cut()


def through(url: str, port: int) -> str:
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@127.0.0.1:{port}" if credentials else f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture
def proxy():
    parts = urlsplit(DATABASE_URL)
    server = TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    yield server
    server.stop()


@pytest.fixture
def server_behind_proxy(app, redis, instance_dir, proxy):
    """gunicorn (one worker process, 8 threads) whose DATABASE_URL goes through the proxy."""
    port = free_port()
    env = {**os.environ, "PARTICIPATION_TEST_INSTANCE": str(instance_dir),
           "DATABASE_URL": through(DATABASE_URL, proxy.port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "8",
         "--timeout", "60", "--graceful-timeout", "2", "--log-level", "warning", "tests.live_app:app"],
        cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        with app.app_context():
            empty_tables()


def worker_pids(process) -> set[int]:
    return {child.pid for child in psutil.Process(process.pid).children()}


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def assert_unavailable_page(response, elapsed: float) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert elapsed < QUICK, f"{response.url} took {elapsed:.1f} s"
    assert "text/html" in response.headers["Content-Type"]
    assert UNAVAILABLE_TITLE in response.text
    assert "잠시 후 다시 시도해 주세요" in response.text


def assert_unavailable_api(response, elapsed: float) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert elapsed < QUICK, f"{response.url} took {elapsed:.1f} s"
    assert response.json()["error"]["code"] == "unavailable"
    assert response.json()["error"]["message"]
    assert int(response.headers["Retry-After"]) > 0


def test_database_cut_and_restored_under_a_running_server(app, server_behind_proxy, proxy):
    base, process = server_behind_proxy
    with app.app_context():
        factories.bind(db.session)
        citizens = [factories.UserFactory(district="성북구") for _ in range(31)]
        petition = factories.open_petition(title="정릉천 산책로에 가로등을 놓아 주세요")
        poll = factories.PollFactory(title="성북구 마을버스 배차 간격")
        db.session.flush()
        tokens = [{"Authorization": f"Bearer {accounts.issue_token(citizen)}"} for citizen in citizens]
        emails = [citizen.email for citizen in citizens]
        petition_id, poll_id, option_id = petition.id, poll.id, poll.options[0].id
        db.session.commit()
        db.session.remove()

    def sign(index: int):
        return requests.post(f"{base}/api/v1/petitions/{petition_id}/signatures", headers=tokens[index], timeout=30)

    def vote(index: int):
        return requests.post(f"{base}/api/v1/polls/{poll_id}/ballots", headers=tokens[index],
                             json={"choices": [option_id]}, timeout=30)

    # Before: a logged-in browser and a signer, so the pool holds connections that the cut will kill.
    browser = requests.Session()
    page = browser.get(f"{base}/login", timeout=30)
    csrf = page.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert browser.post(f"{base}/login", data={"email": emails[0], "password": factories.PASSWORD,
                                                "csrf_token": csrf}, timeout=30).status_code == 200
    assert sign(0).status_code == 201 and vote(0).status_code == 201
    workers = worker_pids(process)
    assert len(workers) == 1

    # A burst of signatures and ballots (20 citizens, 8 at a time) cut once 5 of them are through.
    done = threading.Semaphore(0)

    def attempt(index: int):
        result = index, sign(index).status_code, vote(index).status_code
        done.release()
        return result

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(attempt, index) for index in range(1, 21)]
        for _ in range(5):
            assert done.acquire(timeout=60)
        proxy.cut()
        burst = [future.result() for future in futures]
    statuses = [status for _, *pair in burst for status in pair]
    assert set(statuses) == {201, 503}, burst  # accepted before the cut, refused after it, nothing else

    # Cut: refused connections. Pages, for a visitor and for the logged-in citizen, and the API.
    for path in ("/", "/petitions", f"/petitions/{petition_id}", f"/polls/{poll_id}"):
        assert_unavailable_page(*timed(lambda path=path: requests.get(base + path, timeout=30)))
    assert_unavailable_page(*timed(lambda: browser.get(f"{base}/petitions/{petition_id}", timeout=30)))
    for path in ("/api/v1/petitions", f"/api/v1/polls/{poll_id}"):
        assert_unavailable_api(*timed(lambda path=path: requests.get(base + path, timeout=30)))
    assert_unavailable_api(*timed(lambda: sign(21)))
    assert_unavailable_api(*timed(lambda: vote(21)))
    assert_unavailable_api(*timed(lambda: requests.get(f"{base}/api/v1/me", headers=tokens[22], timeout=30)))

    # Not answering (connections accepted, never served): the connect timeout bounds the wait.
    proxy.hang()
    assert_unavailable_api(*timed(lambda: sign(22)))
    assert_unavailable_page(*timed(lambda: requests.get(f"{base}/petitions", timeout=30)))

    # Restored: the same worker process serves and writes again.
    proxy.restore()
    assert requests.get(f"{base}/api/v1/petitions", timeout=30).status_code == 200
    assert browser.get(f"{base}/petitions/{petition_id}", timeout=30).status_code == 200
    assert sign(30).status_code == 201 and vote(30).status_code == 201
    assert worker_pids(process) == workers

    # Nothing half-written: a request that got 201 is in the database; one that got 503 is either wholly
    # there (the commit landed, its answer was lost: a retry says 409) or absent (a retry says 201).
    for index, signed, voted in burst:
        retry_sign, retry_vote = sign(index).status_code, vote(index).status_code
        assert retry_sign == (409 if signed == 201 else retry_sign) and retry_sign in (201, 409), (index, signed)
        assert retry_vote == (409 if voted == 201 else retry_vote) and retry_vote in (201, 409), (index, voted)
    for index in (21, 22):
        assert sign(index).status_code == 201 and vote(index).status_code == 201

    with app.app_context():
        signatures = db.session.scalar(select(func.count()).select_from(Signature).where(
            Signature.petition_id == petition_id))
        # A vote writes its participation row and its ballot sealed (opened later, in batches, by the worker).
        sealed = db.session.scalar(select(func.count()).select_from(SealedBallot).where(
            SealedBallot.box_id == poll_id))
        opened = db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id))
        participations = db.session.scalar(select(func.count()).select_from(Participation).where(
            Participation.poll_id == poll_id))
        db.session.remove()
    # Citizens 0–22 and 30, each exactly once; every ballot with its participation row.
    assert (signatures, sealed + opened, participations) == (24, 24, 24)
