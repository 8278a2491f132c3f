"""Writes to the indicators: loading the catalogue, staff entering values, returning to the count.

Services flush; the caller (request, job or command) commits."""

import csv
import logging
from decimal import Decimal, InvalidOperation
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from participation.core.audit import audit
from participation.core.database import upsert
from participation.core.errors import Conflict, NotFound, ValidationError
from participation.core.input import clean_text
from participation.core.permissions import Role, require_role
from participation.core.time import utcnow
from participation.extensions import db
from participation.indicators import counts
from participation.indicators.models import (
    FIRST_YEAR,
    LAST_YEAR,
    Indicator,
    IndicatorValue,
    IndicatorValueChange,
    ValueSource,
)

log = logging.getLogger(__name__)

CATALOGUE_PATH = Path(__file__).with_name("catalogue.csv")
NUMBER_COLUMNS = ("scale", "baseline_2024", "target_2027", "total_4yr")
# BigInteger's upper bound: a larger number is an input error, not a database error.
MAX_VALUE = 2**63 - 1
NOTE_MAX = 2000


def read_catalogue(path: Path = CATALOGUE_PATH) -> list[dict]:
    """The shipped catalogue as dicts, numbers as int."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for name in NUMBER_COLUMNS:
            row[name] = int(row[name])
    return rows


def load_catalogue(path: Path = CATALOGUE_PATH) -> int:
    """Insert or update every measure of the catalogue by its code (idempotent); returns how many rows."""
    rows = read_catalogue(path)
    columns = [name for name in rows[0] if name != "code"]
    for row in rows:
        upsert(Indicator, row, ["code"], columns)
    db.session.flush()
    db.session.expire_all()
    return len(rows)


def catalogue_loaded() -> bool:
    return db.session.scalar(select(Indicator.id).limit(1)) is not None


def get_indicator(code: str) -> Indicator:
    indicator = db.session.scalar(select(Indicator).where(Indicator.code == str(code)[:10]))
    if indicator is None:
        raise NotFound(_l("없는 지표 코드입니다: %(code)s", code=str(code)[:20]), code="unknown_indicator")
    return indicator


def parse_year(raw) -> int:
    try:
        year = int(str(raw).strip())
    except ValueError:
        year = None
    if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError({"year": _l("연도는 %(first)d–%(last)d 사이여야 합니다.", first=FIRST_YEAR,
                                          last=LAST_YEAR)})
    return year


def parse_value(raw) -> int:
    """A raw count: a whole number from 0 up (a JSON number or a string of digits, commas allowed)."""
    if isinstance(raw, bool) or raw is None:
        raise ValidationError({"value": _l("숫자를 입력해 주세요.")})
    try:
        number = Decimal(str(raw).replace(",", "").strip())
    except InvalidOperation:
        raise ValidationError({"value": _l("숫자를 입력해 주세요.")}) from None
    if not number.is_finite():
        raise ValidationError({"value": _l("숫자를 입력해 주세요.")})
    if number != number.to_integral_value():
        raise ValidationError({"value": _l("정수(원 단위 값)로 입력해 주세요.")})
    if number < 0:
        raise ValidationError({"value": _l("0 이상이어야 합니다.")})
    if number > MAX_VALUE:
        raise ValidationError({"value": _l("숫자가 너무 큽니다.")})
    return int(number)


def _stored(indicator_id: int, year: int) -> IndicatorValue | None:
    return db.session.scalar(select(IndicatorValue).where(
        IndicatorValue.indicator_id == indicator_id, IndicatorValue.year == year).with_for_update())


def set_manual_value(actor, code: str, year, value, note: str | None = None,
                     override: bool = False) -> IndicatorValue:
    """Staff enter a year's value. An automatic measure takes a manual value only with `override`."""
    require_role(actor, Role.staff)
    indicator = get_indicator(code)
    year = parse_year(year)
    errors = {}
    try:
        value = parse_value(value)
    except ValidationError as error:
        errors.update(error.fields)
    note = clean_text(note, "note", NOTE_MAX, required=False, errors=errors) or None
    if errors:
        raise ValidationError(errors)
    if indicator.is_auto and not override:
        raise Conflict(_l("%(code)s은(는) 플랫폼이 자동으로 집계하는 지표입니다. 직접 입력한 값으로 대체하려면 "
                          "'자동 집계 대체(override)'를 선택하세요.", code=indicator.code), code="auto_measure")
    old = _stored(indicator.id, year)
    old_value, old_source = (old.value, old.source) if old else (None, None)
    upsert(IndicatorValue, {"indicator_id": indicator.id, "year": year, "value": value,
                            "source": ValueSource.manual, "computed_at": utcnow(),
                            "entered_by_id": actor.id, "note": note},
           ["indicator_id", "year"], ["value", "source", "computed_at", "entered_by_id", "note"])
    db.session.add(IndicatorValueChange(indicator_id=indicator.id, year=year, old_value=old_value,
                                        new_value=value, old_source=old_source, source=ValueSource.manual,
                                        changed_by_id=actor.id, note=note))
    audit(actor, "indicator", indicator.id, f"value:{year}:{old_value}->{value}", note)
    db.session.flush()
    db.session.expire_all()
    return db.session.scalar(select(IndicatorValue).where(
        IndicatorValue.indicator_id == indicator.id, IndicatorValue.year == year))


def revert_to_auto(actor, code: str, year, note: str | None = None) -> IndicatorValue | None:
    """End a manual override of an automatic measure: the worker's count applies again (counted now)."""
    require_role(actor, Role.staff)
    indicator = get_indicator(code)
    year = parse_year(year)
    if not indicator.is_auto:
        raise Conflict(_l("직접 입력하는 지표에는 자동 집계가 없습니다."), code="manual_measure")
    old = _stored(indicator.id, year)
    if old is None or old.source != ValueSource.manual:
        raise Conflict(_l("이 연도 값은 이미 자동 집계입니다."), code="already_auto")
    note = clean_text(note, "note", NOTE_MAX, required=False) or None
    db.session.add(IndicatorValueChange(indicator_id=indicator.id, year=year, old_value=old.value,
                                        new_value=None, old_source=old.source, source=ValueSource.auto,
                                        changed_by_id=actor.id, note=note))
    audit(actor, "indicator", indicator.id, f"value:{year}:{old.value}->auto", note)
    db.session.delete(old)
    db.session.flush()
    counts.refresh(year, codes=[indicator.code])
    return db.session.scalar(select(IndicatorValue).where(
        IndicatorValue.indicator_id == indicator.id, IndicatorValue.year == year))
