"""Petition reads for the pages, the API, the jobs and the indicator feeds."""

import re
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, case, func, literal, or_, select

from participation.accounts.models import User
from participation.core.audit import AuditEntry
from participation.core.audit import history as audit_history
from participation.core.reports import Report, ReportStatus
from participation.core.search import contains_every
from participation.core.seoul import DISTRICTS, suppressed
from participation.core.settings import get_setting
from participation.core.templating import number
from participation.core.time import days_left
from participation.extensions import db
from participation.petitions.counts import UNKNOWN_DISTRICT
from participation.petitions.models import (
    PUBLIC_STATES,
    SUBJECT,
    Petition,
    PetitionKind,
    PetitionState,
    Signature,
    petition_path,
)

SORTS = ("newest", "signatures", "closing")
Q_MAX = 100


def count_submitted(start: datetime, end: datetime, kind: str | None = None) -> int:
    """Petitions submitted for review in [start, end) (indicators 2.2.a, 2.1.a, 3.1.c)."""
    statement = select(func.count()).select_from(Petition).where(
        Petition.submitted_at >= start, Petition.submitted_at < end)
    if kind is not None:
        statement = statement.where(Petition.kind == kind)
    return db.session.scalar(statement) or 0


def public_list(status: str | None = None, kind: str | None = None, category: str | None = None,
                q: str | None = None, sort: str = "newest") -> Select:
    """Public petitions, filtered and sorted. Unknown filter values are the caller's to refuse."""
    statement = select(Petition)
    statement = statement.where(Petition.state == status) if status else statement.where(
        unselective_in(Petition.state, PUBLIC_STATES))
    if kind:
        statement = statement.where(Petition.kind == kind)
    if category:
        statement = statement.where(Petition.category == category)
    words = keywords(q)
    if words:
        statement = statement.where(contains_every(Petition, words))
    if sort == "signatures":
        return statement.order_by(Petition.signature_count.desc(), Petition.id.desc())
    if sort == "closing":
        return statement.order_by(Petition.closes_at, Petition.id)
    return statement.order_by(Petition.published_at.desc(), Petition.id.desc())


def unselective_in(column, values):
    """`column IN values` for a filter that keeps nearly every row (most petitions are public), so that the
    planner walks the index of the ORDER BY. SQLite without statistics (no ANALYZE) would pick a state index
    for the IN, read every public row and sort them all: there the column is written `state || ''`, which no
    index matches. PostgreSQL estimates the IN from its statistics (an expression would hide them and make
    it sort deep pages), so it gets the plain IN."""
    if db.session.get_bind().dialect.name == "sqlite":
        return column.concat("").in_(values)
    return column.in_(values)


def keywords(q: str | None) -> list[str]:
    """Words of a Korean keyword search: every word must appear in the title or the body."""
    return [word for word in re.split(r"\s+", (q or "").strip()[:Q_MAX]) if word][:5]


def similar(title: str | None, limit: int = 5) -> list[Petition]:
    """Public petitions sharing a word (two letters or more) with a title being typed, best matches first."""
    words = [word for word in keywords(title) if len(word) >= 2]
    if not words:
        return []
    matches = [Petition.title.contains(word, autoescape=True) for word in words]
    score = sum((case((match, 1), else_=0) for match in matches), start=0)
    return list(db.session.scalars(
        select(Petition).where(Petition.state.in_(PUBLIC_STATES), or_(*matches))
        .order_by(score.desc(), Petition.signature_count.desc(), Petition.id.desc()).limit(limit)))


def home_items(limit: int) -> list[tuple[str, str, str]]:
    """Open petitions, most signed first, for the home page."""
    rows = db.session.scalars(select(Petition).where(Petition.state == PetitionState.open)
                              .order_by(Petition.signature_count.desc(), Petition.id.desc()).limit(limit))
    return [(petition.title, petition_path(petition.id),
             _("서명 %(count)s명 · %(days)d일 남음", count=number(petition.signature_count),
               days=days_left(petition.closes_at)))
            for petition in rows]


def moderation_queue() -> Select:
    """Pending petitions, oldest submission first."""
    return select(Petition).where(Petition.state == PetitionState.pending).order_by(
        Petition.submitted_at, Petition.id)


def pending_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Petition).where(
        Petition.state == PetitionState.pending)) or 0


