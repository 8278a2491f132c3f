"""What every request's input must satisfy before any view reads it.

NUL characters: PostgreSQL text cannot hold them (the insert would fail), and nobody types one. A form
field, query parameter or JSON string with a NUL is refused with 422, naming the field, and nothing runs."""

from flask import request
from flask_babel import lazy_gettext as _l

from participation.api import is_api_request, json_body
from participation.core.errors import ValidationError

NUL = "\x00"
NUL_MESSAGE = _l("보이지 않는 제어 문자(NUL)는 입력할 수 없습니다.")


def _json_fields_with_nul(body) -> set[str]:
    """The paths of the JSON strings and keys that hold a NUL. Walked with a list rather than by recursion:
    the nesting depth is the sender's choice, and a body nested a thousand deep must not end in a 500."""
    found, pending = set(), [(body, "")]
    while pending:
        value, path = pending.pop()
        if isinstance(value, str):
            if NUL in value:
                found.add(path or "body")
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{key}".lstrip(".")
                if NUL in str(key):
                    found.add(name)
                pending.append((item, name))
        elif isinstance(value, list):
            pending.extend((item, f"{path}[{index}]") for index, item in enumerate(value))
    return found


def refuse_nul_characters() -> None:
    fields = {name for name, value in request.args.items(multi=True) if NUL in name or NUL in value}
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if is_api_request():  # the API takes JSON only, whatever the Content-Type says
            fields |= _json_fields_with_nul(json_body())
        else:
            fields |= {name for name, value in request.form.items(multi=True) if NUL in name or NUL in value}
            fields |= {name for name, upload in request.files.items(multi=True) if NUL in (upload.filename or "")}
    if fields:
        raise ValidationError({name.replace(NUL, "\\0"): [NUL_MESSAGE] for name in sorted(fields)})


def refuse_nul_in_file(text: str, field: str) -> None:
    """The request check above sees an upload's name, not its contents: code that stores text read from an
    uploaded file calls this on it."""
    if NUL in text:
        raise ValidationError({field: [NUL_MESSAGE]})
