"""Home page, language switch, health check, and the development mail outbox."""

from ipaddress import ip_address

from flask import Blueprint, abort, current_app, jsonify, make_response, redirect, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from participation.accounts.views import safe_next
from participation.config import is_development
from participation.core.mail import OutboxMail
from participation.core.pagination import page_arguments
from participation.core.response_cache import cached_for_anonymous
from participation.extensions import db

bp = Blueprint("main", __name__)


@bp.get("/")
@cached_for_anonymous
def home():
    from participation.main.queries import home_sections

    return render_template("main/home.html", sections=home_sections())


@bp.get("/answers")
@cached_for_anonymous
def answers():
    """답변 대기: every answer the city owes, most overdue first; ?overdue=1 keeps only the overdue ones."""
    from participation.main.answers import owed_page

    overdue_only = request.args.get("overdue") == "1"
    page, per_page = page_arguments(50)
    return render_template("main/answers.html", page=owed_page(page, per_page, overdue_only=overdue_only),
                           overdue_only=overdue_only)


@bp.get("/lang/<code>")
def set_language(code):
    """A plain link that sets a cookie and writes nothing else; an account keeps the language chosen when
    its owner logs in (accounts.views), for the next device."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    response = make_response(redirect(safe_next("/"), 303))
    response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                        secure=request.is_secure)
    return response


@bp.get("/healthz")
def health():
    """For load balancers and monitors: 200 "ok"; 200 "degraded" when Redis, a live worker or the cron is missing
    (the site still takes every vote; counts and mail wait); 503 "down" when the database does not answer."""
    from participation.staff.health import probe

    status, parts = probe()
    return jsonify({"status": status, **parts}), 503 if status == "down" else 200


@bp.get("/metrics")
def metrics():
    """Prometheus metrics (core/metrics.py): a 404 unless METRICS_TOKEN is set, then only with
    `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise)."""
    import hmac

    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    from participation.core.metrics import scrape_registry
    from participation.staff.health import HealthCollector

    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        message = _("메트릭을 읽으려면 Authorization: Bearer 헤더에 METRICS_TOKEN을 보내야 합니다.")
        return jsonify({"error": {"code": "invalid_token", "message": message}}), 401, {"WWW-Authenticate": "Bearer"}
    return generate_latest(scrape_registry(HealthCollector())), 200, {"Content-Type": CONTENT_TYPE_LATEST}


@bp.get("/dev/outbox")
def outbox():
    """Mail that would have been sent, for the developer at this machine: every verification and reset link of
    every account is on it, so it exists only on a developer machine (ENVIRONMENT "development", said explicitly),
    without a mail server, to a browser on the machine itself (behind a proxy the client is whoever the proxy
    says). Anywhere else — production, admins included — it is a 404."""
    if not (is_development(current_app) and not current_app.config.get("MAIL_SERVER") and _from_this_machine()):
        abort(404)
    mails = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc()).limit(50)).all()
    return render_template("main/outbox.html", mails=mails)


def _from_this_machine() -> bool:
    try:
        return ip_address(request.remote_addr or "").is_loopback
    except ValueError:  # behind a proxy, whatever X-Forwarded-For said
        return False
