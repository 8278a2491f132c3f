"""Appeals: the author of a rejected or hidden item appeals once, in time; another moderator decides."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from participation.core import appeals
from participation.core.appeals import Appeal
from participation.core.audit import AuditEntry, history
from participation.core.errors import Conflict, Forbidden, NotFound, ValidationError
from participation.core.notifications import Notification
from participation.core.settings import set_setting
from participation.core.time import utcnow
from participation.extensions import db
from participation.forums import services as forums
from participation.petitions import services as petitions
from participation.proposals import moderation as proposal_moderation
from participation.proposals import services as proposals
from participation.proposals.models import Comment
from tests.conftest import api_token, csrf_token, login
from tests.factories import (
    ForumCommentFactory,
    ForumFactory,
    PetitionFactory,
    UserFactory,
    admin,
    moderator,
    open_petition,
    open_proposal,
)


def actions(subject: str, item_id: int) -> list[str]:
    return [entry.action for entry in history(subject, item_id)]


def appeal_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Appeal))


def test_a_hidden_proposal_is_appealed_and_another_moderator_restores_it(db_session):
    author, first, second = UserFactory(), moderator(), moderator()
    proposal = open_proposal(author=author)
    closes_at = proposal.closes_at
    proposals.transition(proposal, "hidden", first, "개인정보가 담겨 있습니다")
    assert proposals.can_see(proposal, author) and not proposals.can_see(proposal, UserFactory())

    appeal = appeals.file_appeal(author, "proposal", proposal.id, "  개인정보는 이미 지웠습니다.  ")
    assert (appeal.status, appeal.text) == ("pending", "개인정보는 이미 지웠습니다.")
    with pytest.raises(Forbidden) as error:
        appeals.decide(appeal, first, "upheld", "다시 보니 괜찮습니다")
    assert error.value.code == "same_moderator"
    assert (appeal.status, proposal.state) == ("pending", "hidden")

    appeals.decide(appeal, second, "upheld", "개인정보가 지워진 것을 확인했습니다")
    assert (appeal.status, appeal.decided_by_id, proposal.state) == ("upheld", second.id, "open")
    assert proposal.closes_at == closes_at  # the support period is not started again
    assert actions("proposal", proposal.id)[-3:] == ["appealed", "hidden->open", "appeal_upheld"]
    told = db.session.scalars(select(Notification.message).where(Notification.user_id == author.id)).all()
    assert any("이의 신청 결과" in message and "개인정보가 지워진 것을 확인했습니다" in message for message in told)
    with pytest.raises(Conflict) as error:
        appeals.decide(appeal, admin(), "dismissed", "늦게 온 결정")
    assert error.value.code == "already_decided"


def test_bad_appeals_are_refused_and_change_nothing(db_session):
    author, reviewer = UserFactory(), moderator()
    published = open_petition(author=author)
    with pytest.raises(Conflict) as error:
        appeals.file_appeal(author, "petition", published.id, "왜요?")
    assert error.value.code == "not_removed"

    petition = PetitionFactory(author=author)
    petitions.transition(petition, "rejected", reviewer, "서울시 소관 사무가 아닙니다")
    with pytest.raises(NotFound):  # someone else's rejected petition: not theirs to see, nor to know it exists
        appeals.file_appeal(UserFactory(), "petition", petition.id, "제가 대신 이의를 신청합니다")
    with pytest.raises(ValidationError) as error:
        appeals.file_appeal(author, "petition", petition.id, "   ")
    assert set(error.value.fields) == {"text"}
    assert appeal_count() == 0

    appeal = appeals.file_appeal(author, "petition", petition.id, "서울시 소관이 맞습니다.")
    with pytest.raises(Conflict) as error:
        appeals.file_appeal(author, "petition", petition.id, "한 번 더")
    assert error.value.code == "already_appealed"
    with pytest.raises(ValidationError):
        appeals.decide(appeal, moderator(), "maybe", "모르겠습니다")
    with pytest.raises(ValidationError):
        appeals.decide(appeal, moderator(), "dismissed", "")
    assert (appeal_count(), appeal.status, petition.state) == (1, "pending", "rejected")

    appeals.decide(appeal, moderator(), "dismissed", "서울시 소관이 아닙니다 (국가 사무)")
    assert (appeal.status, petition.state) == ("dismissed", "rejected")
    assert actions("petition", petition.id)[-2:] == ["appealed", "appeal_dismissed"]


def test_the_window_is_a_setting_with_history(db_session, time_machine):
    author, reviewer = UserFactory(), moderator()
    petition = PetitionFactory(author=author)
    petitions.transition(petition, "rejected", reviewer, "중복")
    time_machine.move_to(utcnow() + timedelta(days=14, minutes=1))
    with pytest.raises(Conflict) as error:
        appeals.file_appeal(author, "petition", petition.id, "늦었지만 이의를 신청합니다")
    assert error.value.code == "appeal_window_closed"
    set_setting("APPEAL_DAYS", 30, admin(), "시범 운영 기간 연장")
    assert appeals.file_appeal(author, "petition", petition.id, "이제 신청합니다").status == "pending"


def test_an_upheld_rejection_publishes_and_a_restored_closed_petition_stays_closed(db_session):
    author, first, second = UserFactory(), moderator(), moderator()
    rejected = PetitionFactory(author=author)
    petitions.transition(rejected, "rejected", first, "요구 사항이 분명하지 않습니다")
    appeal = appeals.file_appeal(author, "petition", rejected.id, "요구는 분명합니다.")
    appeals.decide(appeal, second, "upheld", "요구 사항이 분명합니다")
    assert rejected.state == "open" and rejected.published_at is not None and rejected.answer_threshold

    closed = open_petition(author=author)
    petitions.transition(closed, "closed", first)
    closed_at = closed.closed_at
    petitions.transition(closed, "hidden", first, "혐오 표현")
    appeal = appeals.file_appeal(author, "petition", closed.id, "혐오 표현이 아닙니다.")
    appeals.decide(appeal, second, "upheld", "혐오 표현이 아닙니다")
    assert (closed.state, closed.closed_at) == ("closed", closed_at)
    # The appeal edges are not plain transitions.
    assert "open" not in [str(state) for state in petitions.LIFECYCLE.allowed("rejected")]


def test_an_auto_hidden_forum_comment_and_a_hidden_proposal_comment_are_restored(db_session):
    author = UserFactory()
    forum = ForumFactory(state="open")
    comment = ForumCommentFactory(forum_id=forum.id, author_id=author.id)
    for _number in range(forums.AUTO_HIDE_REPORTS):
        forums.report_comment(comment, UserFactory(), "욕설")
    assert comment.state == "auto_hidden"
    appeal = appeals.file_appeal(author, "forum_comment", comment.id, "욕설이 아닙니다.")
    anyone = moderator()  # the platform decided: any moderator may decide the appeal
    appeals.decide(appeal, anyone, "upheld", "욕설이 없습니다")
    assert comment.state == "visible"

    proposal = open_proposal()
    remark = Comment(proposal_id=proposal.id, author_id=author.id, body="좋은 제안입니다")
    db.session.add(remark)
    db.session.flush()
    first = moderator()
    proposal_moderation.hide_comment(remark, first, "광고")
    appeal = appeals.file_appeal(author, "proposal_comment", remark.id, "광고가 아닙니다.")
    appeals.decide(appeal, anyone, "upheld", "광고가 아닙니다")
    assert remark.hidden_at is None
    assert actions("proposal_comment", remark.id)[-2:] == ["hidden->visible", "appeal_upheld"]


def test_the_journey_on_the_pages(client):
    """A citizen whose proposal was hidden sees why, appeals; another moderator restores it (no JavaScript)."""
    author, first, second = UserFactory(), moderator(), moderator()
    proposal = open_proposal(author=author, title="우리 동네 공원에 그늘막을")
    proposals.transition(proposal, "hidden", first, "특정인의 연락처가 적혀 있습니다")
    db.session.commit()

    assert client.get(f"/proposals/{proposal.id}").status_code == 404  # a visitor
    login(client, author)
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "특정인의 연락처가 적혀 있습니다" in page and "이의 신청하기" in page
    token = csrf_token(client, f"/proposals/{proposal.id}")
    response = client.post(f"/appeals/proposal/{proposal.id}",
                           data={"csrf_token": token, "text": "연락처를 지웠습니다"})
    assert response.status_code == 303
    response = client.post(f"/appeals/proposal/{proposal.id}", data={"text": "CSRF 없이"})
    assert response.status_code == 400
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "검토 중" in page and "이의 신청하기" not in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    login(client, first)
    queue = client.get("/moderation/appeals").get_data(as_text=True)
    assert "연락처를 지웠습니다" in queue and "다른 검토자가 결정해야 합니다" in queue
    appeal = db.session.scalar(select(Appeal))
    response = client.post(f"/moderation/appeals/{appeal.id}/decision", data={
        "csrf_token": csrf_token(client, "/moderation/"), "outcome": "upheld", "reason": "제가 복원합니다"})
    assert response.status_code in (303, 403)
    db.session.expire_all()
    assert (appeal.status, db.session.get(type(proposal), proposal.id).state) == ("pending", "hidden")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    login(client, second)
    response = client.post(f"/moderation/appeals/{appeal.id}/decision", data={
        "csrf_token": csrf_token(client, "/moderation/appeals"), "outcome": "upheld",
        "reason": "연락처가 지워진 것을 확인했습니다"})
    assert response.status_code == 303
    db.session.expire_all()
    assert (appeal.status, db.session.get(type(proposal), proposal.id).state) == ("upheld", "open")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    log = client.get("/moderation-log").get_data(as_text=True)
    assert "우리 동네 공원에 그늘막을" in log and "이의 신청 받아들임" in log and "복원" in log
    assert second.display_name not in log and first.display_name not in log


def test_the_api_walks_the_life_cycle_with_precise_errors(client):
    author, first, second = UserFactory(), moderator(), moderator()
    petition = PetitionFactory(author=author)
    petitions.transition(petition, "rejected", first, "광고·홍보 목적입니다")
    other = open_petition(author=author)
    db.session.commit()
    as_author = api_token(client, author)

    response = client.post(f"/api/v1/petitions/{other.id}/appeals", json={"text": "왜요"}, headers=as_author)
    assert (response.status_code, response.json["error"]["code"]) == (409, "not_removed")
    response = client.post(f"/api/v1/petitions/{petition.id}/appeals", json={"text": "왜요"},
                           headers=api_token(client, UserFactory()))
    assert (response.status_code, response.json["error"]["code"]) == (404, "not_found")
    response = client.post(f"/api/v1/petitions/{petition.id}/appeals", json={}, headers=as_author)
    assert response.status_code == 422 and "text" in response.json["error"]["fields"]
    response = client.post(f"/api/v1/petitions/{petition.id}/appeals", json={"text": "광고가 아닙니다"},
                           headers=as_author)
    assert response.status_code == 201 and response.json["status"] == "pending"
    appeal_id = response.json["id"]
    response = client.post(f"/api/v1/petitions/{petition.id}/appeals", json={"text": "또"}, headers=as_author)
    assert (response.status_code, response.json["error"]["code"]) == (409, "already_appealed")

    response = client.post(f"/api/v1/appeals/{appeal_id}/decision", json={"outcome": "upheld", "reason": "음"},
                           headers=as_author)
    assert response.status_code == 403
    response = client.post(f"/api/v1/appeals/{appeal_id}/decision", json={"outcome": "upheld", "reason": "음"},
                           headers=api_token(client, first))
    assert (response.status_code, response.json["error"]["code"]) == (403, "same_moderator")
    as_second = api_token(client, second)
    assert [row["id"] for row in client.get("/api/v1/appeals", headers=as_second).json] == [appeal_id]
    response = client.post(f"/api/v1/appeals/{appeal_id}/decision", json={"outcome": "dismissed"}, headers=as_second)
    assert response.status_code == 422
    db.session.expire_all()
    assert (db.session.get(Appeal, appeal_id).status, petition.state) == ("pending", "rejected")

    response = client.post(f"/api/v1/appeals/{appeal_id}/decision",
                           json={"outcome": "upheld", "reason": "광고가 아닙니다"}, headers=as_second)
    assert response.status_code == 200 and response.json["status"] == "upheld"
    assert client.get(f"/api/v1/appeals/{appeal_id}", headers=as_author).json["outcome_reason"] == "광고가 아닙니다"
    assert client.get(f"/api/v1/petitions/{petition.id}").json["status"] == "open"
    spec = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/petitions/{item_id}/appeals", "/api/v1/appeals/{appeal_id}/decision",
            "/api/v1/moderation-log"} <= set(spec)
    assert re.search("same_moderator", str(spec["/api/v1/appeals/{appeal_id}/decision"]))
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "appeal_upheld")) == 1


def test_the_queue_names_the_appeal_as_the_authors_in_both_languages(client):
    """The appeal queue is read by moderators: its text is the author's appeal, not "Your appeal"."""
    author = UserFactory()
    proposal = open_proposal(author=author, title="우리 동네 공원에 그늘막을")
    proposals.transition(proposal, "hidden", moderator(), "특정인의 연락처가 적혀 있습니다")
    appeals.file_appeal(author, proposals.SUBJECT, proposal.id, "연락처를 지웠습니다")
    db.session.commit()
    login(client, moderator())
    assert "글쓴이가 적은 이의 신청" in client.get("/moderation/appeals").get_data(as_text=True)
    client.set_cookie("lang", "en", domain="localhost")
    english = client.get("/moderation/appeals").get_data(as_text=True)
    assert "<dt>The author's appeal</dt>" in english and "Your appeal" not in english
