"""The polls API as mobile clients use it (shared/API.md)."""

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from participation.core.time import utcnow
from participation.extensions import db
from participation.polls.models import Ballot, Participation, SealedBallot
from participation.polls.tasks import publish_bulletin, tally_poll
from tests.conftest import api_token
from tests.factories import PollFactory, UserFactory, moderator, staff


def closes_in(days=7) -> str:
    return (utcnow() + timedelta(days=days)).isoformat()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_staff_creates_a_draft_and_opens_it(client):
    headers = api_token(client, staff())
    body = {"title": "올해의 10대 뉴스", "description": "다섯 개까지 고르세요.",
            "options": ["따릉이", "한강 버스", "정원박람회"], "max_choices": 2, "closes_at": closes_in(),
            "tags": ["top10_news"], "results_visibility": "live", "status": "open"}
    response = client.post("/api/v1/polls", json=body, headers=headers)
    assert response.status_code == 201, response.json
    poll = response.json
    assert poll["status"] == "draft" and poll["tags"] == ["top10_news"] and poll["max_choices"] == 2
    assert [option["label"] for option in poll["options"]] == ["따릉이", "한강 버스", "정원박람회"]
    response = client.post(f"/api/v1/polls/{poll['id']}/transitions", json={"to": "open"}, headers=headers)
    assert response.status_code == 200 and response.json["status"] == "open"
    response = client.post(f"/api/v1/polls/{poll['id']}/transitions", json={"to": "tallied"}, headers=headers)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "invalid_transition"
    assert "cancelled" in response.json["error"]["message"]


def test_citizen_poll_is_pending_until_a_moderator_publishes_it(client):
    author = UserFactory()
    response = client.post("/api/v1/polls", json={"title": "우리 동네 축제 이름", "options": ["햇살", "바람"],
                                                   "closes_at": closes_in()}, headers=api_token(client, author))
    assert response.status_code == 201 and response.json["status"] == "pending"
    poll_id = response.json["id"]
    assert client.get(f"/api/v1/polls/{poll_id}").status_code == 404
    assert client.get(f"/api/v1/polls/{poll_id}", headers=api_token(client, author)).status_code == 200
    response = client.post(f"/api/v1/polls/{poll_id}/transitions", json={"to": "open"},
                           headers=api_token(client, moderator()))
    assert response.status_code == 200 and response.json["status"] == "open"


@pytest.mark.parametrize(("body", "field"), [
    ({"title": "질문", "options": ["가"], "closes_at": None}, "closes_at"),
    ({"title": "질문", "options": ["가"], "closes_at": "2031-01-01T00:00:00+09:00"}, "options"),
    ({"title": "질문", "options": ["가", "나"], "closes_at": "2031-01-01T00:00:00"}, "closes_at"),
    ({"title": "질문", "options": "가,나", "closes_at": "2031-01-01T00:00:00+09:00"}, "options"),
    ({"title": "질문", "options": ["가", "나"], "max_choices": "2", "closes_at": "2031-01-01T00:00:00+09:00"},
     "max_choices"),
])
def test_bad_create_bodies_are_422_naming_the_field(client, body, field):
    response = client.post("/api/v1/polls", json=body, headers=api_token(client, staff()))
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


def test_body_that_is_not_an_object_is_400(client):
    response = client.post("/api/v1/polls", json=["가"], headers=api_token(client, staff()))
    assert response.status_code == 400


