"""A one-second, per-process cache of public answers for anonymous readers.

The live result of a city-wide vote, the count of a viral petition or the first page of a list is read by
everyone at once, and the answer is the same for every anonymous reader; counts already say when they were
counted ("as of"). Keeping the finished response for PUBLIC_CACHE_SECONDS takes the database, the
serialisation, the template and the app's per-request work off that hot path: what nginx calls
micro-caching, inside the app so that every deployment has it.

Two parts. A view marks an answer as shareable (`cached_for_anonymous`); the WSGI middleware
(`PublicResponseCache`, around the whole app) keeps marked answers and serves the copy to the next anonymous
reader of the same address before Flask sees the request at all.

Kept: 200 answers to a GET with no token and no session cookie (so no one signed in and no flashed message),
whose body holds nothing of the session it may have started: a page that shows a form with its CSRF token is
not kept, and the copy is served without the answer's Set-Cookie. So a draft (404), hidden results (403), a
signed-in page or a form are never served to someone else, and whatever changes is seen everywhere within
that second. The key is the scheme and host, the path with its query, the Accept-Language header and the
language cookie. 0 turns the cache off."""

import time
from collections import OrderedDict
from functools import wraps
from http.cookies import SimpleCookie

from flask import current_app, g, request, session

# At most this many copies per process (a list page is ~50 KB: ~25 MB at worst). When full, expired copies go first,
# then the least recently served: a flood of made-up query strings (`?x=1`, `?x=2`, …) cannot flush the copies that
# everyone is reading, which are served again and again and so stay the most recently used.
MAX_ENTRIES = 512
# Set in the WSGI environ by a view whose answer may be shared; read by the middleware.
SHAREABLE = "participation.shareable"

_entries: OrderedDict[tuple, tuple[float, str, list[tuple[str, str]], bytes]] = OrderedDict()


def cached_for_anonymous(view):
    """Mark this view's answers to anonymous readers as shareable for PUBLIC_CACHE_SECONDS."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code == 200 and _shareable(response):
            request.environ[SHAREABLE] = True
        return response

    return wrapper


def _shareable(response) -> bool:
    """Nothing in the body belongs to this visitor: the session, new with this request, holds at most a CSRF
    secret (forms made but not shown), and the signed token made from it is not in the page."""
    if set(session) - {"csrf_token"}:
        return False
    token = g.get("csrf_token")
    return token is None or token.encode() not in response.get_data()


class PublicResponseCache:
    """WSGI middleware: answers an anonymous GET from a fresh copy, and keeps the answers views marked."""

    def __init__(self, wsgi_app, config):
        self.wsgi_app = wsgi_app
        self.config = config

    def __call__(self, environ, start_response):
        seconds = self.config["PUBLIC_CACHE_SECONDS"]
        key = self.key(environ) if seconds else None
        if key is None:
            return self.wsgi_app(environ, start_response)
        now = time.monotonic()
        entry = _entries.get(key)
        if entry is not None and entry[0] > now:
            _entries.move_to_end(key)
            start_response(entry[1], entry[2])
            return [entry[3]]
        answer = {}

        def keep_status(status, headers, exc_info=None):
            answer.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, keep_status)
        if not (environ.get(SHAREABLE) and answer["status"].startswith("200")):
            return body
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        _make_room(now)
        headers = [(name, value) for name, value in answer["headers"] if name.lower() != "set-cookie"]
        _entries[key] = (now + seconds, answer["status"], headers, data)
        _entries.move_to_end(key)
        return [data]

    def key(self, environ) -> tuple | None:
        """The copy's address, or None when this request must reach the app (not an anonymous GET)."""
        if environ["REQUEST_METHOD"] != "GET" or "HTTP_AUTHORIZATION" in environ:
            return None
        language = ""
        if "HTTP_COOKIE" in environ:
            cookies = SimpleCookie()
            try:
                cookies.load(environ["HTTP_COOKIE"])
            except Exception:  # a malformed header: let the app answer it
                return None
            if self.config["SESSION_COOKIE_NAME"] in cookies:
                return None
            language = cookies["lang"].value if "lang" in cookies else ""
        # The host is part of the key: absolute links in the answer are built from it, and it is whatever the
        # client sent (a forged Host must not reach other readers' copies).
        return (environ["wsgi.url_scheme"], environ.get("HTTP_HOST", ""), environ.get("PATH_INFO", ""),
                environ.get("QUERY_STRING", ""), environ.get("HTTP_ACCEPT_LANGUAGE", ""), language)


def _make_room(now: float) -> None:
    if len(_entries) < MAX_ENTRIES:
        return
    for key in [key for key, entry in _entries.items() if entry[0] <= now]:
        del _entries[key]
    while len(_entries) >= MAX_ENTRIES:
        _entries.popitem(last=False)


def install(app) -> None:
    """Wrap the app (inside any proxy fix, so that scheme and host are the client's)."""
    app.wsgi_app = PublicResponseCache(app.wsgi_app, app.config)


def clear() -> None:
    _entries.clear()
