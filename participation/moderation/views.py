from flask import Blueprint, render_template
from flask_login import current_user, login_required

from participation.core.consoles import MODERATION
from participation.core.permissions import Role, require_role
from participation.core.reports import open_reports

bp = Blueprint("moderation", __name__, url_prefix="/moderation")


@bp.before_request
@login_required
def moderators_only():
    require_role(current_user, Role.moderator)


@bp.get("/")
def index():
    queues = [{"entry": entry, "count": entry.count()} for entry in MODERATION]
    return render_template("moderation/index.html", queues=queues, reports=open_reports()[:200])
