"""The one place errors become responses: the JSON error shape under /api/v1, a page elsewhere."""

import logging

from flask import current_app, flash, g, jsonify, make_response, redirect, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import DataError, OperationalError, PendingRollbackError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from participation.api import is_api_request
from participation.core.errors import DomainError
from participation.extensions import db, login_manager

log = logging.getLogger(__name__)

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type",
         422: "invalid", 429: "rate_limited", 500: "internal_error", 503: "unavailable"}


def messages_for(status: int) -> str:
    return {
        400: _("잘못된 요청입니다."), 401: _("로그인이 필요합니다."), 403: _("권한이 없습니다."),
        404: _("찾을 수 없습니다."), 405: _("허용되지 않는 요청 방식입니다."),
        409: _("지금 상태에서는 할 수 없습니다."), 413: _("요청이 너무 큽니다."),
        415: _("지원하지 않는 형식입니다."), 422: _("입력값을 확인해 주세요."),
        429: _("요청이 너무 많습니다. 잠시 후 다시 시도해 주세요."),
        500: _("서버에 문제가 생겼습니다. 잠시 후 다시 시도해 주세요."),
        503: _("지금은 서비스를 이용할 수 없습니다. 잠시 후 다시 시도해 주세요."),
    }.get(status, _("요청을 처리할 수 없습니다."))


def error_response(status: int, code: str, message, fields: dict | None = None, headers: dict | None = None):
    if is_api_request():
        body = {"code": code, "message": str(message)}
        if fields:
            body["fields"] = fields
        response = jsonify({"error": body})
    else:
        response = make_response(render_template("errors/error.html", status=status, message=message,
                                                 fields=fields))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_http_exception(error: HTTPException):
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    fields = None
    messages = data.get("messages")
    if isinstance(messages, dict) and status == 422:
        # webargs: {"json": {"title": ["..."]}, "query": {...}} -> {"title": ["..."]}
        fields = {}
        for location_errors in messages.values():
            if isinstance(location_errors, dict):
                for name, problems in location_errors.items():
                    fields[name] = [str(p) for p in problems] if isinstance(problems, list) else [str(problems)]
    headers = dict(data.get("headers") or {})
    if status == 429:
        headers.setdefault("Retry-After", str(_retry_after(error)))
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    message = data.get("message") or messages_for(status)
    return error_response(status, CODES.get(status, "error"), message, fields, headers)


def _retry_after(error) -> int:
    limit = getattr(error, "limit", None)
    try:
        return max(1, int(limit.limit.get_expiry()))
    except Exception:
        return 60


def handle_domain_error(error: DomainError):
    db.session.rollback()
    fields = getattr(error, "fields", None)
    if not is_api_request() and request.method == "POST" and error.status in (403, 409, 422, 503):
        # A form action that the rules refuse: say why on the page it came from.
        flash(error.summary(), "error")
        target = request.referrer
        if target and target.startswith(request.host_url):
            return redirect(target, 303)
    return error_response(error.status, error.code, error.message, fields)


def handle_database_unavailable(error):
    discard_session()
    # The error page must not need the database: show it as to a visitor (loading the signed-in user, or
    # reloading it after the rollback expired it, would fail again and end in a bare 500).
    g._login_user = login_manager.anonymous_user()
    log.error("database unavailable: %s", error.__class__.__name__)
    return error_response(503, "unavailable", messages_for(503), headers={"Retry-After": "5"})


def discard_session() -> None:
    """Roll the request's session back; if even that fails on the lost connection (a rollback listener that
    reads the dead connection raises again), drop the session: SQLAlchemy has already invalidated its
    connection and given the pool slot back."""
    try:
        db.session.rollback()
    except SQLAlchemyError as error:
        log.warning("session dropped after a failed rollback: %s", error.__class__.__name__)
        db.session.registry.clear()


def handle_untrusted_host(error: SecurityError):
    """A request for a host name the site does not answer to (TRUSTED_HOSTS). No URL can be built for it, so
    the answer is the error shape or plain text, never the page template."""
    if is_api_request():
        return error_response(400, "bad_request", messages_for(400))
    return current_app.response_class(str(messages_for(400)), status=400, mimetype="text/plain")


def handle_unstorable_value(error):
    """A value the database cannot store (a number beyond its integer range: SQLite's driver raises
    OverflowError, PostgreSQL a DataError) came from the caller: 422, and nothing is written."""
    discard_session()
    log.warning("value refused by the database: %s", error.__class__.__name__)
    return error_response(422, "invalid", _("저장할 수 없는 값입니다. 숫자의 크기와 글자 수를 확인해 주세요."))


def handle_unexpected(error: Exception):
    db.session.rollback()
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", messages_for(500))


def register_error_handlers(app) -> None:
    app.register_error_handler(SecurityError, handle_untrusted_host)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(PoolTimeout, handle_database_unavailable)
    # A lost connection whose error something swallowed (Flask-Limiter's key function looks the account up
    # and RATELIMIT_SWALLOW_ERRORS hides the failure): the next query finds the transaction invalid.
    app.register_error_handler(PendingRollbackError, handle_database_unavailable)
    app.register_error_handler(DataError, handle_unstorable_value)
    app.register_error_handler(OverflowError, handle_unstorable_value)
    app.register_error_handler(InternalServerError, handle_unexpected)
