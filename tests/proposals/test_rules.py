"""The rules of proposals, through the services: life cycle, thresholds, supports, merge, settings."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from participation.core.audit import history
from participation.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationError
from participation.core.notifications import Notification
from participation.core.settings import set_setting
from participation.core.time import utcnow
from participation.extensions import db
from participation.proposals import discussion, moderation, queries, services
from participation.proposals.models import Follow, Proposal, Support
from tests import factories
from tests.factories import ProposalFactory, UserFactory, open_proposal


def reload(proposal_id: int):
    """The proposal as the database has it now (the job worker ended the test's session)."""
    return db.session.get(Proposal, proposal_id)


def supports_of(proposal) -> int:
    return db.session.scalar(select(func.count()).select_from(Support).where(Support.proposal_id == proposal.id))


def test_a_citizen_proposes_and_a_moderator_publishes_with_the_rules_in_force(db_session):
    citizen, moderator, admin = UserFactory(), factories.moderator(), factories.admin()
    proposal = services.submit(citizen, {"title": "골목길에 보안등을 달아 주세요", "body": "밤에 어둡습니다.",
                                         "category": "safety", "district": "관악구"})
    assert (proposal.state, proposal.source, proposal.author_id) == ("pending", "web", citizen.id)
    assert services.is_following(proposal, citizen)

    set_setting("PROPOSAL_REVIEW_THRESHOLD", 40, admin, "시범 운영")
    services.transition(proposal, "open", moderator)
    set_setting("PROPOSAL_REVIEW_THRESHOLD", 70, admin)
    assert (proposal.state, proposal.review_threshold, proposal.discussion_threshold) == ("open", 40, 100)
    assert proposal.closes_at > utcnow() + timedelta(days=29)
    assert [entry.action for entry in history("proposal", proposal.id)] == ["submitted", "pending->open"]
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == citizen.id)) == 1


def test_only_moderators_publish_and_reject_needs_a_reason(db_session):
    proposal = ProposalFactory()
    with pytest.raises(Forbidden):
        services.transition(proposal, "open", UserFactory())
    with pytest.raises(ValidationError) as error:
        services.transition(proposal, "rejected", factories.moderator(), "  ")
    assert list(error.value.fields) == ["reason"]
    services.transition(proposal, "rejected", factories.moderator(), "중복된 제안입니다")
    assert (proposal.state, proposal.rejection_reason) == ("rejected", "중복된 제안입니다")
    with pytest.raises(InvalidTransition) as error:
        services.transition(proposal, "open", factories.moderator())
    assert error.value.allowed == []


def test_the_author_edits_only_while_pending_and_others_cannot_see_the_draft(db_session):
    proposal = ProposalFactory()
    stranger = UserFactory()
    with pytest.raises(NotFound):
        services.get_visible(proposal.id, stranger)
    with pytest.raises(NotFound):
        services.edit(proposal, stranger, {"title": "남의 제안", "body": "x", "category": "other"})
    services.edit(proposal, proposal.author, {"title": "고친 제목", "body": "고친 내용", "category": "welfare"})
    assert (proposal.title, proposal.category, proposal.district) == ("고친 제목", "welfare", None)
    services.transition(proposal, "open", factories.moderator())
    with pytest.raises(Conflict):
        services.edit(proposal, proposal.author, {"title": "또", "body": "또", "category": "welfare"})


def test_fields_are_checked_one_by_one(db_session):
    with pytest.raises(ValidationError) as error:
        services.submit(UserFactory(), {"title": "", "body": "가" * 10_001, "category": "weather",
                                        "district": "부산진구"})
    assert sorted(error.value.fields) == ["body", "category", "district", "title"]


def test_a_support_is_unique_and_can_be_withdrawn_while_open(db_session, redis):
    proposal, citizen = open_proposal(), UserFactory()
    services.support(proposal, citizen)
    with pytest.raises(Conflict) as error:
        services.support(proposal, citizen)
    assert error.value.code == "already_supported"
    assert supports_of(proposal) == 1
    services.withdraw_support(proposal, citizen)
    assert supports_of(proposal) == 0
    with pytest.raises(Conflict):
        services.withdraw_support(proposal, citizen)


