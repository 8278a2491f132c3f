from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length

from participation.accounts import services as accounts
from participation.accounts.models import User
from participation.core import appeals, workspace
from participation.core.audit import AuditEntry
from participation.core.consoles import MODERATION, ConsoleEntry, register
from participation.core.errors import NotFound
from participation.core.forms import ConfirmForm, ReasonForm, moderation_reason, require_valid
from participation.core.pagination import page_arguments, paginate
from participation.core.permissions import Role, require_role
from participation.core.settings import get_setting
from participation.core.time import utcnow
from participation.extensions import db

bp = Blueprint("moderation", __name__, url_prefix="/moderation")

register(MODERATION, ConsoleEntry("appeals", _l("이의 신청"), appeals.pending_count, "moderation.appeals_queue"))


class DecisionForm(FlaskForm):
    outcome = RadioField(_l("결정"), choices=[("upheld", _l("받아들이기 (복원)")), ("dismissed", _l("기각"))],
                         validators=[InputRequired()])
    reason = TextAreaField(_l("결정 사유"), validators=[InputRequired(), Length(max=appeals.REASON_MAX)])


@bp.before_request
@login_required
def moderators_only():
    require_role(current_user, Role.moderator)


@bp.get("/")
def index():
    queues = [{"entry": entry, "count": entry.count()} for entry in MODERATION]
    return workspace.render("reports", template="moderation/index.html", queues=queues)


workspace.register_queue(workspace.Queue("reports", _l("처리 전 신고"), None, "REPORT_REVIEW_DAYS",
                                         "moderation.index", waiting=False))


@bp.post("/queues/<name>/act")
def act(name):
    """One act on one case (its own buttons) or on the ticked ones (the bulk form): all or none. Reject and hide
    need a reason category and the ticked confirmation (core.forms.moderation_reason)."""
    queue = workspace.queue_named(name)
    action = request.form.get("action")
    if action in workspace.DESTRUCTIVE:
        reason, category = moderation_reason(queue.reasons)
    else:
        require_valid(ConfirmForm())
        reason = category = None
    count = workspace.act(queue, action, workspace.parse_keys(request.form.getlist("items")), current_user,
                          reason, category)
    db.session.commit()
    flash(ngettext("%(num)d건을 처리했습니다: %(act)s", "%(num)d건을 처리했습니다: %(act)s", count,
                   act=workspace.ACT_LABELS[action]), "success")
    page, _per_page = page_arguments()
    return redirect(url_for(queue.endpoint, page=page if page > 1 else None) + "#queue", 303)


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


@bp.get("/appeals")
def appeals_queue():
    rows = []
    for appeal in appeals.queue():
        entry, item = appeals.item_of(appeal)
        rows.append({"appeal": appeal, "entry": entry, "item": item,
                     "decision": db.session.get(AuditEntry, appeal.decision_id)})
    return render_template("moderation/appeals.html", rows=rows, now=utcnow(),
                           sla_days=get_setting("APPEAL_REVIEW_DAYS"), form=DecisionForm())


@bp.post("/appeals/<int:appeal_id>/decision")
def decide(appeal_id):
    appeal = db.session.get(appeals.Appeal, appeal_id)
    if appeal is None:
        raise NotFound()
    form = DecisionForm()
    require_valid(form)
    appeals.decide(appeal, current_user, form.outcome.data, form.reason.data)
    db.session.commit()
    flash(_("이의 신청을 결정했습니다: %(outcome)s", outcome=appeal.status_label), "success")
    return redirect(url_for("moderation.appeals_queue"), 303)
