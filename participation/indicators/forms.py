from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from participation.indicators.services import NOTE_MAX


class ValueForm(FlaskForm):
    """A staff member's value for one measure and year (checked by the service: whole number, 0 up)."""

    value = StringField(_l("값 (원 단위 숫자)"), validators=[InputRequired(), Length(max=40)])
    note = TextAreaField(_l("메모 (출처, 기준일 등)"), validators=[Length(max=NOTE_MAX)])
    override = BooleanField(_l("자동 집계 대신 이 값을 씁니다 (override)"))


class RevertForm(FlaskForm):
    note = TextAreaField(_l("메모"), validators=[Length(max=NOTE_MAX)])
