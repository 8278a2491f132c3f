"""Pagination for pages and the API: ?page= and ?per_page= (capped at 100)."""

import time
from dataclasses import dataclass
from math import ceil

from flask import request
from sqlalchemy import Select, func, select

from participation.extensions import db

MAX_PER_PAGE = 100
# Beyond any real list; a larger page number would overflow the database's integer OFFSET.
MAX_PAGE = 1_000_000


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    def as_json(self, serialise) -> dict:
        return {"items": [serialise(item) for item in self.items], "page": self.page,
                "per_page": self.per_page, "total": self.total}


def page_arguments(default_per_page: int = 20) -> tuple[int, int]:
    """Read ?page and ?per_page leniently: nonsense falls back to the defaults, both are capped."""
    page = request.args.get("page", type=int) or 1
    per_page = request.args.get("per_page", type=int) or default_per_page
    return max(1, min(page, MAX_PAGE)), max(1, min(per_page, MAX_PER_PAGE))


def paginate(statement: Select, page: int, per_page: int, *, scalars: bool = True) -> Page:
    offset = (page - 1) * per_page
    entity = _single_entity(statement)
    if offset and entity is not None:
        # A deep page: the page's ids first (only the sort index is walked past the skipped rows), then those
        # rows with their eager loads, instead of joining every skipped row to its author before skipping it.
        ids = statement.with_only_columns(entity.id).limit(per_page).offset(offset).scalar_subquery()
        rows = db.session.execute(statement.where(entity.id.in_(ids)))
    else:
        rows = db.session.execute(statement.limit(per_page).offset(offset))
    items = list(rows.scalars() if scalars else rows)
    return Page(items=items, page=page, per_page=per_page, total=count(statement))


def _single_entity(statement: Select):
    """The mapped class a statement selects, when it selects exactly one (whole rows with an `id`)."""
    columns = statement.column_descriptions
    if len(columns) == 1 and columns[0]["expr"] is columns[0]["entity"] and hasattr(columns[0]["entity"], "id"):
        return columns[0]["entity"]
    return None


# Counting a long list scans it all (100,000 public petitions: tens of milliseconds, more than the rest of the
# request). Such a total is kept for a few seconds per process, like the denormalised counts; a short list's
# total is always exact.
LARGE_TOTAL = 10_000
TOTAL_SECONDS = 10.0
_totals: dict[tuple[str, str], tuple[int, float]] = {}


def count(statement: Select) -> int:
    counting = select(func.count()).select_from(statement.order_by(None).subquery())
    compiled = counting.compile(db.session.get_bind())
    key = (str(compiled), repr(sorted(compiled.params.items())))
    now = time.monotonic()
    kept = _totals.get(key)
    if kept is not None and now - kept[1] < TOTAL_SECONDS:
        return kept[0]
    total = db.session.scalar(counting) or 0
    if total >= LARGE_TOTAL:
        if len(_totals) >= 1_000:  # every distinct filter is a key: stay small
            _totals.clear()
        _totals[key] = (total, now)
    return total
