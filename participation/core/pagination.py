"""Pagination for pages and the API: ?page= and ?per_page= (capped at 100)."""

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
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page))
    items = list(rows.scalars() if scalars else rows)
    return Page(items=items, page=page, per_page=per_page, total=total or 0)
