"""Accounts in the API: registration, bearer tokens, the caller's profile, shared code lists."""

import json

import marshmallow as ma
from flask import Response, current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from participation import privacy
from participation.accounts import services
from participation.accounts.models import User
from participation.api import ApiBlueprint
from participation.api.auth import bearer_token, current_api_token_id, current_api_user, token_required
from participation.api.schemas import BaseSchema
from participation.core.errors import Unauthorized
from participation.core.limits import filing_limit, login_limit
from participation.core.seoul import CATEGORIES, DISTRICTS
from participation.extensions import db

bp = ApiBlueprint("accounts_api", __name__, description="Accounts, tokens and code lists")


class RegisterSchema(BaseSchema):
    email = ma.fields.String(required=True, metadata={"example": "citizen@example.com"})
    password = ma.fields.String(required=True, load_only=True)
    display_name = ma.fields.String(required=True, metadata={"example": "김서울"})
    district = ma.fields.String(required=True, metadata={"enum": list(DISTRICTS), "example": "강남구"})
    birth_year = ma.fields.Integer(required=True, metadata={"example": 1990})
    # 개인정보 수집·이용 동의: the app shows the notice of the sign-up page and sends true once the person agreed.
    privacy_consent = ma.fields.Boolean(required=True, metadata={"example": True})


class RegisteredSchema(ma.Schema):
    id = ma.fields.Integer(allow_none=True, required=True, metadata={
        "description": "always null: the answer is the same whether or not the address already had an account "
                       "(the mail says which); GET /me gives the id once logged in"})
    email = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)
    district = ma.fields.String(required=True)
    email_verified = ma.fields.Boolean(required=True)


class UserSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    email = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)
    district = ma.fields.String(required=True)
    email_verified = ma.fields.Boolean(required=True)


class MeSchema(UserSchema):
    roles = ma.fields.List(ma.fields.String(), required=True)
    birth_year = ma.fields.Integer()
    # none: nothing verified; email: the mailbox; identity: the person, through the identity provider (본인인증).
    verification = ma.fields.String(required=True, metadata={"enum": ["none", "email", "identity"]})
    district_verified = ma.fields.Boolean(required=True)
    birth_year_verified = ma.fields.Boolean(required=True)


class CredentialsSchema(BaseSchema):
    email = ma.fields.String(required=True)
    password = ma.fields.String(required=True, load_only=True)


class TokenSchema(ma.Schema):
    token = ma.fields.String(required=True)
    id = ma.fields.Integer(required=True, metadata={"description": "for DELETE /auth/tokens/{id}"})
    expires_at = ma.fields.DateTime(required=True)


class TokenInfoSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)
    expires_at = ma.fields.DateTime(required=True)
    last_used_at = ma.fields.DateTime(allow_none=True, metadata={"description": "to the hour"})
    current = ma.fields.Boolean(required=True, metadata={"description": "the token this request carries"})


class TokenListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TokenInfoSchema), required=True)


class CodeSchema(ma.Schema):
    code = ma.fields.String(required=True)
    label = ma.fields.String(required=True)


class CodeListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CodeSchema), required=True)


@bp.post("/auth/register")
@filing_limit
@bp.arguments(RegisterSchema)
@bp.response(201, RegisteredSchema)
def register(data):
    """Sign up (가입). A mail follows: the verification link, or, to an address that already has an account, a
    note saying so. The answer is the same either way."""
    services.sign_up(data["email"], data["password"], data["display_name"], data["district"], data["birth_year"],
                     consent=data["privacy_consent"], still_counting=privacy.still_counting)
    db.session.commit()
    profile = services.check_profile(data["display_name"], data["district"], data["birth_year"])
    return {"id": None, "email": services.normalise_email(data["email"]), "display_name": profile["display_name"],
            "district": profile["district"], "email_verified": False}


