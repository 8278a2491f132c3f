"""Schemathesis against /api/v1/openapi.json, loaded from the Flask app itself: every operation, called
with a staff member's bearer token, never answers 5xx; with valid input it answers a documented
status with a body that matches the schema; with invalid input it still never answers 5xx. Every generated body
is sent again as text/plain and as a chunked stream, and so is a body that is not JSON (to every operation, those
without a body too): never a 5xx either.

Bounded (EXAMPLES per operation and mode, no deadline): a few minutes on a loaded machine. Every
failing operation is listed with its error and a curl command that reproduces it.

(schemathesis' own pytest integration, `schemathesis.pytest.from_fixture`, does not run on pytest 9,
so the operations are driven here with Hypothesis directly.)"""

import io
import json
from urllib.parse import urlencode

import hypothesis
import pytest
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.openapi import from_wsgi
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance
from werkzeug.test import EnvironBuilder

from tests import factories
from tests.security.conftest import World, bearer

EXAMPLES = 10
# The other ways of sending a body test the request parsing, which the first few cases of an operation reach as well
# as all ten: this keeps the run about half as long.
OTHER_BODY_EXAMPLES = 3
VALID_CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
INVALID_CHECKS = [not_a_server_error]


# Bodies that are not JSON, sent to every operation with its first generated case: deep nesting, Korean text, bytes
# that are not UTF-8, an empty body.
NOT_JSON = (b"[" * 100_000, "청원에 동의합니다".encode(), b"\xff\xfe\x00{", b"")


def as_other_bodies(app, case, headers: dict, number: int) -> list[tuple[str, int]]:
    """The case's body sent again as text/plain and as a chunked stream (no Content-Length, as gunicorn hands a
    chunked upload to the app) for the first OTHER_BODY_EXAMPLES cases, and with the first case (`number` 1)
    NOT_JSON the same two ways, whether or not the operation takes a body: the API reads JSON whatever the
    Content-Type, so none may reach a 5xx."""
    bodies = list(NOT_JSON) if number == 1 else []
    if number <= OTHER_BODY_EXAMPLES and case.body is not NOT_SET and isinstance(
            case.body, dict | list | str | int | float | bool | None):
        bodies.insert(0, json.dumps(case.body, ensure_ascii=False).encode())
    path = case.formatted_path + ("?" + urlencode(case.query or {}, doseq=True) if case.query else "")
    answers = []
    for raw in bodies:
        for kind in ("text/plain", "chunked"):
            environ = EnvironBuilder(path=path, method=case.method.upper(), headers={
                **headers, "Content-Type": "text/plain" if kind == "text/plain" else "application/json"}).get_environ()
            environ["wsgi.input"] = io.BytesIO(raw)
            if kind == "chunked":
                environ.pop("CONTENT_LENGTH", None)
                environ["HTTP_TRANSFER_ENCODING"] = "chunked"
                environ["wsgi.input_terminated"] = True
            else:
                environ["CONTENT_LENGTH"] = str(len(raw))
            response = app.response_class.from_app(app, environ, buffered=True)
            answers.append((f"{kind} {raw[:20]!r}", response.status_code))
    return answers


def run_operation(app, operation, mode: GenerationMode, headers: dict, checks: list) -> None:
    sent = []
    @given(operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[hypothesis.Phase.explicit,
                                                              hypothesis.Phase.generate])
    def check(case):
        case.call_and_validate(headers=headers, checks=checks)
        sent.append(case)
        for kind, status in as_other_bodies(app, case, headers, len(sent)):
            assert status < 500, f"{kind} body answered {status}: {case.as_curl_command()}"

    check()


@pytest.mark.slow
def test_every_api_operation_survives_generated_requests(app, db_session, redis):
    world = World()  # people and one item of each kind, so that ids 1, 2 … exist and not only 404s
    for make in (world.petition, world.proposal, world.proposal_comment, world.poll, world.forum,
                 world.forum_comment, world.forum_statement, world.survey, lambda: world.budget("tallied"),
                 world.indicator):
        make()
    headers = bearer(factories.staff(display_name="담당공무원"))
    db_session.commit()
    schema = from_wsgi("/api/v1/openapi.json", app)
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode, checks in ((GenerationMode.POSITIVE, VALID_CHECKS), (GenerationMode.NEGATIVE, INVALID_CHECKS)):
            try:
                run_operation(app, operation, mode, headers, checks)
            except hypothesis.errors.Unsatisfiable:
                pass  # nothing to make invalid (no parameters, no body)
            except Exception as error:  # every operation's problem, not only the first
                notes = "\n".join(getattr(error, "__notes__", []))
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): "
                                f"{str(error)[:1500]}\n{notes[:800]}")
            finally:
                db_session.rollback()
    print(f"{operations} operations")
    assert operations >= 6
    assert failures == [], "\n\n".join(failures)
