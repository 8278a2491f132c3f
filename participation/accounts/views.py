"""Account pages: sign up, verify, log in and out, reset, profile, delete, notifications."""

import json

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from participation import privacy
from participation.accounts import forms, services
from participation.core import notifications
from participation.core.errors import Conflict, ValidationError
from participation.core.forms import ConfirmForm, apply_errors, form_status
from participation.core.limits import filing_limit, login_limit, password_check_limit
from participation.core.routing import local_path
from participation.extensions import csrf, db

bp = Blueprint("accounts", __name__)


def safe_next(default: str) -> str:
    return local_path(request.args.get("next") or request.form.get("next")) or default


@bp.route("/register", methods=["GET", "POST"])
@filing_limit
def register():
    form = forms.RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.sign_up(form.email.data, form.password.data, form.display_name.data,
                                    form.district.data, form.birth_year.data,
                                    consent=form.privacy_consent.data, still_counting=privacy.still_counting)
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error)
        except Conflict as error:  # a deleted account's address whose participations still count (not "taken")
            db.session.rollback()
            form.email.errors = [*form.email.errors, str(error.message)]
        else:
            # The same answer whether the address was new or already had an account (the mail says which), so
            # no one is logged in here: that would tell the two apart. The verification link, then the login.
            if user is not None:
                _keep_language(user)
            db.session.commit()
            flash(_("가입 신청을 받았습니다. 받은 메일의 링크를 열어 이메일을 인증한 뒤 로그인해 주세요."), "success")
            return redirect(url_for("accounts.login"), 303)
    return render_template("accounts/register.html", form=form), form_status(form)


# Tokens of the links in mail, kept in the session once the link is opened (see `_take_token_from_link`).
VERIFY_TOKEN, RESET_TOKEN = "verify_token", "reset_token"
TOKEN_MAX = 512


def _take_token_from_link(key: str, token: str, endpoint: str):
    """The link in a mail carries a token in its path, which access logs, the browser's history and the Referer of
    whatever a page loads would keep. Opened once, the token moves into the session (a signed, HttpOnly cookie) and
    the browser goes on to a URL without it; a GET changes nothing (mail scanners open links too): a button does."""
    session[key] = token if len(token) <= TOKEN_MAX else ""
    return redirect(url_for(endpoint), 303)


def _link_error(key: str, error: ValidationError):
    db.session.rollback()
    session.pop(key, None)
    return render_template("errors/error.html", status=422, message=error.fields["token"][0]), 422


@bp.get("/verify/<token>")
def verify_link(token):
    return _take_token_from_link(VERIFY_TOKEN, token, "accounts.verify_email")


@bp.route("/verify", methods=["GET", "POST"])
def verify_email():
    token = session.get(VERIFY_TOKEN, "")
    try:
        user = services.verification_user(token)
    except ValidationError as error:
        return _link_error(VERIFY_TOKEN, error)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.verify_email(token)
        db.session.commit()
        session.pop(VERIFY_TOKEN, None)
        flash(_("이메일이 인증되었습니다. 이제 모든 참여 기능을 쓸 수 있습니다."), "success")
        return redirect(url_for("main.home" if current_user.is_authenticated else "accounts.login"), 303)
    return render_template("accounts/verify.html", form=form, email=user.email)


@bp.post("/verify/resend")
@login_required
@filing_limit
def resend_verification():
    if not current_user.email_verified:
        services.send_verification(current_user)
        db.session.commit()
    flash(_("인증 메일을 다시 보냈습니다."), "success")
    return redirect(url_for("accounts.profile"), 303)


@bp.route("/login", methods=["GET", "POST"])
@login_limit
def login():
    form = forms.LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            _keep_language(user)
            db.session.commit()
            # A fresh session at login: nothing planted before it survives (session fixation).
            session.clear()
            login_user(user)
            return redirect(safe_next(url_for("main.home")), 303)
        form.form_errors.append(_("이메일 또는 비밀번호가 맞지 않습니다."))
    return render_template("accounts/login.html", form=form), form_status(form, refused=401)


def _keep_language(user) -> None:
    """The language chosen with the header's switch (a cookie) follows the account to other devices."""
    chosen = request.cookies.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        user.locale = chosen


@bp.post("/logout")
def logout():
    # CSRFProtect has checked the token of every POST before this runs.
    if current_user.is_authenticated:
        # A copy of this session's cookie must not outlive the logout (the cookie itself cannot be recalled).
        services.end_sessions(current_user)
        db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("main.home"), 303)


