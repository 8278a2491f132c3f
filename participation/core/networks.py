"""The network a signature or support came from, kept as a keyed hash so that staff can void a burst (issue #18).

Beside each signature and support (never beside a ballot or a survey answer) the service stores `network_hash()`:
an HMAC of the request's /24 (IPv4) or /64 (IPv6) under a key of the KST day. Each day's key is random, lives in
Redis only and expires after KEY_DAYS: until then staff can find the rows of a network the trending list names
(`hashes_for`); afterwards nobody can tell which network a hash was, not even with the database and the
configuration. The hashes themselves are purged when the item has been closed for PURGE_DAYS (the channels'
periodic jobs). Without Redis a participation is stored without a hash, never refused.

A burst (`Burst`) is what staff opened from the trending list: an item, a network and a time window. Voiding it
marks the matching rows (`void_id`); they stay in the database and stop counting (the channels' counts.py skip
them); undoing it unmarks them. The item's public page lists its voided bursts (`voided_bursts`)."""

import hashlib
import hmac
import logging
import secrets
from datetime import date, datetime, timedelta

import redis
from flask import current_app, has_request_context
from flask_limiter.util import get_remote_address
from sqlalchemy import ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from participation.core.database import after_commit_pipelined
from participation.core.models import Base
from participation.core.redis import redis_connection
from participation.core.time import kst_today, to_kst, utcnow
from participation.core.trending import subnet_of
from participation.extensions import db

log = logging.getLogger(__name__)

KEY_DAYS = 8
PURGE_DAYS = 30
NETWORK_MAX = 50
KEPT_KEY = "participation_network_key"  # app.extensions: (KST day, that day's key) as this process last read it


class Burst(Base):
    """Participations on one item from one network in a window, opened by staff from the trending list."""

    __tablename__ = "participation_burst"
    __table_args__ = (Index("ix_participation_burst_item", "channel", "item_id", "voided_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))  # "petitions" or "proposals"
    item_id: Mapped[int]
    network: Mapped[str] = mapped_column(String(NETWORK_MAX))  # "203.0.113.0/24", "2001:db8:1:2::/64"
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    matched: Mapped[int]  # rows that matched when it was opened
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set while it is voided (cleared by an undo); the reason is public on the item's page.
    voided_at: Mapped[datetime | None]
    voided_count: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str | None] = mapped_column(Text)


def _day_key(day: date, *, create: bool) -> bytes | None:
    """The day's key from Redis (made once, by whichever process asks first), in one round trip. None when Redis
    fails or, for `create=False`, when the key has expired."""
    name = _key_name(day)
    try:
        pipeline = redis_connection().pipeline(transaction=False)
        if create:
            pipeline.set(name, secrets.token_hex(32), nx=True, ex=KEY_DAYS * 86400)
        pipeline.get(name)
        key = pipeline.execute()[-1]
    except (redis.RedisError, OSError) as error:
        log.warning("network hash: no key (%s)", error.__class__.__name__)
        return None
    return key if isinstance(key, bytes) else (key.encode() if key else None)


def _key_name(day: date) -> str:
    return f"network-key:{day.isoformat()}"


def _todays_key() -> bytes | None:
    """Today's key, read from Redis once a day by each process and then kept (a signature or a support asks for
    it on every request). Each participation that used the kept key puts it back after its commit if Redis lost
    it, in the commit's one round trip, and takes the key Redis has if it differs: after a Redis restart the
    processes agree again on one key from their next participation on."""
    day = kst_today()
    kept = current_app.extensions.get(KEPT_KEY)
    if kept is not None and kept[0] == day:
        after_commit_pipelined(_keep_key, day, kept[1])
        return kept[1]
    key = _day_key(day, create=True)
    if key is not None:
        current_app.extensions[KEPT_KEY] = (day, key)
    return key


def _keep_key(pipeline, day: date, key: bytes):
    app = current_app._get_current_object()
    name = _key_name(day)
    pipeline.set(name, key, nx=True, ex=KEY_DAYS * 86400)
    pipeline.get(name)

    def then(replies: list) -> None:
        found = replies[1]
        if isinstance(found, bytes) and found != key:
            app.extensions[KEPT_KEY] = (day, found)

    return then


def _hash(key: bytes, network: str) -> str:
    return hmac.new(key, network.encode(), hashlib.sha256).hexdigest()


def network_hash() -> str | None:
    """The keyed hash of this request's network (today's key); None outside a request or without Redis."""
    if not has_request_context():
        return None
    network = subnet_of(get_remote_address())
    key = _todays_key() if network else None
    return _hash(key, network) if key else None


def hashes_for(network: str, start: datetime, end: datetime) -> list[str]:
    """The hashes the network had on each KST day of the window whose key still exists."""
    day, last = to_kst(start).date(), to_kst(end).date()
    found = []
    while day <= last:
        key = _day_key(day, create=False)
        if key:
            found.append(_hash(key, network))
        day += timedelta(days=1)
    return found


def voided_bursts(channel: str, item_id: int) -> list[Burst]:
    """The item's voided bursts, oldest first: its public page says how many rows each removed, when and why."""
    return list(db.session.scalars(select(Burst).where(
        Burst.channel == channel, Burst.item_id == item_id, Burst.voided_at.is_not(None)).order_by(Burst.id)))
