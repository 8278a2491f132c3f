"""Web forms of proposals. The services check the content; the forms carry CSRF and the fields."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from participation.core import forms as core_forms
from participation.core.seoul import CATEGORIES
from participation.proposals.models import COMMENT_MAX, OUTCOME_LABELS, TEXT_MAX, TITLE_MAX


def category_choices():
    return [("", _l("분야를 고르세요")), *CATEGORIES.items()]


def district_choices():
    return core_forms.district_choices(_l("서울시 전체"))


class ProposalFields:
    # Required fields are checked by the service, which names every problem at once.
    title = StringField(_l("제목"), validators=[Length(max=TITLE_MAX)])
    problem = TextAreaField(_l("현황 및 문제점"), validators=[Optional(), Length(max=TEXT_MAX)])
    body = TextAreaField(_l("제안 내용"), validators=[Length(max=TEXT_MAX)])
    expected_effect = TextAreaField(_l("기대 효과"), validators=[Optional(), Length(max=TEXT_MAX)])
    category = SelectField(_l("분야"), choices=category_choices, validate_choice=False)
    district = SelectField(_l("지역"), choices=district_choices, validate_choice=False)

    def proposal_data(self) -> dict:
        return {name: getattr(self, name).data for name in
                ("title", "problem", "body", "expected_effect", "category", "district")}


class ProposalForm(FlaskForm, ProposalFields):
    images = MultipleFileField(_l("사진 (선택, JPEG·PNG·WebP, 5장까지, 한 장에 5MB·모두 합쳐 10MB까지)"))


class CommitteeEntryForm(FlaskForm, ProposalFields):
    submitted_on = DateField(_l("청소년 참여위원회 접수일"), validators=[InputRequired()])


class CommentForm(FlaskForm):
    body = TextAreaField(_l("댓글"), validators=[Length(max=COMMENT_MAX)])
    parent_id = HiddenField()


class TransitionForm(FlaskForm):
    to = HiddenField(validators=[InputRequired()])
    reason = TextAreaField(_l("사유"), validators=[Optional(), Length(max=2000)])


class MergeForm(FlaskForm):
    target_id = IntegerField(_l("통합할 제안 번호"), validators=[InputRequired()])
    reason = TextAreaField(_l("사유"), validators=[Optional(), Length(max=2000)])


class AnswerForm(FlaskForm):
    outcome = RadioField(_l("검토 결과"), choices=list(OUTCOME_LABELS.items()), validate_choice=False)
    answer_body = TextAreaField(_l("답변과 이유"), validators=[Length(max=TEXT_MAX)])
    follow_up = TextAreaField(_l("후속 조치"), validators=[Optional(), Length(max=TEXT_MAX)])


class InterimAnswerForm(FlaskForm):
    interim_answer = TextAreaField(_l("중간 답변"), validators=[Length(max=TEXT_MAX)])


class MayorAnswerForm(FlaskForm):
    mayor_answer = TextAreaField(_l("서울시장 답변"), validators=[Length(max=TEXT_MAX)])


class ImageRemovalForm(FlaskForm):
    reason = TextAreaField(_l("삭제 사유"), validators=[Optional(), Length(max=2000)])


class DepartmentForm(FlaskForm):
    name = StringField(_l("부서 이름"), validators=[InputRequired(), Length(max=80)])
    is_example = BooleanField(_l("예시 부서 (실제 부서가 아님)"))


class AssignForm(FlaskForm):
    department_id = SelectField(_l("담당 부서"), coerce=int, validate_choice=False)


class ImportUploadForm(FlaskForm):
    file = FileField(_l("국민제안 내보내기 파일 (CSV: UTF-8 또는 CP949, XLSX)"))
