"""Configuration: defaults here, then the environment (PARTICIPATION_<NAME>, DATABASE_URL, REDIS_URL,
SECRET_KEY), then the mapping given to create_app (tests)."""

import os
import secrets
from pathlib import Path

from flask import Flask

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent

DEVELOPMENT = "development"
DEFAULTS = {
    # Only "development", said explicitly (make run and the tests do), is a developer machine: anything else,
    # unset or misspelt included, runs as production (SECRET_KEY and TRUSTED_HOSTS required, Secure cookies, no
    # mail outbox page, no demo).
    "ENVIRONMENT": "production",
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "SQLALCHEMY_RECORD_QUERIES": False,
    # Seconds to wait for a PostgreSQL connection to be established (then 503 with Retry-After).
    "DATABASE_CONNECT_TIMEOUT": 3,
    # psycopg prepares a statement on the server after its fifth run. Behind PgBouncer in transaction mode
    # (before 1.21's max_prepared_statements) the next transaction may get another server connection that
    # lacks it: set this to false there.
    "DATABASE_PREPARED_STATEMENTS": True,
    "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
    # Where uploaded and staged files live (core/storage.py): None is the database; "s3://bucket/prefix" is
    # S3-compatible object storage through boto3.
    "STORAGE_URL": None,
    "JSON_MAX_CONTENT_LENGTH": 256 * 1024,
    # An API bearer token stops working this many days after it was issued (a new one comes from /auth/token).
    "API_TOKEN_DAYS": 90,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    "BABEL_DEFAULT_LOCALE": "ko",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Seoul",
    "LANGUAGES": ["ko", "en"],
    "REQUIRE_EMAIL_VERIFICATION": True,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_HEADERS_ENABLED": True,
    # A Redis failure must not turn every request into a 500, nor every limit off: limits then count in each
    # process's memory until Redis answers again (core/limits.py counts and logs such failures).
    "RATELIMIT_SWALLOW_ERRORS": True,
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    # Per account; per IP the limit is ten times these (see core/limits.py).
    "ACTION_LIMITS": "5 per 10 seconds;60 per hour",
    "FILING_LIMITS": "5 per hour",
    "LOGIN_LIMITS": "10 per minute;50 per hour",
    # Reports (신고) per account on every channel; per IP ten times these.
    "REPORT_LIMITS": "5 per 10 minutes;30 per day",
    # Only an account with a verified e-mail at least this many hours old may report (a setting with history).
    "REPORT_MIN_ACCOUNT_HOURS": 24,
    # Per IP: downloads that read all of an item's rows (a forum's Pol.is-format open data).
    "EXPORT_LIMITS": "20 per minute;200 per hour",
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_SENDER": "서울시 시민참여 <no-reply@localhost>",
    # The site's address as citizens reach it ("https://participation.seoul.go.kr"): links in mail start with it.
    "PUBLIC_URL": None,
    # Minutes after which the periodic sweep enqueues a mail still unsent (its job lost while Redis was down),
    # and how many days back it looks.
    "MAIL_SWEEP_MINUTES": 5,
    "MAIL_SWEEP_DAYS": 2,
    "DISPOSABLE_EMAIL_DOMAINS": ["mailinator.com", "guerrillamail.com", "10minutemail.com", "yopmail.com",
                                 "trashmail.com", "tempmail.com"],
    # Seconds a burst of events waits before its recount runs (one job per burst).
    "RECOUNT_DELAY": 2,
    # Seconds between a poll's bulletin jobs (receipts digest and turnout) while ballots come in.
    "BULLETIN_DELAY": 60,
    # Secret ballots (core/ballot_box.py): the worker opens sealed ballots only when at least this many wait
    # (or at the close), so that results never move by one ballot. At least 2.
    "MIX_BATCH": 20,
    # The directory of the ballot boxes' private keys (core/tally_keys.py): give it to the tally worker only.
    # Unset: `<instance>/tally-keys` in development; in production it must be set on the workers.
    "TALLY_KEY_DIR": None,
    # Seconds an anonymous reader's copy of a public count or result is reused (core/response_cache.py).
    "PUBLIC_CACHE_SECONDS": 1,
    # Seconds between reconciliations of what may still change (open items, rows newer than their count).
    "RECONCILE_INTERVAL": 300,
    # Seconds between full recounts of everything, settled items too (a week).
    "SETTLED_SWEEP_INTERVAL": 7 * 86400,
    # Seconds the cron lock outlives its holder's last heartbeat (participation/cron.py): a standby cron
    # takes over within this after the holder dies.
    "CRON_LOCK_SECONDS": 30,
    "INDICATOR_INTERVAL": 60,
    # Staff's trending list: one address (or /24, /64 subnet) acting this often on one item in 24 hours.
    "TRENDING_IP_THRESHOLD": 20,
    "TRENDING_SUBNET_THRESHOLD": 50,
    # How many proxies in front of the app set X-Forwarded-For/-Proto/-Host (0: none is trusted).
    "PROXY_HOPS": 0,
    # An admin switch: while true, no new signatures, supports, ballots or responses are taken.
    "PAUSE_PARTICIPATION": False,
    # Prometheus metrics at /metrics (core/metrics.py): off (404) unless set; then a scrape sends
    # `Authorization: Bearer <METRICS_TOKEN>`.
    "METRICS_TOKEN": None,
    # Minutes after which an open item's count (kept current by the worker) is said to be possibly stale.
    "STALE_COUNT_MINUTES": 15,
    # Petitions (청원): settings with history, copied into a petition when it opens.
    "PETITION_SIGNATURE_DAYS": 30,
    "PETITION_ANSWER_THRESHOLD": 1000,
    "PETITION_DEBATE_THRESHOLD": 5000,
    "PETITION_ANSWER_DAYS": 90,
    "PETITION_EXTENSION_DAYS": 60,
    "PETITION_REVIEW_DAYS": 5,
    # Proposals (시민제안): settings with history, copied into a proposal when it opens.
    "PROPOSAL_SUPPORT_DAYS": 30,
    "PROPOSAL_REVIEW_THRESHOLD": 50,
    "PROPOSAL_DISCUSSION_THRESHOLD": 100,
    "PROPOSAL_ANSWER_DAYS": 30,
    "PROPOSAL_EXTENSION_DAYS": 30,
    "PROPOSAL_MAYOR_THRESHOLD": 1000,
    # Identity verification (accounts/identity.py): an OpenID Connect provider. Unset issuer: none configured
    # (identity-required items then say that verification is unavailable).
    "IDENTITY_ISSUER": None,
    "IDENTITY_CLIENT_ID": None,
    "IDENTITY_CLIENT_SECRET": None,
    # The key of the person identifier's HMAC, and of a deleted account's address in its tombstone
    # (accounts.models.Tombstone): in the environment, never in the database.
    "IDENTITY_PEPPER": None,
    # Which id-token claims hold the stable person identifier (the first one present), the birth date and the
    # district.
    "IDENTITY_CLAIMS": {"person": ["ci", "sub"], "birth_date": "birthdate", "district": "district"},
    # Development only (`flask serve`): the port of the local development OpenID provider (0: do not start it).
    "DEV_IDENTITY_PORT": 9400,
    # A typed district may change once in this many days (a setting with history).
    "DISTRICT_CHANGE_DAYS": 90,
    # Which items require identity verification (settings with history, copied into an item when it opens):
    # resident-audit and debate-request petitions, polls with district or age-band eligibility. Staff may require
    # it on any poll besides.
    "IDENTITY_FOR_BINDING_PETITIONS": True,
    "IDENTITY_FOR_ELIGIBILITY_POLLS": True,
    # Budget processes (시민참여예산) decide how city money is spent: binding, like a resident audit, and voted on
    # by a district's residents or age bands. Supporting and voting require identity when proposals open.
    "IDENTITY_FOR_BUDGETS": True,
    # Moderation (검토): days an author has to appeal a rejection or hiding, once (core/appeals.py).
    "APPEAL_DAYS": 14,
    # Each moderation queue's service level: days an item may wait before it is shown as overdue
    # (PETITION_REVIEW_DAYS above is the petitions queue's).
    "PROPOSAL_REVIEW_DAYS": 5,
    "POLL_REVIEW_DAYS": 5,
    "STATEMENT_REVIEW_DAYS": 2,
    "REPORT_REVIEW_DAYS": 2,
    "APPEAL_REVIEW_DAYS": 7,
    # API documentation (flask-smorest)
    "API_TITLE": "Seoul citizen participation API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
}

