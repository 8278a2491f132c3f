"""Bearer-token authentication for /api/v1. No cookies: the API never reads or sets a session."""

import logging
from functools import wraps

from flask import g, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError

from participation.accounts.services import token_use_is_stale, touch_token, user_for_token
from participation.core.database import before_commit
from participation.core.errors import Unauthorized
from participation.extensions import db

log = logging.getLogger(__name__)

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
        found = user_for_token(token) if token else None
        g.api_user = found[0] if found else None
        g.api_token_id = found[1] if found else None
        if found and token_use_is_stale(found[2]):
            g.touch_api_token = found[1]
            before_commit(touch_token_with_the_request)
    return g.api_user


def current_api_token_id() -> int | None:
    current_api_user()
    return g.get("api_token_id")


def touch_token_with_the_request() -> None:
    """A request that commits (a vote, a signature) writes its token's last_used_at in that same transaction:
    one commit per write, not two."""
    token_id = g.pop("touch_api_token", None)
    if token_id is not None:
        touch_token(token_id)


def record_token_use(response):
    """After the request (registered in wiring.py): a token's last_used_at, kept to the hour, that no commit of
    the request wrote (`touch_token_with_the_request`) is written in a transaction of its own, after the view's,
    so that a read-only request needs no commit of its own and a failed view's changes are not committed with
    it. A failure here costs only the timestamp."""
    token_id = g.pop("touch_api_token", None)
    if token_id is not None:
        try:
            db.session.rollback()
            touch_token(token_id)
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            log.warning("could not record the use of API token %s", token_id, exc_info=True)
    return response


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
