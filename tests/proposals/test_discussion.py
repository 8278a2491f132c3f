"""100 supports open a public deliberation forum on the proposal; when enough people take part there
(1,000 by default), the mayor answers. Exactly one forum per proposal, the mayor asked once."""

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from participation.accounts.models import User
from participation.core.audit import history
from participation.core.errors import Conflict, Forbidden, ValidationError
from participation.core.notifications import Notification
from participation.core.settings import set_setting
from participation.core.time import utcnow
from participation.extensions import db
from participation.forums import counts as forum_counts
from participation.forums.models import Forum
from participation.proposals import discussion, moderation, queries, services, tasks
from participation.proposals.models import Proposal
from tests import factories
from tests.conftest import api_token, csrf_token, login
from tests.factories import ForumCommentFactory, UserFactory, open_proposal


def forums_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Forum))


def notifications_of(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == user_id))


def discussed(supporters: int = 3, **rules) -> Proposal:
    """An open proposal whose discussion threshold (3 here) its supporters have reached, recounted."""
    proposal = open_proposal(title="마을버스 막차를 자정까지 늘려 주세요", body="밤 11시면 **마을버스**가 끊깁니다.",
                             **{"review_threshold": 2, "discussion_threshold": 3, "mayor_threshold": 4, **rules})
    services.follow(proposal, proposal.author)
    for citizen in UserFactory.create_batch(supporters):
        services.support(proposal, citizen)
    discussion.refresh_count(proposal.id)
    return proposal


def take_part(forum_id: int, people: int) -> None:
    for _ in range(people):
        ForumCommentFactory(forum_id=forum_id, body="막차 연장에 찬성합니다.")
    forum_counts.refresh_forum(forum_id)


def test_the_discussion_threshold_opens_one_forum_on_the_proposal(db_session, redis):
    proposal = discussed(department=services.add_department(factories.staff(), "예시) 도시교통실"))
    forum = proposal.discussion_forum
    assert (proposal.state, proposal.support_count, forums_count()) == ("under_review", 3, 1)
    assert (forum.state, forum.title) == ("open", "마을버스 막차를 자정까지 늘려 주세요")
    assert forum.departments == "예시) 도시교통실"
    assert forum.created_by_id is None and forum.closes_at > utcnow() + timedelta(days=29)
    assert "밤 11시면 **마을버스**가 끊깁니다." in forum.background
    assert "4명이 되면 서울시장이 답변합니다" in forum.background
    assert f"](/proposals/{proposal.id})" in forum.links
    assert proposal.discussion_flagged_at is not None
    assert [entry.action for entry in history("proposal", proposal.id)][-2:] == [
        "open->under_review", f"discussion_opened:{forum.id}"]
    assert [entry.action for entry in history("forum", forum.id)] == ["created", "draft->open"]

    # The recount, the reconciliation and another support afterwards: still one forum.
    discussion.refresh_count(proposal.id)
    discussion.refresh_all_counts()
    services.support(proposal, UserFactory())
    discussion.refresh_count(proposal.id)
    assert (forums_count(), proposal.support_count) == (1, 4)


def test_a_second_link_is_refused_by_the_conditional_update(db_session, redis):
    """Two recounts that both saw no forum: the second one's forum is rolled back, not linked."""
    proposal = discussed()
    first = proposal.discussion_forum_id
    assert discussion.open_discussion(proposal) is False
    assert (proposal.discussion_forum_id, forums_count()) == (first, 1)
    assert [entry.action for entry in history("proposal", proposal.id)].count(f"discussion_opened:{first}") == 1


def test_the_database_allows_one_proposal_per_forum(db_session, redis):
    from sqlalchemy.exc import IntegrityError

    proposal, other = discussed(), open_proposal()
    other.discussion_forum_id = proposal.discussion_forum_id
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_the_mayor_threshold_is_a_setting_copied_when_the_proposal_opens(db_session, redis):
    admin, moderator = factories.admin(), factories.moderator()
    set_setting("PROPOSAL_MAYOR_THRESHOLD", 300, admin, "시범 운영")
    proposal = factories.ProposalFactory()
    services.transition(proposal, "open", moderator)
    set_setting("PROPOSAL_MAYOR_THRESHOLD", 2000, admin)
    assert proposal.mayor_threshold == 300

    # A proposal that opened before the rule existed takes the rule in force when its forum opens.
    older = discussed(mayor_threshold=None)
    assert older.mayor_threshold == 2000
    assert "2000명이 되면 서울시장이 답변합니다" in older.discussion_forum.background