# Settings with history (core/settings.py): admins change them at /admin/settings, every change is kept, and an
# item copies the ones in force when it opens. Each has its default in DEFAULTS; its type is the default's.
SETTINGS = (
    "PAUSE_PARTICIPATION", "STALE_COUNT_MINUTES",
    "PETITION_SIGNATURE_DAYS", "PETITION_ANSWER_THRESHOLD", "PETITION_DEBATE_THRESHOLD", "PETITION_ANSWER_DAYS",
    "PETITION_EXTENSION_DAYS", "PETITION_REVIEW_DAYS",
    "PROPOSAL_SUPPORT_DAYS", "PROPOSAL_REVIEW_THRESHOLD", "PROPOSAL_DISCUSSION_THRESHOLD", "PROPOSAL_ANSWER_DAYS",
    "PROPOSAL_MAYOR_THRESHOLD", "PROPOSAL_EXTENSION_DAYS",
    "REPORT_MIN_ACCOUNT_HOURS",
    "DISTRICT_CHANGE_DAYS", "IDENTITY_FOR_BINDING_PETITIONS", "IDENTITY_FOR_ELIGIBILITY_POLLS",
    "IDENTITY_FOR_BUDGETS",
    "APPEAL_DAYS", "PROPOSAL_REVIEW_DAYS", "POLL_REVIEW_DAYS", "STATEMENT_REVIEW_DAYS", "REPORT_REVIEW_DAYS",
    "APPEAL_REVIEW_DAYS",
)


