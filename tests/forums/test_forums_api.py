"""The forum API as a mobile client uses it: staff create and open a forum, citizens comment, reply, like,
react to statements; bad input gets precise errors and writes nothing."""

from sqlalchemy import func, select

from participation.core.audit import history
from participation.core.notifications import Notification
from participation.extensions import db
from participation.forums.models import Comment, Forum, Reaction, Statement
from tests import factories
from tests.conftest import api_token


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_staff_create_a_draft_open_close_and_answer_it(client, run_jobs):
    staff = factories.staff()
    headers = api_token(client, staff)
    db.session.commit()
    response = client.post("/api/v1/forums", headers=headers, json={
        "title": "따릉이 요금, 어떻게 조정할까요?", "background": "## 배경\n요금이 **9년째** 같습니다.",
        "status": "open"})
    assert response.status_code == 201
    forum = response.json
    assert forum["status"] == "draft" and forum["title"] == "따릉이 요금, 어떻게 조정할까요?"
    assert forum["opened_at"] is None and forum["discussion_days"] == 30

    # A draft is staff's: others do not learn that it exists.
    citizen = factories.UserFactory()
    assert client.get(f"/api/v1/forums/{forum['id']}", headers=api_token(client, citizen)).status_code == 404
    assert client.get("/api/v1/forums").json["total"] == 0

    opened = client.post(f"/api/v1/forums/{forum['id']}/transitions", headers=headers, json={"to": "open"})
    assert opened.status_code == 200
    assert opened.json["status"] == "open" and opened.json["opened_at"] and opened.json["closes_at"]

    commenter = factories.UserFactory()
    assert client.post(f"/api/v1/forums/{forum['id']}/comments", headers=api_token(client, commenter),
                       json={"stance": "con", "body": "요금 인상에 반대합니다."}).status_code == 201

    again = client.post(f"/api/v1/forums/{forum['id']}/transitions", headers=headers, json={"to": "open"})
    assert again.status_code == 409 and again.json["error"]["code"] == "invalid_transition"
    assert "closed" in again.json["error"]["message"]

    assert client.post(f"/api/v1/forums/{forum['id']}/transitions", headers=headers,
                       json={"to": "closed"}).json["status"] == "closed"
    no_answer = client.post(f"/api/v1/forums/{forum['id']}/transitions", headers=headers, json={"to": "answered"})
    assert no_answer.status_code == 422 and list(no_answer.json["error"]["fields"]) == ["answer"]
    answered = client.post(f"/api/v1/forums/{forum['id']}/transitions", headers=headers,
                           json={"to": "answered", "answer": "기본요금은 유지하고 정기권을 손보겠습니다."})
    assert answered.status_code == 200 and answered.json["status"] == "answered"
    assert [entry.action for entry in history("forum", forum["id"])] == [
        "created", "draft->open", "open->closed", "closed->answered"]
    assert db.session.scalars(select(Notification.user_id)).all() == []  # told by a job, not in the request
    commenter_id = commenter.id
    run_jobs()
    assert db.session.scalars(select(Notification.user_id)).all() == [commenter_id]


def test_citizens_cannot_create_or_open_forums(client):
    citizen = factories.UserFactory()
    headers = api_token(client, citizen)
    response = client.post("/api/v1/forums", headers=headers, json={"title": "질문", "background": "배경"})
    assert response.status_code == 403
    forum = factories.ForumFactory(state="draft", opened_at=None)
    db.session.commit()
    assert client.post(f"/api/v1/forums/{forum.id}/transitions", headers=headers,
                       json={"to": "open"}).status_code == 404
    assert count(Forum) == 1


def test_create_names_the_invalid_fields(client):
    headers = api_token(client, factories.staff())
    response = client.post("/api/v1/forums", headers=headers, json={"title": "", "background": "x" * 20_001,
                                                                    "discussion_days": 0})
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"discussion_days"}
    response = client.post("/api/v1/forums", headers=headers, json={"title": " ", "background": "x" * 20_001})
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"title", "background"}
    past = client.post("/api/v1/forums", headers=headers,
                       json={"title": "질문", "background": "배경", "closes_at": "2020-01-01T00:00:00+09:00"})
    assert past.status_code == 422 and list(past.json["error"]["fields"]) == ["closes_at"]
    assert count(Forum) == 0


