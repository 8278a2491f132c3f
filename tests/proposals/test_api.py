"""The proposals API as a mobile client uses it (shared/API.md)."""

from sqlalchemy import func, select

from participation.extensions import db
from participation.proposals.models import Proposal, Support
from tests import factories
from tests.conftest import api_token
from tests.factories import ProposalFactory, UserFactory, open_proposal


def test_create_answers_201_pending_from_the_web_and_ignores_a_status(client):
    headers = api_token(client, UserFactory())
    response = client.post("/api/v1/proposals", headers=headers, json={
        "title": "지하철역에 무료 우산 대여를", "body": "갑자기 비가 올 때 빌릴 수 있게 해 주세요.",
        "category": "transport", "status": "answered", "district": "강서구"})
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["status"], body["source"], body["title"], body["district"]) == (
        "pending", "web", "지하철역에 무료 우산 대여를", "강서구")
    assert body["support_count"] == 0 and body["count_as_of"] is None
    assert client.get(f"/api/v1/proposals/{body['id']}", headers=headers).json["status"] == "pending"
    assert client.get(f"/api/v1/proposals/{body['id']}").status_code == 404


def test_bad_bodies_are_400_and_422_naming_the_field(client):
    headers = api_token(client, UserFactory())
    assert client.post("/api/v1/proposals", headers=headers, json=[]).status_code == 400
    assert client.post("/api/v1/proposals", headers=headers, data="{nope",
                       content_type="application/json").status_code == 400
    response = client.post("/api/v1/proposals", headers=headers,
                           json={"title": "제목", "body": "내용", "category": "weather"})
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid" and list(response.json["error"]["fields"]) == ["category"]
    response = client.post("/api/v1/proposals", headers=headers, json={"title": 5, "category": "other"})
    assert response.status_code == 422 and sorted(response.json["error"]["fields"]) == ["body", "title"]
    assert client.post("/api/v1/proposals", json={"title": "x"}).status_code == 401
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_supports_are_201_then_409_and_404_for_unseen_proposals(client):
    proposal, pending = open_proposal(), ProposalFactory()
    headers = api_token(client, UserFactory())
    assert client.post(f"/api/v1/proposals/{proposal.id}/supports", headers=headers).status_code == 201
    second = client.post(f"/api/v1/proposals/{proposal.id}/supports", headers=headers, json={})
    assert (second.status_code, second.json["error"]["code"]) == (409, "already_supported")
    assert client.post(f"/api/v1/proposals/{pending.id}/supports", headers=headers).status_code == 404
    assert client.post("/api/v1/proposals/999999/supports", headers=headers).status_code == 404
    assert client.delete(f"/api/v1/proposals/{proposal.id}/supports", headers=headers).status_code == 204
    assert client.delete(f"/api/v1/proposals/{proposal.id}/supports", headers=headers).status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Support)) == 0


def test_life_cycle_through_transitions(client, run_jobs):
    author, moderator, staff = UserFactory(), factories.moderator(), factories.staff()
    created = client.post("/api/v1/proposals", headers=api_token(client, author), json={
        "title": "공공 자전거 따릉이 대여소 확대", "body": "주거지역 골목에도 대여소를", "category": "transport"}).json
    url = f"/api/v1/proposals/{created['id']}/transitions"
    mod = api_token(client, moderator)
    assert client.post(url, headers=api_token(client, author), json={"to": "open"}).status_code == 403
    assert client.post(url, headers=mod, json={"to": "answered"}).status_code == 403  # staff answer
    refused = client.post(url, headers=mod, json={"to": "closed"})
    assert refused.status_code == 409 and "open" in refused.json["error"]["message"]
    unknown = client.post(url, headers=mod, json={"to": "flying"})
    assert unknown.status_code == 409 and unknown.json["error"]["code"] == "invalid_transition"
    opened = client.post(url, headers=mod, json={"to": "open"})
    assert (opened.status_code, opened.json["status"], opened.json["review_threshold"]) == (200, "open", 50)
    forwarded = client.post(url, headers=mod, json={"to": "under_review", "reason": "안전 관련 시급"})
    assert forwarded.json["status"] == "under_review" and forwarded.json["answer_due_at"]
    staff_headers = api_token(client, staff)
    refused = client.post(url, headers=staff_headers, json={"to": "answered"})
    assert refused.status_code == 422 and sorted(refused.json["error"]["fields"]) == ["answer_body", "outcome"]
    answered = client.post(url, headers=staff_headers, json={
        "to": "answered", "outcome": "adopted", "answer": "내년 예산에 반영합니다.", "follow_up": "2026년 50곳 설치"})
    assert answered.status_code == 200, answered.json
    assert (answered.json["status"], answered.json["answer_outcome"]) == ("answered", "adopted")


def test_list_filters_by_source_status_category_and_keyword(client):
    open_proposal(title="서울숲 반려견 놀이터", category="environment")
    open_proposal(title="청소년 진로 체험", category="education", source="youth_committee", author=None)
    open_proposal(title="국민제안 주차 문제", category="transport", source="national_portal", portal_id="1AA-2401",
                  author=None)
    ProposalFactory(title="검토 전 제안")
    everything = client.get("/api/v1/proposals").json
    assert everything["total"] == 3 and everything["per_page"] == 20
    assert [item["title"] for item in client.get("/api/v1/proposals?source=youth_committee").json["items"]] == [
        "청소년 진로 체험"]
    assert client.get("/api/v1/proposals?q=반려견").json["total"] == 1
    assert client.get("/api/v1/proposals?category=transport").json["items"][0]["portal_id"] == "1AA-2401"
    assert client.get("/api/v1/proposals?status=pending").status_code == 422
    assert client.get("/api/v1/proposals?per_page=1000").json["per_page"] == 100
    assert client.get("/api/v1/proposals?q=%25").json["total"] == 0


def test_comments_reply_one_level(client):
    proposal = open_proposal()
    headers = api_token(client, UserFactory())
    first = client.post(f"/api/v1/proposals/{proposal.id}/comments", headers=headers, json={"body": "좋아요"})
    assert first.status_code == 201
    reply = client.post(f"/api/v1/proposals/{proposal.id}/comments", headers=headers,
                        json={"body": "동의합니다", "parent_id": first.json["id"]})
    assert reply.status_code == 201 and reply.json["parent_id"] == first.json["id"]
    deeper = client.post(f"/api/v1/proposals/{proposal.id}/comments", headers=headers,
                         json={"body": "더 깊이", "parent_id": reply.json["id"]})
    assert deeper.status_code == 422 and list(deeper.json["error"]["fields"]) == ["parent_id"]
