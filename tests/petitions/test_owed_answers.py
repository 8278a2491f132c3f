"""Answer accountability in public (issue #20, item 4): the 답변 대기 page, the overdue-answers endpoint and the
deadline fields of petitions and proposals, moved through time; interim answers and extensions with their reasons;
the debate threshold crossed once, audited and told."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from participation.core.audit import AuditEntry
from participation.core.notifications import Notification
from participation.core.settings import set_setting
from participation.core.time import end_of_kst_day, to_kst
from participation.petitions import services as petitions
from participation.petitions import tasks
from participation.proposals import services as proposals
from tests.conftest import api_token, login
from tests.factories import SignatureFactory, UserFactory, admin, moderator, open_petition, open_proposal, staff

OPENED = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 10:00 KST


def owed_petition_and_proposal(time_machine):
    """A petition closed past its answer threshold (due in 90 days) and a proposal sent to its department on the
    same day (due in 30)."""
    time_machine.move_to(OPENED, tick=False)
    set_setting("PETITION_ANSWER_THRESHOLD", 2, admin())
    reviewer = moderator()
    petition = petitions.file_petition(UserFactory(), "심야버스 노선 확대", "밤늦게 다닐 버스가 없습니다.",
                                       "general", "transport")
    petitions.transition(petition, "open", reviewer)
    for _ in range(2):
        petitions.sign(petition.id, UserFactory())
    petitions.transition(petition, "closed", reviewer)
    proposal = open_proposal(title="한강 공원 그늘막 확대")
    proposals.transition(proposal, "under_review", reviewer)
    assert petition.answer_due_at == end_of_kst_day(to_kst(OPENED).date() + timedelta(days=90))
    assert proposal.answer_due_at == end_of_kst_day(to_kst(OPENED).date() + timedelta(days=30))
    return petition, proposal


def test_the_page_and_the_api_show_what_is_owed_and_what_is_overdue(client, db_session, time_machine):
    petition, proposal = owed_petition_and_proposal(time_machine)
    # Before any deadline: both are owed, nothing is overdue.
    page = client.get("/answers").get_data(as_text=True)
    assert "답변 대기" in page and "심야버스 노선 확대" in page and "한강 공원 그늘막 확대" in page
    assert page.index("한강 공원 그늘막 확대") < page.index("심야버스 노선 확대")  # the earlier deadline first
    assert "30일 남음" in page and "90일 남음" in page
    assert client.get("/api/v1/answers/overdue").json == {"items": [], "page": 1, "per_page": 20, "total": 0}
    assert client.get(f"/api/v1/petitions/{petition.id}").json["answer_overdue"] is False
    assert client.get(f"/api/v1/proposals/{proposal.id}").json["answer_overdue"] is False

    # The last second of the proposal's due day: not yet overdue.
    time_machine.move_to(proposal.answer_due_at, tick=False)
    assert client.get("/api/v1/answers/overdue").json["total"] == 0
    # The next morning (KST): one day overdue.
    time_machine.move_to(proposal.answer_due_at + timedelta(hours=9), tick=False)
    overdue = client.get("/api/v1/answers/overdue").json
    assert overdue["total"] == 1
    assert overdue["items"] == [{
        "resource": "proposals", "id": proposal.id, "title": "한강 공원 그늘막 확대",
        "answer_due_at": proposal.answer_due_at.isoformat(), "days_overdue": 1, "interim_answer": None,
        "interim_answered_at": None, "extension_reason": None}]
    assert client.get(f"/api/v1/proposals/{proposal.id}").json["answer_overdue"] is True
    assert "1일 지남" in client.get("/answers?overdue=1").get_data(as_text=True)

    # 100 days after opening both are late, the proposal by 70 days and the petition by 10.
    time_machine.move_to(OPENED + timedelta(days=100), tick=False)
    items = client.get("/api/v1/answers/overdue").json["items"]
    assert [(item["resource"], item["id"], item["days_overdue"]) for item in items] == [
        ("proposals", proposal.id, 70), ("petitions", petition.id, 10)]
    body = client.get(f"/api/v1/petitions/{petition.id}").json
    assert (body["answer_overdue"], body["extension_reason"], body["interim_answer"]) == (True, None, None)

    # Staff explain and extend the petition (60 days from its due day): it leaves the overdue list, not the page.
    officer = staff()
    petitions.write_interim_answer(petition, officer, "관계 부서와 노선 조정안을 협의하고 있습니다.")
    petitions.extend_answer_deadline(petition, officer, "버스 회사와 협의가 길어지고 있습니다.")
    db_session.commit()
    items = client.get("/api/v1/answers/overdue").json["items"]
    assert [(item["resource"], item["id"]) for item in items] == [("proposals", proposal.id)]
    body = client.get(f"/api/v1/petitions/{petition.id}").json
    assert body["answer_overdue"] is False
    assert body["extension_reason"] == "버스 회사와 협의가 길어지고 있습니다."
    assert body["interim_answer"] == "관계 부서와 노선 조정안을 협의하고 있습니다."
    assert body["answer_due_at"] == end_of_kst_day(to_kst(OPENED).date() + timedelta(days=150)).isoformat()
    page = client.get("/answers").get_data(as_text=True)
    assert "버스 회사와 협의가 길어지고 있습니다." in page and "관계 부서와 노선 조정안을 협의하고 있습니다." in page
    detail = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert "버스 회사와 협의가 길어지고 있습니다." in detail
    assert "관계 부서와 노선 조정안을 협의하고 있습니다." in detail
    assert "70일 지남" in page and "50일 남음" in page

    # The proposal's extension, with its reason in public; once only.
    proposals.write_interim_answer(proposal, officer, "현장 조사를 마쳤습니다.")
    proposals.extend_answer_deadline(proposal, officer, "예산 편성 시기를 기다립니다.")
    db_session.commit()
    body = client.get(f"/api/v1/proposals/{proposal.id}").json
    assert (body["answer_overdue"], body["extension_reason"], body["interim_answer"]) == (
        True, "예산 편성 시기를 기다립니다.", "현장 조사를 마쳤습니다.")  # 30 more days are still 40 days late
    item = client.get("/api/v1/answers/overdue").json["items"][0]
    assert (item["days_overdue"], item["extension_reason"], item["interim_answer"]) == (
        40, "예산 편성 시기를 기다립니다.", "현장 조사를 마쳤습니다.")
    assert "예산 편성 시기를 기다립니다." in client.get(f"/proposals/{proposal.id}").get_data(as_text=True)

    # Answered items are no longer owed.
    petitions.answer(petition, officer, "버스정책과", "노선 두 개를 늘립니다.")
    proposals.answer(proposal, officer, "not_adopted", "예산이 없습니다.")
    db_session.commit()
    assert client.get("/api/v1/answers/overdue").json["total"] == 0
    assert "서울시가 답변해야 하는 청원이나 제안이 없습니다." in client.get("/answers").get_data(as_text=True)


def test_extensions_and_interim_answers_refuse_what_is_not_owed_or_not_staff(client, db_session, time_machine):
    petition, proposal = owed_petition_and_proposal(time_machine)
    db_session.commit()
    officer = staff()
    login(client, officer)
    page = client.get(f"/petitions/{petition.id}/answer").get_data(as_text=True)
    assert "중간 답변 등록" in page
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    # Empty reason / text: 422, nothing written.
    assert client.post(f"/proposals/{proposal.id}/extend", data={"csrf_token": token, "reason": ""}).status_code == 422
    assert client.post(f"/petitions/{petition.id}/interim",
                       data={"csrf_token": token, "interim_answer": ""}).status_code == 422
    db_session.expire_all()
    assert (proposal.extension_reason, petition.interim_answer) == (None, None)
    # Through the pages.
    assert client.post(f"/proposals/{proposal.id}/extend",
                       data={"csrf_token": token, "reason": "현장 조사가 필요합니다."}).status_code == 303
    assert client.post(f"/petitions/{petition.id}/interim",
                       data={"csrf_token": token, "interim_answer": "검토 중입니다."}).status_code == 303
    db_session.expire_all()
    assert (proposal.extension_reason, petition.interim_answer) == ("현장 조사가 필요합니다.", "검토 중입니다.")
    assert proposal.answer_due_at == end_of_kst_day(to_kst(OPENED).date() + timedelta(days=60))
    # A second extension: 409, the due date stays.
    response = client.post(f"/proposals/{proposal.id}/extend", data={"csrf_token": token, "reason": "한 번 더"})
    assert response.status_code == 409
    db_session.expire_all()
    assert proposal.answer_due_at == end_of_kst_day(to_kst(OPENED).date() + timedelta(days=60))
    # A petition that owes no answer (still collecting signatures) gets no interim answer.
    collecting = open_petition()
    db_session.commit()
    response = client.post(f"/petitions/{collecting.id}/interim", data={"csrf_token": token, "interim_answer": "?"})
    assert response.status_code == 409
    # A citizen may do neither.
    client.post("/logout", data={"csrf_token": token})
    citizen = UserFactory()
    db_session.commit()
    login(client, citizen)
    token = client.get("/account").get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1][:200]
    token = token.split('"')[0]
    assert client.post(f"/petitions/{petition.id}/interim",
                       data={"csrf_token": token, "interim_answer": "제가 씁니다"}).status_code == 403
    fresh = open_proposal()
    proposals.transition(fresh, "under_review", moderator())
    db_session.commit()
    assert client.post(f"/proposals/{fresh.id}/extend", data={"csrf_token": token, "reason": "제가"}).status_code == 403
    db_session.expire_all()
    assert (fresh.extension_reason, petition.interim_answer) == (None, "검토 중입니다.")


def test_the_debate_threshold_is_crossed_once_audited_and_told(db_session, time_machine):
    time_machine.move_to(OPENED, tick=False)
    author, signers = UserFactory(), [UserFactory() for _ in range(3)]
    petition = open_petition(kind="debate_request", author=author, debate_threshold=3)
    general = open_petition(kind="general", debate_threshold=3)
    for signer in signers:
        SignatureFactory(petition_id=petition.id, user_id=signer.id)
        SignatureFactory(petition_id=general.id, user_id=signer.id)
    SignatureFactory(petition_id=petition.id, user_id=author.id)
    tasks.recount_petition(general.id)
    tasks.recount_petition(petition.id)
    tasks.recount_petition(petition.id)  # a second recount crosses nothing
    assert tasks.recount_changing_petitions() == 0  # nor does the reconciliation
    db_session.refresh(petition)
    db_session.refresh(general)
    assert petition.debate_reached_at == OPENED and general.debate_reached_at is None
    entries = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "debate_threshold_reached")).all()
    assert [(entry.subject_type, entry.subject_id, entry.actor_id) for entry in entries] == [
        ("petition", petition.id, None)]
    told = db_session.scalars(select(Notification.user_id).where(
        Notification.url == f"/petitions/{petition.id}").order_by(Notification.user_id)).all()
    assert told == sorted([author.id, *(signer.id for signer in signers)])
    message = db_session.scalar(select(Notification.message).where(Notification.user_id == author.id))
    assert "시민참여 토론회 안건" in message
    assert client_free_api_field(petition) == OPENED.isoformat()


def client_free_api_field(petition):
    from participation.petitions.api import PetitionSchema, serialise

    return PetitionSchema().dump(serialise(petition, None))["debate_reached_at"]


def test_signing_below_the_threshold_tells_nobody(db_session):
    petition = open_petition(kind="debate_request", debate_threshold=3)
    for _ in range(2):
        SignatureFactory(petition_id=petition.id)
    tasks.recount_petition(petition.id)
    db_session.refresh(petition)
    assert petition.debate_reached_at is None
    assert db_session.scalar(select(Notification.id)) is None


def test_api_token_reader_sees_the_same_fields(client, db_session, time_machine):
    petition, proposal = owed_petition_and_proposal(time_machine)
    db_session.commit()
    headers = api_token(client, UserFactory())
    body = client.get(f"/api/v1/petitions/{petition.id}", headers=headers).json
    assert {"answer_due_at", "answer_overdue", "extension_reason", "interim_answer"} <= set(body)
    body = client.get(f"/api/v1/proposals/{proposal.id}", headers=headers).json
    assert {"answer_due_at", "answer_overdue", "extension_reason", "interim_answer"} <= set(body)