def test_unverified_citizens_and_closed_periods_cannot_support(db_session, redis):
    proposal = open_proposal()
    with pytest.raises(Forbidden):
        services.support(proposal, UserFactory(email_verified_at=None))
    proposal.closes_at = utcnow() - timedelta(minutes=1)
    with pytest.raises(Conflict):
        services.support(proposal, UserFactory())
    with pytest.raises(NotFound):
        services.support(ProposalFactory(), UserFactory())


def test_fifty_supports_send_it_to_review_and_a_hundred_to_public_discussion(db_session, redis, run_jobs):
    proposal = open_proposal()
    proposal_id, follower_id = proposal.id, proposal.author_id
    services.follow(proposal, proposal.author)
    for citizen in UserFactory.create_batch(49):
        services.support(proposal, citizen)
    db.session.commit()
    run_jobs()
    proposal = reload(proposal_id)
    assert (proposal.support_count, proposal.state) == (49, "open")
    assert proposal.count_as_of is not None

    services.support(proposal, UserFactory())
    db.session.commit()
    run_jobs()
    proposal = reload(proposal_id)
    assert (proposal.support_count, proposal.state, proposal.forwarded) == (50, "under_review", False)
    assert proposal.answer_due_at > utcnow() + timedelta(days=29)
    assert proposal.discussion_flagged_at is None

    for citizen in UserFactory.create_batch(50):
        services.support(proposal, citizen)  # 공감 goes on during review, until the 30 days end
    db.session.commit()
    run_jobs()
    proposal = reload(proposal_id)
    assert proposal.support_count == 100
    assert proposal.discussion_flagged_at is not None
    assert proposal.discussion_forum.state == "open"
    actions = [entry.action for entry in history("proposal", proposal.id)]
    assert actions == ["open->under_review", f"discussion_opened:{proposal.discussion_forum_id}"]
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == follower_id)) == 2


def test_the_deadline_closes_what_stayed_below_the_threshold(db_session, redis):
    quiet, popular = open_proposal(), open_proposal()
    for citizen in UserFactory.create_batch(50):
        services.support(popular, citizen)
    services.support(quiet, UserFactory())
    for proposal in (quiet, popular):
        proposal.closes_at = utcnow() - timedelta(seconds=1)
    assert discussion.close_expired() == 2
    assert (quiet.state, quiet.support_count) == ("closed", 1)
    assert (popular.state, popular.support_count) == ("under_review", 50)


def test_merging_moves_supports_without_counting_anyone_twice(db_session, redis):
    duplicate, target = open_proposal(), open_proposal()
    both = UserFactory.create_batch(3)
    only_duplicate = UserFactory.create_batch(4)
    only_target = UserFactory.create_batch(2)
    for citizen in both + only_duplicate:
        services.support(duplicate, citizen)
    for citizen in both + only_target:
        services.support(target, citizen)
    for proposal, citizen in ((duplicate, both[0]), (target, both[0]), (duplicate, only_duplicate[0])):
        services.follow(proposal, citizen)
    moderation.merge(duplicate, target.id, factories.moderator(), "같은 내용의 제안")
    assert supports_of(target) == 9
    assert supports_of(duplicate) == 0
    assert (duplicate.state, duplicate.merged_into_id) == ("merged", target.id)
    assert db.session.scalar(select(func.count()).select_from(Follow).where(Follow.proposal_id == target.id)) == 2
    discussion.refresh_count(target.id)
    assert target.support_count == 9


def test_merge_refuses_itself_and_hidden_targets(db_session):
    proposal, hidden = open_proposal(), ProposalFactory(state="hidden")
    moderator = factories.moderator()
    for target_id in (proposal.id, hidden.id, 999_999, "7"):
        with pytest.raises(ValidationError):
            moderation.merge(proposal, target_id, moderator)


