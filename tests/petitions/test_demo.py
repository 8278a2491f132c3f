"""The petition part of the Korean demo."""

from collections import Counter

from sqlalchemy import select

from participation.core.appeals import Appeal
from participation.core.time import utcnow
from participation.petitions import demo, queries
from participation.petitions.models import Petition
from tests.factories import UserFactory, admin, moderator, staff


def test_demo_has_every_state_a_queue_of_100_and_an_answer(db_session):
    people = {"citizen": [UserFactory(district=district) for district in ("마포구", "종로구") * 100],
              "moderator": [moderator()], "staff": [staff()], "admin": [admin()]}
    demo.seed(people)
    states = Counter(db_session.scalars(select(Petition.state)))
    assert states == {"pending": 100, "open": 6, "closed": 3, "answered": 1, "rejected": 1, "hidden": 1, "draft": 1}
    cutoff = queries.review_cutoff(utcnow())
    assert sum(petition.submitted_at < cutoff for petition in db_session.scalars(queries.moderation_queue())) == 37
    answered = db_session.scalars(select(Petition).where(Petition.state == "answered")).one()
    assert answered.signature_count == 120 and answered.answer.department == "디지털정책과 (예시 부서)"
    assert [p.title for p in queries.awaiting_answer()] == ["전통시장 온누리상품권 가맹점을 늘려 주세요",
                                                           "지하철 2호선 출근 시간 혼잡을 줄여 주세요"]
    assert queries.awaiting_answer()[0].answer_overdue_at is not None
    assert [p.kind for p in queries.debate_agenda()] == ["debate_request"]
    assert len(queries.home_items(5)) == 5
    appeals = {appeal.status: appeal for appeal in db_session.scalars(select(Appeal))}
    assert set(appeals) == {"pending", "dismissed"}
    assert db_session.get(Petition, appeals["pending"].subject_id).state == "rejected"
    assert db_session.get(Petition, appeals["dismissed"].subject_id).state == "hidden"
    assert appeals["dismissed"].decided_by_id == people["admin"][0].id
