"""No form post, however malformed, gets a 500. Every browser POST route of the route table is sent, by the
owner citizen and by an admin (the callers most rules let through), with a valid CSRF token and bodies in
which every field any form of the app declares carries hostile values: NUL bytes, 20,001 characters,
numbers too large for any column, impossible dates, repeated fields, markup and a file where text is
expected. Every page is also read with hostile query parameters. The schemathesis test does the same for
the API from its OpenAPI document."""

import io
from collections import Counter

import pytest
from werkzeug.datastructures import MultiDict

from participation.api import API_PREFIX
from tests.security.conftest import World, form_token, path_for, web_client
from tests.security.test_routes import ROUTES, route_keys, url_values


def form_field_names() -> set[str]:
    """Every field name of every FlaskForm in the app."""
    from flask_wtf import FlaskForm

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    names = set()
    for form in subclasses(FlaskForm):
        names.update(name for name, value in vars(form).items() if hasattr(value, "field_class"))
    return names - {"csrf_token"}


HOSTILE = {
    "control characters and markup": "\x00\x01\x1b[31m<script>alert('청원')</script>{{7*7}}%s%n\x7f",
    "over the longest text any field takes": "가" * 20_001,
    "numbers out of range": "99999999999999999999999999",
    "impossible date": "2026-02-30T25:61:00+09:00",
}


def bodies(names: set[str]):
    for label, value in HOSTILE.items():
        yield label, MultiDict([(name, value) for name in sorted(names)])
    repeated = MultiDict()
    for name in sorted(names):
        repeated.add(name, "-1")
        repeated.add(name, "서울")
    yield "every field twice", repeated


def status_in_savepoint(connection, db_session, send, *args, **kwargs) -> int | str:
    """The status of `send(*args, **kwargs)`, run in a savepoint that is rolled back. An exception (TESTING
    propagates what would be a 500) comes back as its name, so that every failure is collected."""
    savepoint = connection.begin_nested()
    try:
        response = send(*args, **kwargs)
        response.get_data()
        response.close()
        return response.status_code
    except Exception as error:
        return f"{error.__class__.__name__}: {str(error)[:80]}"
    finally:
        db_session.remove()
        savepoint.rollback()


# Answers by design: these tests configure no identity provider, and the page says verification is unavailable
# (tests/identity/test_verification.py).
DELIBERATE = {"POST identity.start": 503}


def web_post_routes(app) -> list[str]:
    return sorted(key for key, rule in route_keys(app).items()
                  if key.startswith("POST ") and not rule.rule.startswith(API_PREFIX))


def test_the_walk_covers_the_browser_post_routes(app):
    assert len(web_post_routes(app)) >= 50


@pytest.mark.parametrize("role", ["citizen", "admin"])
def test_no_browser_form_post_gets_a_500(app, db_session, redis, role):
    names = form_field_names()
    world = World()
    targets = []
    for key in web_post_routes(app):
        rule = route_keys(app)[key]
        targets.append((key, path_for(app, rule.endpoint, **url_values(world, rule, ROUTES[key]))))
    user_id = world.user(role).id
    db_session.commit()

    connection = db_session.get_bind()
    savepoint = connection.begin_nested()
    try:  # one CSRF token for the run: each request's fresh client carries the secret it was signed from
        first = web_client(app, user_id)
        token = form_token(first)
        with first.session_transaction() as session:
            csrf_secret = session["csrf_token"]
    finally:
        db_session.remove()
        savepoint.rollback()

    failures, statuses = [], Counter()
    for label, body in bodies(names):
        for key, path in targets:
            data = body.copy()
            data["csrf_token"] = token
            for upload in ("images", "image", "file", "attachment"):
                data.add(upload, (io.BytesIO(b"<?php system($_GET['c']); ?>"), "사진.php"))
            client = web_client(app, user_id)
            with client.session_transaction() as session:
                session["csrf_token"] = csrf_secret
            status = status_in_savepoint(connection, db_session, client.post, path, data=data,
                                         content_type="multipart/form-data")
            statuses[status] += 1
            if not isinstance(status, int) or (status >= 500 and DELIBERATE.get(key) != status):
                failures.append(f"{key} {path} [{label}]: {status}")
    assert failures == []
    # The walk got past the CSRF check and the size limit: the bodies reached the forms.
    assert statuses[400] == statuses[413] == 0, statuses


QUERY_NAMES = ["page", "per_page", "q", "sort", "state", "status", "category", "district", "source", "tag",
               "kind", "year", "question", "receipt", "title", "next", "after", "v"]
QUERY_VALUES = ["99999999999999999999999", "-1e309<script>alert('서울')</script>" + "가" * 2_000]


@pytest.mark.slow
def test_no_page_gets_a_500_from_hostile_query_parameters(app, db_session, redis):
    world = World()
    targets = []
    for key, rule in sorted(route_keys(app).items()):
        if key.startswith("GET ") and not rule.rule.startswith(API_PREFIX) and key != "GET static":
            targets.append((key, path_for(app, rule.endpoint, **url_values(world, rule, ROUTES[key]))))
    admin_id = world.admin.id
    db_session.commit()

    connection = db_session.get_bind()
    failures, statuses = [], Counter()
    for value in QUERY_VALUES:
        for key, path in targets:
            client = web_client(app, admin_id)
            status = status_in_savepoint(connection, db_session, client.get, path,
                                         query_string={name: value for name in QUERY_NAMES})
            statuses[status] += 1
            if not isinstance(status, int) or (status >= 500 and DELIBERATE.get(key) != status):
                failures.append(f"{key} {path} [{value[:30]}]: {status}")
    assert failures == []
    assert statuses[200] > len(targets), statuses  # most pages answered with their content
