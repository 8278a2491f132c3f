"""Counts of this channel, recomputed from the rows: pure recomputes that write in one statement and do not
commit (the job or request that calls them does)."""

from sqlalchemy import func, select, update

from participation.core.time import utcnow
from participation.extensions import db
from participation.petitions.models import Petition, Signature

UNKNOWN_DISTRICT = "-"


def recount(petition_id: int) -> tuple[int, int] | None:
    """Recompute a petition's signature count and district breakdown from the signatures (a voided one does not
    count) and write them in one statement. Returns (before, after); None for an unknown id. Does not commit."""
    before = db.session.scalar(select(Petition.signature_count).where(Petition.id == petition_id))
    if before is None:
        return None
    rows = db.session.execute(select(Signature.district, func.count()).where(
        Signature.petition_id == petition_id, Signature.void_id.is_(None)).group_by(Signature.district)).all()
    districts = dict(sorted((district or UNKNOWN_DISTRICT, count) for district, count in rows))
    total = sum(districts.values())
    db.session.execute(update(Petition).where(Petition.id == petition_id).values(
        signature_count=total, district_counts=districts, count_as_of=utcnow()))
    return before, total
