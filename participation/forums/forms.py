from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from participation.forums.models import (
    COMMENT_MAX,
    DEFAULT_DISCUSSION_DAYS,
    DEPARTMENTS_MAX,
    MAX_DISCUSSION_DAYS,
    STATEMENT_MAX,
    TEXT_MAX,
    TITLE_MAX,
)

STANCE_LABELS = {"pro": _l("찬성"), "con": _l("반대"), "other": _l("기타")}
REACTION_LABELS = {"agree": _l("동의"), "disagree": _l("비동의"), "pass": _l("잘 모르겠음·넘어가기")}


class ForumForm(FlaskForm):
    title = StringField(_l("질문(제목)"), validators=[InputRequired(), Length(max=TITLE_MAX)])
    background = TextAreaField(_l("배경 설명"), validators=[InputRequired(), Length(max=TEXT_MAX)])
    key_facts = TextAreaField(_l("핵심 사실"), validators=[Optional(), Length(max=TEXT_MAX)])
    links = TextAreaField(_l("관련 자료 링크"), validators=[Optional(), Length(max=TEXT_MAX)])
    departments = StringField(_l("관련 부서"), validators=[Optional(), Length(max=DEPARTMENTS_MAX)])
    discussion_days = IntegerField(_l("토론 기간(일)"), default=DEFAULT_DISCUSSION_DAYS,
                                   validators=[InputRequired(), NumberRange(min=1, max=MAX_DISCUSSION_DAYS)])
    requires_identity = BooleanField(_l("본인인증한 시민만 참여"))


class CommentForm(FlaskForm):
    stance = RadioField(_l("입장"), choices=list(STANCE_LABELS.items()), validators=[InputRequired()])
    body = TextAreaField(_l("의견"), validators=[InputRequired(), Length(max=COMMENT_MAX)])
    parent_id = HiddenField()


class StatementForm(FlaskForm):
    text = StringField(_l("짧은 의견 문장 (140자 이내)"), validators=[InputRequired(), Length(max=STATEMENT_MAX)])


class TransitionForm(FlaskForm):
    to = HiddenField(validators=[InputRequired()])
    reason = TextAreaField(_l("사유 (선택)"), validators=[Optional(), Length(max=2000)])


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("서울시 공식 답변"), validators=[InputRequired(), Length(max=TEXT_MAX)])


class ClosingPollForm(FlaskForm):
    options = TextAreaField(_l("투표 선택지 (한 줄에 하나)"), validators=[InputRequired(), Length(max=20_000)])


class AttachmentForm(FlaskForm):
    file = FileField(_l("첨부 문서"), validators=[FileRequired(_l("올릴 파일을 골라 주세요."))])
