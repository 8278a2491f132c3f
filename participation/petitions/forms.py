"""Web forms of this channel."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from participation.core.forms import ReportForm as CoreReportForm
from participation.core.seoul import CATEGORIES
from participation.petitions.models import BODY_MAX, DEPARTMENT_MAX, KIND_LABELS, TITLE_MAX


def kind_choices():
    return [(kind.value, label) for kind, label in KIND_LABELS.items()]


def category_choices():
    return [("", _l("분야를 고르세요")), *CATEGORIES.items()]


class PetitionForm(FlaskForm):
    # The service checks every field at once, with the messages citizens should read.
    title = StringField(_l("제목"), render_kw={"required": True, "maxlength": TITLE_MAX})
    body = TextAreaField(_l("내용"), render_kw={"required": True, "maxlength": BODY_MAX, "rows": 14})
    kind = SelectField(_l("종류"), choices=kind_choices, validate_choice=False)
    category = SelectField(_l("분야"), choices=category_choices, validate_choice=False)


class ReportForm(CoreReportForm):
    target = SelectField(_l("신고 대상"), choices=[("petition", _l("청원")), ("answer", _l("답변"))])


class AnswerForm(FlaskForm):
    department = StringField(_l("담당 부서"), validators=[InputRequired(), Length(max=DEPARTMENT_MAX)])
    body = TextAreaField(_l("답변 내용"), validators=[InputRequired(), Length(max=BODY_MAX)])
    links = TextAreaField(_l("첨부 링크 (한 줄에 하나)"), validators=[Optional(), Length(max=6000)])


class InterimAnswerForm(FlaskForm):
    interim_answer = TextAreaField(_l("중간 답변"), validators=[InputRequired(), Length(max=BODY_MAX)])
