"""The identity verification pages (본인인증): the explanation and button, the way out to the provider, the way
back (accounts/identity.py does the work)."""


from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from participation import privacy
from participation.accounts import identity
from participation.config import is_development
from participation.core.errors import DomainError
from participation.core.forms import ConfirmForm, require_valid
from participation.core.routing import local_path
from participation.extensions import db
from participation.wiring import content_security_policy

bp = Blueprint("identity", __name__)
NEXT = "identity_next"
# A refused callback's message, kept across the redirect that takes the used code and state out of the address bar.
REFUSAL = "identity_refusal"


@bp.app_context_processor
def identity_globals():
    return {"identity_available": identity.available, "needs_identity": needs_identity}


def needs_identity(item) -> bool:
    """Whether the signed-in person must verify their identity before acting on the item."""
    return getattr(item, "verification", None) == identity.IDENTITY and current_user.is_authenticated \
        and current_user.verification != identity.IDENTITY


def _callback_url() -> str:
    return url_for("identity.callback", _external=True)


def _page(error: str | None = None, status: int = 200):
    available = identity.available()
    response = make_response(render_template(
        "accounts/identity.html", form=ConfirmForm(), available=available, development=is_development(current_app),
        error=error, next=local_path(request.args.get("next"))), status)
    # The form's answer is a 303 to the provider: the browser must be allowed to follow it (form-action).
    origin = identity.authorization_origin() if available else None
    if origin:
        response.headers["Content-Security-Policy"] = content_security_policy(origin)
    return response


@bp.get("/account/identity")
@login_required
def page():
    return _page(**session.pop(REFUSAL, {}))


@bp.post("/account/identity")
@login_required
def start():
    require_valid(ConfirmForm())
    try:
        url = identity.start(current_user, _callback_url())
    except DomainError as error:
        return _page(str(error.message), error.status)
    session[NEXT] = local_path(request.form.get("next"))
    return redirect(url, 303)


@bp.get("/account/identity/callback")
@login_required
def callback():
    try:
        identity.finish(current_user, request.args, _callback_url(), still_counting=privacy.still_counting)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        session.pop(NEXT, None)
        # Shown on the identity page, whose address carries no code: the browser's history keeps none.
        session[REFUSAL] = {"error": str(error.message), "status": error.status}
        return redirect(url_for("identity.page"), 303)
    flash(_("본인인증을 마쳤습니다. 태어난 해와 자치구는 본인인증 정보로 바뀌었습니다."), "success")
    return redirect(session.pop(NEXT, None) or url_for("accounts.profile"), 303)
