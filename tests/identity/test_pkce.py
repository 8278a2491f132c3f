"""What our client sends to the provider, seen from the provider's side of the wire.

The development provider (oidc-provider-mock) does not check PKCE: a client that sent no code_challenge, a `plain`
one, or a code_verifier that does not match would still be let through by it, and no test against it would fail.
So a recording provider (the same WSGI app behind a middleware that keeps every request it receives) shows what
the client really sends: S256 on the front channel, the verifier only on the back channel, and they match.

It also shows what holds where the development provider does not check PKCE: an authorization code issued for
someone else's verification, unused and injected into this browser's callback with this browser's own state, is
refused by the nonce check (the id token carries the other verification's nonce) and changes nothing."""

import base64
import hashlib
import io
import threading
from urllib.parse import parse_qs

import pytest
from werkzeug.serving import make_server

from participation import dev_identity
from participation.accounts.models import VerifiedIdentity
from participation.extensions import db
from tests import factories
from tests.conftest import free_port, login
from tests.identity.conftest import back_at, page_text, person, query, refusal_page, sign_in_at_provider, start

# RFC 7636 4.1: a verifier is 43 to 128 characters of [A-Z a-z 0-9 - . _ ~].
VERIFIER_CHARACTERS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


class Recorder:
    """A WSGI middleware that keeps (method, path, query, form) of every request the provider receives."""

    def __init__(self, app):
        self.app, self.seen, self.lock = app, [], threading.Lock()

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        form = {name: values[0] for name, values in parse_qs(body.decode("latin-1")).items()}
        with self.lock:
            self.seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], environ.get("QUERY_STRING", ""),
                              form))
        return self.app(environ, start_response)

    def to(self, path: str) -> list[tuple]:
        return [entry for entry in self.seen if entry[1] == path]


@pytest.fixture
def recording_provider(app):
    """A development provider of its own, recording; the app configured with it for one test."""
    recorder = Recorder(dev_identity.provider_app())
    port = free_port()
    server = make_server("127.0.0.1", port, recorder, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    names = ("IDENTITY_ISSUER", "IDENTITY_CLIENT_ID", "IDENTITY_CLIENT_SECRET")
    saved = {name: app.config.get(name) for name in names}
    app.config.update(IDENTITY_ISSUER=f"http://127.0.0.1:{port}", IDENTITY_CLIENT_ID=dev_identity.CLIENT_ID,
                      IDENTITY_CLIENT_SECRET=dev_identity.CLIENT_SECRET)
    try:
        yield f"http://127.0.0.1:{port}", recorder
    finally:
        app.config.update(saved)
        server.shutdown()
        thread.join(10)


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def test_the_client_sends_pkce_s256_with_the_verifier_only_on_the_back_channel(client, db_session,
                                                                                recording_provider):
    provider, recorder = recording_provider
    citizen = factories.UserFactory(district="마포구", birth_year=1990)
    login(client, citizen)
    authorize_url = start(client)
    callback = sign_in_at_provider(authorize_url, person(provider, ci="CI-PKCE-0001", birthdate="1990-01-01"))
    assert back_at(client, callback).status_code == 303

    # What reached the provider: the browser's authorization request …
    (method, _path, asked, _form), *_again = recorder.to("/oauth2/authorize")
    asked = {name: values[0] for name, values in parse_qs(asked).items()}
    assert method == "GET" and asked["code_challenge_method"] == "S256"
    # … and exactly one code exchange, from the server.
    [(method, _path, _query, exchange)] = recorder.to("/oauth2/token")
    assert method == "POST" and exchange["grant_type"] == "authorization_code"
    assert exchange["code"] == query(callback)["code"]
    assert exchange["redirect_uri"] == "http://localhost/account/identity/callback"
    verifier = exchange["code_verifier"]
    assert 43 <= len(verifier) <= 128 and set(verifier) <= VERIFIER_CHARACTERS
    assert asked["code_challenge"] == s256(verifier) != verifier  # S256 of the verifier, never `plain`
    # The verifier never went through the browser: not in the authorization URL nor in the callback.
    assert verifier not in authorize_url and verifier not in callback
    # A second verification uses a fresh verifier.
    with client.session_transaction() as browser:
        browser.clear()
    login(client, factories.UserFactory())
    second = query(start(client))
    assert second["code_challenge"] != asked["code_challenge"] and second["state"] != asked["state"]


def test_an_unused_code_of_another_verification_is_refused_by_its_nonce(client, db_session, recording_provider):
    """The code injection PKCE is for: a code issued to someone else's verification (its callback intercepted
    before use) is put into this browser's callback with this browser's state. A provider that checks PKCE would
    refuse the exchange; the development provider does not, and the id token it returns carries the other
    verification's nonce: refused, nothing written."""
    provider, _recorder = recording_provider
    victim, attacker = factories.UserFactory(), factories.UserFactory(district="마포구", birth_year=1990)
    login(client, victim)
    stolen = query(sign_in_at_provider(start(client), person(provider, ci="CI-피해자-0002",
                                                                 birthdate="1970-07-07", district="종로구")))
    with client.session_transaction() as browser:
        browser.clear()
    login(client, attacker)
    own = query(start(client))  # the attacker's own verification: its state is valid in this browser

    answer = refusal_page(client, client.get(f"/account/identity/callback?code={stolen['code']}&state={own['state']}"))

    assert answer.status_code == 400 and "신원 확인 토큰이 올바르지 않습니다" in page_text(answer)
    db.session.refresh(attacker)
    assert (attacker.district, attacker.birth_year, attacker.verification) == ("마포구", 1990, "email")
    assert db.session.query(VerifiedIdentity).count() == 0
