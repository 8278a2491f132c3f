"""Helpers shared by every channel's web forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from participation.core.errors import ValidationError


class ConfirmForm(FlaskForm):
    """Only the CSRF token: the form behind a button that changes something (sign, vote, log out)."""


class ReasonForm(FlaskForm):
    """A moderator's action that needs a reason (reject, hide)."""

    reason = TextAreaField(_l("사유"), validators=[InputRequired(), Length(max=2000)])


def apply_errors(form, error: ValidationError) -> None:
    """Put a service's field errors on the form's fields (unknown names go to the form as a whole)."""
    for name, messages in error.fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors or []), *messages]
        else:
            form.form_errors.extend(messages)


def require_valid(form) -> None:
    """A button's form that does not validate (a field too long, a reason missing) is refused with a 422
    naming its fields; on a page the message, with the field's label, is flashed on the page it came from
    (main/errors.py)."""
    if not form.validate_on_submit():
        labels = {name: f"{field.label.text}: " for name, field in form._fields.items()}
        raise ValidationError({name or "form": [labels.get(name, "") + message for message in messages]
                               for name, messages in form.errors.items()})
