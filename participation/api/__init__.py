"""The JSON API under /api/v1, documented by the OpenAPI document that flask-smorest builds from the
code at /api/v1/openapi.json. Channels declare their endpoints with `ApiBlueprint`."""

import json

import flask_smorest
from flask import request
from flask_babel import gettext as _
from webargs import core
from webargs.flaskparser import FlaskParser, abort

API_PREFIX = "/api/v1"


def is_api_request() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


class JsonObjectParser(FlaskParser):
    """Read a JSON body whatever its Content-Type; a body that is not a JSON object is a 400."""

    def _raw_load_json(self, req):
        data = req.get_data(cache=True)
        if not data.strip():
            return core.missing
        try:
            body = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            abort(400, exc=error, message=_("본문이 올바른 JSON이 아닙니다."))
        if not isinstance(body, dict):
            abort(400, message=_("본문은 JSON 객체여야 합니다."))
        return body


class ApiBlueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = JsonObjectParser()
