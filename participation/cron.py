"""One cron scheduler across every worker, and periodic jobs that never overlap themselves.

Every `flask worker` (unless --no-cron) starts a cron process, but only the one that holds the Redis lock
LOCK_KEY enqueues anything. The lock is taken with SET NX and an expiry of CRON_LOCK_SECONDS, and renewed by the
holder's heartbeat every third of that (only by the holder: the renewal compares its token). The others stand by,
beating too (STANDBY_KEY), and try to take the lock at each beat: when the holder dies, however it dies, its lock
expires and one of them takes over within CRON_LOCK_SECONDS and a beat. A holder that is stopped (SIGTERM, SIGINT)
or whose worker has gone gives the lock up at once. Every takeover is kept in LEADERS_KEY (the newest 20).

The schedule lives in Redis too (when each periodic job was last enqueued, when it is due next), so whoever takes
over goes on with it instead of starting every job afresh. A job never enqueued before is due at once, except a
slow one (a day or more between runs: the weekly sweep), which is first due one interval after the schedule starts.

A periodic job runs as `participation.schedule.run_periodic(name)` under the fixed job id `periodic-<name>`:
the scheduler skips a round while the previous run still waits or runs, and the run itself holds a lock of its
own (`run_exclusively`, expiring after the job's timeout), so two runs of one job never overlap. Each run's
success or failure is kept (LAST_SUCCESS_KEY, LAST_FAILURE_KEY) for the health page."""

import logging
import os
import signal
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from redis.exceptions import RedisError

from participation.core.jobs import get_queue, job_id_for, job_pending

log = logging.getLogger(__name__)

LOCK_KEY = "participation:cron:lock"
STATE_KEY = "participation:cron:state"  # holder, heartbeat (epoch seconds), since
STANDBY_KEY = "participation:cron:standby"  # sorted set: standby token -> last beat
LEADERS_KEY = "participation:cron:leaders"  # list of "epoch token", newest first
LAST_ENQUEUED_KEY = "participation:cron:last-enqueued"  # name -> epoch seconds
NEXT_RUN_KEY = "participation:cron:next-run"  # name -> epoch seconds
LAST_SUCCESS_KEY = "participation:periodic:last-success"  # name -> epoch seconds
LAST_FAILURE_KEY = "participation:periodic:last-failure"  # name -> "epoch seconds error"
RUN_LOCK_PREFIX = "participation:periodic:running:"
SLOW = 86400  # seconds between runs from which a job is first due one interval after the schedule starts

# Renew or release the lock only if this token holds it.
RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


@dataclass(frozen=True)
class Periodic:
    """A periodic job: its name, its function, seconds between runs (or the setting that holds them), and its
    timeout in seconds (RQ's default of 180 when None)."""

    name: str
    func: Callable
    every: int | str
    timeout: int | None = None

    def seconds(self, config) -> int:
        return int(config[self.every]) if isinstance(self.every, str) else self.every


def periodic_job_key(name: str) -> str:
    return f"periodic:{name}"


