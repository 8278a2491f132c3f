"""The proposal part of the Korean demo: one proposal with an open forum, one with the mayor's answer."""

from sqlalchemy import select

from participation.core.audit import history
from participation.core.settings import get_setting
from participation.proposals import demo, queries
from participation.proposals.models import Proposal
from tests.factories import UserFactory, admin, moderator, staff


def test_demo_shows_a_forum_and_a_mayors_answer_under_its_own_thresholds(db_session, redis):
    people = {"citizen": UserFactory.create_batch(200), "moderator": [moderator()], "staff": [staff()],
              "admin": [admin()]}
    demo.seed(people)
    assert get_setting("PROPOSAL_MAYOR_THRESHOLD") == 40
    with_forum = list(db_session.scalars(select(Proposal).where(Proposal.discussion_forum_id.is_not(None))
                                         .order_by(Proposal.id)))
    assert [(p.title, p.support_count, p.discussion_threshold, p.mayor_threshold) for p in with_forum] == [
        ("버스 정류장에 온열 의자를 놓아 주세요", 114, 100, 40),
        ("한강공원에 그늘막과 음수대를 늘려 주세요", 122, 100, 40)]
    answered, waiting = with_forum
    assert (answered.state, answered.discussion_forum.participant_count) == ("answered", 46)
    assert answered.mayor_answered_at is not None and "태양광 패널" in answered.mayor_answer
    assert [entry.action for entry in history("proposal", answered.id)][-3:] == [
        "under_review->answered", "mayor_answer_requested", "mayor_answered"]
    assert (waiting.discussion_forum.participant_count, waiting.mayor_answer_requested_at) == (15, None)
    assert queries.awaiting_mayor_count() == 0
