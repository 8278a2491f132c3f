"""One SLA rule for every moderation queue: each item's age, the ones past their queue's target marked,
oldest first, reports labelled and linked to their item (not `petition #102`)."""

from datetime import UTC, datetime, timedelta

from participation.core import appeals
from participation.core.reports import file_report
from participation.core.settings import set_setting
from participation.extensions import db
from participation.petitions import services as petitions
from tests.conftest import api_token, csrf_token, login
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
    file_report(UserFactory(), "petition", reported.id, "광고 글입니다", author_id=reported.author_id)
    file_report(UserFactory(), "petition", reported.id, "같은 내용이 반복됩니다", author_id=reported.author_id)
    comment = ForumCommentFactory(forum_id=ForumFactory().id)
    file_report(UserFactory(), "forum_comment", comment.id, "욕설이 있습니다", author_id=comment.author_id)
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
    # The petitions' queue holds its reported petition too.
    assert overdue_marks(client) == {"/petitions/moderation": 1, "/proposals/moderation": 0,
                                     "/polls/moderation": 0, "/forums/review": 2, "/moderation/": 2,
                                     "/moderation/appeals": 0}

    time_machine.move_to(start + timedelta(days=8))
    login(client, reviewer)
    assert overdue_marks(client) == {"/petitions/moderation": 2, "/proposals/moderation": 1,
                                     "/polls/moderation": 1, "/forums/review": 2, "/moderation/": 2,
                                     "/moderation/appeals": 1}

    # Each target is a setting with history: a longer one takes effect at once.
    set_setting("APPEAL_REVIEW_DAYS", 10, admin(), "인력 부족")
    db.session.commit()
    assert client.get("/moderation/appeals").get_data(as_text=True).count("기한 지남") == 0


