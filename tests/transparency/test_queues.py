"""One SLA rule for every moderation queue: each item's age, the ones past their queue's target marked,
oldest first, reports labelled and linked to their item (not `petition #102`)."""

from datetime import UTC, datetime, timedelta

from participation.core import appeals
from participation.core.reports import file_report
from participation.core.settings import set_setting
from participation.extensions import db
from participation.petitions import services as petitions
from tests.conftest import csrf_token, login
from tests.factories import (
    ForumCommentFactory,
    ForumFactory,
    ForumStatementFactory,
    PetitionFactory,
    PollFactory,
    ProposalFactory,
    UserFactory,
    admin,
    moderator,
    open_petition,
)

QUEUES = ("/petitions/moderation", "/proposals/moderation", "/polls/moderation", "/forums/review", "/moderation/",
          "/moderation/appeals")


def fill_every_queue(start):
    author = UserFactory()
    PetitionFactory(title="기다리는 청원", submitted_at=start)
    ProposalFactory(title="기다리는 제안", submitted_at=start)
    PollFactory(title="기다리는 시민 투표", state="pending", by_staff=False, author_id=author.id, sealed=False)
    ForumStatementFactory(text="기다리는 의견 문장", state="pending", forum_id=ForumFactory(title="따릉이 공론장").id)
    reported = open_petition(title="신고된 청원")
    file_report(UserFactory(), "petition", reported.id, "광고 글입니다")
    file_report(UserFactory(), "petition", reported.id, "같은 내용이 반복됩니다")
    comment = ForumCommentFactory(forum_id=ForumFactory().id)
    file_report(UserFactory(), "forum_comment", comment.id, "욕설이 있습니다")
    rejected = PetitionFactory(author=author, title="반려된 청원")
    petitions.transition(rejected, "rejected", moderator(), "중복")
    appeals.file_appeal(author, "petition", rejected.id, "중복이 아닙니다")
    db.session.commit()


def overdue_marks(client) -> dict[str, int]:
    return {path: client.get(path).get_data(as_text=True).count("기한 지남") for path in QUEUES}


def test_every_queue_shows_age_and_marks_items_past_their_target(client, time_machine):
    start = datetime(2026, 5, 4, 1, tzinfo=UTC)
    time_machine.move_to(start)
    fill_every_queue(start)
    reviewer = moderator()

    time_machine.move_to(start + timedelta(days=1, hours=1))
    login(client, reviewer)
    assert overdue_marks(client) == dict.fromkeys(QUEUES, 0)
    page = client.get("/moderation/").get_data(as_text=True)
    assert "1일째 대기" in page and "petition #" not in page
    assert "청원: <a href=\"/petitions/" in page and "신고된 청원</a>" in page
    assert "광고 글입니다" in page and "같은 내용이 반복됩니다" in page and "처리 전 신고 2건" in page
    assert "공론장 댓글:" in page

    # Past the two-day targets (reports, statements), not yet the five- and seven-day ones.
    time_machine.move_to(start + timedelta(days=3))
    login(client, reviewer)
    assert overdue_marks(client) == {"/petitions/moderation": 0, "/proposals/moderation": 0,
                                     "/polls/moderation": 0, "/forums/review": 2, "/moderation/": 2,
                                     "/moderation/appeals": 0}

    time_machine.move_to(start + timedelta(days=8))
    login(client, reviewer)
    assert overdue_marks(client) == {"/petitions/moderation": 1, "/proposals/moderation": 1,
                                     "/polls/moderation": 1, "/forums/review": 2, "/moderation/": 2,
                                     "/moderation/appeals": 1}

    # Each target is a setting with history: a longer one takes effect at once.
    set_setting("APPEAL_REVIEW_DAYS", 10, admin(), "인력 부족")
    db.session.commit()
    assert client.get("/moderation/appeals").get_data(as_text=True).count("기한 지남") == 0


def test_a_reported_forum_comment_can_be_kept(client):
    comment = ForumCommentFactory(forum_id=ForumFactory().id, body="자전거 도로를 넓혀 주세요")
    file_report(UserFactory(), "forum_comment", comment.id, "마음에 안 듭니다")
    db.session.commit()
    login(client, moderator())
    page = client.get("/forums/review").get_data(as_text=True)
    assert "유지 (신고 기각)" in page and "마음에 안 듭니다" in page
    response = client.post(f"/forums/review/comments/{comment.id}", data={
        "csrf_token": csrf_token(client, "/forums/review"), "decision": "show"})
    assert response.status_code == 303
    db.session.expire_all()
    assert comment.state == "visible"
    assert "자전거 도로를 넓혀 주세요" not in client.get("/forums/review").get_data(as_text=True)


def test_reject_and_hide_ask_a_category_an_explanation_for_other_and_a_confirmation(client):
    from participation.core.audit import history

    petition = PetitionFactory(title="검토할 청원")
    login(client, moderator())
    token = csrf_token(client, "/petitions/moderation")
    page = client.get("/petitions/moderation").get_data(as_text=True)
    assert 'name="confirmed" value="y" required' in page and "밤 늦게 퇴근하는 시민을 위해" in page  # text shown
    url = f"/petitions/{petition.id}/reject"
    for refused in ({"reason_code": "abusive"}, {"reason_code": "other", "confirmed": "y"},
                    {"reason_code": "없는분류", "confirmed": "y"}):
        assert client.post(url, data={"csrf_token": token, **refused}).status_code == 422
        assert petition.state == "pending"
    response = client.post(url, data={"csrf_token": token, "reason_code": "other",
                                      "reason": "같은 글을 세 번 올렸습니다", "confirmed": "y"})
    assert response.status_code == 303 and petition.state == "rejected"
    assert petition.rejection_reason == "기타: 같은 글을 세 번 올렸습니다"
    assert history("petition", petition.id)[-1].category == "other"
    assert client.get("/api/v1/moderation-log").json["items"][0]["reason"] == "other"


def test_bulk_actions_are_all_or_nothing(client):
    first, second = PetitionFactory(title="광고 청원 하나"), PetitionFactory(title="광고 청원 둘")
    published = open_petition()
    login(client, moderator())
    page = client.get("/petitions/moderation").get_data(as_text=True)
    assert 'form="bulk"' in page and "moderation.js" in page
    token = csrf_token(client, "/petitions/moderation")
    reject = {"csrf_token": token, "action": "reject", "reason_code": "advertising", "confirmed": "y"}
    assert client.post("/petitions/moderation/bulk", data={**reject, "ids": [first.id, second.id, published.id]}
                       ).status_code == 409
    assert client.post("/petitions/moderation/bulk", data={**reject, "confirmed": "", "ids": [first.id]}
                       ).status_code == 422
    assert client.post("/petitions/moderation/bulk", data={**reject, "ids": []}).status_code == 422
    db.session.expire_all()
    assert (first.state, second.state, published.state) == ("pending", "pending", "open")
    response = client.post("/petitions/moderation/bulk", data={**reject, "ids": [first.id, second.id]})
    assert response.status_code == 303
    db.session.expire_all()
    assert (first.state, second.state) == ("rejected", "rejected")
    assert first.rejection_reason == "광고·홍보 목적입니다"
