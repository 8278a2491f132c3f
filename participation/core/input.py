"""What every request's input must satisfy before any view reads it.

NUL characters: PostgreSQL text cannot hold them (the insert would fail), and nobody types one. A form
field, query parameter or JSON string with a NUL is refused with 422, naming the field, and nothing runs."""

from flask import request
from flask_babel import lazy_gettext as _l

from participation.api import is_api_request
from participation.core.errors import ValidationError

NUL = "\x00"


def _json_fields_with_nul(value, path: str = "") -> set[str]:
    if isinstance(value, str):
        return {path or "body"} if NUL in value else set()
    if isinstance(value, dict):
        found = {f"{path}.{key}".lstrip(".") for key in value if NUL in str(key)}
        for key, item in value.items():
            found |= _json_fields_with_nul(item, f"{path}.{key}".lstrip("."))
        return found
    if isinstance(value, list):
        return set().union(*(_json_fields_with_nul(item, f"{path}[{index}]") for index, item in enumerate(value)))
    return set()


def refuse_nul_characters() -> None:
    fields = {name for name, value in request.args.items(multi=True) if NUL in name or NUL in value}
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        fields |= {name for name, value in request.form.items(multi=True) if NUL in name or NUL in value}
        fields |= {name for name, upload in request.files.items(multi=True) if NUL in (upload.filename or "")}
        if is_api_request() and request.is_json:
            fields |= _json_fields_with_nul(request.get_json(silent=True))
    if fields:
        message = _l("보이지 않는 제어 문자(NUL)는 입력할 수 없습니다.")
        raise ValidationError({name.replace(NUL, "\\0"): [message] for name in sorted(fields)})
