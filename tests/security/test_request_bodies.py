"""Bodies an attacker chooses: nested past any parser's depth, sent under any Content-Type, or streamed in
chunks without a length. Every API operation answers the API's 400/413 error shape, never a 500, and the JSON
size limit holds whether the client declares a length or not."""

import io
import json

import pytest
from werkzeug.test import EnvironBuilder

from participation.api import API_PREFIX
from tests.security.conftest import World, bearer, path_for
from tests.security.test_routes import ROUTES, route_keys, url_values

DEEP = b"[" * 100_000
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
API_WRITES = sorted(key for key in ROUTES if key.split(" ", 1)[0] in BODY_METHODS
                    and key.split(" ", 1)[1].split(".", 1)[0].endswith("_api"))


def assert_error_shape(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.is_json and response.json["error"]["code"] == code
    assert response.json["error"]["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", None, "application/octet-stream"])
def test_deep_nesting_gets_the_400_error_shape(client, content_type):
    """The issue's probe: 100,000 `[` to the token endpoint (the parser reads JSON whatever the Content-Type)."""
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(f"{API_PREFIX}/auth/token", data=DEEP, headers=headers)
    assert_error_shape(response, 400, "bad_request")


@pytest.mark.parametrize("key", API_WRITES)
def test_every_api_write_refuses_a_malformed_body_with_400(app, db_session, redis, key):
    """Every operation, called by a member allowed to use it (staff, or the owner), with a body that is not a
    JSON object: 400 before anything else happens, whether or not the operation reads a body, and nothing
    written. One rule for the whole API: a body that is there is a JSON object."""
    from tests.security.conftest import snapshot

    rule = route_keys(app)[key]
    world = World()
    path = path_for(app, rule.endpoint, **url_values(world, rule, ROUTES[key]))
    headers = {**bearer(world.staff)}
    db_session.commit()
    before = snapshot()
    method = key.split(" ", 1)[0]
    for body, content_type in ((DEEP, "text/plain"), (DEEP, "application/json"), (b"[1, 2]", "text/plain"),
                               (b'"x"', "application/json"), (b"{not json", "text/plain"),
                               (b"\xff\xfe", "application/json")):
        response = app.test_client().open(path, method=method, data=body,
                                          headers={**headers, "Content-Type": content_type})
        assert_error_shape(response, 400, "bad_request")
        db_session.remove()
    assert snapshot() == before


def chunked(client, path: str, stream, headers: dict | None = None):
    """A request whose body has no Content-Length, as gunicorn presents a chunked upload: the server reads the
    chunks and marks the stream as ending by itself (`wsgi.input_terminated`). The test client would compute a
    length from the body, so the environ is built here and handed to the app as a WSGI server would."""
    environ = EnvironBuilder(path=path, method="POST", headers={
        "Content-Type": "application/json", "Transfer-Encoding": "chunked", **(headers or {})}).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input"] = io.BytesIO(stream) if isinstance(stream, bytes) else stream
    environ["wsgi.input_terminated"] = True
    return client.application.response_class.from_app(client.application, environ, buffered=True)


def test_the_json_size_limit_holds_for_chunked_bodies(app, client):
    limit = app.config["JSON_MAX_CONTENT_LENGTH"]
    padded = json.dumps({"email": "a@example.com", "password": "x" * limit}).encode()
    assert_error_shape(chunked(client, f"{API_PREFIX}/auth/token", padded), 413, "payload_too_large")
    assert_error_shape(chunked(client, f"{API_PREFIX}/auth/register", padded), 413, "payload_too_large")
    # A valid object followed by padding past the limit: the part within the limit would parse, but the body
    # as sent is too large.
    trailing = b'{"email": "a@example.com", "password": "x"}' + b" " * limit
    assert_error_shape(chunked(client, f"{API_PREFIX}/auth/token", trailing), 413, "payload_too_large")
    # A chunked body within the limit is read as usual.
    small = json.dumps({"email": "nobody@example.com", "password": "틀린-비밀번호-입니다"}).encode()
    assert_error_shape(chunked(client, f"{API_PREFIX}/auth/token", small), 401, "invalid_credentials")


def test_a_chunked_body_past_the_limit_is_not_read_to_the_end(app, client):
    """A body that never ends gets its 413 once the limit is read."""
    limit = app.config["JSON_MAX_CONTENT_LENGTH"]

    class Endless(io.RawIOBase):
        read_so_far = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            assert self.read_so_far < 4 * limit, "the app kept reading"
            buffer[:] = b" " * len(buffer)
            self.read_so_far += len(buffer)
            return len(buffer)

    response = chunked(client, f"{API_PREFIX}/auth/token", Endless())
    assert_error_shape(response, 413, "payload_too_large")


def test_a_declared_length_past_the_limit_is_refused_before_reading(app, client):
    limit = app.config["JSON_MAX_CONTENT_LENGTH"]
    body = json.dumps({"email": "a@example.com", "password": "x" * limit}).encode()
    assert_error_shape(client.post(f"{API_PREFIX}/auth/token", data=body, content_type="application/json"),
                       413, "payload_too_large")
    exactly = json.dumps({"email": "nobody@example.com", "password": "x"}).encode()
    exactly = exactly[:-1] + b" " * (limit - len(exactly)) + b"}"
    assert len(exactly) == limit  # the limit itself is allowed
    assert_error_shape(client.post(f"{API_PREFIX}/auth/token", data=exactly, content_type="application/json"),
                       401, "invalid_credentials")


def test_a_chunked_body_through_a_real_server(app, live_server):
    """gunicorn, not the test client, de-chunks the body: the limit and the error shape hold there too."""
    import http.client
    from urllib.parse import urlsplit

    limit = app.config["JSON_MAX_CONTENT_LENGTH"]
    address = urlsplit(live_server)
    results = []
    for body in (b"[" * 100_000, b'{"email": "a@example.com", "password": "' + b"x" * limit + b'"}'):
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        chunks = (body[start:start + 8192] for start in range(0, len(body), 8192))
        connection.request("POST", f"{API_PREFIX}/auth/token", body=chunks, encode_chunked=True,
                           headers={"Content-Type": "text/plain", "Transfer-Encoding": "chunked"})
        response = connection.getresponse()
        results.append((response.status, json.loads(response.read())["error"]["code"]))
        connection.close()
    assert results == [(400, "bad_request"), (413, "payload_too_large")]