def review_cutoff(now: datetime) -> datetime:
    """Petitions submitted before this are past the review target (PETITION_REVIEW_DAYS)."""
    return now - timedelta(days=get_setting("PETITION_REVIEW_DAYS"))


def reported_petitions() -> list[tuple[Petition, int]]:
    """Public petitions with open reports, most reported first."""
    counts = (select(Report.subject_id, func.count().label("reports"))
              .where(Report.subject_type == SUBJECT, Report.status == ReportStatus.open)
              .group_by(Report.subject_id).subquery())
    rows = db.session.execute(select(Petition, counts.c.reports).join(counts, counts.c.subject_id == Petition.id)
                              .order_by(counts.c.reports.desc(), Petition.id)).all()
    return [(petition, count) for petition, count in rows]


def awaiting_answer() -> list[Petition]:
    """Closed petitions that crossed their answer threshold, earliest due first."""
    return list(db.session.scalars(select(Petition).where(
        Petition.state == PetitionState.closed, Petition.answer_due_at.is_not(None))
        .order_by(Petition.answer_due_at, Petition.id)))


def awaiting_answer_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Petition).where(
        Petition.state == PetitionState.closed, Petition.answer_due_at.is_not(None))) or 0


def debate_agenda_statement() -> Select:
    return select(Petition).where(
        Petition.kind == PetitionKind.debate_request,
        Petition.state.in_(PUBLIC_STATES),
        Petition.signature_count >= Petition.debate_threshold).order_by(Petition.signature_count.desc(), Petition.id)


def debate_agenda() -> list[Petition]:
    """Debate requests (시민참여 토론회 청구) that reached their debate threshold."""
    return list(db.session.scalars(debate_agenda_statement()))


def debate_agenda_count() -> int:
    return db.session.scalar(select(func.count()).select_from(debate_agenda_statement().subquery())) or 0


def authored_by(user_id: int) -> list[Petition]:
    return list(db.session.scalars(select(Petition).where(Petition.author_id == user_id)
                                   .order_by(Petition.id.desc())))


def signed_by(user_id: int) -> list[Petition]:
    return list(db.session.scalars(select(Petition).join(Signature, Signature.petition_id == Petition.id)
                                   .where(Signature.user_id == user_id).order_by(Signature.id.desc())))


def signed_among(user_id: int, petition_ids: list[int]) -> set[int]:
    """Which of these petitions the user signed (one query for a whole list)."""
    if not petition_ids:
        return set()
    return set(db.session.scalars(select(Signature.petition_id).where(
        Signature.user_id == user_id, Signature.petition_id.in_(petition_ids))))


def district_chart(petition: Petition) -> list[tuple[str | None, int]]:
    """Signatures per district as of the last recount, in the city's district order. The districts that
    core.seoul.suppressed hides (fewer than MIN_CELL_SIZE signatures, and enough others that none of them can be
    worked out from the total) are folded into one row labelled None, with signatures of no known district."""
    counts = petition.district_counts or {}
    cells = {district: counts.get(district, 0) for district in DISTRICTS}
    cells[UNKNOWN_DISTRICT] = sum(count for name, count in counts.items() if name not in DISTRICTS)
    shown = suppressed(cells, hidden=[UNKNOWN_DISTRICT])
    rows = [(district, shown[district]) for district in DISTRICTS if shown[district] is not None]
    folded = sum(cells.values()) - sum(count for _, count in rows)
    if folded:
        rows.append((None, folded))
    return rows


def history(petition_id: int) -> list[tuple[AuditEntry, str | None]]:
    """The petition's audit entries with the acting person's public name (None: the system)."""
    entries = audit_history(SUBJECT, petition_id)
    ids = {entry.actor_id for entry in entries if entry.actor_id}
    names = {user.id: user.public_name for user in db.session.scalars(select(User).where(User.id.in_(ids)))}
    return [(entry, names.get(entry.actor_id)) for entry in entries]


def owed_answers() -> Select:
    """Closed petitions that reached their answer threshold and wait for the city's answer, in the columns of the
    public list of owed answers (main/answers.py)."""
    return select(literal("petitions").label("resource"), Petition.id, Petition.title, Petition.answer_due_at,
                  Petition.extension_reason, Petition.interim_answer, Petition.interim_answered_at).where(
        Petition.state == PetitionState.closed, Petition.answer_due_at.is_not(None))
