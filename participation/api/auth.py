"""Bearer-token authentication for /api/v1. No cookies: the API never reads or sets a session."""

from functools import wraps

from flask import g, request
from flask_babel import lazy_gettext as _l

from participation.accounts.services import user_for_token
from participation.core.errors import Unauthorized

SECURITY = [{"bearerAuth": []}]


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_api_user():
    """The authenticated user of this API request, or None."""
    if "api_user" not in g:
        token = bearer_token()
        g.api_user = user_for_token(token) if token else None
    return g.api_user


def token_required(func):
    """The endpoint needs a valid bearer token (401 otherwise)."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        if current_api_user() is None:
            raise Unauthorized(_l("유효한 인증 토큰이 필요합니다."), code="invalid_token")
        return func(*args, **kwargs)

    wrapper._apidoc = {**getattr(func, "_apidoc", {})}
    wrapper._apidoc.setdefault("manual_doc", {})["security"] = SECURITY
    return wrapper


def token_optional(func):
    """The endpoint reads a token if one is given (e.g. an author sees their own draft)."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        if bearer_token() and current_api_user() is None:
            raise Unauthorized(_l("유효한 인증 토큰이 필요합니다."), code="invalid_token")
        return func(*args, **kwargs)

    wrapper._apidoc = {**getattr(func, "_apidoc", {})}
    wrapper._apidoc.setdefault("manual_doc", {})["security"] = [*SECURITY, {}]
    return wrapper
