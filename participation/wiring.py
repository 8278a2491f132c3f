"""How create_app() binds extensions, blueprints and request hooks. Kept apart so that the factory
reads as a list of steps."""

import functools
import hashlib
import importlib

from babel import Locale
from flask import Flask, current_app, g, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_accept_header
from werkzeug.middleware.proxy_fix import ProxyFix

from participation.api import API_PREFIX, is_api_request, json_body
from participation.config import REPOSITORY_ROOT
from participation.core.redis import redis_connection

WEB_BLUEPRINTS = ("main", "accounts", "admin", "moderation", "staff", "petitions", "proposals", "polls", "forums",
                  "surveys", "budgets", "indicators", "transparency")
API_BLUEPRINTS = ("main", "accounts", "petitions", "proposals", "polls", "forums", "surveys", "budgets", "indicators",
                  "staff", "transparency")
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
TRANSLATION_PARTS = ("core", "accounts", "petitions", "proposals", "polls", "forums", "surveys", "budgets",
                     "indicators")


class NoCookiesForApiSessionInterface(SecureCookieSessionInterface):
    """The API authenticates with bearer tokens only: it never reads or sets a cookie (an API request gets an
    empty session without a signature to check)."""

    def open_session(self, app, request):
        if is_api_request():
            return self.session_class()
        return super().open_session(app, request)

    def should_set_cookie(self, app, session):
        return not is_api_request() and super().should_set_cookie(app, session)

    def save_session(self, app, session, response):
        if is_api_request():
            return
        super().save_session(app, session, response)


@functools.cache
def _locale(name: str) -> Locale:
    # Flask-Babel parses a name into a Locale on every request; a Locale it is given is taken as it is.
    return Locale.parse(name)


def select_locale() -> Locale:
    return _locale(_locale_name())


def _locale_name() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        # Jobs and the command line speak the default language.
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if is_api_request():
        return _api_locale_name(request.headers.get("Accept-Language", ""), tuple(languages))
    chosen = request.cookies.get("lang")
    if chosen in languages:
        return chosen
    user = current_user
    if getattr(user, "is_authenticated", False) and user.locale in languages:
        return user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@functools.lru_cache(maxsize=256)
def _api_locale_name(accept_language: str, languages: tuple[str, ...]) -> str:
    # Parsed once per distinct header: clients send the same few, and parsing one is most of a locale's cost.
    return parse_accept_header(accept_language, LanguageAccept).best_match(languages) or "ko"


def init_babel(app: Flask, babel) -> None:
    directories = ";".join(str(REPOSITORY_ROOT / "translations" / part) for part in TRANSLATION_PARTS)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=directories)


def init_login(app: Flask, login_manager) -> None:
    from participation.accounts.models import User
    from participation.extensions import db

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    # A session is bound to its browser (the User-Agent), not to its network: a phone that moves from Wi-Fi to LTE
    # mid-vote keeps its session, a cookie copied into another browser is dropped. Logout and password changes end
    # every copy anyway (the session generation in the user loader below).
    login_manager.session_protection = "strong"
    login_manager._session_identifier_generator = session_identifier

    @login_manager.user_loader
    def load_user(session_id: str):
        user_id, _, generation = session_id.partition(".")
        if not (user_id.isdigit() and generation.isdigit()):
            return None
        user = db.session.get(User, int(user_id))
        valid = user is not None and user.is_active and user.session_generation == int(generation)
        return user if valid else None

    app.session_interface = NoCookiesForApiSessionInterface()


def session_identifier() -> str:
    """What a signed-in session is bound to: the browser's User-Agent. Flask-Login's own identifier adds the client's
    address, which changes whenever a phone changes networks (and behind CGNAT means little)."""
    return hashlib.sha512(request.headers.get("User-Agent", "").encode("utf-8", "replace")).hexdigest()