def test_comment_with_a_stance_and_a_reply(client):
    forum = factories.ForumFactory()
    headers = api_token(client, factories.UserFactory())
    db.session.commit()
    top = client.post(f"/api/v1/forums/{forum.id}/comments", headers=headers,
                      json={"stance": "pro", "body": "요금을 조금 올려도 좋습니다."})
    assert top.status_code == 201
    assert top.json["stance"] == "pro" and top.json["parent_id"] is None and top.json["hidden"] is False
    reply = client.post(f"/api/v1/forums/{forum.id}/comments", headers=headers,
                        json={"stance": "other", "body": "정기권은요?", "parent_id": top.json["id"]})
    assert reply.status_code == 201 and reply.json["parent_id"] == top.json["id"]
    deeper = client.post(f"/api/v1/forums/{forum.id}/comments", headers=headers,
                         json={"stance": "other", "body": "답글의 답글", "parent_id": reply.json["id"]})
    assert deeper.status_code == 422 and list(deeper.json["error"]["fields"]) == ["parent_id"]
    listed = client.get(f"/api/v1/forums/{forum.id}/comments").json
    assert listed["total"] == 2 and [item["id"] for item in listed["items"]] == [reply.json["id"], top.json["id"]]


def test_bad_comments_are_refused_naming_the_field_and_nothing_is_written(client):
    forum = factories.ForumFactory()
    other_forum = factories.ForumFactory(title="다른 공론장")
    elsewhere = factories.ForumCommentFactory(forum_id=other_forum.id)
    db.session.commit()
    headers = api_token(client, factories.UserFactory())
    url = f"/api/v1/forums/{forum.id}/comments"
    cases = [
        ({"stance": "maybe", "body": "의견"}, "stance"),
        ({"stance": "pro", "body": "   "}, "body"),
        ({"stance": "pro", "body": "가" * 3001}, "body"),
        ({"stance": "pro"}, "body"),
        ({"body": "의견"}, "stance"),
        ({"stance": "pro", "body": "의견", "parent_id": elsewhere.id}, "parent_id"),
        ({"stance": "pro", "body": "의견", "parent_id": 999_999}, "parent_id"),
        ({"stance": "pro", "body": "의견", "parent_id": "x"}, "parent_id"),
        ({"stance": 3, "body": ["의견"]}, "stance"),
    ]
    for body, field in cases:
        response = client.post(url, headers=headers, json=body)
        assert response.status_code == 422, body
        assert field in response.json["error"]["fields"], (body, response.json)
    assert client.post(url, headers=headers, data="[]").status_code == 400
    assert count(Comment) == 1


def test_a_closed_forum_takes_no_comments_statements_or_reactions(client):
    forum = factories.ForumFactory(state="closed")
    statement = factories.ForumStatementFactory(forum_id=forum.id)
    headers = api_token(client, factories.UserFactory())
    db.session.commit()
    response = client.post(f"/api/v1/forums/{forum.id}/comments", headers=headers,
                           json={"stance": "pro", "body": "늦었지만 의견을 남깁니다."})
    assert response.status_code == 409 and response.json["error"]["code"] == "forum_not_open"
    assert client.post(f"/api/v1/forums/{forum.id}/statements", headers=headers,
                       json={"text": "늦은 문장"}).status_code == 409
    assert client.post(f"/api/v1/forums/{forum.id}/statements/{statement.id}/reactions", headers=headers,
                       json={"value": "agree"}).status_code == 409
    assert (count(Comment), count(Statement), count(Reaction)) == (0, 1, 0)


def test_a_second_reaction_changes_the_first_and_adds_no_row(client):
    forum = factories.ForumFactory()
    statement = factories.ForumStatementFactory(forum_id=forum.id, text="요금보다 자전거 수가 더 중요하다")
    headers = api_token(client, factories.UserFactory())
    db.session.commit()
    url = f"/api/v1/forums/{forum.id}/statements/{statement.id}/reactions"
    first = client.post(url, headers=headers, json={"value": "agree"})
    assert first.status_code == 201 and first.json["value"] == "agree"
    second = client.post(url, headers=headers, json={"value": "disagree"})
    assert second.status_code == 200 and second.json["value"] == "disagree"
    assert count(Reaction) == 1
    assert db.session.scalar(select(Reaction.value)) == "disagree"
    bad = client.post(url, headers=headers, json={"value": "love"})
    assert bad.status_code == 422 and list(bad.json["error"]["fields"]) == ["value"]
    assert db.session.scalar(select(Reaction.value)) == "disagree"


