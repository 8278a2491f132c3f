"""Shared API schemas: the base every schema extends and the error shape."""

import marshmallow as ma
from flask_babel import lazy_gettext as _l


class BaseSchema(ma.Schema):
    class Meta:
        # Unknown fields in a body are ignored (a `status` in a create body too).
        unknown = ma.EXCLUDE


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"example": "invalid"})
    message = ma.fields.String(required=True)
    fields = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()))


class ErrorSchema(ma.Schema):
    """{"error": {"code", "message", "fields"}} — every error of the API has this shape."""

    error = ma.fields.Nested(ErrorBodySchema, required=True)


# marshmallow's own messages, in the request's language (Korean by default).
ma.fields.Field.default_error_messages.update(
    required=_l("필수 항목입니다."), null=_l("비워 둘 수 없습니다."), validator_failed=_l("올바르지 않은 값입니다."))
INVALID_MESSAGES = (
    (ma.fields.String, _l("문자열이어야 합니다.")), (ma.fields.Integer, _l("정수여야 합니다.")),
    (ma.fields.Float, _l("숫자여야 합니다.")), (ma.fields.Boolean, _l("참/거짓 값이어야 합니다.")),
    (ma.fields.List, _l("목록이어야 합니다.")), (ma.fields.DateTime, _l("ISO 8601 시각이어야 합니다.")),
    (ma.fields.Dict, _l("객체여야 합니다.")), (ma.fields.Nested, _l("객체여야 합니다.")),
)
for _field, _message in INVALID_MESSAGES:
    _field.default_error_messages = {**_field.default_error_messages, "invalid": _message}
ma.fields.Integer.default_error_messages["not_an_integer"] = _l("정수여야 합니다.")
ma.fields.Number.default_error_messages["too_large"] = _l("숫자가 너무 큽니다.")
ma.validate.Length.message_min = _l("{min}자 이상이어야 합니다.")
ma.validate.Length.message_max = _l("{max}자 이내여야 합니다.")
ma.validate.Length.message_all = _l("{min}자 이상 {max}자 이내여야 합니다.")
ma.validate.OneOf.default_message = _l("다음 중 하나여야 합니다: {choices}.")


class _RangeMessage:
    """marshmallow's Range fills in its comparison words with `.format(min_op=...)` when it is built
    (at import time); this keeps the translated message lazy until the error is raised."""

    def __init__(self, message):
        self.message = message

    def format(self, **_words):
        return self.message


ma.validate.Range.message_min = _RangeMessage(_l("{min} 이상이어야 합니다."))
ma.validate.Range.message_max = _RangeMessage(_l("{max} 이하여야 합니다."))
ma.validate.Range.message_all = _RangeMessage(_l("{min} 이상 {max} 이하여야 합니다."))
