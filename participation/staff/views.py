from datetime import datetime, timedelta

import redis
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select

from participation.core import trending
from participation.core.consoles import STAFF, ConsoleEntry, register
from participation.core.forms import ReasonForm, require_valid
from participation.core.networks import Burst
from participation.core.permissions import Role, require_role
from participation.core.time import KST, to_kst, utcnow
from participation.extensions import db
from participation.staff import bursts
from participation.staff import health as platform_health

bp = Blueprint("staff", __name__, url_prefix="/staff")

CHANNEL_LABELS = {"petitions": _l("청원 서명"), "proposals": _l("제안 공감"), "polls": _l("투표"),
                  "surveys": _l("설문 응답"), "budgets": _l("참여예산 투표")}

CHANNEL_NAMES = {"petitions": _l("청원"), "proposals": _l("시민제안"), "polls": _l("투표"), "forums": _l("공론장"),
                 "surveys": _l("설문"), "budgets": _l("참여예산")}

register(STAFF, ConsoleEntry("trending", _l("한 주소에서 몰린 참여 (최근 24시간)"), trending.alert_count,
                             "staff.trending_addresses"))


def _bursts_to_review() -> int:
    return db.session.scalar(select(func.count()).select_from(Burst).where(Burst.voided_at.is_(None))) or 0


register(STAFF, ConsoleEntry("bursts", _l("검토 중인 몰린 참여 (무효 처리 전)"), _bursts_to_review, "staff.burst_list"))
register(STAFF, ConsoleEntry("health", _l("플랫폼 상태 (실패한 작업)"), platform_health.failed_count,
                             "staff.health"))


@bp.before_request
@login_required
def staff_only():
    require_role(current_user, Role.staff)


@bp.get("/")
def index():
    return render_template("staff/index.html", entries=[{"entry": entry, "count": entry.count()} for entry in STAFF])


@bp.get("/trending")
def trending_addresses():
    """IP addresses and subnets that signed, supported, voted or answered unusually often on one item."""
    try:
        alerts, unavailable = trending.alerts(), False
    except (redis.RedisError, OSError):
        alerts, unavailable = [], True
    return render_template("staff/trending.html", unavailable=unavailable, hours=trending.WINDOW_HOURS,
                           thresholds=trending.thresholds(), channel_labels=CHANNEL_LABELS,
                           titles=item_titles(alerts),
                           ips=[alert for alert in alerts if alert.kind == "ip"],
                           subnets=[alert for alert in alerts if alert.kind == "subnet"],
                           voidable=set(bursts.CHANNELS),
                           keep_days=trending.KEEP_SECONDS // 86400)


@bp.get("/health")
def health():
    """The platform's own health: queues, failed jobs, periodic jobs, the cron and the workers, stale counts."""
    return render_template("staff/health.html", report=platform_health.snapshot(), channel_labels=CHANNEL_NAMES)


@bp.post("/health/failed/<job_id>/retry")
def retry_failed_job(job_id):
    return _act_on_failed(job_id, platform_health.retry_failed, _l("작업을 다시 대기열에 넣었습니다."))


@bp.post("/health/failed/<job_id>/discard")
def discard_failed_job(job_id):
    return _act_on_failed(job_id, platform_health.discard_failed, _l("실패한 작업을 지웠습니다."))


def _act_on_failed(job_id: str, act, done):
    """(CSRF is checked for every form by the app.) An id that is not a failed job is a 404."""
    act(job_id)
    flash(done, "success")
    return redirect(url_for("staff.health"), 303)


def item_titles(alerts) -> dict[tuple[str, int], str]:
    """The title of each listed item, one query per channel."""
    from participation.budgets.models import BudgetProcess
    from participation.petitions.models import Petition
    from participation.polls.models import Poll
    from participation.proposals.models import Proposal
    from participation.surveys.models import Survey

    models = {"petitions": Petition, "proposals": Proposal, "polls": Poll, "surveys": Survey,
              "budgets": BudgetProcess}
    titles = {}
    for channel, model in models.items():
        ids = {alert.item_id for alert in alerts if alert.channel == channel}
        if ids:
            for item_id, title in db.session.execute(select(model.id, model.title).where(model.id.in_(ids))):
                titles[(channel, item_id)] = title
    return titles


def _kst_input(value) -> datetime | None:
    """A datetime-local field (no zone), read as KST."""
    try:
        return datetime.fromisoformat(value).replace(tzinfo=KST) if value else None
    except (TypeError, ValueError):
        return None


@bp.route("/bursts/new", methods=["GET", "POST"])
def new_burst():
    """Open a burst from the trending list: the item and network come from the list, the window from staff."""
    values = request.form if request.method == "POST" else request.args
    now = to_kst(utcnow()).replace(second=0, microsecond=0, tzinfo=None)
    form = {"channel": values.get("channel", ""), "item_id": values.get("item_id", ""),
            "network": values.get("network", ""),
            "window_start": values.get("window_start") or (now - timedelta(hours=24)).isoformat(),
            "window_end": values.get("window_end") or (now + timedelta(minutes=1)).isoformat()}  # this minute too
    if request.method == "POST":
        item_id = form["item_id"]
        burst = bursts.open_burst(current_user, form["channel"], int(item_id) if item_id.isdigit() and
                                  len(item_id) < 10 else None, form["network"],
                                  _kst_input(form["window_start"]), _kst_input(form["window_end"]))
        db.session.commit()
        return redirect(url_for("staff.burst", burst_id=burst.id), 303)
    return render_template("staff/burst_new.html", form=form, channel_labels=CHANNEL_LABELS)


@bp.get("/bursts")
def burst_list():
    rows = db.session.scalars(select(Burst).order_by(Burst.id.desc()).limit(200)).all()
    return render_template("staff/bursts.html", bursts=rows, channel_labels=CHANNEL_LABELS)


@bp.get("/bursts/<int:burst_id>")
def burst(burst_id):
    found = bursts.get_burst(burst_id)
    return render_template("staff/burst.html", burst=found, rows=bursts.burst_rows(found),
                           channel_labels=CHANNEL_LABELS, form=ReasonForm())


@bp.post("/bursts/<int:burst_id>/void")
def void_burst(burst_id):
    form = ReasonForm()
    require_valid(form)
    found = bursts.void(current_user, burst_id, form.reason.data)
    db.session.commit()
    flash(_("%(count)d건을 무효 처리했습니다. 집계는 곧 다시 계산됩니다.", count=found.voided_count), "success")
    return redirect(url_for("staff.burst", burst_id=burst_id), 303)


@bp.post("/bursts/<int:burst_id>/unvoid")
def unvoid_burst(burst_id):
    bursts.unvoid(current_user, burst_id)
    db.session.commit()
    flash(_("무효 처리를 되돌렸습니다. 집계는 곧 다시 계산됩니다."), "success")
    return redirect(url_for("staff.burst", burst_id=burst_id), 303)
