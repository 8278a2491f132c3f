"""Counts of this channel, recomputed from the rows (the aggregates themselves are queries.compute_results):
written in one statement, without committing."""

from sqlalchemy import update

from participation.core.time import utcnow
from participation.extensions import db
from participation.surveys import queries
from participation.surveys.models import Survey


def recount(survey_id: int) -> None:
    """A survey's response count and aggregates, stored with their time in one update (nothing for an
    unknown id)."""
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        return
    results = queries.compute_results(survey)
    db.session.execute(update(Survey).where(Survey.id == survey_id).values(
        response_count=results["responses"], results=results, results_as_of=utcnow()))
