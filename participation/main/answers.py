"""Answers the city owes (답변 대기), in public: every petition past its answer threshold and every proposal with its
department, with the due date, how many days it is overdue, the interim answer and the extension with its reason.
One list across both channels, most overdue first, for the page /answers and GET /api/v1/answers/overdue."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, union_all

from participation.core.pagination import Page, paginate
from participation.core.time import kst_today, to_kst, utcnow
from participation.petitions import queries as petitions
from participation.proposals import queries as proposals

RESOURCE_LABELS = {"petitions": _l("청원"), "proposals": _l("시민제안")}


@dataclass
class OwedAnswer:
    resource: str  # the API's resource name: "petitions" or "proposals"
    id: int
    title: str
    answer_due_at: datetime
    extension_reason: str | None
    interim_answer: str | None
    interim_answered_at: datetime | None

    @property
    def days_overdue(self) -> int:
        """Whole KST days past the due day: 0 until the due day has ended, 1 on the day after."""
        return max(0, (kst_today() - to_kst(self.answer_due_at).date()).days)

    @property
    def overdue(self) -> bool:
        return self.answer_due_at < utcnow()

    @property
    def label(self) -> str:
        return str(RESOURCE_LABELS[self.resource])

    @property
    def path(self) -> str:
        return f"/{self.resource}/{self.id}"


def owed_answers(*, overdue_only: bool = False) -> Select:
    owed = union_all(petitions.owed_answers(), proposals.owed_answers()).subquery("owed")
    statement = select(owed).order_by(owed.c.answer_due_at, owed.c.resource, owed.c.id)
    return statement.where(owed.c.answer_due_at < utcnow()) if overdue_only else statement


def owed_page(page: int, per_page: int, *, overdue_only: bool = False) -> Page:
    result = paginate(owed_answers(overdue_only=overdue_only), page, per_page, scalars=False)
    result.items = [OwedAnswer(**row._mapping) for row in result.items]
    return result
