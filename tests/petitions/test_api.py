"""The petition API: the whole life cycle and its error shapes."""

import pytest

from participation.accounts.identity import person_hash
from participation.accounts.models import VerifiedIdentity
from participation.petitions import services
from tests.conftest import api_token
from tests.factories import PetitionFactory, UserFactory, moderator, open_petition, staff


def error(response, status, code=None):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.json["error"]
    assert body["message"]
    if code:
        assert body["code"] == code
    return body


def test_life_cycle_through_the_api(client, db_session, run_jobs):
    author, reviewer, signer, clerk = UserFactory(), moderator(), UserFactory(), staff()
    # A debate request: signing it needs a verified person (본인인증).
    for person in (signer, author):
        db_session.add(VerifiedIdentity(user_id=person.id, person_hash=person_hash(f"CI-{person.id}"), issuer="test"))
    as_author, as_reviewer = api_token(client, author), api_token(client, reviewer)
    as_signer, as_clerk = api_token(client, signer), api_token(client, clerk)

    created = client.post("/api/v1/petitions", headers=as_author, json={
        "title": "따릉이 대여소를 늘려 주세요", "body": "우리 동네에는 **대여소**가 없습니다.",
        "kind": "debate_request", "category": "transport", "status": "open", "signature_count": 5000})
    assert created.status_code == 201
    petition = created.json
    assert (petition["status"], petition["kind"], petition["signature_count"]) == ("pending", "debate_request", 0)
    assert petition["title"] == "따릉이 대여소를 늘려 주세요" and petition["author"] == author.display_name
    url = f"/api/v1/petitions/{petition['id']}"

    error(client.get(url), 404, "not_found")
    error(client.post(f"{url}/signatures", headers=as_signer), 404)
    error(client.post(f"{url}/transitions", headers=as_author, json={"to": "open"}), 403, "forbidden")
    body = error(client.post(f"{url}/transitions", headers=as_reviewer, json={"to": "closed"}), 409,
                 "invalid_transition")
    assert "open, rejected" in body["message"]
    error(client.post(f"{url}/transitions", headers=as_reviewer, json={"to": "rejected"}), 422)
    # A state that petitions do not have is refused like any edge that is not there: 409, naming the allowed ones.
    body = error(client.post(f"{url}/transitions", headers=as_reviewer, json={"to": "게시"}), 409,
                 "invalid_transition")
    assert "open, rejected" in body["message"]
    opened = client.post(f"{url}/transitions", headers=as_reviewer, json={"to": "open"})
    assert opened.status_code == 200 and opened.json["status"] == "open"
    rules = opened.json["answer_threshold"], opened.json["debate_threshold"], opened.json["days_left"]
    assert rules == (1000, 5000, 30)

    assert client.get(url).json["signed"] is None
    signed = client.post(f"{url}/signatures", headers=as_signer, json={})
    assert signed.status_code == 201 and signed.json["petition_id"] == petition["id"]
    error(client.post(f"{url}/signatures", headers=as_signer), 409, "already_signed")
    assert client.get(url, headers=as_signer).json["signed"] is True
    assert client.delete(f"{url}/signatures", headers=as_signer).status_code == 204
    error(client.delete(f"{url}/signatures", headers=as_signer), 404)
    assert client.post(f"{url}/signatures", headers=as_signer).status_code == 201
    assert client.post(f"{url}/signatures", headers=as_author).status_code == 201
    run_jobs()
    assert client.get(url).json["signature_count"] == 2

    error(client.post(f"{url}/answer", headers=as_clerk, json={"department": "자전거정책과", "body": "답변"}), 409)
    closed = client.post(f"{url}/transitions", headers=as_reviewer, json={"to": "closed"})
    assert closed.json["status"] == "closed" and closed.json["answer_due_at"] is None
    error(client.post(f"{url}/signatures", headers=api_token(client, UserFactory())), 409, "not_open")
    error(client.post(f"{url}/answer", headers=as_signer, json={"department": "자전거정책과", "body": "답변"}), 403)
    answered = client.post(f"{url}/answer", headers=as_clerk, json={
        "department": "자전거정책과 (예시)", "body": "대여소 20곳을 늘리겠습니다.", "links": ["https://example.com/plan"]})
    assert answered.status_code == 201
    assert answered.json["status"] == "answered"
    assert answered.json["answer"]["links"] == ["https://example.com/plan"]
    assert client.get(url).json["answer"]["department"] == "자전거정책과 (예시)"


def test_another_citizens_draft_is_404_and_the_author_sees_it(client, db_session):
    author = UserFactory()
    draft = services.file_petition(author, "초안", "아직 쓰는 중", "general", "other", submit=False)
    url = f"/api/v1/petitions/{draft.id}"
    error(client.get(url, headers=api_token(client, UserFactory())), 404)
    error(client.post(f"{url}/transitions", headers=api_token(client, UserFactory()), json={"to": "pending"}), 404)
    error(client.post(f"{url}/transitions", headers=api_token(client, moderator()), json={"to": "open"}), 404)
    as_author = api_token(client, author)
    assert client.get(url, headers=as_author).json["status"] == "draft"
    submitted = client.post(f"{url}/transitions", headers=as_author, json={"to": "pending"})
    assert submitted.json["status"] == "pending" and submitted.json["submitted_at"]


