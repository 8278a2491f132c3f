"""The survey itself: who sees what, and its life cycle (draft → open → closed) with what opening and closing
set off. The other writes have modules of their own, each flushing, never committing: building.py (the builder,
staff), answering.py (responses, citizens), frames.py (population frames for weighting); questions.py holds the
question types."""


from flask_babel import lazy_gettext as _l

from participation.core import jobs
from participation.core.errors import NotFound, ValidationError
from participation.core.lifecycle import Edge, Lifecycle
from participation.core.permissions import Role
from participation.surveys import building, queries
from participation.surveys.models import (
    Survey,
    SurveyState,
)

# Jobs this channel schedules (core/jobs.py); the worker runs the functions of tasks.py named here.
jobs.register("recount:survey", "participation.surveys.tasks.recount_survey")  # after responses, at the close

# A survey's life cycle (core/lifecycle.py): draft → open → closed, by staff, or by the system at the survey's
# own opening and closing times.
LIFECYCLE = Lifecycle("survey", SurveyState, [
    Edge(SurveyState.draft, SurveyState.open, Role.staff, system=True),
    Edge(SurveyState.open, SurveyState.closed, Role.staff, system=True),
])
# The one way a survey changes state; `actor` None is the scheduler (due openings and closings).
transition = LIFECYCLE.move


def recount_later(survey_id: int) -> None:
    jobs.schedule("recount:survey", survey_id)


# ---------------------------------------------------------------------------------------------------
# Who sees what


def can_see(survey: Survey, user) -> bool:
    """Drafts are for staff only."""
    return survey.state != SurveyState.draft or queries.is_staff(user)


def get_visible(survey_id: int, user) -> Survey:
    """The survey if this person may see it; to anyone else a draft does not exist (404, not 403)."""
    survey = queries.get(Survey, survey_id)
    if survey is None or not can_see(survey, user):
        raise NotFound()
    return survey


# ---------------------------------------------------------------------------------------------------
# Opening and closing


@LIFECYCLE.guard(SurveyState.open)
def _ready_to_open(survey: Survey, step) -> None:
    problems = building.definition_problems(survey)
    if problems:
        raise ValidationError({"questions": problems}, message=_l("이 여론조사는 아직 열 수 없습니다."))
    if survey.closes_at is not None and survey.closes_at <= step.at:
        raise ValidationError({"closes_at": _l("마감 시각이 이미 지났습니다.")},
                              message=_l("이 여론조사는 아직 열 수 없습니다."))


@LIFECYCLE.on_enter(SurveyState.open)
def _opened(survey: Survey, step) -> None:
    survey.opened_at = step.at


@LIFECYCLE.on_enter(SurveyState.closed)
def _closed(survey: Survey, step) -> None:
    survey.closed_at = step.at
    recount_later(survey.id)
