"""The JSON API under /api/v1, documented by the OpenAPI document that flask-smorest builds from the
code at /api/v1/openapi.json. Channels declare their endpoints with `ApiBlueprint`."""

import json

import flask_smorest
from flask import Request, g, request
from flask_babel import gettext as _
from webargs import core
from webargs.flaskparser import FlaskParser, abort
from werkzeug.utils import cached_property

API_PREFIX = "/api/v1"


def is_api_request() -> bool:
    return request.is_api


class ApiAwareRequest(Request):
    """The app's request: whether it is an API request is asked by several hooks each request, answered once."""

    @cached_property
    def is_api(self) -> bool:
        return self.path == API_PREFIX or self.path.startswith(API_PREFIX + "/")


def json_body() -> dict | None:
    """The API request's body: a JSON object, or None when there is none. Read once, whatever the Content-Type
    says (a client that sends JSON as text/plain is still parsed, so nothing can slip past the checks by naming
    another type); anything that is not a JSON object is a 400 in the API's error shape. The request hook in
    wiring.py calls this for every API request before any view or limit reads the body.

    Nesting deeper than the decoder's recursion limit is malformed JSON like any other (100,000 `[` must not be a
    500), and the body was read under the JSON size limit (request.max_content_length), chunked or not."""
    if "api_body" not in g:
        data = request.get_data(cache=True)
        g.api_body = None if not data.strip() else _json_object(data)
    return g.api_body


def _json_object(data: bytes) -> dict:
    try:
        body = json.loads(data)
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        abort(400, exc=error, message=_("본문이 올바른 JSON이 아닙니다."))
    if not isinstance(body, dict):
        abort(400, message=_("본문은 JSON 객체여야 합니다."))
    return body


class JsonObjectParser(FlaskParser):
    """The JSON location of every API schema is `json_body()`."""

    def _raw_load_json(self, req):
        body = json_body()
        return core.missing if body is None else body


class ApiBlueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = JsonObjectParser()