@bp.route("/reset", methods=["GET", "POST"])
@login_limit
def request_reset():
    form = forms.ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        flash(_("가입된 주소라면 비밀번호 재설정 메일을 보냈습니다. 메일함을 확인해 주세요."), "success")
        return redirect(url_for("accounts.login"), 303)
    return render_template("accounts/reset_request.html", form=form), form_status(form)


@bp.get("/reset/<token>")
def reset_link(token):
    return _take_token_from_link(RESET_TOKEN, token, "accounts.reset_password")


@bp.route("/reset/password", methods=["GET", "POST"])
def reset_password():
    token = session.get(RESET_TOKEN, "")
    try:
        services.reset_user(token)
    except ValidationError as error:
        return _link_error(RESET_TOKEN, error)
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            logout_user()
            session.clear()
            flash(_("비밀번호를 바꿨습니다. 새 비밀번호로 로그인해 주세요."), "success")
            return redirect(url_for("accounts.login"), 303)
    return render_template("accounts/reset_password.html", form=form), form_status(form)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    form = forms.ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            services.update_profile(current_user, form.display_name.data, form.district.data,
                                    form.birth_year.data)
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            flash(_("회원 정보를 저장했습니다."), "success")
            return redirect(url_for("accounts.profile"), 303)
    return _profile_page(form=form)


def _profile_page(**posted):
    """The account page; the one of its three forms that was posted and refused shows its messages (422)."""
    page_forms = {"form": forms.ProfileForm(formdata=None, obj=current_user),
                  "password_form": forms.ChangePasswordForm(formdata=None),
                  "delete_form": forms.DeleteAccountForm(formdata=None), **posted}
    (refused,) = posted.values()
    return render_template("accounts/profile.html", confirm=ConfirmForm(), **page_forms), form_status(refused)


@bp.post("/account/password")
@login_required
@password_check_limit
def change_password():
    form = forms.ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data)
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            # Every other session has ended; this one goes on under the new generation.
            login_user(current_user._get_current_object())
            flash(_("비밀번호를 바꿨습니다."), "success")
            return redirect(url_for("accounts.profile"), 303)
    return _profile_page(password_form=form)


@bp.post("/account/delete")
@login_required
@password_check_limit
def delete_account():
    form = forms.DeleteAccountForm()
    if form.validate_on_submit():
        try:
            services.delete_account(current_user, form.password.data, erase=privacy.erase)
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            logout_user()
            session.clear()
            flash(_("탈퇴했습니다. 개인정보는 지웠고, 공개 글은 '탈퇴한 사용자'로 남습니다."), "success")
            return redirect(url_for("main.home"), 303)
    return _profile_page(delete_form=form)


@bp.get("/account/data.json")
@login_required
def personal_data():
    """Everything the platform holds about the signed-in person, as JSON (개인정보 열람 청구)."""
    response = current_app.response_class(json.dumps(privacy.export(current_user), ensure_ascii=False, indent=1),
                                          mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-participation-data.json"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/notifications")
@login_required
def notifications_page():
    """Seeing the list reads it: the ones new this time stay marked on the page, and the header's count
    (and every later page's) drops to zero."""
    items = notifications.recent(current_user.id)
    new = {item.id for item in items if item.read_at is None}
    if notifications.unread_count(current_user.id):
        notifications.mark_all_read(current_user.id)
        db.session.commit()
    g.unread_notifications = 0
    return render_template("accounts/notifications.html", items=items, new=new, confirm=ConfirmForm(),
                           kinds=notifications.KINDS, off=notifications.opted_out(current_user.id))


@bp.post("/notifications/preferences")
@login_required
def notification_preferences():
    """Which kinds of notification are mailed: the boxes ticked; the others are not (CSRF: the app's own check)."""
    wanted = set(request.form.getlist("mail"))
    notifications.set_preferences(current_user.id, set(notifications.KINDS) - wanted)
    db.session.commit()
    flash(_("알림 메일 설정을 저장했습니다."), "success")
    return redirect(url_for("accounts.notifications_page"), 303)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token):
    """The link in every notification mail: GET asks (a link checker that opens it changes nothing), POST turns
    that kind of mail off, from the page's button or from the mail program itself (RFC 8058 one-click, which sends
    no CSRF token: the signed token is the proof). A forged token is a 422 and changes nothing."""
    user_id, kind = notifications.unsubscribe_target(token)
    if request.method == "POST":
        notifications.unsubscribe(token)
        db.session.commit()
        return render_template("accounts/unsubscribe.html", done=True, kind=notifications.KINDS.get(kind, kind))
    return render_template("accounts/unsubscribe.html", done=False, kind=notifications.KINDS.get(kind, kind),
                           off=kind in notifications.opted_out(user_id))