def test_rejection_reason_is_shown_to_the_author_only(client, db_session):
    author = UserFactory()
    petition = PetitionFactory(author=author)
    client.post(f"/api/v1/petitions/{petition.id}/transitions", headers=api_token(client, moderator()),
                json={"to": "rejected", "reason": "같은 내용의 청원이 이미 진행 중입니다"})
    mine = client.get(f"/api/v1/petitions/{petition.id}", headers=api_token(client, author)).json
    assert (mine["status"], mine["rejection_reason"]) == ("rejected", "같은 내용의 청원이 이미 진행 중입니다")
    error(client.get(f"/api/v1/petitions/{petition.id}", headers=api_token(client, UserFactory())), 404)


def test_hidden_petition_keeps_its_id_but_not_its_text(client, db_session):
    petition = open_petition(title="개인정보가 담긴 청원")
    response = client.post(f"/api/v1/petitions/{petition.id}/transitions", headers=api_token(client, moderator()),
                           json={"to": "hidden", "reason": "개인 연락처 노출"})
    assert response.json["status"] == "hidden" and response.json["title"] == "개인정보가 담긴 청원"
    public = client.get(f"/api/v1/petitions/{petition.id}").json
    assert (public["status"], public["title"], public["body"]) == ("hidden", None, None)
    assert client.get("/api/v1/petitions").json["total"] == 0


def test_hiding_through_the_api_resolves_the_reports(client, db_session):
    """Hiding a petition upholds its open reports whichever way it is hidden: through the API as on the page
    (the reports were resolved only in the web view, so an API hide left them in the moderation queue)."""
    from participation.core.reports import ReportStatus, file_report, open_report_count, open_reports

    petition = open_petition(title="특정인의 연락처가 담긴 청원")
    first = file_report(UserFactory(), services.SUBJECT, petition.id, "개인 연락처가 공개되어 있습니다",
                        author_id=petition.author_id)
    file_report(UserFactory(), services.SUBJECT, petition.id, "명예훼손 소지가 있습니다", author_id=petition.author_id)
    assert open_report_count(services.SUBJECT, petition.id) == 2
    response = client.post(f"/api/v1/petitions/{petition.id}/transitions", headers=api_token(client, moderator()),
                           json={"to": "hidden", "reason": "개인정보 노출"})
    assert response.status_code == 200 and response.json["status"] == "hidden"
    assert open_report_count(services.SUBJECT, petition.id) == 0 and open_reports() == []
    assert first.status == ReportStatus.upheld


@pytest.mark.parametrize(("body", "fields"), [
    ({"title": "제목", "body": "내용", "kind": "petition", "category": "transport"}, {"kind"}),
    ({"title": "제목", "body": "내용", "kind": "general", "category": "교통"}, {"category"}),
    ({"title": "가" * 101, "body": "내용", "kind": "general", "category": "transport"}, {"title"}),
    ({"title": "   ", "body": "내용", "kind": "general", "category": "transport"}, {"title"}),
    ({"title": "제목", "body": "가" * 20_001, "kind": "general", "category": "transport"}, {"body"}),
    ({"title": 3, "body": None}, {"title", "body", "kind", "category"}),
])
def test_invalid_petitions_are_422_naming_the_fields(client, db_session, body, fields):
    response = client.post("/api/v1/petitions", headers=api_token(client, UserFactory()), json=body)
    assert set(error(response, 422, "invalid")["fields"]) == fields
    assert client.get("/api/v1/petitions").json["total"] == 0


def test_malformed_requests_never_500(client, db_session):
    headers = api_token(client, UserFactory())
    error(client.post("/api/v1/petitions", headers=headers, json=[]), 400)
    error(client.post("/api/v1/petitions", headers=headers, data="{", content_type="application/json"), 400)
    error(client.post("/api/v1/petitions", json={"title": "제목"}), 401)
    error(client.get("/api/v1/petitions/99999999999999999999"), 404)
    error(client.post("/api/v1/petitions/2147483648/signatures", headers=headers), 404)
    error(client.get("/api/v1/petitions?status=pending"), 422)
    error(client.get("/api/v1/petitions?kind=xyz&category=abc"), 422)
    error(client.get("/api/v1/petitions?page=0"), 422)


def test_list_filters_search_and_paging(client, db_session):
    for number in range(3):
        open_petition(title=f"지하철 냉방 개선 {number}", signature_count=number)
    open_petition(title="주민감사 청구: 구청 예산", kind="resident_audit", category="administration")
    PetitionFactory(title="지하철 검토 대기")
    listing = client.get("/api/v1/petitions?q=지하철&sort=signatures&per_page=2").json
    assert (listing["total"], listing["per_page"], listing["page"]) == (3, 2, 1)
    assert [item["title"] for item in listing["items"]] == ["지하철 냉방 개선 2", "지하철 냉방 개선 1"]
    assert client.get("/api/v1/petitions?per_page=1000").json["per_page"] == 100
    audit = client.get("/api/v1/petitions?kind=resident_audit&category=administration&status=open").json
    assert [item["title"] for item in audit["items"]] == ["주민감사 청구: 구청 예산"]


def test_openapi_documents_the_petition_calls(client, db_session):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/petitions"])
    assert {"post", "delete"} <= set(paths["/api/v1/petitions/{petition_id}/signatures"])
    assert "post" in paths["/api/v1/petitions/{petition_id}/transitions"]


def test_the_list_tells_a_citizen_what_they_signed(client, db_session):
    signed, unsigned = open_petition(), open_petition()
    citizen = UserFactory()
    services.sign(signed.id, citizen)
    items = client.get("/api/v1/petitions", headers=api_token(client, citizen)).json["items"]
    assert {item["id"]: item["signed"] for item in items} == {signed.id: True, unsigned.id: False}
    assert {item["signed"] for item in client.get("/api/v1/petitions").json["items"]} == {None}
