"""The route table: every route of the app, with what each role gets.

A test walks `app.url_map`; a route (method + endpoint) without a line in ROUTES fails it, so a new
route cannot ship without someone deciding who may use it. Each line is then exercised with six
callers: anonymous, the citizen who owns the items in the URL, another citizen, a moderator, a staff
member and an admin. Web callers are logged in with a session and send a valid CSRF token on POST;
API callers send a bearer token. Each request runs in a savepoint that is rolled back, so one role's
action never changes what the next one sees.

Outcomes (several allowed: "ok|409"):
  ok      2xx
  go      let through: 2xx, a redirect that is not to the login page, or 409/422 (the item's rules
          or the empty form refused it, not the caller's rights)
  login   401, or a redirect to the login page
  no      403
  hidden  404 (someone else's draft: its existence is not revealed)
  <nnn>   exactly that status

To add a route: one line, `"METHOD blueprint.endpoint": r("anon citizen other moderator staff admin",
url_value=...)`. A URL value may be a function of the World (tests/security/conftest.py), which makes
the items — e.g. `petition_id=lambda w: w.petition("open").id`. `body=` gives form fields (web) or
the JSON body (API) of POST/PUT/PATCH/DELETE requests.
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from participation.api import API_PREFIX
from tests.security.conftest import ROLES, World, bearer, form_token, path_for, web_client


@dataclass
class Expect:
    outcomes: list[str]
    values: dict = field(default_factory=dict)
    body: dict | None = None


def r(outcomes: str, body: dict | None = None, **values) -> Expect:
    expect = Expect(outcomes.split(), values, body)
    assert len(expect.outcomes) == len(ROLES), outcomes
    return expect


PUBLIC = "ok     ok     ok     ok     ok     ok"
MEMBERS = "login  ok     ok     ok     ok     ok"
MEMBERS_GO = "login  go     go     go     go     go"
EVERYONE_GO = "go     go     go     go     go     go"
MODERATORS = "login  no     no     ok     no     ok"
STAFF = "login  no     no     no     ok     ok"
ADMINS = "login  no     no     no     no     ok"
ADMINS_GO = "login  no     no     no     no     go"
API_PUBLIC = PUBLIC
API_MEMBERS = "login  ok     ok     ok     ok     ok"

ROUTES: dict[str, Expect] = {
    # ── foundation: pages ────────────────────────────────────────────────────────────────
    "GET main.home":                        r(PUBLIC),
    "GET main.health":                      r(PUBLIC),
    "GET main.set_language":                r("303 303 303 303 303 303", code="en"),
    "GET main.outbox":                      r(PUBLIC),  # development only (404 in production)
    "GET static":                           r(PUBLIC, filename="css/site.css"),
    "GET accounts.register":                r(PUBLIC),
    "POST accounts.register":               r(EVERYONE_GO),
    "GET accounts.verify_email":            r("400 400 400 400 400 400", token="not-a-token"),
    "POST accounts.resend_verification":    r(MEMBERS_GO),
    "GET accounts.login":                   r(PUBLIC),
    "POST accounts.login":                  r(EVERYONE_GO),
    "POST accounts.logout":                 r(EVERYONE_GO),
    "GET accounts.request_reset":           r(PUBLIC),
    "POST accounts.request_reset":          r(EVERYONE_GO),
    "GET accounts.reset_password":          r(PUBLIC, token="not-a-token"),
    "POST accounts.reset_password":         r(EVERYONE_GO, token="not-a-token"),
    "GET accounts.profile":                 r(MEMBERS),
    "POST accounts.profile":                r(MEMBERS_GO),
    "POST accounts.change_password":        r(MEMBERS_GO),
    "POST accounts.delete_account":         r(MEMBERS_GO),
    "GET accounts.notifications_page":      r(MEMBERS),
    "POST accounts.read_notifications":     r(MEMBERS_GO),
    "GET moderation.index":                 r(MODERATORS),
    "GET staff.index":                      r(STAFF),
    "GET admin.users":                      r(ADMINS),
    "POST admin.toggle_role":               r(ADMINS_GO, body={"grant": "1"}, user_id=lambda w: w.other.id,
                                              role="moderator"),
    "GET admin.settings_page":              r(ADMINS),
    "POST admin.change_setting":            r(ADMINS_GO, body={"value": "0"}, name="PAUSE_PARTICIPATION"),
    # ── foundation: API ──────────────────────────────────────────────────────────────────
    "GET api-docs.openapi_json":            r(API_PUBLIC),
    "POST accounts_api.register":           r("422 422 422 422 422 422"),
    "POST accounts_api.issue_token":        r("422 422 422 422 422 422"),
    "DELETE accounts_api.revoke_token":     r("login  204    204    204    204    204"),
    "GET accounts_api.me":                  r(API_MEMBERS),
    "GET accounts_api.categories":          r(API_PUBLIC),
    "GET accounts_api.districts":           r(API_PUBLIC),
    # ── petitions ────────────────────────────────────────────────────────────────────────
    "GET petitions.index":                  r(PUBLIC),
    # ── proposals ────────────────────────────────────────────────────────────────────────
    "GET proposals.index":                  r(PUBLIC),
    # ── polls ────────────────────────────────────────────────────────────────────────────
    "GET polls.index":                      r(PUBLIC),
    # ── forums ───────────────────────────────────────────────────────────────────────────
    "GET forums.index":                     r(PUBLIC),
    # ── surveys ──────────────────────────────────────────────────────────────────────────
    "GET surveys.index":                    r(PUBLIC),
    # ── indicators ───────────────────────────────────────────────────────────────────────
    "GET indicators.index":                 r(PUBLIC),
}

CHECKED_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def route_keys(app) -> dict[str, object]:
    """"METHOD endpoint" -> its rule, for every rule of the app."""
    keys = {}
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & CHECKED_METHODS):
            keys.setdefault(f"{method} {rule.endpoint}", rule)
    return keys


def test_every_route_has_a_line_in_the_table(app):
    keys = route_keys(app)
    missing = sorted(set(keys) - set(ROUTES))
    assert missing == [], "routes without a line in tests/security/test_routes.py::ROUTES:\n" + "\n".join(
        f'    "{key}": r(...),  # {keys[key].rule}' for key in missing)


def test_every_line_of_the_table_is_a_route(app):
    assert sorted(set(ROUTES) - set(route_keys(app))) == []


def matches(outcome: str, response) -> bool:
    status = response.status_code
    to_login = 300 <= status < 400 and urlsplit(response.headers.get("Location", "")).path == "/login"
    for token in outcome.split("|"):
        if token == "ok" and 200 <= status < 300:
            return True
        if token == "go" and (200 <= status < 300 or (300 <= status < 400 and not to_login) or status in (409, 422)):
            return True
        if token == "login" and (status == 401 or to_login):
            return True
        if (token, status) in {("no", 403), ("hidden", 404)}:
            return True
        if token.isdigit() and status == int(token):
            return True
    return False


def call(app, key: str, path: str, user_id: int | None, token_headers: dict, body: dict | None):
    method = key.split(" ", 1)[0]
    if path.startswith(API_PREFIX + "/"):
        client = app.test_client()
        json_body = body if body is not None else ({} if method in {"POST", "PUT", "PATCH"} else None)
        return client.open(path, method=method, json=json_body, headers=token_headers)
    client = web_client(app, user_id)
    if method == "GET":
        return client.get(path)
    data = {"csrf_token": form_token(client), **(body or {})}
    return client.open(path, method=method, data=data)


@pytest.mark.parametrize("key", sorted(ROUTES))
def test_route_answers_each_role_as_the_table_says(app, db_session, redis, key):
    rule = route_keys(app).get(key)
    if rule is None:
        pytest.fail(f"{key} is in the table but not a route (renamed or removed?)")
    expect = ROUTES[key]
    world = World()
    values = {name: value(world) if callable(value) else value for name, value in expect.values.items()}
    user_ids = {role: getattr(world.user(role), "id", None) for role in ROLES}
    tokens = {role: bearer(world.user(role)) for role in ROLES}
    path = path_for(app, rule.endpoint, **values)
    db_session.commit()

    connection = db_session.get_bind()
    seen = {}
    for role in ROLES:
        savepoint = connection.begin_nested()
        try:
            response = call(app, key, path, user_ids[role], tokens[role], expect.body)
        finally:
            db_session.remove()
            savepoint.rollback()
        seen[role] = response
        if path.startswith(API_PREFIX):
            assert "Set-Cookie" not in response.headers, f"{key} as {role} set a cookie"
        assert response.headers.get("X-Content-Type-Options") == "nosniff"
    wrong = {role: f"{seen[role].status_code} {seen[role].headers.get('Location', '')}".strip()
             for role, outcome in zip(ROLES, expect.outcomes, strict=True) if not matches(outcome, seen[role])}
    assert wrong == {}, f"{key} {path}: expected {dict(zip(ROLES, expect.outcomes, strict=True))}"
