"""Forms need CSRF, the API sets no cookies, the security headers are on every response, and text a
user typed comes out escaped."""

from html.parser import HTMLParser

import pytest

from participation.api import API_PREFIX
from participation.core.text import render_markdown
from tests import factories
from tests.security.conftest import World, bearer, path_for, snapshot, web_client
from tests.security.test_routes import ROUTES, form_value, resolve, route_keys, url_values

# RFC 8058 one-click unsubscribe: the mail program posts without a CSRF token; the signed token in the path is the
# proof (tests/foundation/test_unsubscribe.py forges it).
SIGNED_LINK_ROUTES = {"POST accounts.unsubscribe"}
# The forum upload refuses anyone but logged-in staff from the headers, before a byte of its large body is read,
# so only the caller who may upload reaches the CSRF check.
HEADERS_FIRST_ROUTES = {"POST forums.upload_attachment"}
FORM_ROUTES = sorted(key for key in ROUTES if not key.startswith("GET ") and key not in SIGNED_LINK_ROUTES
                     and not key.split(" ", 1)[1].split(".", 1)[0].endswith("_api"))


@pytest.mark.parametrize("key", FORM_ROUTES)
def test_form_post_without_csrf_token_is_refused_and_writes_nothing(app, db_session, redis, key):
    rule = route_keys(app).get(key)
    if rule is None:
        pytest.fail(f"{key} is in the table but not a route")
    assert not rule.rule.startswith(API_PREFIX)
    expect = ROUTES[key]
    world = World()
    values = url_values(world, rule, expect)
    path = path_for(app, rule.endpoint, **values)
    callers = {"owner": world.citizen.id, "admin": world.admin.id, "anonymous": None}
    db_session.commit()
    before = snapshot()
    for who, user_id in callers.items():
        client = web_client(app, user_id)
        body = {name: form_value(value) for name, value in (resolve(world, expect.body) or {}).items()}
        response = client.open(path, method=key.split(" ", 1)[0], data=body)
        refused_earlier = key in HEADERS_FIRST_ROUTES and who != "admin" and response.status_code in (302, 403)
        assert response.status_code == 400 or refused_earlier, f"{key} as {who} without CSRF: {response.status_code}"
        db_session.remove()
    assert snapshot() == before


API_GETS = ("/api/v1/me", "/api/v1/categories", "/api/v1/districts", "/api/v1/openapi.json",
            "/api/v1/petitions", "/api/v1/proposals", "/api/v1/polls", "/api/v1/nowhere")


def test_api_sets_no_cookie_even_for_a_logged_in_browser(app, db_session, redis):
    citizen = factories.UserFactory()
    headers = bearer(citizen)
    db_session.commit()
    browser = web_client(app, citizen.id)
    for path in API_GETS:
        for client, extra in ((browser, {}), (app.test_client(), headers)):
            response = client.get(path, headers=extra)
            assert response.status_code < 500, path
            assert "Set-Cookie" not in response.headers, path
    response = app.test_client().post("/api/v1/auth/token",
                                      json={"email": citizen.email, "password": factories.PASSWORD})
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    # A session cookie alone does not authenticate the API (so CSRF cannot ride on it).
    assert browser.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("path", ["/", "/login", "/nowhere", "/api/v1/categories", "/api/v1/nowhere",
                                  "/static/css/site.css"])
def test_security_headers_on_pages_errors_api_and_static(client, path):
    response = client.get(path)
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "object-src 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # plain HTTP: HSTS would be ignored anyway


def test_hsts_over_https(client):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_logged_in_pages_are_not_cached(app, db_session, redis):
    citizen = factories.UserFactory()
    db_session.commit()
    response = web_client(app, citizen.id).get("/account")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"


def test_session_cookie_flags(app, db_session, redis):
    from tests.conftest import login

    citizen = factories.UserFactory()
    client = app.test_client()
    login(client, citizen)
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


XSS_NAME = '<script>alert("x")</script>'


def test_display_name_with_markup_is_escaped_wherever_it_is_shown(app, db_session, redis):
    world = World()
    world.citizen.display_name = XSS_NAME
    citizen_id, admin_id = world.citizen.id, world.admin.id
    db_session.commit()
    pages = [(citizen_id, "/"), (citizen_id, "/account"), (admin_id, "/admin/users"),
             (admin_id, f"/admin/users?q={XSS_NAME[:8]}")]
    for user_id, path in pages:
        body = web_client(app, user_id).get(path).get_data(as_text=True)
        assert "<script>alert" not in body, path
        assert "&lt;script&gt;alert(" in body, f"{path} does not show the name at all"


class Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


@pytest.mark.parametrize("payload", [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "<javascript:alert(1)>",
    '<a href="https://example.com" onclick="alert(1)">x</a>',
    "<iframe src=https://evil.example></iframe>",
    "![x](https://evil.example/x.png)",
    "<svg onload=alert(1)>",
    '[x](https://example.com "title" onmouseover=alert(1))',
    "<style>body{display:none}</style>",
])
def test_markdown_renders_no_raw_html(payload):
    parser = Elements()
    parser.feed(str(render_markdown(payload)))
    for tag, attributes in parser.found:
        assert tag in {"p", "a", "em", "strong", "code"}, tag
        assert not any(name.startswith("on") or name in {"style", "src"} for name in attributes), attributes
        if tag == "a":
            assert attributes["href"].startswith(("http://", "https://", "mailto:")), attributes
            assert "noopener" in attributes["rel"]


def test_production_cookies_are_secure_unless_turned_off(tmp_path, monkeypatch):
    from participation import create_app

    monkeypatch.delenv("PARTICIPATION_SESSION_COOKIE_SECURE", raising=False)
    config = {"ENVIRONMENT": "production", "SECRET_KEY": "x" * 64, "INSTANCE_PATH": str(tmp_path),
              "TRUSTED_HOSTS": ["localhost"], "REDIS_URL": "redis://127.0.0.1:1/0",
              "RATELIMIT_STORAGE_URI": "memory://", "PROXY_HOPS": 0}
    production = create_app(config)
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["REMEMBER_COOKIE_SECURE"] is True
    assert production.config["SESSION_COOKIE_HTTPONLY"] and production.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    monkeypatch.setenv("PARTICIPATION_SESSION_COOKIE_SECURE", "false")
    assert create_app(config).config["SESSION_COOKIE_SECURE"] is False
    development = create_app({**config, "ENVIRONMENT": "development"})
    assert development.config["SESSION_COOKIE_SECURE"] is False


XSS_TEXT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_markup_in_channel_text_is_escaped_on_lists_and_detail_pages(app, db_session, redis):
    """Titles, bodies and comments of every channel, as anyone sees them."""
    world = World()
    world.citizen.display_name = "<b>이름</b>"
    petition = factories.open_petition(author=world.citizen, title=XSS_TEXT[:90], body=XSS_TEXT)
    proposal = factories.open_proposal(author=world.citizen, title=XSS_TEXT[:90], body=XSS_TEXT,
                                       problem=XSS_TEXT, expected_effect=XSS_TEXT)
    poll = factories.PollFactory(title=XSS_TEXT[:90], description=XSS_TEXT, labels=(XSS_TEXT[:60], "반대"))
    forum = factories.ForumFactory(title=XSS_TEXT[:90], background=XSS_TEXT)
    factories.ForumCommentFactory(forum_id=forum.id, author_id=world.citizen.id, body=XSS_TEXT)
    factories.ForumStatementFactory(forum_id=forum.id, author_id=world.citizen.id, text=XSS_TEXT[:100])
    survey = world.survey()
    survey.title, survey.intro = XSS_TEXT[:90], XSS_TEXT
    pages = ["/", "/petitions", f"/petitions/{petition.id}", "/proposals", f"/proposals/{proposal.id}",
             "/polls", f"/polls/{poll.id}", "/forums", f"/forums/{forum.id}", "/surveys",
             f"/surveys/{survey.id}"]
    viewer = world.other.id
    db_session.commit()
    for user_id in (None, viewer):
        client = web_client(app, user_id)
        for path in pages:
            response = client.get(path)
            assert response.status_code == 200, path
            body = response.get_data(as_text=True)
            assert "<script>alert" not in body and "<img src=x" not in body and "<b>이름</b>" not in body, path
            if path.rsplit("/", 1)[-1].isdigit():  # a detail page shows the text, escaped
                assert "&lt;script&gt;alert(" in body, f"{path} does not show the title at all"
    # The API hands the text back as it was written, as JSON that no browser renders as a page.
    response = app.test_client().get(f"/api/v1/petitions/{petition.id}")
    assert response.json["title"] == XSS_TEXT[:90]
    assert response.mimetype == "application/json" and response.headers["X-Content-Type-Options"] == "nosniff"
