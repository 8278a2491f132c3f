"""Rate limits (Flask-Limiter on Redis). Per account and, ten times looser, per IP — except participation.

`participation_limit` guards signing, supporting, voting and answering: one budget per account across them all;
per address nothing is refused, because one carrier address (CGNAT) can be thousands of voters (the staff's
trending list, core/trending.py, shows an address that takes part unusually often).
`filing_limit` guards new petitions and proposals. `login_limit` guards logins, API tokens and reset mails per
account (or, for an address without one, per address as sign-in reads it: `ｅxample.com` is `example.com`) and
per IP. `export_limit` guards downloads that read a whole item's rows (a forum's open data), per IP.
Per IP means per IPv4 address, or per IPv6 /64: one home or phone holds a whole /64 and picks any address in it.
With RATELIMIT_ENABLED false none applies (load tests)."""

import ipaddress
import logging
import time
import unicodedata

from flask import current_app, g, has_request_context, request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits.storage import RedisStorage
from sqlalchemy import select

from participation.accounts.models import User
from participation.api import is_api_request, json_body
from participation.api.auth import current_api_user
from participation.core.addresses import canonical_email, normalise_email
from participation.core.errors import ValidationError
from participation.extensions import db, limiter


class _StorageErrorCounter(logging.Handler):
    """Counts what Flask-Limiter reports at WARNING or above: its storage failed, and limits fell back to this
    process's memory (or, for an error inside the check itself, were skipped for that request). The records
    themselves go on to the application's log."""

    count = 0

    def emit(self, record: logging.LogRecord) -> None:
        type(self).count += 1


logging.getLogger("flask-limiter").addHandler(_StorageErrorCounter(logging.WARNING))


def storage_errors() -> int:
    """How many rate-limit storage failures this process has seen since it started."""
    return _StorageErrorCounter.count


class OneTripRedisStorage(RedisStorage):
    """limits' Redis storage (fixed windows), with one round trip per limit a request hits instead of three: the
    increment's script also answers the window's expiry, and Flask-Limiter's reading of that window for the
    answer's X-RateLimit headers (`get`, `get_expiry`, in the same request) is answered from it. Counting and
    refusing are limits' own, unchanged. wiring.py names it by its scheme."""

    STORAGE_SCHEME = ["participation+redis"]
    SCRIPT_INCR_EXPIRE_TTL = """
        local current = redis.call("incrby", KEYS[1], tonumber(ARGV[2]))
        if tonumber(current) == tonumber(ARGV[2]) then
            redis.call("expire", KEYS[1], ARGV[1])
        end
        return {current, redis.call("ttl", KEYS[1])}
    """

    def initialize_storage(self, uri: str) -> None:
        super().initialize_storage(uri)
        self.lua_incr_expire_ttl = self.get_connection().register_script(self.SCRIPT_INCR_EXPIRE_TTL)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        current, ttl = self.lua_incr_expire_ttl([self.prefixed_key(key)], [expiry, amount])
        if has_request_context():
            g.setdefault("rate_limit_windows", {})[key] = (int(current), time.time() + max(int(ttl), 0))
        return int(current)

    def get(self, key: str) -> int:
        kept = g.get("rate_limit_windows", {}).get(key) if has_request_context() else None
        return kept[0] if kept else super().get(key)

    def get_expiry(self, key: str) -> float:
        kept = g.get("rate_limit_windows", {}).get(key) if has_request_context() else None
        return kept[1] if kept else super().get_expiry(key)


def client_network() -> str:
    """The request's address as the IP limits count it: an IPv4 address, or the /64 of an IPv6 one (an
    IPv4-mapped IPv6 address is its IPv4 address)."""
    address = get_remote_address()
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


def _account_key() -> str:
    user = current_api_user() if is_api_request() else current_user
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.id}"
    return f"ip:{client_network()}"


def _login_key() -> str:
    """The account the address signs in to, else the address as sign-in reads it (normalised and canonical:
    fullwidth letters, case, and the dots and +tags a provider ignores make no new key)."""
    email = (json_body() or {}).get("email") if is_api_request() else request.form.get("email")
    text = email if isinstance(email, str) else ""
    try:
        address = canonical_email(normalise_email(text))
    except ValidationError:
        return f"login:{unicodedata.normalize('NFKC', text).strip().lower()[:254]}"
    account = db.session.scalar(select(User.id).where(User.email_canonical == address))
    return f"account:{account}" if account is not None else f"login:{address}"


def _times_ten(limits: str) -> str:
    parts = []
    for part in limits.split(";"):
        count, _, rest = part.strip().partition(" ")
        parts.append(f"{int(count) * 10} {rest}")
    return ";".join(parts)


def participation_limit(func):
    """Per account only. Per address participation is counted for staff (core/trending.py), never refused:
    Korean carriers put a neighbourhood's phones behind one IPv4 address (CGNAT), and a city-wide vote must not
    turn its voters away because they share one."""
    func = limiter.shared_limit(lambda: current_app.config["ACTION_LIMITS"], scope="participation",
                                key_func=_account_key)(func)
    return func


def filing_limit(func):
    func = limiter.shared_limit(lambda: current_app.config["FILING_LIMITS"], scope="filing",
                                key_func=_account_key, methods=["POST"])(func)
    return limiter.shared_limit(lambda: _times_ten(current_app.config["FILING_LIMITS"]),
                                scope="filing-ip", key_func=client_network, methods=["POST"])(func)


def report_limit(func):
    """Reports on every channel: REPORT_LIMITS per account and ten times that per IP (an IPv6 /64), so that a
    handful of accounts cannot flood the moderators' queue."""
    func = limiter.shared_limit(lambda: current_app.config["REPORT_LIMITS"], scope="report",
                                key_func=_account_key, methods=["POST"])(func)
    return limiter.shared_limit(lambda: _times_ten(current_app.config["REPORT_LIMITS"]),
                                scope="report-ip", key_func=client_network, methods=["POST"])(func)


def export_limit(func):
    return limiter.shared_limit(lambda: current_app.config["EXPORT_LIMITS"], scope="export-ip",
                                key_func=client_network)(func)


def login_limit(func):
    func = limiter.shared_limit(lambda: current_app.config["LOGIN_LIMITS"], scope="login",
                                key_func=_login_key, methods=["POST"])(func)
    return limiter.shared_limit(lambda: _times_ten(current_app.config["LOGIN_LIMITS"]),
                                scope="login-ip", key_func=client_network, methods=["POST"])(func)


def _signed_in_account_key() -> str:
    return f"account:{current_user.id}" if current_user.is_authenticated else f"ip:{client_network()}"


def password_check_limit(func):
    """Pages that check the signed-in account's password (change it, delete the account): LOGIN_LIMITS per account,
    so that a session someone else holds (an unlocked phone) is not unlimited password guessing."""
    return limiter.shared_limit(lambda: current_app.config["LOGIN_LIMITS"], scope="password-check",
                                key_func=_signed_in_account_key, methods=["POST"])(func)
