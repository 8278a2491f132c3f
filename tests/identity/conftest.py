"""The development OpenID provider (participation/dev_identity.py: oidc-provider-mock, Authlib's authorization
server) runs for real on 127.0.0.1 in a thread; the tests drive its pages, redirects and tokens."""

import re
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from werkzeug.serving import make_server

from participation import dev_identity
from tests.conftest import csrf_token, free_port


@pytest.fixture(scope="session")
def identity_provider():
    """The provider's base URL (its issuer)."""
    port = free_port()
    server = make_server("127.0.0.1", port, dev_identity.provider_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(10)


@pytest.fixture
def provider(app, identity_provider):
    """The app configured with the provider (as `flask serve` does in development), for one test."""
    saved = {name: app.config.get(name) for name in ("IDENTITY_ISSUER", "IDENTITY_CLIENT_ID", "IDENTITY_CLIENT_SECRET")}
    app.config.update(IDENTITY_ISSUER=identity_provider, IDENTITY_CLIENT_ID=dev_identity.CLIENT_ID,
                      IDENTITY_CLIENT_SECRET=dev_identity.CLIENT_SECRET)
    yield identity_provider
    app.config.update(saved)


_people = iter(range(1, 10**6))


def person(provider_url: str, **claims) -> str:
    """A new person at the provider (its PUT /users/<sub>); the subject to sign in as."""
    sub = f"person-{next(_people)}-{threading.get_ident()}"
    response = requests.put(f"{provider_url}/users/{sub}", json=claims, timeout=10)
    assert response.status_code == 204, response.text
    return sub


def start(client, next_url: str | None = None) -> str:
    """Press 본인인증 하기: the provider's authorization URL the browser is sent to."""
    data = {"csrf_token": csrf_token(client, "/account/identity")}
    if next_url:
        data["next"] = next_url
    response = client.post("/account/identity", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    return response.headers["Location"]


def sign_in_at_provider(authorize_url: str, sub: str | None, *, deny: bool = False) -> str:
    """What the person does on the provider's page; the URL the provider sends the browser back to."""
    page = requests.get(authorize_url, timeout=10)
    assert page.status_code == 200 and "개발용 본인인증 제공자" in page.text
    data = {"action": "deny"} if deny else {"sub": sub}
    answer = requests.post(authorize_url, data=data, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["Location"]


def back_at(client, callback_url: str):
    """The app's answer to the provider sending the browser back. A refusal is a redirect to the identity page at an
    address without the used code and state (the browser's history keeps neither); it is followed to its message."""
    parts = urlsplit(callback_url)
    answer = client.get(f"{parts.path}?{parts.query}")
    return refusal_page(client, answer) if answer.headers.get("Location") == REFUSED_AT else answer


REFUSED_AT = "/account/identity"


def refusal_page(client, answer):
    assert answer.status_code == 303 and answer.headers["Location"] == REFUSED_AT
    return client.get(REFUSED_AT)


def verify(client, sub: str, next_url: str | None = None):
    """The whole round trip; the app's answer to the callback."""
    return back_at(client, sign_in_at_provider(start(client, next_url), sub))


def query(url: str) -> dict:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))