def test_statements_one_at_a_time_without_their_author(client):
    forum = factories.ForumFactory()
    seeded = [factories.ForumStatementFactory(forum_id=forum.id) for _ in range(2)]
    citizen = factories.UserFactory()
    headers = api_token(client, citizen)
    db.session.commit()
    proposed = client.post(f"/api/v1/forums/{forum.id}/statements", headers=headers,
                           json={"text": "주말 요금은 따로 정하자"})
    assert proposed.status_code == 201 and proposed.json["status"] == "pending"
    assert "author" not in proposed.json
    too_long = client.post(f"/api/v1/forums/{forum.id}/statements", headers=headers, json={"text": "가" * 141})
    assert too_long.status_code == 422 and list(too_long.json["error"]["fields"]) == ["text"]

    listed = client.get(f"/api/v1/forums/{forum.id}/statements").json
    assert [item["id"] for item in listed["items"]] == [s.id for s in seeded]
    nxt = client.get(f"/api/v1/forums/{forum.id}/statements/next", headers=headers)
    assert nxt.json["id"] == seeded[0].id
    client.post(f"/api/v1/forums/{forum.id}/statements/{seeded[0].id}/reactions", headers=headers,
                json={"value": "pass"})
    assert client.get(f"/api/v1/forums/{forum.id}/statements/next", headers=headers).json["id"] == seeded[1].id
    client.post(f"/api/v1/forums/{forum.id}/statements/{seeded[1].id}/reactions", headers=headers,
                json={"value": "agree"})
    assert client.get(f"/api/v1/forums/{forum.id}/statements/next", headers=headers).status_code == 204
    pending = db.session.scalar(select(Statement).where(Statement.state == "pending"))
    assert client.post(f"/api/v1/forums/{forum.id}/statements/{pending.id}/reactions", headers=headers,
                       json={"value": "agree"}).status_code == 404


def test_likes_are_once_per_person(client):
    comment = factories.ForumCommentFactory()
    headers = api_token(client, factories.UserFactory())
    db.session.commit()
    url = f"/api/v1/forums/{comment.forum_id}/comments/{comment.id}/likes"
    assert client.post(url, headers=headers).status_code == 201
    second = client.post(url, headers=headers)
    assert second.status_code == 409 and second.json["error"]["code"] == "already_liked"
    assert client.delete(url, headers=headers).status_code == 204
    assert client.delete(url, headers=headers).status_code == 404


def test_stance_summary_and_opinion_map_after_the_recount(client, run_jobs):
    forum = factories.ForumFactory()
    for number in range(12):
        user = factories.UserFactory(district="마포구", birth_year=1990)
        factories.ForumCommentFactory(forum_id=forum.id, author_id=user.id,
                                      stance="pro" if number < 9 else "con")
    late_changer = factories.UserFactory(district="강남구")
    factories.ForumCommentFactory(forum_id=forum.id, author_id=late_changer.id, stance="pro")
    headers = api_token(client, late_changer)
    forum_id = forum.id
    response = client.post(f"/api/v1/forums/{forum_id}/comments", headers=headers,
                           json={"stance": "other", "body": "생각이 바뀌었습니다."})
    assert response.status_code == 201
    run_jobs()

    summary = client.get(f"/api/v1/forums/{forum_id}").json
    assert summary["comment_count"] == 14 and summary["participant_count"] == 13
    stance = summary["stance_summary"]
    assert stance["total"] == 13 and stance["counts"] == {"pro": 9, "con": 3, "other": 1}
    # 마포구 has 12 people, but showing it would give away 강남구's one person (13 - 12): neither is shown, and
    # all 13 are in one age band, which the total would give away as well.
    assert stance["by_district"] == [] and stance["by_age_band"] == []
    opinions = client.get(f"/api/v1/forums/{forum_id}/opinions").json
    assert opinions["participants"] == 0 and opinions["groups"] == []


def test_a_closing_poll_opens_with_the_forum_and_closes_with_it(client):
    from participation.polls.models import Poll

    staff = factories.staff()
    forum = factories.ForumFactory()
    headers = api_token(client, staff)
    db.session.commit()
    url = f"/api/v1/forums/{forum.id}/closing-poll"
    one_option = client.post(url, headers=headers, json={"options": ["요금 유지"]})
    assert one_option.status_code == 422 and list(one_option.json["error"]["fields"]) == ["options"]
    response = client.post(url, headers=headers, json={"options": ["요금 유지", "요금 인상", "시간대별 요금"]})
    assert response.status_code == 201
    poll = db.session.get(Poll, response.json["closing_poll_id"])
    assert poll.state == "open" and poll.title == forum.title and poll.closes_at == forum.closes_at
    assert [option.label for option in poll.options] == ["요금 유지", "요금 인상", "시간대별 요금"]
    assert client.post(url, headers=headers, json={"options": ["가", "나"]}).status_code == 409
    citizen_headers = api_token(client, factories.UserFactory())
    assert client.post(url, headers=citizen_headers, json={"options": ["가", "나"]}).status_code == 403

    closed = client.post(f"/api/v1/forums/{forum.id}/transitions", headers=headers, json={"to": "closed"})
    assert closed.status_code == 200
    assert db.session.get(Poll, poll.id).state == "closed"
    assert count(Poll) == 1
