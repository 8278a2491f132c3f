"""Something to show a person once on the next page (a ballot's receipt code), kept on the server.

The value goes into Redis under a random token for a few minutes; the session cookie (signed, not encrypted:
anyone holding it can read it) carries only the token. The next page takes the value out (GETDEL), so a
second look, a copied cookie or a replayed request finds nothing."""

import logging
import secrets

from redis.exceptions import RedisError

from participation.core.redis import redis_connection

log = logging.getLogger(__name__)
PREFIX = "participation:shown-once:"
SECONDS = 600


def keep(value: str) -> str | None:
    """A token for `value`, or None if Redis cannot keep it (the caller then shows it at once)."""
    token = secrets.token_urlsafe(24)
    try:
        redis_connection().set(PREFIX + token, value, ex=SECONDS)
    except RedisError as error:
        log.warning("could not keep a value to show once: %s", error.__class__.__name__)
        return None
    return token


def take(token: str | None) -> str | None:
    """The value kept under `token`, removed as it is read; None if there is none (or Redis is away)."""
    if not token or not isinstance(token, str) or len(token) > 64:
        return None
    try:
        value = redis_connection().getdel(PREFIX + token)
    except RedisError as error:
        log.warning("could not read a value to show once: %s", error.__class__.__name__)
        return None
    return value.decode() if isinstance(value, bytes) else value
