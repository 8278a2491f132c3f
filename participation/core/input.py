"""What input must satisfy: every request's, before any view reads it, and every text field's, in the services.

NUL characters: PostgreSQL text cannot hold them (the insert would fail), and nobody types one. A form
field, query parameter or JSON string with a NUL is refused with 422, naming the field, and nothing runs.

Text fields: `clean_text` is the one check of a field's text (stripped; required or not; at most so many
characters), for pages and the API alike."""

from collections.abc import Iterable
from datetime import datetime

from flask import request
from flask_babel import lazy_gettext as _l

from participation.api import is_api_request, json_body
from participation.core.errors import ValidationError

NUL = "\x00"
NUL_MESSAGE = _l("보이지 않는 제어 문자(NUL)는 입력할 수 없습니다.")
NOT_TEXT = _l("문자열이어야 합니다.")
MISSING = _l("내용을 입력해 주세요.")


def clean_text(value, name: str, max_length: int, *, required: bool = True, errors: dict | None = None,
               missing=None) -> str:
    """The field's text, stripped ("" when it is absent or not text).

    Its problem — not text, empty when `required` (the message `missing`, or a general one), or longer than
    `max_length` characters — is named after the field: put into `errors` when given, so that one
    ValidationError names every bad field of a form, else raised at once as a ValidationError."""
    problem, text = None, ""
    if value is not None and not isinstance(value, str):
        problem = NOT_TEXT
    else:
        text = (value or "").strip()
        if required and not text:
            problem = missing or MISSING
        elif len(text) > max_length:
            problem = _l("%(max)s자 이내로 적어 주세요.", max=f"{max_length:,}")
    if problem is not None:
        if errors is None:
            raise ValidationError({name: problem})
        errors.setdefault(name, problem)
    return text


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


def clean_choices(values, name: str, allowed: Iterable, *, errors: dict, message) -> list:
    """A list of values each one of `allowed` (districts, age bands, categories), returned in `allowed`'s order;
    anything else is the problem `message`, named after the field, and an empty list."""
    allowed = list(allowed)
    try:
        valid = isinstance(values, list | tuple) and set(values) <= set(allowed)
    except TypeError:  # an unhashable item: not one of them either
        valid = False
    if not valid:
        errors.setdefault(name, message)
        return []
    return [value for value in allowed if value in values]


def clean_moment(value, name: str, *, errors: dict) -> datetime | None:
    """None, or a datetime with its time zone; anything else is a problem named after the field (and None)."""
    if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
        errors.setdefault(name, _l("시간대가 있는 ISO 8601 시각이어야 합니다."))
        return None
    return value


def refuse_nul_characters() -> None:
    fields = set()
    if request.query_string:  # most requests have none: no arguments to parse
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
