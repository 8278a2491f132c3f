"""District and birth year, the attributes that decide who may take part in a district or age-band poll or survey.

Every value an account had is kept with the moment it took effect (`ProfileValue`, the first at sign-up) and every
change is audited (old → new, when). A typed district may change at most once per DISTRICT_CHANGE_DAYS (a
setting with history); values the identity provider gave are not typed over (verify again after a move).
Eligibility is decided on the values in force when the item opened (`values_on`), not on the current profile:
moving after a poll opened neither lets one in nor shuts one out.
"""

import itertools
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from participation.accounts.models import ProfileValue, User
from participation.core.audit import audit
from participation.core.errors import ValidationError
from participation.core.settings import get_setting
from participation.core.time import to_kst, utcnow
from participation.extensions import db


def record(user: User, *, verified: bool = False) -> None:
    """Keep the account's current values as in force from now on (sign-up, and every change)."""
    db.session.add(ProfileValue(user_id=user.id, district=user.district, birth_year=user.birth_year,
                                verified=verified, valid_from=utcnow()))


def history(user_id: int) -> list[ProfileValue]:
    return list(db.session.scalars(select(ProfileValue).where(ProfileValue.user_id == user_id)
                                   .order_by(ProfileValue.valid_from, ProfileValue.id)))


def last_district_change(user: User) -> datetime | None:
    """When the district last changed (the first value, at sign-up, is not a change)."""
    rows, last = history(user.id), None
    for before, after in itertools.pairwise(rows):
        if after.district != before.district:
            last = after.valid_from
    return last


def change(user: User, district, birth_year, *, verified: bool = False) -> None:
    """Set the district and birth year (already checked), audited and kept; `verified`: given by the identity
    provider, which is never refused. Flushes nothing itself."""
    errors = {}
    if district != user.district and not verified:
        if user.district_verified:
            errors["district"] = _l("본인인증으로 확인된 자치구는 직접 바꿀 수 없습니다. 이사했다면 본인인증을 다시 "
                                    "해 주세요.")
        else:
            last, days = last_district_change(user), get_setting("DISTRICT_CHANGE_DAYS")
            if last is not None and utcnow() < last + timedelta(days=days):
                errors["district"] = _l("자치구는 %(days)d일에 한 번만 바꿀 수 있습니다. %(date)s부터 바꿀 수 "
                                        "있습니다.", days=days,
                                        date=to_kst(last + timedelta(days=days)).strftime("%Y-%m-%d"))
    if birth_year != user.birth_year and not verified and user.birth_year_verified:
        errors["birth_year"] = _l("본인인증으로 확인된 태어난 해는 직접 바꿀 수 없습니다.")
    if errors:
        raise ValidationError(errors)
    changed = False
    for name, new in (("district", district), ("birth_year", birth_year)):
        old = getattr(user, name)
        if new != old:
            audit(user, "user", user.id, f"{name}_changed", f"{old} → {new}" + (" (identity)" if verified else ""))
            setattr(user, name, new)
            changed = True
    if changed or verified:
        record(user, verified=verified)


def values_on(user, moment: datetime | None) -> tuple[str | None, int | None]:
    """(district, birth year) in force at `moment` (an item's opening); an account that had no value yet then is
    judged on its first one; one with no history at all (older data) on its profile."""
    if moment is None or getattr(user, "id", None) is None:
        return user.district, user.birth_year
    statement = select(ProfileValue.district, ProfileValue.birth_year).where(ProfileValue.user_id == user.id)
    row = db.session.execute(statement.where(ProfileValue.valid_from <= moment)
                             .order_by(ProfileValue.valid_from.desc(), ProfileValue.id.desc()).limit(1)).first()
    if row is None:
        row = db.session.execute(statement.order_by(ProfileValue.valid_from, ProfileValue.id).limit(1)).first()
    return (row.district, row.birth_year) if row is not None else (user.district, user.birth_year)
