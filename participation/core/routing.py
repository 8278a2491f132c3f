"""URL converters."""

from werkzeug.routing import IntegerConverter

ID_MAX = 2**31 - 1  # PostgreSQL's integer, the type of every id column


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: a non-negative integer no larger than an id can be, so that an absurd
    number in a URL is a 404 before any query (SQLite's driver cannot even bind one past 2**63)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)
