"""District and birth year cannot be gamed: every change audited and kept, one district change per 90 days, and
polls and surveys judge the values in force when they opened."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from participation.accounts import profile, services
from participation.accounts.models import ProfileValue
from participation.core.audit import AuditEntry
from participation.core.errors import ValidationError
from participation.core.time import utcnow
from participation.extensions import db
from participation.polls.models import Participation
from tests import factories
from tests.conftest import api_token, csrf_token, login


def resident(district: str, since_days: int = 400, birth_year: int = 1990):
    """A citizen whose district has been on record for `since_days` days (as sign-up records it)."""
    user = factories.UserFactory(district=district, birth_year=birth_year)
    db.session.add(ProfileValue(user_id=user.id, district=district, birth_year=birth_year,
                                valid_from=utcnow() - timedelta(days=since_days)))
    db.session.flush()
    return user


def test_a_district_only_poll_refuses_a_citizen_who_moved_in_after_it_opened(client, db_session):
    poll = factories.PollFactory(eligible_districts=["종로구"], opens_at=utcnow() - timedelta(days=2))
    newcomer = resident("마포구")
    services.update_profile(newcomer, newcomer.display_name, "종로구", newcomer.birth_year)
    db.session.flush()
    assert newcomer.district == "종로구"

    answer = client.post(f"/api/v1/polls/{poll.id}/ballots", json={"choices": [poll.options[0].id]},
                         headers=api_token(client, newcomer))

    assert answer.status_code == 403 and answer.json["error"]["code"] == "not_eligible"
    assert "투표가 시작된 때 종로구에 살던 주민만" in answer.json["error"]["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Participation)) == 0


def test_a_citizen_who_lived_there_on_the_opening_day_still_votes_after_moving_out(client, db_session):
    poll = factories.PollFactory(eligible_districts=["종로구"], opens_at=utcnow() - timedelta(days=2))
    mover = resident("종로구")
    services.update_profile(mover, mover.display_name, "노원구", mover.birth_year)
    db.session.flush()

    answer = client.post(f"/api/v1/polls/{poll.id}/ballots", json={"choices": [poll.options[0].id]},
                         headers=api_token(client, mover))

    assert answer.status_code == 201, answer.json
    turnout = db.session.scalars(sa.select(Participation.district)).all()
    assert turnout == ["종로구"]


def test_age_bands_are_judged_on_the_birth_year_in_force_at_the_opening(client, db_session):
    opened = utcnow() - timedelta(days=2)
    poll = factories.PollFactory(eligible_age_bands=["20-29"], opens_at=opened)
    older = resident("중구", birth_year=opened.year - 45)
    services.update_profile(older, older.display_name, "중구", opened.year - 25)
    db.session.flush()
    answer = client.post(f"/api/v1/polls/{poll.id}/ballots", json={"choices": [poll.options[0].id]},
                         headers=api_token(client, older))
    assert answer.status_code == 403 and answer.json["error"]["code"] == "not_eligible"


def test_a_targeted_survey_judges_the_district_in_force_when_it_opened(db_session):
    from participation.core.errors import Forbidden
    from participation.surveys.answering import require_can_answer

    survey = factories.survey(questions=[{"type": "text", "text": "의견을 적어 주세요"}], target_district="종로구")
    survey.opened_at = utcnow() - timedelta(days=1)
    newcomer = resident("마포구")
    services.update_profile(newcomer, newcomer.display_name, "종로구", newcomer.birth_year)
    with pytest.raises(Forbidden) as caught:
        require_can_answer(survey, newcomer)
    assert caught.value.code == "not_eligible"
    require_can_answer(survey, resident("종로구"))


def test_changes_are_audited_old_to_new(db_session):
    citizen = resident("마포구")
    services.update_profile(citizen, citizen.display_name, "종로구", 1991)
    db.session.flush()
    entries = db.session.execute(sa.select(AuditEntry.action, AuditEntry.reason, AuditEntry.at)
                                 .where(AuditEntry.subject_type == "user", AuditEntry.subject_id == citizen.id)
                                 .order_by(AuditEntry.id)).all()
    assert [(action, reason) for action, reason, _at in entries] == [
        ("district_changed", "마포구 → 종로구"), ("birth_year_changed", "1990 → 1991")]
    assert all(at is not None for *_rest, at in entries)
    values = [(row.district, row.birth_year) for row in profile.history(citizen.id)]
    assert values == [("마포구", 1990), ("종로구", 1991)]


def test_one_district_change_per_90_days(client, db_session):
    citizen = resident("마포구")
    services.update_profile(citizen, citizen.display_name, "종로구", citizen.birth_year)
    db.session.flush()
    with pytest.raises(ValidationError) as caught:
        services.update_profile(citizen, citizen.display_name, "노원구", citizen.birth_year)
    assert "90일에 한 번만" in caught.value.fields["district"][0]
    assert citizen.district == "종로구"
    # The name and the birth year may still change meanwhile.
    services.update_profile(citizen, "새이름", "종로구", 1989)
    with time_machine.travel(utcnow() + timedelta(days=91)):
        services.update_profile(citizen, citizen.display_name, "노원구", citizen.birth_year)
    assert citizen.district == "노원구"


def test_the_profile_page_says_when_the_district_can_change_again(client, db_session):
    citizen = resident("마포구")
    login(client, citizen)
    form = {"display_name": citizen.display_name, "birth_year": "1990", "csrf_token": csrf_token(client, "/account")}
    assert client.post("/account", data={**form, "district": "종로구"}).status_code == 303
    answer = client.post("/account", data={**form, "district": "노원구", "csrf_token": csrf_token(client, "/account")})
    assert answer.status_code == 422 and "자치구는 90일에 한 번만 바꿀 수 있습니다" in answer.get_data(as_text=True)
    db.session.refresh(citizen)
    assert citizen.district == "종로구"


def test_a_district_budget_judges_the_district_in_force_when_voting_opened(client, db_session):
    """Budgets as polls (issue 22: eligibility as for polls): moving into the district after voting opened does
    not let one vote; moving out does not shut one out, and the turnout counts the district of the opening."""
    from participation.budgets.models import BudgetParticipation

    process = factories.budget_with_projects(district="종로구", voting_opened_at=utcnow() - timedelta(days=2))
    ballot = {"projects": [process.projects[0].id]}
    newcomer, mover = resident("마포구"), resident("종로구")
    for person, district in ((newcomer, "종로구"), (mover, "노원구")):
        services.update_profile(person, person.display_name, district, person.birth_year)
    db.session.flush()
    assert (newcomer.district, mover.district) == ("종로구", "노원구")

    refused = client.post(f"/api/v1/budgets/{process.id}/ballots", json=ballot, headers=api_token(client, newcomer))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "not_eligible"
    assert "투표가 시작된 때 종로구에 살던 주민만" in refused.json["error"]["message"]
    voted = client.post(f"/api/v1/budgets/{process.id}/ballots", json=ballot, headers=api_token(client, mover))
    assert voted.status_code == 201, voted.json
    assert db.session.scalars(sa.select(BudgetParticipation.district)).all() == ["종로구"]
