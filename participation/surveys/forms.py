"""Web forms of the survey builder and the population frame upload. The answer pages are plain inputs
named after their question (q<id>), checked by the services like the API's answers."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from participation.core import forms as core_forms
from participation.core.seoul import AGE_BAND_LABELS, AGE_BANDS
from participation.core.time import KST
from participation.surveys.models import QUESTION_TEXT_MAX, TITLE_MAX

QUESTION_TYPES = (
    ("single", _l("단일 선택")), ("multiple", _l("복수 선택")), ("likert", _l("5점 척도")),
    ("number", _l("숫자")), ("text", _l("짧은 글")),
)


def district_choices():
    return core_forms.district_choices(_l("전체 시민"))


def age_band_choices():
    return [("", _l("전체 연령"))] + [(band, AGE_BAND_LABELS[band]) for band in AGE_BANDS]


def from_seoul_time(moment: datetime | None) -> datetime | None:
    """A datetime-local input is Seoul time."""
    return moment.replace(tzinfo=KST) if moment is not None else None


class SurveyForm(FlaskForm):
    title = StringField(_l("제목"), validators=[InputRequired(), Length(max=TITLE_MAX)])
    intro = TextAreaField(_l("안내문 (응답 전에 보여 줍니다)"), validators=[Length(max=5000)])
    thanks = TextAreaField(_l("감사 인사 (제출 후에 보여 줍니다)"), validators=[Length(max=5000)])
    target_district = SelectField(_l("대상 자치구"), choices=district_choices, validate_choice=False)
    target_age_band = SelectField(_l("대상 연령대"), choices=age_band_choices, validate_choice=False)
    opens_at = DateTimeLocalField(_l("시작 (서울 시각, 비워 두면 직접 엽니다)"), validators=[Optional()])
    closes_at = DateTimeLocalField(_l("마감 (서울 시각)"), validators=[Optional()])
    requires_identity = BooleanField(_l("본인인증한 시민만 응답"))

    def fields_dict(self) -> dict:
        return {"title": self.title.data, "intro": self.intro.data, "thanks": self.thanks.data,
                "verification": "identity" if self.requires_identity.data else "email",
                "target_district": self.target_district.data, "target_age_band": self.target_age_band.data,
                "opens_at": from_seoul_time(self.opens_at.data), "closes_at": from_seoul_time(self.closes_at.data)}


class SectionForm(FlaskForm):
    title = StringField(_l("새 섹션 제목"), validators=[Length(max=TITLE_MAX)])


class QuestionForm(FlaskForm):
    type = SelectField(_l("유형"), choices=QUESTION_TYPES)
    text = StringField(_l("문항"), validators=[InputRequired(), Length(max=QUESTION_TEXT_MAX)])
    required = BooleanField(_l("필수 문항"), default=True)
    options = TextAreaField(_l("보기 (한 줄에 하나, 선택형만)"))
    max_choices = StringField(_l("최대 선택 수 (복수 선택, 비워 두면 제한 없음)"))
    shuffle_options = BooleanField(_l("응답자마다 보기 순서 섞기"))
    min = StringField(_l("최솟값 (숫자)"))
    max = StringField(_l("최댓값 (숫자)"))
    low_label = StringField(_l("1점 쪽 이름 (5점 척도)"), validators=[Length(max=60)])
    high_label = StringField(_l("5점 쪽 이름 (5점 척도)"), validators=[Length(max=60)])

    def spec(self, skips: dict[int, int | None] | None = None) -> dict:
        """The question as the service takes it; `skips` keeps the skip targets of existing options."""
        labels = [line.strip() for line in (self.options.data or "").splitlines() if line.strip()]
        return {"type": self.type.data, "text": self.text.data, "required": self.required.data,
                "options": [{"label": label, "skip_to_section": (skips or {}).get(index)}
                            for index, label in enumerate(labels)],
                "max_choices": self.max_choices.data, "shuffle_options": self.shuffle_options.data,
                "min": self.min.data, "max": self.max.data, "low_label": self.low_label.data,
                "high_label": self.high_label.data}


class FrameForm(FlaskForm):
    file = FileField(_l("인구 자료 CSV (district, age_band, count, source, as_of)"), validators=[FileRequired()])
    is_example = BooleanField(_l("예시 자료 (실제 통계가 아님)"))
