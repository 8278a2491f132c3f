import redis
from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from participation.core import trending
from participation.core.consoles import STAFF, ConsoleEntry, register
from participation.core.permissions import Role, require_role
from participation.extensions import db

bp = Blueprint("staff", __name__, url_prefix="/staff")

CHANNEL_LABELS = {"petitions": _l("청원 서명"), "proposals": _l("제안 공감"), "polls": _l("투표"),
                  "surveys": _l("설문 응답"), "budgets": _l("참여예산 투표")}

register(STAFF, ConsoleEntry("trending", _l("한 주소에서 몰린 참여 (최근 24시간)"), trending.alert_count,
                             "staff.trending_addresses"))


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
                           keep_days=trending.KEEP_SECONDS // 86400)


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