def test_enough_participants_ask_the_mayor_once_and_followers_hear_it(db_session, redis):
    proposal = discussed()
    author_id = proposal.author_id
    before = notifications_of(author_id)
    take_part(proposal.discussion_forum_id, 3)
    assert discussion.request_mayor_answers() == 0
    assert proposal.mayor_answer_requested_at is None and queries.awaiting_mayor_count() == 0

    take_part(proposal.discussion_forum_id, 1)
    assert discussion.request_mayor_answers() == 1
    assert discussion.request_mayor_answers() == 0
    tasks.request_mayor_answers()
    proposal = db.session.get(Proposal, proposal.id)
    assert proposal.mayor_answer_requested_at is not None
    assert [(entry.action, entry.reason) for entry in history("proposal", proposal.id)][-1] == (
        "mayor_answer_requested", "공론장 참여 4명")
    assert notifications_of(author_id) == before + 1
    assert queries.awaiting_mayor() == [proposal] and queries.awaiting_mayor_count() == 1


def test_only_staff_answer_for_the_mayor_once_it_is_asked(db_session, redis):
    proposal, staff = discussed(), factories.staff()
    with pytest.raises(Conflict) as error:
        discussion.answer_as_mayor(proposal, staff, "아직 답변할 때가 아닙니다.")
    assert error.value.code == "mayor_answer_not_requested"
    take_part(proposal.discussion_forum_id, 4)
    participant = db.session.scalars(select(User).order_by(User.id.desc())).first()
    discussion.request_mayor_answers()
    with pytest.raises(Forbidden):
        discussion.answer_as_mayor(proposal, UserFactory(), "시민이 쓴 답변")
    with pytest.raises(ValidationError) as error:
        discussion.answer_as_mayor(proposal, staff, "   ")
    assert list(error.value.fields) == ["mayor_answer"]
    assert proposal.mayor_answer is None

    discussion.answer_as_mayor(proposal, staff, "막차 연장을 **내년 상반기**에 시범 운영하겠습니다.")
    assert proposal.mayor_answer.startswith("막차 연장을") and proposal.mayor_answered_at is not None
    assert history("proposal", proposal.id)[-1].action == "mayor_answered"
    assert notifications_of(participant.id) == 1  # a forum participant who does not follow the proposal
    with pytest.raises(Conflict) as error:
        discussion.answer_as_mayor(proposal, staff, "두 번째 답변")
    assert error.value.code == "mayor_already_answered"
    assert queries.awaiting_mayor_count() == 0


def test_hiding_the_proposal_withdraws_its_text_from_the_forum(db_session, redis):
    proposal = discussed()
    forum = proposal.discussion_forum
    take_part(forum.id, 4)
    discussion.request_mayor_answers()
    services.transition(proposal, "hidden", factories.moderator(), "개인정보가 들어 있습니다")
    assert (forum.state, forum.title, forum.links) == ("closed", "숨겨진 시민제안의 공론장", "")
    assert "마을버스" not in forum.background
    assert history("forum", forum.id)[-2].action == "subject_withdrawn"
    assert queries.awaiting_mayor_count() == 0
    assert discussion.request_mayor_answers() == 0


def test_the_forum_of_a_hidden_proposal_is_withdrawn_in_korean_whatever_the_moderators_language(db_session, redis):
    proposal = discussed()
    forum = proposal.discussion_forum
    with force_locale("en"):  # the moderator reads the site in English
        services.transition(proposal, "hidden", factories.moderator(), "개인정보가 들어 있습니다")
    assert forum.title == "숨겨진 시민제안의 공론장"
    assert forum.background == "이 공론장의 바탕이 된 시민제안은 운영 원칙에 따라 숨겨졌습니다."


def test_a_forum_closed_by_a_merge_gives_its_reason_in_korean(db_session, redis):
    target = discussed(review_threshold=10)
    second = discussed(review_threshold=10)
    with force_locale("en"):
        moderation.merge(second, target.id, factories.moderator(), "같은 내용")
    assert history("forum", second.discussion_forum_id)[-1].reason == (
        f"제안 {target.id}번에 통합되어 그 공론장에서 토론을 이어 갑니다.")


def test_merging_moves_the_forum_to_a_target_without_one_or_closes_it(db_session, redis):
    moderator = factories.moderator()
    duplicate, target = discussed(review_threshold=10), open_proposal(title="마을버스 심야 운행")
    forum_id = duplicate.discussion_forum_id
    moderation.merge(duplicate, target.id, moderator, "같은 내용")
    assert (duplicate.discussion_forum_id, target.discussion_forum_id) == (None, forum_id)
    assert target.mayor_threshold == 4 and target.discussion_flagged_at is not None
    assert history("proposal", target.id)[-1].action == f"forum_moved_from:{duplicate.id}"
    discussion.refresh_count(target.id)
    assert forums_count() == 1

    second = discussed(review_threshold=10)
    moderation.merge(second, target.id, moderator, "같은 내용")
    assert (second.discussion_forum.state, target.discussion_forum_id) == ("closed", forum_id)


