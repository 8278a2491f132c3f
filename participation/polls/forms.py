"""Web forms of the polls channel. Times are entered in KST (a datetime-local input)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from participation.core.forms import district_choices
from participation.core.seoul import AGE_BAND_LABELS, AGE_BANDS
from participation.core.time import KST
from participation.polls.models import DESCRIPTION_MAX, TITLE_MAX, ResultsVisibility

TIME_FORMAT = "%Y-%m-%dT%H:%M"


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def kst_to_utc(moment):
    """A datetime-local value (no zone, meant as KST) as an aware datetime."""
    return moment.replace(tzinfo=KST) if moment is not None else None


class PollForm(FlaskForm):
    title = StringField(_l("질문 (제목)"), validators=[InputRequired(), Length(max=TITLE_MAX)])
    description = TextAreaField(_l("설명 (선택)"), validators=[Optional(), Length(max=DESCRIPTION_MAX)])
    options = TextAreaField(_l("선택지 (한 줄에 하나씩, 설명은 | 뒤에)"), validators=[InputRequired()])
    max_choices = IntegerField(_l("고를 수 있는 개수 (1이면 하나만 고름)"), default=1,
                               validators=[InputRequired(), NumberRange(min=1, max=100)])
    opens_at = DateTimeLocalField(_l("시작 시각 (선택, 한국 시간)"), format=TIME_FORMAT, validators=[Optional()])
    closes_at = DateTimeLocalField(_l("마감 시각 (한국 시간)"), format=TIME_FORMAT, validators=[InputRequired()])
    tags = StringField(_l("태그 (쉼표로 구분)"), validators=[Optional(), Length(max=400)])
    results_visibility = SelectField(_l("결과 공개"), choices=[
        (ResultsVisibility.live.value, _l("투표 중에도 공개")),
        (ResultsVisibility.after_close.value, _l("마감 후에 공개"))])
    eligible_districts = CheckboxListField(_l("참여할 수 있는 자치구 (고르지 않으면 모두)"),
                                           choices=district_choices)
    eligible_age_bands = CheckboxListField(_l("참여할 수 있는 연령대 (고르지 않으면 모두)"),
                                           choices=[(band, AGE_BAND_LABELS[band]) for band in AGE_BANDS])
    requires_identity = BooleanField(_l("본인인증한 시민만 투표 (자치구·연령대를 정하면 시작할 때 자동으로 "
                                        "본인인증이 필요해집니다)"))

    def service_fields(self) -> dict:
        # "label | description" per line; blank lines are skipped.
        lines = [line.partition("|") for line in (self.options.data or "").splitlines() if line.strip()]
        return {
            "title": self.title.data, "description": self.description.data or "",
            "options": [label for label, _, _ in lines], "option_descriptions": [note for _, _, note in lines],
            "max_choices": self.max_choices.data,
            "opens_at": kst_to_utc(self.opens_at.data), "closes_at": kst_to_utc(self.closes_at.data),
            "tags": [tag for tag in (self.tags.data or "").replace(",", " ").split() if tag],
            "results_visibility": self.results_visibility.data,
            "eligible_districts": self.eligible_districts.data or [],
            "eligible_age_bands": self.eligible_age_bands.data or [],
            "verification": "identity" if self.requires_identity.data else "email",
        }


class TransitionForm(FlaskForm):
    reason = TextAreaField(_l("사유"), validators=[Optional(), Length(max=2000)])


class ExtendForm(FlaskForm):
    closes_at = DateTimeLocalField(_l("새 마감 시각 (한국 시간)"), format=TIME_FORMAT, validators=[InputRequired()])
    reason = TextAreaField(_l("사유"), validators=[InputRequired(), Length(max=2000)])


class OptionImageForm(FlaskForm):
    image = FileField(_l("이미지 (JPEG·PNG·WebP, 5MB까지)"),
                      validators=[FileRequired(_l("이미지 파일을 골라 주세요."))])
