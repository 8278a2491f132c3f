"""Jobs of this channel (RQ), idempotent: they take ids and recompute from the database."""

import logging

from sqlalchemy import or_, select

from participation.core.time import utcnow
from participation.extensions import db
from participation.surveys import building, counts, services
from participation.surveys.models import Response, Survey, SurveyState

log = logging.getLogger(__name__)


def recount_survey(survey_id: int) -> None:
    """Job: a survey's response count and aggregates (after responses, and at its close)."""
    counts.recount(survey_id)
    db.session.commit()


def recount_changing_surveys() -> None:
    """Periodic reconciliation: the open surveys, and any other with responses submitted after its last count."""
    newer = select(Response.id).where(Response.survey_id == Survey.id, Response.submitted_at > Survey.results_as_of)
    for survey_id in db.session.scalars(select(Survey.id).where(Survey.state != SurveyState.draft, or_(
            Survey.state == SurveyState.open, Survey.results_as_of.is_(None), newer.exists()))).all():
        recount_survey(survey_id)


def recount_all_surveys() -> None:
    for survey_id in db.session.scalars(select(Survey.id).where(Survey.state != SurveyState.draft)).all():
        recount_survey(survey_id)


def apply_survey_deadlines() -> None:
    """Open drafts whose opening time has come (if complete) and close open surveys past their closing time."""
    now = utcnow()
    due_to_open = db.session.scalars(select(Survey).where(
        Survey.state == SurveyState.draft, Survey.opens_at <= now)).all()
    for survey in due_to_open:
        if (survey.closes_at is not None and survey.closes_at <= now) or building.definition_problems(survey):
            continue
        services.transition(survey, SurveyState.open, None)
    for survey in db.session.scalars(select(Survey).where(
            Survey.state == SurveyState.open, Survey.closes_at <= now)).all():
        services.transition(survey, SurveyState.closed, None)
    db.session.commit()


# (function, seconds between runs), run by the worker's cron scheduler.
PERIODIC: list = [(apply_survey_deadlines, 60)]
# Functions that recompute all of this channel's counts; `flask --app wsgi tally` runs them.
RECOUNTS: list = [recount_all_surveys]
# Functions that recount what may still change; the periodic reconciliation runs them.
RECONCILE: list = [recount_changing_surveys]
