"""Roles and the checks on them. Roles add to each other: a staff member is also a citizen."""

import enum

from flask import current_app
from flask_babel import lazy_gettext as _l

from participation.core.errors import Forbidden, Unauthorized


class Role(enum.StrEnum):
    citizen = "citizen"
    moderator = "moderator"
    staff = "staff"
    admin = "admin"


def require_user(actor):
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise Unauthorized()
    return actor


def require_role(actor, *roles: Role) -> None:
    """The actor must hold at least one of the roles (admin holds every role)."""
    require_user(actor)
    if not actor.has_role(*roles):
        raise Forbidden()


def require_verified(actor) -> None:
    """Acting (signing, voting, proposing, answering) needs a verified e-mail when the setting is on."""
    require_user(actor)
    if current_app.config["REQUIRE_EMAIL_VERIFICATION"] and not actor.email_verified:
        raise Forbidden(_l("이메일 인증 후에 참여할 수 있습니다."), code="email_not_verified")
