"""Periodic account jobs (imported by participation/schedule.py only)."""

from participation import privacy
from participation.extensions import db

TOMBSTONE_PURGE_SECONDS = 24 * 3600


def purge_tombstones() -> int:
    """Delete deleted accounts' tombstones once nothing they took part in still counts (participation/privacy.py)."""
    purged = privacy.purge_tombstones()
    db.session.commit()
    return purged


PERIODIC: list = [(purge_tombstones, TOMBSTONE_PURGE_SECONDS)]
RECOUNTS: list = []
