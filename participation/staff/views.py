from flask import Blueprint, render_template
from flask_login import current_user, login_required

from participation.core.consoles import STAFF
from participation.core.permissions import Role, require_role

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.before_request
@login_required
def staff_only():
    require_role(current_user, Role.staff)


@bp.get("/")
def index():
    return render_template("staff/index.html", entries=[{"entry": entry, "count": entry.count()} for entry in STAFF])
