"""The development OpenID provider: `flask serve` (make run) and the tests run it on 127.0.0.1 so that identity
verification works end to end without a real provider. It is oidc-provider-mock (Authlib's authorization server:
discovery, authorization code, signed RS256 id tokens, published keys) with a few demo persons; every page it
shows says, in Korean and English, that it is a development provider which checks nobody's identity.

Never configure it in production: anyone can sign in as anyone there. `python -m participation.dev_identity
--port 9400` runs it alone."""

import argparse
import warnings
from datetime import timedelta

from authlib.deprecate import AuthlibDeprecationWarning  # sets Authlib's own "always" filter first
from flask import Flask
from werkzeug.serving import make_server

with warnings.catch_warnings():
    # It imports Authlib's older modules, which warn on import: not ours to act on, and noise in make run's terminal.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    import oidc_provider_mock

CLIENT_ID = "seoul-participation-dev"
CLIENT_SECRET = "development-only"
BANNER = ('<p role="alert" style="background:#fde68a;border:2px solid #b45309;padding:.75rem;font-weight:bold">'
          "개발용 본인인증 제공자 — 실제 본인 확인을 하지 않습니다. DEVELOPMENT identity provider: it checks nobody's "
          "identity; for the demo and the tests only.</p>")
# The demo's persons: the button shows the subject; the person identifier is the `ci` claim, as a Korean
# provider's would be.
PERSONS = (
    ("김시민 (마포구, 1988)", {"ci": "DEV-CI-0001", "name": "김시민", "birthdate": "1988-05-17", "district": "마포구"}),
    ("이서울 (종로구, 1995)", {"ci": "DEV-CI-0002", "name": "이서울", "birthdate": "1995-11-02", "district": "종로구"}),
    ("박노원 (노원구, 1961)", {"ci": "DEV-CI-0003", "name": "박노원", "birthdate": "1961-03-09", "district": "노원구"}),
)


def provider_app(persons=PERSONS, token_max_age: timedelta = timedelta(minutes=10)) -> Flask:
    """The provider as a WSGI app: nonces required, refresh tokens off, the demo persons one click away."""
    app = oidc_provider_mock.app(
        require_nonce=True, issue_refresh_token=False, access_token_max_age=token_max_age,
        user_claims=[oidc_provider_mock.User(sub=sub, claims=dict(claims)) for sub, claims in persons])

    @app.after_request
    def label_as_development(response):
        if response.mimetype == "text/html":
            page = response.get_data(as_text=True)
            response.set_data(page.replace('<main class="container">', '<main class="container">' + BANNER, 1))
        return response

    return app


def serve(host: str = "127.0.0.1", port: int = 9400) -> None:
    print(f"development OpenID provider (checks nobody's identity) on http://{host}:{port}/", flush=True)
    make_server(host, port, provider_app(), threaded=True).serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9400)
    arguments = parser.parse_args()
    serve(arguments.host, arguments.port)
