"""Settings that staff change at run time (thresholds, periods), with every change kept.

The value in force is the newest change, or the configured default when nobody has changed it.
Items copy the rules in force when they open, so a later change does not move their goalposts.

Reads are cached per process for CACHE_SECONDS: every participation action checks the pause switch, and a
query per vote for a value that changes a few times a year was a twentieth of the vote's time. The process
that makes a change sees it at once (its cache is dropped when the change is written and again when its
transaction ends); every other process sees it within CACHE_SECONDS. The history table stays the truth.
"""

import time
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from participation.config import DEFAULTS, SETTINGS
from participation.core.audit import audit
from participation.core.database import after_commit, after_rollback
from participation.core.errors import Paused, ValidationError
from participation.core.models import Base
from participation.core.permissions import Role, require_role
from participation.core.time import utcnow
from participation.extensions import db


class SettingChange(Base):
    __tablename__ = "setting_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    value: Mapped[object] = mapped_column(JSON)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)


# name -> type: the settings named in config.SETTINGS, typed by their defaults (the settings page lists them).
REGISTRY: dict[str, type] = {name: type(DEFAULTS[name]) for name in SETTINGS}


CACHE_SECONDS = 2.0
# (app, setting name) -> (valid until, on time.monotonic(); value)
_cache: dict[tuple[int, str], tuple[float, object]] = {}
# Marks a session that wrote a setting not yet committed or rolled back.
CHANGED = "participation_setting_changed"


def get_setting(name: str):
    key = (id(current_app._get_current_object()), name)
    now = time.monotonic()
    # A session that changed a setting reads its own uncommitted value, and never caches it.
    own_change = db.session.info.get(CHANGED, False)
    cached = None if own_change else _cache.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    change = db.session.scalar(
        select(SettingChange).where(SettingChange.name == name).order_by(SettingChange.id.desc()).limit(1))
    value = change.value if change else current_app.config[name]
    if not own_change:
        _cache[key] = (now + CACHE_SECONDS, value)
    return value


def _forget(session) -> None:
    """The transaction that changed a setting has ended: every reader reads it again."""
    session.info.pop(CHANGED, None)
    _cache.clear()


def set_setting(name: str, value, actor, note: str | None = None) -> SettingChange:
    require_role(actor, Role.admin)
    kind = REGISTRY.get(name)
    if kind is None:
        raise ValidationError({"name": _l("알 수 없는 설정입니다.")})
    try:
        value = parse_bool(value) if kind is bool else kind(value)
    except (TypeError, ValueError):
        raise ValidationError({"value": _l("값의 형식이 맞지 않습니다.")}) from None
    if kind is int and value < 0:
        raise ValidationError({"value": _l("0 이상이어야 합니다.")})
    change = SettingChange(name=name, value=value, changed_by_id=actor.id, note=note)
    db.session.add(change)
    db.session.flush()
    db.session.info[CHANGED] = True
    _cache.clear()
    after_commit(_forget, db.session())
    after_rollback(_forget, db.session())
    audit(actor, "setting", change.id, f"{name}={value}", note)
    return change


def setting_history(name: str) -> list[SettingChange]:
    return list(db.session.scalars(
        select(SettingChange).where(SettingChange.name == name).order_by(SettingChange.id.desc())))


def setting_at(name: str, moment: datetime):
    """The value that was in force at `moment` (the newest change before it, else the configured default)."""
    change = db.session.scalar(
        select(SettingChange).where(SettingChange.name == name, SettingChange.changed_at < moment)
        .order_by(SettingChange.id.desc()).limit(1))
    return change.value if change else current_app.config[name]


def parse_bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "on", "yes"}
    return bool(value)


def require_participation_open() -> None:
    """Refuse new signatures, supports, ballots and responses while the admin pause switch is on."""
    if get_setting("PAUSE_PARTICIPATION"):
        raise Paused()
