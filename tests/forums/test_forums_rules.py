"""The rules through the services: the indicator feed, deadlines, who is told about the answer, who may act."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from participation.core.audit import history
from participation.core.errors import Forbidden, InvalidTransition, NotFound, Paused
from participation.core.notifications import Notification
from participation.core.settings import set_setting
from participation.core.time import utcnow
from participation.forums import queries, services
from tests import factories


def test_count_opened_counts_forums_opened_in_the_half_open_range(db_session):
    start, end = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    for opened_at in (start, start + timedelta(days=100), end - timedelta(microseconds=1), end,
                      start - timedelta(microseconds=1)):
        factories.ForumFactory(opened_at=opened_at)
    factories.ForumFactory(state="draft", opened_at=None)
    assert queries.count_opened(start, end) == 3
    assert queries.count_opened(end, end + timedelta(days=1)) == 1


def test_due_forums_close_on_their_deadline_as_the_system(db_session):
    due = factories.ForumFactory(closes_at=utcnow() - timedelta(minutes=1))
    running = factories.ForumFactory(closes_at=utcnow() + timedelta(days=1))
    assert services.close_due_forums() == 1
    assert (due.state, running.state) == ("closed", "open")
    entry = history("forum", due.id)[-1]
    assert (entry.action, entry.actor_id, entry.reason) == ("open->closed", None, "deadline")
    assert services.close_due_forums() == 0


def test_opening_sets_the_period_from_the_discussion_days(db_session):
    staff = factories.staff()
    forum = services.create_forum(staff, title="서울광장 야간 개방", background="배경", discussion_days=14)
    services.transition(forum, "open", staff)
    assert forum.opened_at is not None
    assert timedelta(days=14) <= forum.closes_at - forum.opened_at < timedelta(days=15)
    with pytest.raises(InvalidTransition):
        services.transition(forum, "answered", staff, answer="답변")
    with pytest.raises(InvalidTransition):
        services.transition(forum, "hidden", staff)


def test_everyone_who_took_part_is_told_once_about_the_answer(db_session):
    staff = factories.staff()
    forum = factories.ForumFactory()
    commenter, proposer, reactor, bystander = (factories.UserFactory() for _ in range(4))
    services.add_comment(forum, commenter, "pro", "찬성합니다")
    services.add_comment(forum, commenter, "con", "다시 생각해 보니 반대합니다")
    statement = services.add_statement(forum, proposer, "주말 요금을 따로 두자")
    seeded = services.add_statement(forum, staff, "정비를 늘리자")
    services.react(forum, seeded, reactor, "agree")
    services.transition(forum, "closed", staff)
    services.transition(forum, "answered", staff, answer="정비 예산을 늘리겠습니다.")
    assert services.tell_participants_of_answer(forum.id) is True  # the job after the commit
    assert services.tell_participants_of_answer(forum.id) is False  # once
    notified = sorted(db_session.scalars(select(Notification.user_id)))
    assert notified == sorted([commenter.id, proposer.id, reactor.id, staff.id])
    assert bystander.id not in notified and statement.state == "pending"


def test_citizens_cannot_run_the_life_cycle_or_see_drafts(db_session):
    citizen = factories.UserFactory()
    draft = factories.ForumFactory(state="draft", opened_at=None)
    with pytest.raises(Forbidden):
        services.create_forum(citizen, title="질문", background="배경")
    with pytest.raises(Forbidden):
        services.transition(draft, "open", citizen)
    with pytest.raises(NotFound):
        services.get_visible(draft.id, citizen)
    assert services.get_visible(draft.id, factories.staff()) is draft


def test_unverified_people_and_the_pause_switch_stop_reactions(db_session):
    forum = factories.ForumFactory()
    statement = factories.ForumStatementFactory(forum_id=forum.id)
    unverified = factories.UserFactory(email_verified_at=None)
    with pytest.raises(Forbidden):
        services.react(forum, statement, unverified, "agree")
    with pytest.raises(Forbidden):
        services.add_comment(forum, unverified, "pro", "인증 전 댓글")
    set_setting("PAUSE_PARTICIPATION", True, factories.admin())
    with pytest.raises(Paused):
        services.react(forum, statement, factories.UserFactory(), "agree")


def test_the_home_page_lists_open_forums(client):
    forum = factories.ForumFactory(title="따릉이 요금 조정")
    factories.ForumFactory(title="끝난 공론장", state="closed")
    assert [title for title, _, _ in queries.home_items(5)] == ["따릉이 요금 조정"]
    home = client.get("/").get_data(as_text=True)
    assert f'<a href="/forums/{forum.id}">따릉이 요금 조정</a>' in home and "끝난 공론장" not in home
