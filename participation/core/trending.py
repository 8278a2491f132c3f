"""Trending addresses (like the UK petitions site's trending IPs): how often one IP address, and one
subnet (/24 for IPv4, /64 for IPv6), signed, supported, voted or answered on one item.

The counts live in Redis only, in hourly buckets that expire after seven days: an address is never
stored in the database beside a signature or a ballot. Counting is best effort: when Redis fails, the
signature or vote still stands and the count is skipped (with a warning that names no address).

The service that inserts a participation says so — `participated(channel, item_id)` in `sign`, `support`,
`cast_ballot` and a survey's new response — and the count is recorded once that transaction commits, against
the address the rate limiter sees (core/database.py's after-commit registry). A refused or rolled-back
participation (a second signature; the poll page, which turns a refused ballot into a redirect, rolls back)
counts nothing, and neither does reopening one's survey draft, which inserts nothing."""

import ipaddress
import logging
import time
import uuid
from dataclasses import dataclass

import redis
from flask import current_app, has_request_context
from flask_limiter.util import get_remote_address

from participation.core.database import after_commit, after_commit_pipelined
from participation.core.metrics import count_participation
from participation.core.redis import redis_connection

log = logging.getLogger(__name__)

BUCKET_SECONDS = 3600
KEEP_SECONDS = 7 * 24 * 3600
WINDOW_HOURS = 24
KINDS = ("ip", "subnet")


@dataclass(frozen=True)
class Alert:
    kind: str  # "ip" or "subnet"
    channel: str
    item_id: int
    address: str
    count: int

    @property
    def item_endpoint(self) -> str:
        return f"{self.channel}.detail"

    @property
    def item_arg(self) -> dict:
        """The item page's argument: "petitions" → petition_id."""
        return {f"{self.channel.removesuffix('s')}_id": self.item_id}


def subnet_of(address: str) -> str | None:
    """The /24 of an IPv4 address, the /64 of an IPv6 one (an IPv4-mapped IPv6 address counts as IPv4)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def normalised(address: str) -> str | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    return str(ip.ipv4_mapped if ip.version == 6 and ip.ipv4_mapped is not None else ip)


def bucket_key(kind: str, hour: int) -> str:
    return f"trending:{kind}:{hour}"


def current_hour(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // BUCKET_SECONDS)


def queue_record(pipeline, channel: str, item_id: int, address: str, now: float | None = None) -> bool:
    """Queue on `pipeline` the commands that count one participation from this address on this item (False, and
    nothing queued, for an address that is not one)."""
    ip, network = normalised(address), subnet_of(address)
    if ip is None or network is None:
        return False
    hour = current_hour(now)
    for kind, value in (("ip", ip), ("subnet", network)):
        key = bucket_key(kind, hour)
        pipeline.zincrby(key, 1, f"{channel}|{item_id}|{value}")
        pipeline.expire(key, KEEP_SECONDS)
    return True


def record(channel: str, item_id: int, address: str, now: float | None = None) -> bool:
    """Count one participation from this address on this item now (requests count through `participated`,
    after their commit). False (and a warning) when Redis failed."""
    try:
        pipeline = redis_connection().pipeline(transaction=False)
        if not queue_record(pipeline, channel, item_id, address, now):
            return False
        pipeline.execute()
    except (redis.RedisError, OSError) as error:
        log.warning("trending addresses: count not recorded (%s)", error.__class__.__name__)
        return False
    return True


def thresholds() -> dict[str, int]:
    return {"ip": int(current_app.config["TRENDING_IP_THRESHOLD"]),
            "subnet": int(current_app.config["TRENDING_SUBNET_THRESHOLD"])}


def alerts(now: float | None = None, hours: int = WINDOW_HOURS) -> list[Alert]:
    """Addresses and subnets whose count on one item over the last `hours` reaches the threshold, most
    active first. Raises redis.RedisError when Redis cannot be read."""
    hour = current_hour(now)
    connection = redis_connection()
    found = []
    for kind, threshold in thresholds().items():
        keys = [bucket_key(kind, hour - back) for back in range(hours)]
        scratch = f"trending:sum:{uuid.uuid4().hex}"
        pipeline = connection.pipeline(transaction=True)
        pipeline.zunionstore(scratch, keys, aggregate="SUM")
        pipeline.zrangebyscore(scratch, threshold, "+inf", withscores=True)
        pipeline.delete(scratch)
        _, members, _ = pipeline.execute()
        for member, score in members:
            channel, item_id, address = (member.decode() if isinstance(member, bytes) else member).split("|", 2)
            found.append(Alert(kind, channel, int(item_id), address, int(score)))
    return sorted(found, key=lambda alert: (-alert.count, alert.kind, alert.channel, alert.item_id, alert.address))


def alert_count() -> int:
    """For the staff console; 0 when Redis cannot be read (the page itself says so)."""
    try:
        return len(alerts())
    except (redis.RedisError, OSError):
        return 0


def participated(channel: str, item_id: int) -> None:
    """A participation was inserted on this item (channel: "petitions", "proposals", "polls", "surveys"): once
    the transaction commits, count it against the request's address. Outside a request (a job, the demo)
    there is no address and nothing is counted. The participation is also counted in the metrics (core/metrics.py)
    once committed, with or without a request."""
    after_commit(count_participation, channel)
    if has_request_context():
        after_commit_pipelined(queue_record, channel, item_id, get_remote_address())
