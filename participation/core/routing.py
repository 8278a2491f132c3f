"""URL converters, and where a `next` redirect may lead."""

from urllib.parse import urlsplit

from werkzeug.routing import IntegerConverter

ID_MAX = 2**31 - 1  # PostgreSQL's integer, the type of every id column


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: a non-negative integer no larger than an id can be, so that an absurd
    number in a URL is a 404 before any query (SQLite's driver cannot even bind one past 2**63)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)


def local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: the one check for every `next` a redirect follows.
    Browsers read a backslash as a slash and drop tabs and newlines, so `/\\evil.example` and `/\t/evil.example`
    lead to another host as `//evil.example` does; a scheme (`javascript:`) or a host anywhere is refused too."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if any(char == "\\" or ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target