def test_a_reported_forum_comment_can_be_kept(client):
    forum = ForumFactory()
    comment = ForumCommentFactory(forum_id=forum.id, body="자전거 도로를 넓혀 주세요")
    file_report(UserFactory(), "forum_comment", comment.id, "마음에 안 듭니다",  # no category: 기타
                author_id=comment.author_id)
    file_report(UserFactory(), "forum_comment", comment.id, "", "abusive", author_id=comment.author_id)
    db.session.commit()
    # A citizen picks a reason from the list; "기타" needs words.
    reporter = UserFactory()
    db.session.commit()
    login(client, reporter)
    url = f"/forums/{forum.id}/comments/{comment.id}/report"
    page = client.get(f"/forums/{forum.id}").get_data(as_text=True)
    assert 'name="category"' in page and "개인정보·명예 침해" in page
    token = csrf_token(client, f"/forums/{forum.id}")
    assert client.post(url, data={"csrf_token": token, "category": "other"}).status_code == 422
    assert client.post(url, data={"csrf_token": token, "category": "없는사유", "reason": "x"}).status_code == 422
    assert client.post(url, data={"csrf_token": token, "category": "abusive", "reason": "반말이 심합니다"}
                       ).status_code == 303
    db.session.expire_all()
    assert comment.state == "auto_hidden"  # three reports from different people hide it until reviewed
    # The API takes the same list; a report without a category is an "other" one, which needs words.
    other = ForumCommentFactory(forum_id=forum.id)
    db.session.commit()
    api = f"/api/v1/forums/{forum.id}/comments/{other.id}/reports"
    headers = api_token(client, reporter)
    assert list(client.post(api, json={}, headers=headers).json["error"]["fields"]) == ["reason"]
    assert list(client.post(api, json={"category": "bad"}, headers=headers).json["error"]["fields"]) == ["category"]
    assert client.post(api, json={"category": "abusive"}, headers=headers).status_code == 201

    login(client, moderator())
    page = client.get("/forums/review").get_data(as_text=True)
    card = page[page.index('id="case-forum_comment-'):]
    assert "자전거 도로를 넓혀 주세요" in card and "처리 전 신고 3건" in card  # the text, without a click
    assert "신고가 쌓여 자동으로 숨겨졌습니다" in card
    # Grouped by reason, counted, the most frequent first, with what the reporters wrote ("기타" always has it).
    assert (card.index("욕설·비방·혐오") < card.index("(신고 2건)") < card.index("반말이 심합니다")
            < card.index("기타") < card.index("(신고 1건)") < card.index("마음에 안 듭니다"))
    assert "유지 (신고 기각)" in page
    response = client.post("/moderation/queues/forums/act", data={
        "csrf_token": csrf_token(client, "/forums/review"), "items": f"forum_comment:{comment.id}",
        "action": "dismiss"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/forums/review#queue")
    db.session.expire_all()
    assert comment.state == "visible"
    assert "자전거 도로를 넓혀 주세요" not in client.get("/forums/review").get_data(as_text=True)
    assert client.get("/api/v1/moderation-log").json["items"][0]["act"] == "keep"
    # Nothing left to dismiss: a second keep is refused.
    assert client.post("/moderation/queues/forums/act", data={
        "csrf_token": csrf_token(client, "/forums/review"), "items": f"forum_comment:{comment.id}",
        "action": "dismiss"}).status_code == 409


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
    assert 'form="bulk-petitions"' in page and "moderation.js" in page
    token = csrf_token(client, "/petitions/moderation")
    url = "/moderation/queues/petitions/act"
    reject = {"csrf_token": token, "action": "reject", "reason_code": "advertising", "confirmed": "y"}
    keys = [f"petition:{first.id}", f"petition:{second.id}"]
    refusals = [
        ({**reject, "items": [*keys, f"petition:{published.id}"]}, 409),  # an open petition cannot be rejected
        ({**reject, "confirmed": "", "items": keys}, 422),  # not confirmed
        ({**reject, "items": []}, 422),  # nothing ticked
        ({**reject, "items": [*keys, "petition:999999"]}, 404),  # no such petition
        ({**reject, "items": [*keys, f"proposal:{ProposalFactory().id}"]}, 404),  # another channel's item
        ({**reject, "items": [*keys, "petition:하나"]}, 422),  # not a key
        ({**reject, "action": "delete", "items": keys}, 422),  # no such act
    ]
    for data, status in refusals:
        assert client.post(url, data=data).status_code == status, data
        db.session.expire_all()
        assert (first.state, second.state, published.state) == ("pending", "pending", "open")
    # Another queue's route does not act on petitions either.
    assert client.post("/moderation/queues/polls/act", data={**reject, "items": keys}).status_code == 404
    assert client.post("/moderation/queues/없는대기열/act", data={**reject, "items": keys}).status_code == 404
    response = client.post(url, data={**reject, "items": keys})
    assert response.status_code == 303
    db.session.expire_all()
    assert (first.state, second.state) == ("rejected", "rejected")
    assert first.rejection_reason == "광고·홍보 목적입니다"


def test_every_queue_has_the_same_layout_and_bulk_acts(client):
    from participation.forums.models import Comment as ForumComment
    from participation.forums.models import Statement
    from participation.polls.models import Poll
    from participation.proposals.models import Comment as ProposalComment
    from participation.proposals.models import Proposal
    from tests.factories import open_proposal

    author = UserFactory()
    proposal = ProposalFactory(title="기다리는 제안")
    poll = PollFactory(title="기다리는 시민 투표", state="pending", by_staff=False, author_id=author.id, sealed=False)
    forum = ForumFactory(title="따릉이 공론장")
    statement = ForumStatementFactory(text="기다리는 의견 문장", state="pending", forum_id=forum.id)
    forum_comment = ForumCommentFactory(forum_id=forum.id, body="신고된 공론장 댓글")
    proposal_comment = ProposalComment(proposal_id=open_proposal().id, author_id=author.id, body="신고된 제안 댓글")
    db.session.add(proposal_comment)
    db.session.flush()
    file_report(UserFactory(), "forum_comment", forum_comment.id, "욕설이 있습니다", author_id=forum_comment.author_id)
    file_report(UserFactory(), "proposal_comment", proposal_comment.id, "광고입니다",
                author_id=proposal_comment.author_id)
    db.session.commit()
    login(client, moderator())
    pages = {"/proposals/moderation": ("proposals", ["기다리는 제안", "신고된 제안 댓글", "광고입니다"]),
             "/polls/moderation": ("polls", ["기다리는 시민 투표"]),
             "/forums/review": ("forums", ["기다리는 의견 문장", "신고된 공론장 댓글", "욕설이 있습니다"]),
             "/moderation/": ("reports", ["신고된 공론장 댓글", "신고된 제안 댓글", "욕설이 있습니다"])}
    for path, (name, texts) in pages.items():
        page = client.get(path).get_data(as_text=True)
        assert f'form="bulk-{name}"' in page and 'name="confirmed" value="y" required' in page, path
        assert all(text in page for text in texts), path
    token = csrf_token(client, "/forums/review")

    def bulk(name, action, *keys, **fields):
        return client.post(f"/moderation/queues/{name}/act", data={
            "csrf_token": token, "action": action, "items": list(keys), **fields})

    hide = {"reason_code": "other", "reason": "광고 댓글", "confirmed": "y"}
    # A proposal is not in the forums' queue; a hide needs a reason for "기타".
    assert bulk("forums", "publish", f"forum_statement:{statement.id}", f"proposal:{proposal.id}").status_code == 404
    assert bulk("reports", "hide", f"forum_comment:{forum_comment.id}", f"proposal_comment:{proposal_comment.id}",
                reason_code="other", confirmed="y").status_code == 422
    db.session.expire_all()
    assert db.session.get(Statement, statement.id).state == "pending"
    assert db.session.get(ForumComment, forum_comment.id).state == "visible"

    assert bulk("proposals", "publish", f"proposal:{proposal.id}").status_code == 303
    assert bulk("polls", "reject", f"poll:{poll.id}", reason_code="unclear", confirmed="y").status_code == 303
    assert bulk("forums", "publish", f"forum_statement:{statement.id}").status_code == 303
    assert bulk("reports", "hide", f"forum_comment:{forum_comment.id}", f"proposal_comment:{proposal_comment.id}",
                **hide).status_code == 303
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == "open"
    assert db.session.get(Poll, poll.id).state == "rejected"
    assert db.session.get(Statement, statement.id).state == "approved"
    assert db.session.get(ForumComment, forum_comment.id).state == "hidden"
    assert db.session.get(ProposalComment, proposal_comment.id).hidden_at is not None
    for path in pages:
        assert "처리할 항목이 없습니다." in client.get(path).get_data(as_text=True), path


def test_counts_of_one_are_singular_in_english(client):
    comment = ForumCommentFactory(forum_id=ForumFactory().id, body="신고가 하나 달린 댓글")
    file_report(UserFactory(), "forum_comment", comment.id, "", "abusive", author_id=comment.author_id)
    db.session.commit()
    login(client, moderator())
    assert "처리 전 신고 1건" in client.get("/forums/review").get_data(as_text=True)
    client.set_cookie("lang", "en", domain="localhost")
    page = client.get("/forums/review").get_data(as_text=True)
    assert "1 open report<" in page and "(1 report)" in page and "1 item to handle" in page
    assert "1 open reports" not in page


def test_an_act_brings_the_moderator_back_to_the_page_they_were_on(client):
    waiting = [PetitionFactory(title=f"기다리는 청원 {number}") for number in range(45)]
    db.session.commit()
    login(client, moderator())
    page = client.get("/petitions/moderation?page=2").get_data(as_text=True)
    assert 'action="/moderation/queues/petitions/act?page=2"' in page
    response = client.post("/moderation/queues/petitions/act?page=2", data={
        "csrf_token": csrf_token(client, "/petitions/moderation"), "items": f"petition:{waiting[25].id}",
        "action": "publish"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/petitions/moderation?page=2#queue")
    assert "1건을 처리했습니다" in client.get("/petitions/moderation?page=2").get_data(as_text=True)
    # A page past the last (its last case just handled) shows the last one.
    assert "3 / 3 쪽" in client.get("/petitions/moderation?page=9").get_data(as_text=True)