def test_vote_returns_a_receipt_once_and_a_second_ballot_is_409(client, batch_size):
    batch_size(2)
    poll = PollFactory(labels=["가", "나", "다"], max_choices=2)
    headers = api_token(client, UserFactory())
    choices = [poll.options[0].id, poll.options[2].id]
    response = client.post(f"/api/v1/polls/{poll.id}/ballots", json={"choices": choices}, headers=headers)
    assert response.status_code == 201
    receipt = response.json["receipt"]
    again = client.post(f"/api/v1/polls/{poll.id}/ballots", json={"choices": choices}, headers=headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "already_voted"
    assert count(Participation) == 1 and count(SealedBallot) == 1 and count(Ballot) == 0
    tally_poll(poll.id)  # one ballot waits sealed: a batch is two here
    assert client.get(f"/api/v1/polls/{poll.id}/results").json["total_ballots"] == 0
    other = client.post(f"/api/v1/polls/{poll.id}/ballots", json={"choices": [poll.options[1].id]},
                        headers=api_token(client, UserFactory())).json["receipt"]
    tally_poll(poll.id)
    bulletin = client.get(f"/api/v1/polls/{poll.id}/receipts").json
    # The tally opened the batch; its receipts join the bulletin with the digest that covers them.
    assert (bulletin["items"], bulletin["total"], bulletin["digest"]) == ([], 0, None)
    publish_bulletin(poll.id)
    bulletin = client.get(f"/api/v1/polls/{poll.id}/receipts").json
    hashes = sorted(hashlib.sha256(code.encode()).hexdigest() for code in (receipt, other))
    assert bulletin["items"] == hashes and bulletin["total"] == 2
    assert bulletin["digest"] == hashlib.sha256("\n".join(hashes).encode()).hexdigest()
    assert bulletin["digest_count"] == 2 and bulletin["digest_as_of"] is not None
    assert bulletin["as_of"] is not None
    results = client.get(f"/api/v1/polls/{poll.id}/results").json
    assert results["total_ballots"] == 2 and results["batches"] == 1 and results["invalid_ballots"] == 0
    assert [option["votes"] for option in results["options"]] == [1, 1, 1]
    assert results["as_of"] is not None and results["poll_id"] == poll.id and results["status"] == "open"
    assert (results["digest"], results["digest_count"]) == (bulletin["digest"], 2)
    assert results["digest_as_of"] == bulletin["digest_as_of"]


@pytest.mark.parametrize("choices", [[], [123456789], [0, 0], "1", [True], None])
def test_bad_choices_are_422_and_nothing_is_written(client, choices):
    poll = PollFactory(labels=["가", "나"])
    response = client.post(f"/api/v1/polls/{poll.id}/ballots", json={"choices": choices},
                           headers=api_token(client, UserFactory()))
    assert response.status_code == 422
    assert "choices" in response.json["error"]["fields"]
    assert count(Participation) == 0 and count(Ballot) == 0


def test_too_many_and_repeated_choices_are_422(client):
    poll = PollFactory(labels=["가", "나", "다"], max_choices=2)
    headers = api_token(client, UserFactory())
    ids = [option.id for option in poll.options]
    for choices in (ids, [ids[0], ids[0]]):
        response = client.post(f"/api/v1/polls/{poll.id}/ballots", json={"choices": choices}, headers=headers)
        assert response.status_code == 422
    assert count(Ballot) == 0


def test_not_open_is_409_and_ineligible_is_403(client):
    closed = PollFactory(state="closed")
    headers = api_token(client, UserFactory(district="강남구"))
    response = client.post(f"/api/v1/polls/{closed.id}/ballots", json={"choices": [closed.options[0].id]},
                           headers=headers)
    assert response.status_code == 409 and response.json["error"]["code"] == "poll_not_open"
    local = PollFactory(eligible_districts=["마포구"])
    response = client.post(f"/api/v1/polls/{local.id}/ballots", json={"choices": [local.options[0].id]},
                           headers=headers)
    assert response.status_code == 403 and response.json["error"]["code"] == "not_eligible"
    assert count(Ballot) == 0


def test_voting_needs_a_token(client):
    poll = PollFactory()
    response = client.post(f"/api/v1/polls/{poll.id}/ballots", json={"choices": [poll.options[0].id]})
    assert response.status_code == 401


def test_results_hidden_until_close_are_403_for_everyone_staff_included(client):
    poll = PollFactory(results_visibility="after_close")
    db.session.commit()  # an error response rolls back what is not committed
    for headers in ({}, api_token(client, UserFactory()), api_token(client, staff())):
        response = client.get(f"/api/v1/polls/{poll.id}/results", headers=headers)
        assert response.status_code == 403
        assert response.json["error"]["code"] == "results_hidden"
    poll.state = "tallied"
    db.session.flush()
    assert client.get(f"/api/v1/polls/{poll.id}/results").status_code == 200


def test_list_is_public_paginated_and_filtered(client):
    PollFactory(tags=["top10_news"])
    PollFactory()
    PollFactory(state="draft")
    response = client.get("/api/v1/polls?per_page=500")
    assert response.status_code == 200
    assert response.json["total"] == 2 and response.json["per_page"] == 100
    assert client.get("/api/v1/polls?tag=top10_news").json["total"] == 1
    assert client.get("/api/v1/polls?status=closed").json["total"] == 0
    assert client.get("/api/v1/polls?status=nonsense").status_code == 422


def test_unknown_poll_is_404(client):
    assert client.get("/api/v1/polls/999999").status_code == 404
    assert client.get(f"/api/v1/polls/{10**20}").status_code == 404
    assert client.get(f"/polls/{10**20}").status_code == 404
    assert client.get("/api/v1/polls/999999/results").status_code == 404
    assert client.get("/api/v1/polls/999999/receipts").status_code == 404


def test_a_vote_is_stored_even_when_redis_is_down(client, monkeypatch):
    from redis.exceptions import ConnectionError as RedisConnectionError

    from participation.core import redis as redis_module

    def redis_down(*args, **kwargs):
        raise RedisConnectionError("down")

    poll = PollFactory()
    headers = api_token(client, UserFactory())
    # The after-commit round trip (the debounce mark and the trending counts) fails.
    monkeypatch.setattr(redis_module, "redis_connection", redis_down)
    response = client.post(f"/api/v1/polls/{poll.id}/ballots", json={"choices": [poll.options[0].id]},
                           headers=headers)
    assert response.status_code == 201
    assert count(Participation) == 1 and count(SealedBallot) == 1


def test_staff_extends_the_close_time_with_a_reason(client):
    poll = PollFactory()
    later = (poll.closes_at + timedelta(days=3)).isoformat()
    headers = api_token(client, staff())
    response = client.post(f"/api/v1/polls/{poll.id}/extensions", json={"closes_at": later, "reason": ""},
                           headers=headers)
    assert response.status_code == 422 and set(response.json["error"]["fields"]) == {"reason"}
    response = client.post(f"/api/v1/polls/{poll.id}/extensions",
                           json={"closes_at": later, "reason": "참여 요청이 많아 연장"}, headers=headers)
    assert response.status_code == 200
    assert response.json["closes_at"].startswith(later[:19])
    response = client.post(f"/api/v1/polls/{poll.id}/extensions",
                           json={"closes_at": later, "reason": "다시"}, headers=api_token(client, UserFactory()))
    assert response.status_code == 403
