from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from participation.accounts import services as accounts
from participation.accounts.models import User
from participation.core import settings
from participation.core.errors import NotFound, ValidationError
from participation.core.forms import ConfirmForm
from participation.core.pagination import page_arguments, paginate
from participation.core.permissions import Role, require_role
from participation.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def admins_only():
    require_role(current_user, Role.admin)


@bp.get("/users")
def users():
    query = (request.args.get("q") or "").strip()
    statement = select(User).where(User.deleted_at.is_(None)).order_by(User.id.desc())
    if query:
        pattern = f"%{query.lower()}%"
        statement = statement.where(or_(User.email.like(pattern), User.display_name.like(f"%{query}%")))
    page, per_page = page_arguments(50)
    return render_template("admin/users.html", page=paginate(statement, page, per_page), query=query,
                           roles=[Role.moderator, Role.staff, Role.admin], confirm=ConfirmForm())


@bp.post("/users/<int:user_id>/roles/<role>")
def toggle_role(user_id, role):
    user = db.session.get(User, user_id)
    if user is None or role not in {r.value for r in Role} or role == Role.citizen:
        raise NotFound()
    if request.form.get("grant") == "1":
        accounts.grant_role(current_user, user, Role(role))
    else:
        accounts.revoke_role(current_user, user, Role(role))
    db.session.commit()
    flash(_("%(name)s 님의 권한을 바꿨습니다.", name=user.public_name), "success")
    return redirect(request.referrer or url_for("admin.users"), 303)


@bp.get("/settings")
def settings_page():
    rows = [{"name": name, "value": settings.get_setting(name), "history": settings.setting_history(name)}
            for name in sorted(settings.REGISTRY)]
    return render_template("admin/settings.html", rows=rows, confirm=ConfirmForm())


@bp.post("/settings/<name>")
def change_setting(name):
    try:
        settings.set_setting(name, request.form.get("value", ""), current_user, request.form.get("note"))
    except ValidationError as error:
        db.session.rollback()
        flash(error.summary(), "error")
    else:
        db.session.commit()
        flash(_("설정을 바꿨습니다."), "success")
    return redirect(url_for("admin.settings_page"), 303)
