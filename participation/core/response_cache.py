"""A one-second, per-process cache of public answers for anonymous readers.

The live result of a city-wide vote, the count of a viral petition or the first page of a list is read by
everyone at once, and the answer is the same for every anonymous reader; counts already say when they were
counted ("as of"). Keeping the finished response for PUBLIC_CACHE_SECONDS takes the database, the
serialisation and the template off that hot path (what nginx calls micro-caching, inside the app so that
every deployment has it).

Kept: 200 answers to a request with no token and no session cookie (so no one signed in and no flashed
message), whose body holds nothing of the session it may have started: a page that shows a form with its
CSRF token is not kept. So a draft (404), hidden results (403), a signed-in page or a form are never
served to someone else, and whatever changes is seen everywhere within that second. The key is the host,
the path with its query, the Accept-Language header and the language cookie. 0 turns the cache off."""

import time
from functools import wraps

from flask import current_app, g, request, session

# At most this many copies per process (a list page is ~50 KB: ~25 MB at worst); when full, all are dropped.
MAX_ENTRIES = 512

_entries: dict[tuple, tuple[float, bytes, str]] = {}


def _anonymous() -> bool:
    return "Authorization" not in request.headers and current_app.config["SESSION_COOKIE_NAME"] not in request.cookies


def cached_for_anonymous(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        seconds = current_app.config["PUBLIC_CACHE_SECONDS"]
        if not seconds or not _anonymous():
            return view(*args, **kwargs)
        # The host is part of the key: absolute links in the answer are built from it, and it is whatever the
        # client sent (a forged Host must not reach other readers' copies).
        key = (request.host_url, request.full_path, request.headers.get("Accept-Language", ""),
               request.cookies.get("lang", ""))
        now = time.monotonic()
        entry = _entries.get(key)
        if entry is not None and entry[0] > now:
            return current_app.response_class(entry[1], mimetype=entry[2])
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code == 200 and _shareable(response):
            if len(_entries) >= MAX_ENTRIES:
                _entries.clear()
            _entries[key] = (now + seconds, response.get_data(), response.mimetype)
        return response

    return wrapper


def _shareable(response) -> bool:
    """Nothing in the body belongs to this visitor: the session, new with this request, holds at most a CSRF
    secret (forms made but not shown), and the signed token made from it is not in the page."""
    if set(session) - {"csrf_token"}:
        return False
    token = g.get("csrf_token")
    return token is None or token.encode() not in response.get_data()


def clear() -> None:
    _entries.clear()
