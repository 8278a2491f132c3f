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
from participation.api.auth import bearer_token, current_api_user, token_required
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


class UserSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    email = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)
    district = ma.fields.String(required=True)
    email_verified = ma.fields.Boolean(required=True)


class MeSchema(UserSchema):
    roles = ma.fields.List(ma.fields.String(), required=True)
    birth_year = ma.fields.Integer()


class CredentialsSchema(BaseSchema):
    email = ma.fields.String(required=True)
    password = ma.fields.String(required=True, load_only=True)


class TokenSchema(ma.Schema):
    token = ma.fields.String(required=True)


class CodeSchema(ma.Schema):
    code = ma.fields.String(required=True)
    label = ma.fields.String(required=True)


class CodeListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CodeSchema), required=True)


@bp.post("/auth/register")
@filing_limit
@bp.arguments(RegisterSchema)
@bp.response(201, UserSchema)
def register(data):
    """Sign up (가입). A verification mail follows."""
    user = services.register(data["email"], data["password"], data["display_name"], data["district"],
                             data["birth_year"], still_counting=privacy.still_counting)
    db.session.commit()
    return user


@bp.post("/auth/token")
@login_limit
@bp.arguments(CredentialsSchema)
@bp.response(200, TokenSchema)
def issue_token(data):
    """Exchange e-mail and password for a bearer token."""
    user = services.authenticate(data["email"], data["password"])
    if user is None:
        raise Unauthorized(_l("이메일 또는 비밀번호가 맞지 않습니다."), code="invalid_credentials")
    token = services.issue_token(user)
    db.session.commit()
    return {"token": token}


@bp.delete("/auth/token")
@token_required
@bp.response(204)
def revoke_token():
    """Revoke the token this request carries."""
    services.revoke_token(bearer_token())
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
