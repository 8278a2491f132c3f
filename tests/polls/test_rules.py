"""The rules of a poll, through the services: life cycle, eligibility, one secret ballot per person."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from participation.core.errors import Conflict, Forbidden, InvalidTransition, ValidationError
from participation.core.time import start_of_kst_day, utcnow
from participation.extensions import db
from participation.polls import queries, services
from participation.polls.models import Ballot, BallotChoice, Participation, PollState, Receipt, SealedBallot
from tests.factories import PollFactory, UserFactory, moderator, staff


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_staff_poll_starts_as_draft_and_citizen_poll_waits_for_moderation(db_session):
    closes = utcnow() + timedelta(days=3)
    poll = services.create_poll(staff(), title="올해의 10대 뉴스", options=["따릉이", "한강 버스"], closes_at=closes,
                                max_choices=2, tags=["top10_news"])
    assert poll.state == PollState.draft
    assert [option.label for option in poll.options] == ["따릉이", "한강 버스"]
    assert poll.tags == ["top10_news"]
    citizen_poll = services.create_poll(UserFactory(), title="동네 공원 이름", options=["햇살", "바람"],
                                        closes_at=closes)
    assert citizen_poll.state == PollState.pending


def test_bad_poll_fields_name_every_field(db_session):
    with pytest.raises(ValidationError) as caught:
        services.create_poll(staff(), title=" ", options=["하나"], closes_at=utcnow() - timedelta(days=1),
                             max_choices=0, tags=["Top 10"], results_visibility="never",
                             eligible_districts=["부산진구"], eligible_age_bands=["10-13"])
    assert set(caught.value.fields) == {"title", "options", "max_choices", "closes_at", "tags",
                                        "results_visibility", "eligible_districts", "eligible_age_bands"}


def test_more_choices_than_options_and_duplicate_options_are_refused(db_session):
    closes = utcnow() + timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        services.create_poll(staff(), title="질문", options=["가", "나"], max_choices=3, closes_at=closes)
    assert set(caught.value.fields) == {"max_choices"}
    with pytest.raises(ValidationError) as caught:
        services.create_poll(staff(), title="질문", options=["가", "가"], closes_at=closes)
    assert set(caught.value.fields) == {"options"}


def test_life_cycle_draft_open_closed_tallied(db_session):
    poll = PollFactory(state="draft", opens_at=None)
    officer = staff()
    services.transition(poll, "open", officer)
    assert poll.state == PollState.open and poll.opens_at is not None
    with pytest.raises(ValidationError):
        services.transition(poll, "closed", officer)  # closing early needs a reason
    services.transition(poll, "closed", officer, "예산 사정으로 조기 마감")
    assert poll.state == PollState.closed and poll.closes_at <= utcnow()
    with pytest.raises(InvalidTransition) as caught:
        services.transition(poll, "open", officer)
    assert caught.value.allowed == ["hidden", "tallied"]


def test_citizens_cannot_open_and_moderators_publish_citizen_polls(db_session):
    poll = PollFactory(state="draft")
    with pytest.raises(Forbidden):
        services.transition(poll, "open", UserFactory())
    pending = PollFactory(state="pending", by_staff=False)
    with pytest.raises(Forbidden):
        services.transition(pending, "open", staff())
    services.transition(pending, "open", moderator())
    assert pending.state == PollState.open


def test_scheduling_needs_a_future_start(db_session):
    poll = PollFactory(state="draft", opens_at=None)
    with pytest.raises(ValidationError):
        services.transition(poll, "scheduled", staff())
    poll.opens_at = utcnow() + timedelta(hours=2)
    services.transition(poll, "scheduled", staff())
    assert poll.state == PollState.scheduled


def test_extend_moves_the_close_later_only(db_session):
    poll = PollFactory()
    later = poll.closes_at + timedelta(days=2)
    with pytest.raises(ValidationError):
        services.extend(poll, poll.closes_at - timedelta(hours=1), staff(), "연장")
    services.extend(poll, later, staff(), "참여가 많아 연장합니다")
    assert poll.closes_at == later


def test_one_vote_writes_one_participation_and_one_sealed_ballot(db_session):
    poll = PollFactory(labels=["가", "나", "다"], max_choices=2)
    voter = UserFactory(district="강남구", birth_year=utcnow().year - 35)
    receipt = services.cast_ballot(poll, voter, [poll.options[0].id, poll.options[2].id])
    assert len(receipt) == 24
    assert (count(Participation), count(SealedBallot), count(Ballot), count(BallotChoice), count(Receipt)) == (
        1, 1, 0, 0, 0)
    row = db.session.scalar(select(Participation))
    assert (row.district, row.age_band) == ("강남구", "30-39")
    assert row.created_at == start_of_kst_day(utcnow())  # the day, not the second
    with pytest.raises(Conflict) as caught:
        services.cast_ballot(poll, voter, [poll.options[1].id])
    assert caught.value.code == "already_voted"
    assert count(Participation) == 1 and count(SealedBallot) == 1


def test_a_poll_without_its_key_yet_takes_no_ballot(db_session):
    poll = PollFactory(sealed=False)
    with pytest.raises(Conflict) as caught:
        services.cast_ballot(poll, UserFactory(), [poll.options[0].id])
    assert caught.value.code == "ballot_box_not_ready"
    assert count(Participation) == 0 and count(SealedBallot) == 0


@pytest.mark.parametrize("choices", [[], [999_999], ["1"], [True], "1"])
def test_bad_choices_are_422_and_write_nothing(db_session, choices):
    poll = PollFactory()
    with pytest.raises(ValidationError) as caught:
        services.cast_ballot(poll, UserFactory(), choices)
    assert set(caught.value.fields) == {"choices"}
    assert count(Participation) == 0 and count(SealedBallot) == 0


def test_repeated_and_too_many_choices_are_refused(db_session):
    poll = PollFactory(labels=["가", "나", "다"], max_choices=2)
    ids = [option.id for option in poll.options]
    for choices in ([ids[0], ids[0]], ids):
        with pytest.raises(ValidationError):
            services.cast_ballot(poll, UserFactory(), choices)
    assert count(Participation) == 0 and count(SealedBallot) == 0


@pytest.mark.parametrize("state", ["draft", "scheduled", "closed", "tallied", "cancelled"])
def test_vote_outside_open_is_409(db_session, state):
    poll = PollFactory(state=state)
    with pytest.raises(Conflict) as caught:
        services.cast_ballot(poll, UserFactory(), [poll.options[0].id])
    assert caught.value.code == "poll_not_open"


def test_vote_after_close_time_is_refused_before_the_close_job_runs(db_session):
    poll = PollFactory(opens_at=utcnow() - timedelta(days=2), closes_at=utcnow() - timedelta(seconds=1))
    assert poll.state == PollState.open
    with pytest.raises(Conflict):
        services.cast_ballot(poll, UserFactory(), [poll.options[0].id])
    assert count(Ballot) == 0


def test_eligibility_by_district_and_age_on_the_opening_day(db_session):
    opened = utcnow() - timedelta(hours=1)
    poll = PollFactory(eligible_districts=["마포구"], eligible_age_bands=["20-29"], opens_at=opened)
    twenties = opened.year - 25
    with pytest.raises(Forbidden) as caught:
        services.cast_ballot(poll, UserFactory(district="강남구", birth_year=twenties), [poll.options[0].id])
    assert caught.value.code == "not_eligible"
    with pytest.raises(Forbidden):
        services.cast_ballot(poll, UserFactory(district="마포구", birth_year=opened.year - 45), [poll.options[0].id])
    services.cast_ballot(poll, UserFactory(district="마포구", birth_year=twenties), [poll.options[0].id])
    assert count(Participation) == 1


def test_unverified_citizens_cannot_vote(db_session):
    poll = PollFactory()
    with pytest.raises(Forbidden) as caught:
        services.cast_ballot(poll, UserFactory(email_verified_at=None), [poll.options[0].id])
    assert caught.value.code == "email_not_verified"


def test_count_participants_by_range_and_tag(db_session):
    news = PollFactory(tags=["top10_news"])
    other = PollFactory()
    for _ in range(3):
        services.cast_ballot(news, UserFactory(), [news.options[0].id])
    for _ in range(2):
        services.cast_ballot(other, UserFactory(), [other.options[1].id])
    # A vote keeps its KST day only: it counts in the ranges that hold that day's 00:00 KST.
    start, end = start_of_kst_day(utcnow()), start_of_kst_day(utcnow()) + timedelta(days=1)
    assert queries.count_participants(start, end) == 5
    assert queries.count_participants(start, end, tag="top10_news") == 3
    assert queries.count_participants(end, end + timedelta(days=1)) == 0
    assert queries.count_participants(start + timedelta(seconds=1), end) == 0


def test_drafts_of_staff_are_not_found_for_citizens(db_session):
    from participation.core.errors import NotFound

    poll = PollFactory(state="draft")
    with pytest.raises(NotFound):
        services.get_visible(poll.id, UserFactory())
    assert services.get_visible(poll.id, staff()) is poll


def test_options_may_carry_descriptions_one_per_option(db_session):
    closes = utcnow() + timedelta(days=1)
    poll = services.create_poll(staff(), title="공원 이름", options=["햇살", "바람"],
                                option_descriptions=["밝은 느낌", ""], closes_at=closes)
    assert [option.description for option in poll.options] == ["밝은 느낌", ""]
    with pytest.raises(ValidationError) as caught:
        services.create_poll(staff(), title="공원 이름", options=["햇살", "바람"], option_descriptions=["하나뿐"],
                             closes_at=closes)
    assert set(caught.value.fields) == {"option_descriptions"}
    with pytest.raises(ValidationError) as caught:
        services.create_poll(staff(), title="공원 이름", options=["햇살", " "], closes_at=closes)
    assert set(caught.value.fields) == {"options"}