@bp.post("/auth/token")
@login_limit
@bp.arguments(CredentialsSchema)
@bp.response(200, TokenSchema)
def issue_token(data):
    """Exchange e-mail and password for a bearer token."""
    user = services.authenticate(data["email"], data["password"])
    if user is None:
        raise Unauthorized(_l("이메일 또는 비밀번호가 맞지 않습니다."), code="invalid_credentials")
    token, row = services.new_token(user)
    db.session.commit()
    return {"token": token, "id": row.id, "expires_at": row.expires_at}


@bp.delete("/auth/token")
@token_required
@bp.response(204)
def revoke_token():
    """Revoke the token this request carries."""
    services.revoke_token(bearer_token())
    db.session.commit()


@bp.get("/auth/tokens")
@token_required
@bp.response(200, TokenListSchema)
def list_tokens():
    """The caller's tokens that still work (not revoked, not expired), newest first — never their values."""
    current = current_api_token_id()
    return {"items": [{"id": row.id, "name": row.name, "created_at": row.created_at, "expires_at": row.expires_at,
                       "last_used_at": row.last_used_at, "current": row.id == current}
                      for row in services.tokens_of(current_api_user())]}


@bp.delete("/auth/tokens/<int:token_id>")
@token_required
@bp.response(204)
def revoke_token_by_id(token_id):
    """Revoke one of the caller's tokens (a lost phone's); another account's token is a 404."""
    services.revoke_token_by_id(current_api_user(), token_id)
    db.session.commit()


@bp.get("/me")
@token_required
@bp.response(200, MeSchema)
def me():
    """The caller's account."""
    return current_api_user()


class SuspensionBodySchema(BaseSchema):
    reason = ma.fields.String(metadata={"example": "같은 광고 댓글을 여러 공론장에 반복 게시"})


class SuspensionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    suspended = ma.fields.Boolean(required=True)
    suspended_at = ma.fields.DateTime(allow_none=True)
    suspension_reason = ma.fields.String(allow_none=True)


def _suspension(user) -> dict:
    return {"id": user.id, "suspended": user.suspended_at is not None, "suspended_at": user.suspended_at,
            "suspension_reason": user.suspension_reason}


@bp.post("/users/<int:user_id>/suspension")
@token_required
@bp.arguments(SuspensionBodySchema)
@bp.response(200, SuspensionSchema)
def suspend_user(data, user_id):
    """Suspend an account (moderators, admins; `reason` required): it cannot sign in or act, its tokens are
    revoked, what it did stays counted. Only an admin suspends an admin (403 `cannot_suspend_admin`); 409
    `already_suspended`."""
    user = services.suspend(current_api_user(), db.session.get(User, user_id), data.get("reason"))
    db.session.commit()
    return _suspension(user)


@bp.delete("/users/<int:user_id>/suspension")
@token_required
@bp.arguments(SuspensionBodySchema)
@bp.response(200, SuspensionSchema)
def unsuspend_user(data, user_id):
    """Lift a suspension (moderators, admins; `reason` optional). 409 `not_suspended`."""
    user = services.unsuspend(current_api_user(), db.session.get(User, user_id), data.get("reason"))
    db.session.commit()
    return _suspension(user)


# (list, language) -> the finished JSON body: the lists are fixed, only their labels' language varies.
_code_lists: dict[tuple[str, str], bytes] = {}


def code_list(name: str, pairs) -> Response:
    """A code list in the request's language, translated and serialised once per language and process."""
    key = (name, str(get_locale()))
    body = _code_lists.get(key)
    if body is None:
        items = CodeListSchema().dump({"items": [{"code": code, "label": str(label)} for code, label in pairs]})
        body = _code_lists[key] = json.dumps(items, ensure_ascii=False).encode()
    return current_app.response_class(body, mimetype="application/json")


@bp.get("/categories")
@bp.response(200, CodeListSchema)
def categories():
    """Category codes of petitions and proposals, with their labels."""
    return code_list("categories", CATEGORIES.items())


@bp.get("/districts")
@bp.response(200, CodeListSchema)
def districts():
    """The 25 autonomous districts (자치구)."""
    return code_list("districts", ((name, name) for name in DISTRICTS))
