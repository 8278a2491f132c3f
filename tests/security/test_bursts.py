"""Staff void a burst (issue #18, item 8). /staff/trending showed bursts from one network, but staff could do
nothing with them. Now a keyed hash of each signature's and support's network (never beside a ballot) lets staff
open a burst, void it with a public reason — the rows stay, marked, and stop counting — and undo it."""

from datetime import timedelta

from sqlalchemy import inspect, select

from participation.core.audit import AuditEntry
from participation.core.time import utcnow
from participation.extensions import db
from participation.petitions import tasks as petition_tasks
from participation.petitions.models import Petition, Signature
from participation.proposals.models import Support
from tests import factories
from tests.security.conftest import bearer, form_token, web_client

BOT_NETWORK = "198.51.100."
REASON = "한 대역에서 몇 분 만에 몰린 자동 서명"


def sign_from(client, petition_id, address):
    user = factories.UserFactory()
    response = client.post(f"/api/v1/petitions/{petition_id}/signatures", headers=bearer(user),
                           environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 201
    return user


def signature_count(client, petition_id):
    return client.get(f"/api/v1/petitions/{petition_id}").json["signature_count"]


def window():
    return {"window_start": (utcnow() - timedelta(hours=1)).isoformat(), "window_end": utcnow().isoformat()}


def test_staff_void_a_burst_and_undo_it(app, client, db_session, redis, run_jobs):
    petition_id = factories.open_petition().id  # the jobs' commits detach the factory's objects
    for number in range(6):
        sign_from(client, petition_id, f"{BOT_NETWORK}{10 + number}")
    for address in ("203.0.113.5", "2001:db8:7:7::1"):
        sign_from(client, petition_id, address)
    run_jobs()
    assert signature_count(client, petition_id) == 8
    hashes = db_session.scalars(select(Signature.network_hash).where(Signature.petition_id == petition_id)).all()
    assert len(hashes) == 8 and len(set(hashes)) == 3  # one /24 for the six, then two other networks
    assert all(len(value) == 64 and BOT_NETWORK not in value for value in hashes)

    staff = factories.staff()
    headers = bearer(staff)
    citizen = bearer(factories.UserFactory())
    db_session.commit()  # what the refused requests roll back stays
    body = {"channel": "petitions", "item_id": petition_id, "network": f"{BOT_NETWORK}10", **window()}
    assert client.post("/api/v1/bursts", json=body, headers=citizen).status_code == 403
    opened = client.post("/api/v1/bursts", json=body, headers=headers)
    assert opened.status_code == 201
    burst = opened.json
    assert burst["network"] == f"{BOT_NETWORK}0/24" and burst["matched"] == 6 and burst["voided"] is False

    missing = client.post(f"/api/v1/bursts/{burst['id']}/void", json={}, headers=headers)
    assert missing.status_code == 422 and "reason" in missing.json["error"]["fields"]
    voided = client.post(f"/api/v1/bursts/{burst['id']}/void", json={"reason": REASON}, headers=headers)
    assert voided.status_code == 200 and voided.json["voided_count"] == 6
    twice = client.post(f"/api/v1/bursts/{burst['id']}/void", json={"reason": REASON}, headers=headers)
    assert twice.status_code == 409 and twice.json["error"]["code"] == "already_voided"
    run_jobs()
    assert signature_count(client, petition_id) == 2
    rows = db_session.scalars(select(Signature).where(Signature.petition_id == petition_id)).all()
    assert len(rows) == 8 and sum(row.void_id == burst["id"] for row in rows) == 6  # kept, marked
    page = client.get(f"/petitions/{petition_id}").get_data(as_text=True)
    assert "서명 6건을 무효 처리해 뺐습니다" in page and REASON in page

    undone = client.delete(f"/api/v1/bursts/{burst['id']}/void", headers=headers)
    assert undone.status_code == 200 and undone.json["voided"] is False
    again = client.delete(f"/api/v1/bursts/{burst['id']}/void", headers=headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "not_voided"
    assert client.post("/api/v1/bursts/987654/void", json={"reason": REASON}, headers=headers).status_code == 404
    assert client.delete("/api/v1/bursts/987654/void", headers=headers).status_code == 404
    run_jobs()
    assert signature_count(client, petition_id) == 8
    assert "무효 처리해 뺐습니다" not in client.get(f"/petitions/{petition_id}").get_data(as_text=True)
    actions = db_session.scalars(select(AuditEntry.action).where(
        AuditEntry.subject_type == "petition", AuditEntry.subject_id == petition_id,
        AuditEntry.action.in_(["voided", "unvoided"])).order_by(AuditEntry.id)).all()
    assert actions == ["voided", "unvoided"]


def test_bad_bursts_are_refused_precisely(client, db_session, redis):
    petition = factories.open_petition()
    headers = bearer(factories.staff())
    db_session.commit()  # what the refused requests roll back stays
    cases = [({"channel": "polls"}, "channel"), ({"network": "여기저기"}, "network"),
             ({"window_start": (utcnow() - timedelta(days=9)).isoformat()}, "window_start"),
             ({"window_end": (utcnow() - timedelta(hours=2)).isoformat()}, "window_end")]
    for change, field in cases:
        body = {"channel": "petitions", "item_id": petition.id, "network": "198.51.100.0/24", **window(), **change}
        response = client.post("/api/v1/bursts", json=body, headers=headers)
        assert response.status_code == 422 and field in response.json["error"]["fields"], change
    unknown = {"channel": "petitions", "item_id": 987654, "network": "198.51.100.0/24", **window()}
    assert client.post("/api/v1/bursts", json=unknown, headers=headers).status_code == 404


def test_staff_void_from_the_trending_list_on_the_console(app, client, db_session, redis, run_jobs):
    proposal_id = factories.open_proposal().id
    for number in range(3):
        user = factories.UserFactory()
        assert client.post(f"/api/v1/proposals/{proposal_id}/supports", headers=bearer(user),
                           environ_base={"REMOTE_ADDR": f"2001:db8:aa:bb::{number + 1}"}).status_code == 201
    staff = factories.staff()
    db_session.commit()
    console = web_client(app, staff.id)
    token = form_token(console)
    form = console.get(f"/staff/bursts/new?channel=proposals&item_id={proposal_id}&network=2001:db8:aa:bb::1")
    assert form.status_code == 200 and "2001:db8:aa:bb::1" in form.get_data(as_text=True)
    opened = console.post("/staff/bursts/new", data={"channel": "proposals", "item_id": str(proposal_id),
                                                     "network": "2001:db8:aa:bb::1", "csrf_token": token})
    assert opened.status_code == 303
    review = console.get(opened.headers["Location"])
    assert review.status_code == 200 and "2001:db8:aa:bb::/64" in review.get_data(as_text=True)
    burst_path = opened.headers["Location"].split("localhost")[-1]
    voided = console.post(f"{burst_path}/void", data={"reason": "같은 /64에서 몰린 공감", "csrf_token": token})
    assert voided.status_code == 303
    run_jobs()
    assert db_session.scalars(select(Support.void_id).where(Support.proposal_id == proposal_id)).all().count(None) == 0
    assert client.get(f"/api/v1/proposals/{proposal_id}").json["support_count"] == 0
    assert "공감 3건을 무효 처리해 뺐습니다" in client.get(f"/proposals/{proposal_id}").get_data(as_text=True)
    assert console.post(f"{burst_path}/unvoid", data={"csrf_token": token}).status_code == 303
    run_jobs()
    assert client.get(f"/api/v1/proposals/{proposal_id}").json["support_count"] == 3


def test_no_ballot_table_holds_a_network(app):
    from participation.budgets.models import BudgetBallot, BudgetParticipation
    from participation.polls.models import Ballot, Participation, SealedBallot
    from participation.surveys.models import Response

    for model in (Participation, SealedBallot, Ballot, BudgetParticipation, BudgetBallot, Response):
        assert "network_hash" not in {column.key for column in inspect(model).columns}, model


def test_network_hashes_are_purged_30_days_after_the_close(client, db_session, redis):
    petition = factories.open_petition()
    sign_from(client, petition.id, "198.51.100.20")
    petition.state, petition.closed_at = "closed", utcnow() - timedelta(days=29)
    db_session.flush()
    assert petition_tasks.purge_network_hashes() == 0
    db.session.execute(db.update(Petition).where(Petition.id == petition.id)
                       .values(closed_at=utcnow() - timedelta(days=31)))
    assert petition_tasks.purge_network_hashes() == 1
    assert db_session.scalars(select(Signature.network_hash).where(Signature.petition_id == petition.id)).all() \
        == [None]
