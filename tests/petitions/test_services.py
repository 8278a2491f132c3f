"""The rules of petitions, through the services."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from participation.accounts.services import delete_account
from participation.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationError
from participation.core.settings import set_setting, setting_history
from participation.core.time import kst_year_bounds, utcnow
from participation.extensions import db
from participation.petitions import queries, services
from participation.petitions.counts import recount
from participation.petitions.models import Petition, Signature
from tests.factories import PASSWORD, PetitionFactory, UserFactory, admin, moderator, open_petition, staff


def test_a_petition_keeps_the_rules_in_force_when_it_opened(db_session):
    boss, reviewer, citizen = admin(), moderator(), UserFactory()
    set_setting("PETITION_ANSWER_THRESHOLD", 500, boss, "시범 운영")
    petition = services.file_petition(citizen, "  한강 자전거도로 조명 설치  ", "야간에 너무 어둡습니다.", "general",
                                      "safety")
    assert (petition.state, petition.title) == ("pending", "한강 자전거도로 조명 설치")
    services.transition(petition, "open", reviewer)
    set_setting("PETITION_ANSWER_THRESHOLD", 2000, boss, "기준 상향")
    assert petition.answer_threshold == 500
    assert (petition.signature_days, petition.debate_threshold, petition.answer_days) == (30, 5000, 90)
    assert petition.closes_at - petition.published_at > timedelta(days=30)
    assert [change.value for change in setting_history("PETITION_ANSWER_THRESHOLD")] == [2000, 500]
    later = services.file_petition(citizen, "가로등 교체", "어둡습니다.", "general", "safety")
    services.transition(later, "open", reviewer)
    assert later.answer_threshold == 2000


def test_transitions_follow_the_table(db_session):
    citizen, reviewer = UserFactory(), moderator()
    draft = services.file_petition(citizen, "공공 와이파이 확대", "지하철역마다 설치해 주세요.", "general",
                                   "administration", submit=False)
    with pytest.raises(InvalidTransition) as error:
        services.transition(draft, "open", reviewer)
    assert error.value.allowed == ["pending"]
    with pytest.raises(InvalidTransition) as error:
        services.transition(draft, "없는상태", citizen)
    assert error.value.allowed == ["pending"]
    with pytest.raises(NotFound):
        services.transition(draft, "pending", UserFactory())
    services.transition(draft, "pending", citizen)
    with pytest.raises(Forbidden):
        services.transition(draft, "open", citizen)
    with pytest.raises(ValidationError) as error:
        services.transition(draft, "rejected", reviewer, "  ")
    assert set(error.value.fields) == {"reason"}
    services.transition(draft, "rejected", reviewer, "서울시 소관 사무가 아닙니다")
    assert draft.rejection_reason == "서울시 소관 사무가 아닙니다"
    with pytest.raises(InvalidTransition) as error:
        services.transition(draft, "open", reviewer)
    assert error.value.allowed == []
    actions = [(entry.action, name) for entry, name in queries.history(draft.id)]
    assert actions == [("created", citizen.display_name), ("draft->pending", citizen.display_name),
                       ("pending->rejected", reviewer.display_name)]


@pytest.mark.parametrize(("title", "body", "kind", "category", "fields"), [
    ("", "내용", "general", "transport", {"title"}),
    ("가" * 101, "내용", "general", "transport", {"title"}),
    ("제목", "   ", "general", "transport", {"body"}),
    ("제목", "가" * 20_001, "general", "transport", {"body"}),
    ("제목", "내용", "petition", "transport", {"kind"}),
    ("제목", "내용", "general", "교통", {"category"}),
    (None, None, None, None, {"title", "body", "kind", "category"}),
])
def test_bad_fields_are_named_and_nothing_is_written(db_session, title, body, kind, category, fields):
    with pytest.raises(ValidationError) as error:
        services.file_petition(UserFactory(), title, body, kind, category)
    assert set(error.value.fields) == fields
    assert db_session.scalar(select(Petition.id)) is None


def test_filing_and_signing_need_a_verified_email(db_session):
    unverified = UserFactory(email_verified_at=None)
    with pytest.raises(Forbidden):
        services.file_petition(unverified, "제목", "내용", "general", "transport")
    with pytest.raises(Forbidden):
        services.sign(open_petition().id, unverified)


def test_one_signature_per_person_is_a_database_constraint(db_session):
    petition, citizen = open_petition(), UserFactory()
    services.sign(petition.id, citizen)
    with pytest.raises(Conflict) as error:
        services.sign(petition.id, citizen)
    assert error.value.code == "already_signed"
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Signature(petition_id=petition.id, user_id=citizen.id))
    assert len(db_session.scalars(select(Signature)).all()) == 1


def test_signing_snapshots_district_and_age_band(db_session):
    citizen = UserFactory(district="노원구", birth_year=utcnow().year - 25)
    signature = services.sign(open_petition().id, citizen)
    assert (signature.district, signature.age_band) == ("노원구", "20-29")


def test_only_open_petitions_take_signatures_and_withdrawals(db_session):
    citizen = UserFactory()
    for petition in (PetitionFactory(), open_petition(closes_at=utcnow() - timedelta(minutes=1))):
        with pytest.raises((Conflict, NotFound)):
            services.sign(petition.id, citizen)
    with pytest.raises(NotFound):
        services.sign(2**31 - 1, citizen)  # no such petition (URLs cap ids at this: core.routing)
    petition = open_petition()
    with pytest.raises(NotFound):
        services.withdraw(petition.id, citizen)
    services.sign(petition.id, citizen)
    services.withdraw(petition.id, citizen)
    assert db_session.scalar(select(Signature.id)) is None
    services.sign(petition.id, citizen)
    petition.closes_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(Conflict):
        services.withdraw(petition.id, citizen)


def test_pause_switch_stops_signing(db_session):
    from participation.core.errors import Paused

    set_setting("PAUSE_PARTICIPATION", True, admin())
    with pytest.raises(Paused):
        services.sign(open_petition().id, UserFactory())


def test_a_deleted_accounts_signature_still_counts(db_session):
    petition, leaving, staying = open_petition(), UserFactory(), UserFactory()
    services.sign(petition.id, leaving)
    services.sign(petition.id, staying)
    delete_account(leaving, PASSWORD)
    recount(petition.id)
    db_session.refresh(petition)
    assert petition.signature_count == 2
    kept = db_session.scalars(select(Signature).where(Signature.user_id == leaving.id)).one()
    assert leaving.email is None and leaving.display_name is None and kept.district == "마포구"


def test_answer_and_one_extension(db_session):
    clerk, citizen = staff(), UserFactory()
    petition = open_petition(state="closed", closed_at=utcnow(), signature_count=1200,
                             answer_due_at=utcnow() + timedelta(days=90))
    with pytest.raises(Forbidden):
        services.answer(petition, citizen, "교통정책과", "답변")
    with pytest.raises(ValidationError) as error:
        services.answer(petition, clerk, "", "", "javascript:alert(1)")
    assert set(error.value.fields) == {"department", "body", "links"}
    with pytest.raises(ValidationError):
        services.extend_answer_deadline(petition, clerk, " ")
    due = petition.answer_due_at
    services.extend_answer_deadline(petition, clerk, "관계 부서 협의가 필요합니다")
    assert (petition.answer_due_at - due).days in (59, 60)
    with pytest.raises(Conflict):
        services.extend_answer_deadline(petition, clerk, "한 번 더")
    services.answer(petition, clerk, "교통정책과 (예시)", "검토하겠습니다.", "https://news.seoul.go.kr/\n\nhttps://example.com/a")
    assert petition.state == "answered"
    assert petition.answer.link_list == ["https://news.seoul.go.kr/", "https://example.com/a"]
    with pytest.raises(InvalidTransition):
        services.answer(petition, clerk, "교통정책과", "두 번째 답변")


def test_count_submitted_counts_by_submission_time_and_kind(db_session):
    start, end = kst_year_bounds(2025)
    PetitionFactory(submitted_at=start)
    PetitionFactory(submitted_at=end - timedelta(microseconds=1), kind="resident_audit")
    PetitionFactory(submitted_at=end, kind="resident_audit")
    PetitionFactory(submitted_at=start - timedelta(seconds=1), kind="debate_request")
    PetitionFactory(state="draft", submitted_at=None)
    PetitionFactory(state="rejected", submitted_at=start + timedelta(days=40), kind="debate_request")
    assert queries.count_submitted(start, end) == 3
    assert queries.count_submitted(start, end, "resident_audit") == 1
    assert queries.count_submitted(start, end, "debate_request") == 1
    assert queries.count_submitted(start, end, "general") == 1


def test_korean_search_filters_and_similar(db_session):
    bus = open_petition(title="심야버스 노선 확대", body="강남에서 노원까지 가는 노선이 필요합니다.",
                        signature_count=30)
    park = open_petition(title="공원 반려견 놀이터", body="마포구 공원에 놀이터를 만들어 주세요.",
                         category="environment", signature_count=50)
    PetitionFactory(title="심야버스 검토 중 청원")
    closed = open_petition(title="100% 확실한 버스 정책", body="버스 전용차로를 늘려 주세요.", state="closed",
                           closed_at=utcnow())

    def titles(**filters):
        return [p.title for p in db_session.scalars(queries.public_list(**filters))]

    assert titles(q="심야버스") == [bus.title]
    assert titles(q="노원 노선") == [bus.title]
    assert titles(q="놀이터", status="open") == [park.title]
    assert titles(q="%") == [closed.title]
    assert titles(category="environment") == [park.title]
    assert titles(sort="signatures", status="open") == [park.title, bus.title]
    assert [p.title for p in queries.similar("심야버스 노선을 늘려 주세요")] == [bus.title]
    assert queries.similar("가") == []
    assert queries.home_items(5) == [(park.title, f"/petitions/{park.id}", "서명 50명 · 30일 남음"),
                                     (bus.title, f"/petitions/{bus.id}", "서명 30명 · 30일 남음")]


def test_district_chart_folds_small_districts(db_session):
    petition = open_petition(district_counts={"마포구": 12, "종로구": 3, "강남구": 10, "-": 1})
    # 종로구's 3 and the 1 without a district are too few together: 강남구 is folded in with them, so that the
    # folded row (14) does not give away 종로구's count.
    assert queries.district_chart(petition) == [("마포구", 12), (None, 14)]
    petition = open_petition(district_counts={"마포구": 40, "종로구": 3, "강남구": 10, "중구": 9})
    assert queries.district_chart(petition) == [("마포구", 40), ("강남구", 10), (None, 12)]


def test_filing_without_verification_when_the_setting_is_off(app, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "REQUIRE_EMAIL_VERIFICATION", False)
    petition = services.file_petition(UserFactory(email_verified_at=None), "제목", "내용", "general", "transport")
    assert petition.state == "pending"
