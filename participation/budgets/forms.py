"""Web forms of the budgeting channel. Times are entered in KST (a datetime-local input), amounts in 원."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from participation.budgets.models import (
    AMOUNT_MAX,
    DESCRIPTION_MAX,
    NOTES_MAX,
    PLACE_MAX,
    TITLE_MAX,
    BallotKind,
    Implementation,
    Rule,
)
from participation.core.forms import district_choices
from participation.core.seoul import AGE_BAND_LABELS, AGE_BANDS, CATEGORIES
from participation.polls.forms import TIME_FORMAT, CheckboxListField, kst_to_utc

BALLOT_LABELS = {BallotKind.knapsack: _l("예산 안에서 원하는 만큼 (배낭 투표)"),
                 BallotKind.approval: _l("정해진 개수까지 고르기")}
RULE_LABELS = {Rule.greedy: _l("득표순 (예산이 닿는 데까지)"),
               Rule.equal_shares: _l("균등 배분 방식 (Method of Equal Shares)")}
IMPLEMENTATION_CHOICES = [(Implementation.planned.value, _l("계획")), (Implementation.in_progress.value, _l("추진 중")),
                          (Implementation.done.value, _l("완료"))]


class ProcessForm(FlaskForm):
    title = StringField(_l("사업 이름"), validators=[InputRequired(), Length(max=TITLE_MAX)])
    description = TextAreaField(_l("설명"), validators=[Optional(), Length(max=DESCRIPTION_MAX)])
    budget = IntegerField(_l("총 예산 (원)"), validators=[InputRequired(), NumberRange(min=1, max=AMOUNT_MAX)])
    district = SelectField(_l("대상 지역"), choices=lambda: district_choices(_l("서울시 전체")))
    categories = CheckboxListField(_l("사업 분야 (고르지 않으면 모든 분야)"),
                                   choices=[(code, label) for code, label in CATEGORIES.items()])
    ballot = SelectField(_l("투표 방식"), choices=[(kind.value, label) for kind, label in BALLOT_LABELS.items()])
    max_projects = IntegerField(_l("고를 수 있는 사업 수 (정해진 개수 방식일 때)"),
                                validators=[Optional(), NumberRange(min=1, max=100)])
    rule = SelectField(_l("선정 방식"), choices=[(rule.value, label) for rule, label in RULE_LABELS.items()])
    eligible_age_bands = CheckboxListField(_l("투표할 수 있는 연령대 (고르지 않으면 모두)"),
                                           choices=[(band, AGE_BAND_LABELS[band]) for band in AGE_BANDS])
    proposing_closes_at = DateTimeLocalField(_l("제안 마감 (한국 시간)"), format=TIME_FORMAT, validators=[Optional()])
    voting_opens_at = DateTimeLocalField(_l("투표 시작 (한국 시간)"), format=TIME_FORMAT, validators=[Optional()])
    voting_closes_at = DateTimeLocalField(_l("투표 마감 (한국 시간)"), format=TIME_FORMAT, validators=[Optional()])
    requires_identity = BooleanField(_l("본인인증한 시민만 공감·투표"))

    def service_fields(self) -> dict:
        return {"title": self.title.data, "description": self.description.data or "", "budget": self.budget.data,
                "district": self.district.data or None, "categories": self.categories.data or [],
                "ballot": self.ballot.data, "max_projects": self.max_projects.data, "rule": self.rule.data,
                "eligible_age_bands": self.eligible_age_bands.data or [],
                "proposing_closes_at": kst_to_utc(self.proposing_closes_at.data),
                "voting_opens_at": kst_to_utc(self.voting_opens_at.data),
                "voting_closes_at": kst_to_utc(self.voting_closes_at.data),
                "verification": "identity" if self.requires_identity.data else "email"}


class ProjectForm(FlaskForm):
    title = StringField(_l("사업 제목"), validators=[InputRequired(), Length(max=TITLE_MAX)])
    description = TextAreaField(_l("내용 (무엇을, 왜, 누구를 위해)"),
                                validators=[Optional(), Length(max=DESCRIPTION_MAX)])
    cost = IntegerField(_l("예상 비용 (원)"), validators=[InputRequired(), NumberRange(min=1, max=AMOUNT_MAX)])
    category = SelectField(_l("분야"), choices=[])
    district = SelectField(_l("자치구"), choices=lambda: district_choices(_l("서울시 전체")))
    place = StringField(_l("장소 (선택)"), validators=[Optional(), Length(max=PLACE_MAX)])
    images = MultipleFileField(_l("사진 (선택, JPEG·PNG·WebP, 5장까지, 한 장에 5MB·모두 합쳐 10MB까지)"))

    def service_fields(self) -> dict:
        return {"title": self.title.data, "description": self.description.data or "", "cost": self.cost.data,
                "category": self.category.data or None, "district": self.district.data or None,
                "place": self.place.data or ""}


class ImageRemovalForm(FlaskForm):
    reason = TextAreaField(_l("삭제 사유"), validators=[Optional(), Length(max=2000)])


class AssessmentForm(FlaskForm):
    feasible = RadioField(_l("검토 결과"), choices=[("yes", _l("실행 가능")), ("no", _l("실행 불가"))],
                          validators=[InputRequired()])
    cost = IntegerField(_l("조정한 비용 (원, 비우면 제안 금액)"),
                        validators=[Optional(), NumberRange(min=1, max=AMOUNT_MAX)])
    notes = TextAreaField(_l("검토 의견 (실행 불가이면 그 이유, 공개됨)"),
                          validators=[Optional(), Length(max=NOTES_MAX)])


class MergeForm(FlaskForm):
    into = SelectField(_l("합칠 대상 제안"), coerce=int, choices=[])
    reason = TextAreaField(_l("사유"), validators=[InputRequired(), Length(max=2000)])


class ImplementationForm(FlaskForm):
    status = SelectField(_l("추진 단계"), choices=IMPLEMENTATION_CHOICES)
    percent = IntegerField(_l("진행률 (%)"), validators=[InputRequired(), NumberRange(min=0, max=100)])
    note = TextAreaField(_l("추진 내용"), validators=[Optional(), Length(max=NOTES_MAX)])


class TransitionForm(FlaskForm):
    reason = TextAreaField(_l("사유"), validators=[Optional(), Length(max=2000)])