def init_limiter(app: Flask, limiter) -> None:
    if "RATELIMIT_STORAGE_URI" not in app.config:
        # The limiter's Redis client is built on the app's own connection pool: REDIS_URL as redis-py reads it
        # (TLS, ACL user, a password with any character, the socket timeouts), never a URI rebuilt from it. The
        # scheme only picks limits' Redis storage. If Redis fails, limits go on per process (in-memory fallback),
        # and core.limits counts and logs the failures. The storage is limits' Redis storage with one round trip
        # per limit (core.limits.OneTripRedisStorage, registered under its scheme by importing it).
        from participation.core.limits import OneTripRedisStorage

        with app.app_context():
            pool = redis_connection().connection_pool
        app.config["RATELIMIT_STORAGE_URI"] = f"{OneTripRedisStorage.STORAGE_SCHEME[0]}://"
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {"connection_pool": pool}
    limiter.init_app(app)
    # Every limit here is a decorator (core/limits.py), checked when its view runs; there are no default,
    # application or blueprint limits. Flask-Limiter's before_request pass would resolve nothing on every
    # request (a third of the time of a cached read), so it goes. (Disabled, Flask-Limiter installs no hook.)
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:
        hooks.remove(limiter._check_request_limit)


def register_blueprints(app: Flask, api) -> None:
    from participation.extensions import csrf

    for name in WEB_BLUEPRINTS:
        app.register_blueprint(importlib.import_module(f"participation.{name}.views").bp)
    app.register_blueprint(importlib.import_module("participation.accounts.identity_views").bp)
    for name in API_BLUEPRINTS:
        blueprint = importlib.import_module(f"participation.{name}.api").bp
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint, url_prefix=API_PREFIX)


def content_security_policy(*form_targets: str) -> str:
    """The pages' policy; `form_targets` are origins a page's forms may lead to besides this one (browsers apply
    form-action to where the answer redirects too: the identity page's form ends at the provider)."""
    form_action = " ".join(("'self'", *form_targets))
    return ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
            f"base-uri 'self'; form-action {form_action}; frame-ancestors 'none'")


# Sent with every answer unless the view set its own.
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", content_security_policy()),
)


def register_hooks(app: Flask) -> None:
    from participation.core.database import close_sessions_quietly
    from participation.main.errors import register_error_handlers

    register_error_handlers(app)
    close_sessions_quietly(app)
    # Korean text travels as UTF-8, not as \u escapes.
    app.json.ensure_ascii = False
    from participation.core import response_cache

    response_cache.install(app)
    hops = app.config["PROXY_HOPS"]
    if hops:
        # Behind a TLS-terminating proxy: HTTPS (HSTS, secure cookies) and client IPs (rate limits) as the
        # proxy saw them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    @app.before_request
    def read_api_body():
        """The API's body is read here, first, under the JSON size limit. Werkzeug enforces a request's
        max_content_length on the stream itself: a declared Content-Length past it is refused before reading, a
        chunked body (no length) once the limit is read."""
        if is_api_request():
            limit = app.config["JSON_MAX_CONTENT_LENGTH"]
            # One byte more than the limit: Werkzeug ends a chunked body at the limit without saying that more
            # was coming, so a body that reaches limit + 1 bytes is the one that is too large.
            request.max_content_length = limit + 1
            if request.method in BODY_METHODS:
                if len(request.get_data(cache=True)) > limit:
                    raise RequestEntityTooLarge()
                json_body()

    from participation.api.auth import record_token_use

    app.after_request(record_token_use)
    from participation.core.input import refuse_nul_characters

    app.before_request(refuse_nul_characters)

    @app.after_request
    def security_headers(response):
        headers = response.headers
        present = {name.lower() for name, _value in headers}
        headers.extend([(name, value) for name, value in SECURITY_HEADERS if name.lower() not in present])
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if not is_api_request() and current_user.is_authenticated:
            headers.setdefault("Cache-Control", "private, no-store")
        return response

    @app.context_processor
    def template_globals():
        from participation.core import notifications
        from participation.core.seoul import CATEGORIES, DISTRICTS

        unread = 0
        if current_user.is_authenticated:
            unread = g.get("unread_notifications")
            if unread is None:
                unread = g.unread_notifications = notifications.unread_count(current_user.id)
        # A signed-in person who may not act yet (signing, voting, proposing): pages say why instead of a button.
        needs_verification = bool(current_user.is_authenticated and app.config["REQUIRE_EMAIL_VERIFICATION"]
                                  and not current_user.email_verified)
        return {"current_locale": str(get_locale()), "CATEGORIES": CATEGORIES, "DISTRICTS": DISTRICTS,
                "unread_notifications": unread, "needs_verification": needs_verification}

    from participation.core import templating

    templating.register(app)
