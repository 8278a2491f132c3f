"""The lifecycle engine (core/lifecycle.py): one declared table per channel and one move().

The rules are checked on a table declared here, over a real channel's rows (petitions, with their rules
already copied so that the table's CHECK constraints hold in any state), so that they do not depend on any one
channel's choices; every channel's own table is exercised by the state-machine property test
(tests/reliability/test_state_machines.py) and by its own tests."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
import requests
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from participation.accounts.services import issue_token
from participation.core.audit import AuditEntry
from participation.core.errors import Conflict, Forbidden, InvalidTransition, Unauthorized, ValidationError
from participation.core.lifecycle import REASON_MAX, Edge, Lifecycle
from participation.core.permissions import Role
from participation.extensions import db
from participation.petitions import services as petitions
from participation.petitions.models import Petition
from participation.petitions.models import PetitionState as S
from tests import factories


def engine(log: list) -> Lifecycle:
    lifecycle = Lifecycle("lifecycle_test", S, [
        Edge(S.pending, S.open, Role.moderator),
        Edge(S.pending, S.rejected, Role.moderator, reason=True),
        Edge(S.open, S.closed, Role.moderator, reason=True, system=True),
        Edge(S.open, S.answered),  # no person, and not the system either: unreachable
        Edge(S.rejected, S.open, Role.moderator, reason=True, via="appeal"),
    ])

    @lifecycle.guard(S.closed)
    def _not_on_sundays(item, step):
        if step.context.get("sunday"):
            raise Conflict("일요일에는 마감하지 않습니다.", code="sunday")

    @lifecycle.on_enter(S.open, S.closed)
    def _first(item, step):
        log.append(("first", str(step.source), str(step.target), item.state, step.reason, step.via))

    @lifecycle.on_enter(S.closed)
    def _second(item, step):
        log.append(("second", str(step.source), str(step.target), item.state, step.reason, step.via))

    return lifecycle


def actions(item) -> list[tuple[str, int | None, str | None]]:
    return list(db.session.execute(select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.reason).where(
        AuditEntry.subject_type == "lifecycle_test", AuditEntry.subject_id == item.id).order_by(AuditEntry.id)))


def test_a_move_checks_audits_sets_and_runs_the_hooks_in_order(db_session):
    log: list = []
    lifecycle, reviewer = engine(log), factories.moderator()
    petition = factories.open_petition(state="pending")  # its rules copied already: the table's CHECK holds
    assert lifecycle.move(petition, "open", reviewer, "  ") is petition
    assert petition.state == S.open
    assert db.session.scalar(select(Petition.state).where(Petition.id == petition.id)) == S.open
    lifecycle.move(petition, S.closed, None)
    assert log == [("first", "pending", "open", "open", None, None),
                   ("first", "open", "closed", "closed", None, None),
                   ("second", "open", "closed", "closed", None, None)]
    assert actions(petition) == [("pending->open", reviewer.id, None), ("open->closed", None, None)]


@pytest.mark.parametrize(("start", "to", "actor", "error", "allowed"), [
    ("pending", "게시", "moderator", InvalidTransition, ["open", "rejected"]),  # not a state: 409 as well
    ("pending", "closed", "moderator", InvalidTransition, ["open", "rejected"]),  # not an edge from here
    ("pending", "open", "citizen", Forbidden, None),  # the edge's role
    ("pending", "open", "anonymous", Unauthorized, None),
    ("pending", "open", "system", InvalidTransition, []),  # the system takes only its own edges
    ("open", "answered", "admin", Forbidden, None),  # an edge of no person
    ("open", "answered", "system", InvalidTransition, ["closed"]),
    ("rejected", "open", "moderator", InvalidTransition, []),  # an appeal's edge is not a plain move
])
def test_refused_moves_change_nothing(db_session, start, to, actor, error, allowed):
    log: list = []
    lifecycle = engine(log)
    people = {"moderator": factories.moderator(), "citizen": factories.UserFactory(), "admin": factories.admin(),
              "anonymous": AnonymousUserMixin(), "system": None}
    petition = factories.open_petition(state=start)
    with pytest.raises(error) as raised:
        lifecycle.move(petition, to, people[actor], "사유")
    if allowed is not None:
        assert raised.value.status == 409 and raised.value.allowed == allowed
    assert petition.state == start and log == [] and actions(petition) == []


def test_reasons_are_asked_of_people_not_of_the_system(db_session):
    lifecycle, reviewer = engine([]), factories.moderator()
    petition = factories.open_petition()
    with pytest.raises(ValidationError) as raised:
        lifecycle.move(petition, "closed", reviewer, "   ")
    assert set(raised.value.fields) == {"reason"}
    with pytest.raises(ValidationError):
        lifecycle.move(petition, "closed", reviewer, "가" * (REASON_MAX + 1))
    lifecycle.move(petition, "closed", None)
    assert actions(petition) == [("open->closed", None, None)]


def test_a_guard_refuses_before_anything_changes(db_session):
    log: list = []
    lifecycle = engine(log)
    petition = factories.open_petition()
    with pytest.raises(Conflict) as raised:
        lifecycle.move(petition, "closed", None, sunday=True)
    assert raised.value.code == "sunday" and petition.state == S.open and log == [] and actions(petition) == []


def test_an_edge_with_via_is_taken_only_through_its_procedure(db_session):
    log: list = []
    lifecycle, reviewer = engine(log), factories.moderator()
    petition = factories.open_petition(state="rejected")
    assert lifecycle.allowed(S.rejected) == [] and lifecycle.allowed(S.rejected, via="appeal") == [S.open]
    with pytest.raises(ValidationError):
        lifecycle.move(petition, "open", reviewer, via="appeal")
    lifecycle.move(petition, "open", reviewer, "이의신청 인용", via="appeal")
    assert log == [("first", "rejected", "open", "open", "이의신청 인용", "appeal")]
    assert actions(petition) == [("rejected->open", reviewer.id, "이의신청 인용")]


def test_the_table_is_declared_once():
    with pytest.raises(ValueError, match="declared twice"):
        Lifecycle("lifecycle_test", S, [Edge(S.pending, S.open, Role.moderator), Edge("pending", "open")])
    lifecycle = engine([])
    assert lifecycle.allowed("open") == [S.closed, S.answered]
    assert lifecycle.allowed("open", system=True) == [S.closed]


def test_two_moderators_at_once_make_one_move(app, live_server):
    """Ten moderators publish the same pending petition at the same moment: the move re-reads the state under a
    row lock, so exactly one publishes it (one audit row, one notification) and the others get 409."""
    threads = 10
    with app.app_context():
        factories.bind(db.session)
        author = factories.UserFactory()
        petition = factories.PetitionFactory(author=author, state="pending", title="동시 공개 시험 청원")
        tokens = [issue_token(factories.moderator()) for _ in range(threads)]
        db.session.commit()
        petition_id = petition.id
    url = f"{live_server}/api/v1/petitions/{petition_id}/transitions"
    barrier = Barrier(threads)

    def publish(token: str) -> int:
        barrier.wait()
        return requests.post(url, json={"to": "open"}, headers={"Authorization": f"Bearer {token}"},
                             timeout=60).status_code

    with ThreadPoolExecutor(threads) as pool:
        statuses = sorted(pool.map(publish, tokens))
    assert statuses == [200] + [409] * (threads - 1)
    with app.app_context():
        moves = db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.subject_type == petitions.SUBJECT, AuditEntry.subject_id == petition_id,
            AuditEntry.action.contains("->"))).all()
        assert moves == ["pending->open"]
        db.session.remove()
