from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select

from participation.accounts import services as accounts
from participation.accounts.models import User
from participation.core.consoles import MODERATION, ConsoleEntry, register
from participation.core.forms import ReasonForm, require_valid
from participation.core.pagination import page_arguments, paginate
from participation.core.permissions import Role, require_role
from participation.core.reports import open_reports
from participation.extensions import db

bp = Blueprint("moderation", __name__, url_prefix="/moderation")


@bp.before_request
@login_required
def moderators_only():
    require_role(current_user, Role.moderator)


@bp.get("/")
def index():
    queues = [{"entry": entry, "count": entry.count()} for entry in MODERATION]
    return render_template("moderation/index.html", queues=queues, reports=open_reports()[:200])


def suspended_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.suspended_at.is_not(None))) or 0


register(MODERATION, ConsoleEntry("accounts", _l("계정 정지"), suspended_count, "moderation.users"))


@bp.get("/users")
def users():
    """Find an account (number, exact address, or part of the name) to suspend; suspended ones first."""
    query = (request.args.get("q") or "").strip()[:254]
    statement = select(User).where(User.deleted_at.is_(None)).order_by(User.suspended_at.is_(None), User.id.desc())
    if query:
        matches = [User.email == query.lower(), User.display_name.contains(query, autoescape=True)]
        if query.isdigit() and len(query) < 10:
            matches.append(User.id == int(query))
        statement = statement.where(or_(*matches))
    else:
        statement = statement.where(User.suspended_at.is_not(None))
    page, per_page = page_arguments(50)
    return render_template("moderation/users.html", page=paginate(statement, page, per_page), query=query,
                           form=ReasonForm())


@bp.post("/users/<int:user_id>/suspension")
def suspend(user_id):
    form = ReasonForm()
    require_valid(form)
    user = accounts.suspend(current_user, db.session.get(User, user_id), form.reason.data)
    db.session.commit()
    flash(_("%(name)s 님(%(id)d번) 계정을 정지했습니다.", name=user.public_name, id=user.id), "success")
    return redirect(url_for("moderation.users", q=user.id), 303)


@bp.post("/users/<int:user_id>/suspension/lift")
def unsuspend(user_id):
    form = ReasonForm()
    user = accounts.unsuspend(current_user, db.session.get(User, user_id), form.reason.data)
    db.session.commit()
    flash(_("%(name)s 님(%(id)d번) 계정의 정지를 풀었습니다.", name=user.public_name, id=user.id), "success")
    return redirect(url_for("moderation.users", q=user.id), 303)