class Cron:
    """The cron loop of one process; `step` is one beat (tests drive it directly)."""

    def __init__(self, connection, periodic: list[Periodic], config):
        self.connection, self.periodic, self.config = connection, periodic, config
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lock_ms = int(config["CRON_LOCK_SECONDS"] * 1000)
        self.beat = max(0.5, config["CRON_LOCK_SECONDS"] / 3)
        self.holding = False
        self._renew = connection.register_script(RENEW)
        self._release = connection.register_script(RELEASE)

    def step(self) -> float:
        """Hold (or try to take) the lock, beat, and enqueue what is due; returns the seconds until the next beat."""
        now = time.time()
        if self.holding and not self._renew(keys=[LOCK_KEY], args=[self.token, self.lock_ms]):
            log.warning("cron %s lost the lock; standing by", self.token)
            self.holding = False
        if not self.holding and self.connection.set(LOCK_KEY, self.token, nx=True, px=self.lock_ms):
            self.holding = True
            log.info("cron %s holds the lock and runs the schedule", self.token)
            with self.connection.pipeline() as pipe:
                pipe.lpush(LEADERS_KEY, f"{now} {self.token}").ltrim(LEADERS_KEY, 0, 19)
                pipe.hset(STATE_KEY, "since", now).zrem(STANDBY_KEY, self.token).execute()
        if not self.holding:
            self.connection.zadd(STANDBY_KEY, {self.token: now})
            return self.beat
        self.connection.hset(STATE_KEY, mapping={"holder": self.token, "heartbeat": now})
        return min(self.beat, self.enqueue_due(now))

    def enqueue_due(self, now: float) -> float:
        """Enqueue every periodic job that is due (a round is skipped while the last run waits or runs); returns
        the seconds until the next one is due."""
        last = {key.decode(): float(value) for key, value in self.connection.hgetall(LAST_ENQUEUED_KEY).items()}
        soonest = float(SLOW)
        for job in self.periodic:
            every = job.seconds(self.config)
            if job.name not in last and every >= SLOW:
                last[job.name] = now
                self.connection.hset(LAST_ENQUEUED_KEY, job.name, now)
            due = last.get(job.name, 0) + every
            if due <= now:
                key = periodic_job_key(job.name)
                if job_pending(key):
                    log.warning("periodic job %s is still waiting or running; this round is skipped", job.name)
                else:
                    get_queue().enqueue("participation.schedule.run_periodic", job.name, job_id=job_id_for(key),
                                        job_timeout=job.timeout, result_ttl=3600, failure_ttl=7 * 86400,
                                        meta={"cron": self.token})
                self.connection.hset(LAST_ENQUEUED_KEY, job.name, now)
                due = now + every
            self.connection.hset(NEXT_RUN_KEY, job.name, due)
            soonest = min(soonest, due - now)
        return max(soonest, 0.0)

    def release(self) -> None:
        try:
            if self.holding:
                self._release(keys=[LOCK_KEY], args=[self.token])
            self.connection.zrem(STANDBY_KEY, self.token)
        except RedisError:
            pass
        self.holding = False

    def run(self, keep_going: Callable[[], bool]) -> None:
        """Beat until `keep_going()` is false, then give the lock up. Redis errors are logged and tried again."""
        try:
            while keep_going():
                try:
                    pause = self.step()
                except RedisError as error:
                    log.warning("cron %s: Redis error %s; trying again", self.token, error.__class__.__name__)
                    pause = self.beat
                deadline = time.monotonic() + pause
                while keep_going() and time.monotonic() < deadline:
                    time.sleep(min(0.25, max(0.0, deadline - time.monotonic())))
        finally:
            self.release()


def run_cron_process(connection, periodic: list[Periodic], config) -> None:
    """The body of a worker's cron process: beats until SIGTERM/SIGINT or until its worker (the parent) is gone."""
    parent = os.getppid()
    stopping = []

    def stop(_signum, _frame):
        stopping.append(True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    Cron(connection, periodic, config).run(lambda: not stopping and os.getppid() == parent)


def run_exclusively(connection, name: str, func: Callable, timeout: int) -> bool:
    """Run `func()` unless another run of the periodic job `name` holds its lock (then skip: False). Success and
    failure are recorded; a failure is raised again, so RQ keeps the job as failed."""
    token = uuid.uuid4().hex
    key = RUN_LOCK_PREFIX + name
    if not connection.set(key, token, nx=True, ex=timeout + 60):
        log.warning("periodic job %s is already running; this run is skipped", name)
        return False
    try:
        func()
    except Exception as error:
        connection.hset(LAST_FAILURE_KEY, name, f"{time.time()} {error.__class__.__name__}")
        raise
    else:
        connection.hset(LAST_SUCCESS_KEY, name, time.time())
    finally:
        connection.register_script(RELEASE)(keys=[key], args=[token])
    return True