def engine_settings(database_url: str | None, instance_path: str, options: dict | None = None,
                    connect_timeout: int = DEFAULTS["DATABASE_CONNECT_TIMEOUT"],
                    prepared_statements: bool = True) -> tuple[str, dict]:
    """The SQLAlchemy URL and engine options for DATABASE_URL (None: the embedded SQLite file)."""
    options = DEFAULTS["SQLALCHEMY_ENGINE_OPTIONS"] if options is None else options
    url = normalise_database_url(database_url or "sqlite:///" + os.path.join(instance_path, "participation.sqlite"))
    if url.startswith("sqlite"):
        # SQLite: one writer at a time; wait for the lock instead of failing at once. No pre-ping: a file does
        # not drop a connection, and the ping was a statement on every request.
        return url, {**options, "connect_args": {"timeout": 30}}
    # connect_timeout: a database that accepts connections but does not answer (restarting, a dead route)
    # costs a request seconds, then a 503, instead of hanging until the client gives up.
    connect_args = {"connect_timeout": connect_timeout}
    if not prepared_statements:
        connect_args["prepare_threshold"] = None
    return url, {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10, "pool_timeout": 5,
                 "connect_args": connect_args, **options}


def load_config(app: Flask, overrides: dict | None) -> None:
    app.config.from_mapping(DEFAULTS)
    app.config["INSTANCE_DIR"] = app.instance_path
    app.config.from_prefixed_env("PARTICIPATION")
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY"):
        if os.environ.get(name):
            app.config[name] = os.environ[name]
    if overrides:
        app.config.update(overrides)
    if not is_development(app):
        # Production runs behind TLS: session and remember-me cookies are Secure unless explicitly turned off.
        for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
            if f"PARTICIPATION_{name}" not in os.environ and name not in (overrides or {}):
                app.config[name] = True

    os.makedirs(app.instance_path, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"], app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_settings(
        app.config.get("DATABASE_URL"), app.instance_path, app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        app.config["DATABASE_CONNECT_TIMEOUT"], app.config["DATABASE_PREPARED_STATEMENTS"])
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or development_secret(app)
    if not app.config.get("TALLY_KEY_DIR") and is_development(app):
        app.config["TALLY_KEY_DIR"] = os.path.join(app.instance_path, "tally-keys")
    if isinstance(app.config["MIX_BATCH"], bool) or not isinstance(app.config["MIX_BATCH"], int) \
            or app.config["MIX_BATCH"] < 2:
        raise ConfigurationError("MIX_BATCH must be a whole number of at least 2: a batch of one ballot would "
                                 "publish that ballot's choice.")
    if not is_development(app) and not app.config.get("TRUSTED_HOSTS"):
        # Links in mail (verification, password reset) and cached pages are built from the request's host:
        # a forged Host header must not reach them.
        raise ConfigurationError(
            "TRUSTED_HOSTS is not set. In production set PARTICIPATION_TRUSTED_HOSTS to the site's host names, "
            "e.g. '[\"participation.seoul.go.kr\"]'; requests for any other host are refused with 400. "
            + ON_A_DEVELOPER_MACHINE)
    if not is_development(app) and app.config.get("IDENTITY_ISSUER") and not app.config.get("IDENTITY_PEPPER"):
        # The person identifiers' hashes are keyed by it: without it, one verified person, one account cannot hold.
        raise ConfigurationError(
            "IDENTITY_PEPPER is not set while IDENTITY_ISSUER is. Set PARTICIPATION_IDENTITY_PEPPER to a long "
            "random value kept outside the database, and never change it. " + ON_A_DEVELOPER_MACHINE)
    if not is_development(app) and not _said(app, "PROXY_HOPS", overrides):
        # Rate limits, the trending list and HTTPS all depend on who the client is: behind a proxy every client
        # would be the proxy, and without one a forged X-Forwarded-For would be believed.
        raise ConfigurationError(
            "PROXY_HOPS is not set. In production set PARTICIPATION_PROXY_HOPS to the number of proxies in front of "
            "the app that set X-Forwarded-For/-Proto/-Host (1 behind one load balancer, 0 if clients connect "
            "directly). " + ON_A_DEVELOPER_MACHINE)


ON_A_DEVELOPER_MACHINE = ("(On a developer machine set PARTICIPATION_ENVIRONMENT=development, as `make run` does; "
                          "anything else runs as production.)")


def _said(app: Flask, name: str, overrides: dict | None) -> bool:
    """Whether the setting was given (environment or create_app's mapping), as an integer, not left at its default."""
    given = f"PARTICIPATION_{name}" in os.environ or name in (overrides or {})
    value = app.config.get(name)
    return given and isinstance(value, int) and not isinstance(value, bool) and value >= 0


def is_development(app: Flask) -> bool:
    """Whether this is a developer machine: only when the configuration says so in as many words."""
    return app.config.get("ENVIRONMENT") == DEVELOPMENT


class ConfigurationError(RuntimeError):
    """The configuration cannot run: the message says what to set."""


def normalise_database_url(url: str) -> str:
    """postgres:// and postgresql:// mean psycopg 3 here."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def development_secret(app: Flask) -> str:
    if not is_development(app):
        raise ConfigurationError(
            "SECRET_KEY is not set. In production set the SECRET_KEY environment variable "
            "to a long random value (python -c 'import secrets; print(secrets.token_hex(32))'). "
            + ON_A_DEVELOPER_MACHINE)
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
