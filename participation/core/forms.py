"""Helpers shared by every channel's web forms."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from participation.core.errors import ValidationError
from participation.core.reports import REASON_MAX as REPORT_REASON_MAX
from participation.core.reports import REPORT_REASONS
from participation.core.seoul import DISTRICTS, district_label


def district_choices(first: str | None = None) -> list[tuple[str, str]]:
    """The 25 districts as a form's choices, named in the page's language (the value stays the Korean name), after
    a first choice with an empty value when `first` names it. Pass it as a callable: the language is the request's."""
    names = [(name, district_label(name, str(get_locale()))) for name in DISTRICTS]
    return [("", str(first)), *names] if first else names


class ConfirmForm(FlaskForm):
    """Only the CSRF token: the form behind a button that changes something (sign, vote, log out)."""


class ReportForm(FlaskForm):
    """A citizen's report, the same on every page (templates/macros/reports.html): a reason from the list and the
    words "기타" needs. core.reports.file_report checks both (a report without a category is an "other" one)."""

    category = SelectField(_l("신고 사유"), choices=lambda: list(REPORT_REASONS.items()), validate_choice=False,
                           validators=[Optional()])
    reason = TextAreaField(_l("설명"), validators=[Optional(), Length(max=REPORT_REASON_MAX)])


class ReasonForm(FlaskForm):
    """A moderator's action that needs a reason (reject, hide)."""

    reason = TextAreaField(_l("사유"), validators=[InputRequired(), Length(max=2000)])


# Why a moderator rejects or hides: the category is what the public moderation log shows (core/moderation_log.py);
# the explanation goes to the author. "기타" needs an explanation.
MODERATION_REASONS = {
    "duplicate": _l("같은 내용이 이미 있습니다"),
    "not_city": _l("서울시 소관 사무가 아닙니다"),
    "personal_data": _l("개인정보나 명예를 침해하는 내용이 있습니다"),
    "abusive": _l("욕설·비방·혐오 표현이 있습니다"),
    "advertising": _l("광고·홍보 목적입니다"),
    "unclear": _l("요구 사항이 분명하지 않습니다"),
    "off_topic": _l("주제와 관계없는 내용입니다"),
    "other": _l("기타"),
}


class ModerationReasonForm(FlaskForm):
    """Reject or hide, on every queue: a reason category, an explanation for the author (required for "기타"),
    and a box the moderator ticks to confirm (the confirmation works without JavaScript)."""

    reason_code = SelectField(_l("사유"), choices=lambda: list(MODERATION_REASONS.items()),
                              validators=[InputRequired()])
    reason = TextAreaField(_l("작성자에게 전할 설명"), validators=[Optional(), Length(max=2000)])
    confirmed = BooleanField(_l("확인했습니다"), validators=[DataRequired(_l("확인란에 표시해 주세요."))])


def moderation_reason(reasons: dict | None = None) -> tuple[str, str]:
    """The posted reject or hide form's (reason text, category); 422 naming the fields when it is not complete.
    `reasons`: the channel's labels for the categories (their keys are MODERATION_REASONS' keys)."""
    reasons = reasons or MODERATION_REASONS
    form = ModerationReasonForm()
    form.reason_code.choices = list(reasons.items())
    require_valid(form)
    explanation = (form.reason.data or "").strip()
    if form.reason_code.data == "other" and not explanation:
        raise ValidationError({"reason": _l("'기타'를 고르면 설명을 적어 주세요.")})
    label = str(reasons[form.reason_code.data])
    return (f"{label}: {explanation}" if explanation else label), form.reason_code.data


def apply_errors(form, error: ValidationError) -> None:
    """Put a service's field errors on the form's fields (unknown names go to the form as a whole)."""
    for name, messages in error.fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors or []), *messages]
        else:
            form.form_errors.extend(messages)


def form_status(form, refused: int = 422) -> int:
    """The status of a page that shows a form: 200 before anything is posted, 422 when what was posted does not
    validate (the page shows why, next to the fields), `refused` when the form as a whole was refused."""
    if form.form_errors:
        return refused
    return 422 if form.errors else 200


def require_valid(form) -> None:
    """A button's form that does not validate (a field too long, a reason missing) is refused with a 422
    naming its fields; on a page the message, with the field's label, is flashed on the page it came from
    (main/errors.py)."""
    if not form.validate_on_submit():
        labels = {name: f"{field.label.text}: " for name, field in form._fields.items()}
        raise ValidationError({name or "form": [labels.get(name, "") + message for message in messages]
                               for name, messages in form.errors.items()})