def test_a_merge_does_not_unlink_a_forum_the_target_opened_meanwhile(db_session, redis):
    """The merge read the target just before the target's own recount linked a forum (two requests at
    once): the target keeps its forum and the duplicate's forum closes, rather than replacing it."""
    duplicate, target = discussed(review_threshold=10), discussed(review_threshold=10)
    targets_forum, duplicates_forum = target.discussion_forum_id, duplicate.discussion_forum_id
    set_committed_value(target, "discussion_forum_id", None)  # what the merge's request had read
    moderation.merge(duplicate, target.id, factories.moderator(), "같은 내용")
    db.session.expire_all()
    assert (target.discussion_forum_id, duplicate.discussion_forum_id) == (targets_forum, duplicates_forum)
    assert (db.session.get(Forum, duplicates_forum).state, db.session.get(Forum, targets_forum).state) == (
        "closed", "open")


def test_the_page_shows_the_forum_progress_and_the_mayors_answer(client, redis):
    proposal = discussed()
    proposal_id, forum_id = proposal.id, proposal.discussion_forum_id
    take_part(forum_id, 4)
    discussion.request_mayor_answers()
    staff, citizen = factories.staff(), UserFactory()
    db.session.commit()

    page = client.get(f"/proposals/{proposal_id}").get_data(as_text=True)
    assert f'href="/forums/{forum_id}"' in page
    assert "서울시장 답변까지 공론장 참여 4 / 4명" in page and "참여자 수 집계" in page
    assert "서울시장의 답변을 기다리고 있습니다" in page
    assert "공감 기준 도달: 공론장" in page and "공론장 참여 기준 도달: 서울시장 답변 요청" in page

    login(client, citizen)
    token = csrf_token(client, f"/proposals/{proposal_id}")
    response = client.post(f"/proposals/{proposal_id}/mayor-answer", data={"csrf_token": token, "mayor_answer": "가짜"})
    assert response.status_code == 403
    client.post("/logout", data={"csrf_token": token})

    login(client, staff)
    desk = client.get("/proposals/staff").get_data(as_text=True)
    assert "서울시장 답변을 기다리는 제안" in desk and "4 / 4명" in desk and "1일째" in desk
    response = client.post(f"/proposals/{proposal_id}/mayor-answer", data={"mayor_answer": "CSRF 없이"})
    assert response.status_code == 400
    assert db.session.get(Proposal, proposal_id).mayor_answer is None
    response = client.post(f"/proposals/{proposal_id}/mayor-answer", data={
        "csrf_token": csrf_token(client, f"/proposals/{proposal_id}"),
        "mayor_answer": "막차 연장을 내년 상반기에 <b>시범 운영</b>하겠습니다."})
    assert response.status_code == 303
    page = client.get(f"/proposals/{proposal_id}").get_data(as_text=True)
    assert "서울시장 답변" in page and "&lt;b&gt;시범 운영&lt;/b&gt;" in page and "서울시장 답변 등록" in page
    assert "서울시장 답변을 기다리는 제안이 없습니다" in client.get("/proposals/staff").get_data(as_text=True)

    detail = client.get(f"/api/v1/proposals/{proposal_id}", headers=api_token(client, citizen)).json
    assert detail["discussion_forum_id"] == forum_id and detail["mayor_threshold"] == 4
    assert detail["mayor_answer_requested_at"] and detail["mayor_answered_at"]
    assert detail["mayor_answer"].startswith("막차 연장을")


def test_an_over_long_staff_answer_is_refused_with_a_message_and_changes_nothing(app, client, db_session, redis):
    from participation.proposals.forms import TEXT_MAX

    proposal, staff = discussed(), factories.staff()
    take_part(proposal.discussion_forum_id, 4)
    discussion.request_mayor_answers()
    db_session.commit()
    login(client, staff)
    page = f"/proposals/{proposal.id}"
    token = csrf_token(client, page)
    for path, field, label in (("mayor-answer", "mayor_answer", "서울시장 답변"),
                               ("interim", "interim_answer", "중간 답변")):
        response = client.post(f"{page}/{path}", data={"csrf_token": token, field: "가" * (TEXT_MAX + 1)},
                               headers={"Referer": f"http://localhost{page}"})
        assert response.status_code == 303 and response.headers["Location"].endswith(page)
        assert f"{label}: 이 항목은 10000자 보다 많을 수 없습니다." in client.get(page).get_data(as_text=True)
    db.session.expire_all()
    assert proposal.mayor_answer is None and proposal.interim_answer is None
