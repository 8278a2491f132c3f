"""Scheduled jobs: closing at the deadline, overdue answers, recounts."""

from datetime import UTC, datetime, timedelta

from participation.core.settings import set_setting
from participation.core.time import end_of_kst_day, to_kst
from participation.petitions import counts, services, tasks
from participation.petitions.models import PetitionState
from tests.conftest import api_token
from tests.factories import SignatureFactory, UserFactory, admin, moderator, open_petition, staff

OPENED = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 10:00 KST


def test_deadline_job_closes_on_time_and_sets_the_answer_due_date(db_session, time_machine):
    time_machine.move_to(OPENED, tick=False)
    set_setting("PETITION_ANSWER_THRESHOLD", 3, admin())
    reviewer, author = moderator(), UserFactory()
    popular = services.file_petition(author, "버스 정류장 온열 의자", "겨울에 추워요.", "general", "transport")
    quiet = services.file_petition(author, "구청 주차장 개방", "주말에 열어 주세요.", "general", "transport")
    for petition in (popular, quiet):
        services.transition(petition, PetitionState.open, reviewer)
    assert popular.closes_at == end_of_kst_day(to_kst(OPENED).date() + timedelta(days=30))
    for _ in range(3):
        services.sign(popular.id, UserFactory())
    services.sign(quiet.id, UserFactory())

    time_machine.move_to(popular.closes_at - timedelta(seconds=1), tick=False)
    assert tasks.close_due_petitions() == 0
    time_machine.move_to(popular.closes_at + timedelta(seconds=1), tick=False)
    assert tasks.close_due_petitions() == 2
    assert tasks.close_due_petitions() == 0
    db_session.refresh(popular)
    db_session.refresh(quiet)
    assert (popular.state, popular.signature_count, quiet.state, quiet.signature_count) == ("closed", 3, "closed", 1)
    assert popular.answer_due_at == end_of_kst_day(to_kst(popular.closed_at).date() + timedelta(days=90))
    assert quiet.answer_due_at is None

    time_machine.move_to(popular.answer_due_at - timedelta(seconds=1), tick=False)
    assert tasks.mark_overdue_answers() == 0
    time_machine.move_to(popular.answer_due_at + timedelta(seconds=1), tick=False)
    assert tasks.mark_overdue_answers() == 1
    assert tasks.mark_overdue_answers() == 0
    db_session.refresh(popular)
    assert popular.answer_overdue_at is not None
    services.extend_answer_deadline(popular, staff(), "부서 간 협의 중")
    assert popular.answer_overdue_at is None


def test_recount_twice_gives_the_same_rows(db_session):
    petition = open_petition(signature_count=99)
    for district in ("마포구", "마포구", "종로구"):
        SignatureFactory(petition_id=petition.id, district=district)
    tasks.recount_petition(petition.id)
    first = (petition.signature_count, petition.district_counts, petition.count_as_of is not None)
    tasks.recount_petition(petition.id)
    db_session.refresh(petition)
    assert first == (petition.signature_count, petition.district_counts, True) == (3, {"마포구": 2, "종로구": 1}, True)
    assert counts.recount(10**9) is None


def test_reconciliation_fixes_drift_and_reports_it(db_session):
    drifted, exact, draft = open_petition(signature_count=7), open_petition(), open_petition(state="pending")
    SignatureFactory(petition_id=exact.id)
    exact.signature_count = 1
    assert tasks.recount_all_petitions() == 1
    assert tasks.recount_changing_petitions() == 0
    assert (drifted.signature_count, exact.signature_count, draft.signature_count) == (0, 1, 0)


def test_signing_through_the_api_is_counted_by_one_debounced_job(client, db_session, redis, run_jobs):
    from participation.core.jobs import get_queue

    petition = open_petition()
    for _ in range(4):
        response = client.post(f"/api/v1/petitions/{petition.id}/signatures", headers=api_token(client, UserFactory()))
        assert response.status_code == 201
    assert len(get_queue().scheduled_job_registry.get_job_ids()) == 1
    assert client.get(f"/api/v1/petitions/{petition.id}").json["signature_count"] == 0
    run_jobs()
    assert client.get(f"/api/v1/petitions/{petition.id}").json["signature_count"] == 4
    listed = client.get("/api/v1/petitions").json["items"]
    assert [(item["id"], item["signature_count"]) for item in listed] == [(petition.id, 4)]
    page = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert "4명" in page
    assert "서명 4명" in client.get("/petitions").get_data(as_text=True)
