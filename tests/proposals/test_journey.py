"""The whole story as a new user meets it: propose, gather supports from several people, cross the
threshold, get an answer, and read it all in the proposal's history and notifications."""

from sqlalchemy import func, select

from participation.accounts.models import User
from participation.core.notifications import Notification
from participation.extensions import db
from participation.proposals.models import Proposal
from tests import factories
from tests.conftest import csrf_token, login


def logout(client) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_propose_support_cross_the_threshold_and_get_an_answer(client, run_jobs):
    author, moderator, staff, admin = (factories.UserFactory(display_name="김제안"), factories.moderator(),
                                       factories.staff(), factories.admin())
    supporters = factories.UserFactory.create_batch(3)
    author_id, staff_id = author.id, staff.id

    # An admin lowers the review threshold for a pilot; the proposal keeps the rule in force when it opens.
    login(client, admin)
    client.post("/admin/settings/PROPOSAL_REVIEW_THRESHOLD",
                data={"csrf_token": csrf_token(client, "/admin/settings"), "value": "3", "note": "시범 운영"})
    logout(client)

    login(client, author)
    client.post("/proposals/new", data={
        "csrf_token": csrf_token(client, "/proposals/new"), "title": "마을버스 막차 시간 연장",
        "problem": "밤 11시면 마을버스가 끊깁니다.", "body": "막차를 자정까지 늦춰 주세요.", "category": "transport",
        "district": "은평구"}, content_type="multipart/form-data")
    proposal_id = db.session.scalar(select(Proposal.id))
    logout(client)

    login(client, moderator)
    client.post(f"/proposals/{proposal_id}/transition",
                data={"csrf_token": csrf_token(client, "/proposals/moderation"), "to": "open"})
    logout(client)

    for supporter in supporters:
        login(client, supporter)
        response = client.post(f"/proposals/{proposal_id}/support",
                               data={"csrf_token": csrf_token(client, f"/proposals/{proposal_id}")})
        assert response.status_code == 303
        logout(client)
    run_jobs()
    proposal = db.session.get(Proposal, proposal_id)
    assert (proposal.review_threshold, proposal.support_count, proposal.state) == (3, 3, "under_review")

    # The worker's job ended the test's session: read the people again.
    login(client, db.session.get(User, staff_id))
    client.post(f"/proposals/{proposal_id}/answer", data={
        "csrf_token": csrf_token(client, f"/proposals/{proposal_id}"), "outcome": "partly",
        "answer_body": "노선 두 곳에서 시범 연장합니다.", "follow_up": "2026년 1월부터 6개월 시범 운행"})
    logout(client)

    login(client, db.session.get(User, author_id))
    page = client.get(f"/proposals/{proposal_id}").get_data(as_text=True)
    for text in ("일부 채택", "노선 두 곳에서 시범 연장합니다.", "2026년 1월부터 6개월 시범 운행", "접수",
                 "검토 대기 → 공감 모으는 중", "공감 모으는 중 → 부서 검토 중", "부서 검토 중 → 답변 완료"):
        assert text in page, text
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == author_id)) == 3
    assert "마을버스 막차 시간 연장" in client.get("/notifications").get_data(as_text=True)


def test_the_pages_read_in_english(client):
    factories.open_proposal(title="서울숲 야간 산책로")
    client.set_cookie("lang", "en")
    page = client.get("/proposals").get_data(as_text=True)
    assert "Citizen proposals · Sangsangdaero Seoul" in page and "Most supported" in page