def test_a_moderator_forwards_under_the_threshold_and_staff_answer(db_session):
    proposal, moderator, staff = open_proposal(), factories.moderator(), factories.staff()
    services.transition(proposal, "under_review", moderator, "시급한 안전 문제")
    assert (proposal.state, proposal.forwarded) == ("under_review", True)
    department = services.add_department(staff, "예시) 도시교통실")
    services.assign_department(proposal, department.id, staff)
    with pytest.raises(ValidationError) as error:
        services.answer(proposal, staff, "adopted", "좋은 제안입니다.", "")
    assert list(error.value.fields) == ["follow_up"]
    services.answer(proposal, staff, "partly", "예산 범위 안에서 일부 반영합니다.", "2025년 상반기 시범 설치")
    assert (proposal.state, proposal.answer_outcome, proposal.department.name) == ("answered", "partly",
                                                                                    "예시) 도시교통실")
    with pytest.raises(Conflict):
        services.add_department(staff, "예시) 도시교통실")


def test_overdue_reviews_are_listed_first(db_session):
    late = open_proposal(state="under_review", answer_due_at=utcnow() - timedelta(days=2))
    open_proposal(state="under_review", answer_due_at=utcnow() + timedelta(days=10))
    assert late.is_overdue
    assert queries.overdue_count() == 1
    assert queries.under_review()[0].id == late.id


def test_comments_thread_one_level_and_moderators_hide_them(db_session):
    proposal, citizen = open_proposal(), UserFactory()
    first = moderation.add_comment(proposal, citizen, "좋은 생각입니다")
    reply = moderation.add_comment(proposal, UserFactory(), "저도 찬성합니다", first.id)
    with pytest.raises(ValidationError):
        moderation.add_comment(proposal, citizen, "답글의 답글", reply.id)
    with pytest.raises(ValidationError):
        moderation.add_comment(proposal, citizen, "   ")
    moderation.hide_comment(reply, factories.moderator(), "욕설")
    assert reply.hidden_at is not None
    assert [(top.id, [r.id for r in replies]) for top, replies in queries.comment_threads(proposal.id)] == [
        (first.id, [reply.id])]


def test_youth_committee_entries_are_staff_only_and_dated_by_entry(db_session):
    data = {"title": "청소년 전용 공부 공간", "body": "구립 도서관에 청소년 공간을", "category": "education"}
    with pytest.raises(Forbidden):
        services.enter_for_committee(UserFactory(), data, datetime(2025, 3, 2).date())
    proposal = services.enter_for_committee(factories.staff(), data, datetime(2025, 3, 2).date())
    assert (proposal.source, proposal.state) == ("youth_committee", "open")
    assert proposal.submitted_at.date() == datetime(2025, 3, 2).date()


def test_indicator_feed_counts_by_source_in_the_half_open_range(db_session):
    start, end = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    ProposalFactory(submitted_at=start)
    ProposalFactory(submitted_at=end - timedelta(microseconds=1))
    ProposalFactory(submitted_at=end)
    ProposalFactory(submitted_at=start, source="youth_committee", author=None)
    assert queries.count_submitted(start, end, "web") == 2
    assert queries.count_submitted(start, end, "youth_committee") == 1
    assert queries.count_submitted(start, end, "national_portal") == 0
    assert queries.count_submitted(start, end) == 3


def test_reconciliation_fixes_drifted_counts_and_applies_thresholds(db_session):
    drifted, settled = open_proposal(support_count=7), open_proposal()
    for citizen in UserFactory.create_batch(50):
        db.session.add(Support(proposal_id=settled.id, user_id=citizen.id))
    db.session.flush()
    assert discussion.refresh_all_counts() == 2
    db.session.refresh(drifted)
    assert (drifted.support_count, settled.support_count, settled.state) == (0, 50, "under_review")
    assert discussion.refresh_all_counts() == 0
