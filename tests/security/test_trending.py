"""The staff's trending list (like the UK petitions site's trending IPs): one IP address or one subnet that
signs, supports or votes unusually often on one item shows up for staff, with its count, the kind of
participation and a link to the item. The counts live in Redis only (hourly buckets kept seven days),
come from the address the rate limiter sees, and a Redis failure never costs a citizen their signature."""

import time

import pytest
from sqlalchemy import func, select

from participation import create_app
from participation.core import trending
from participation.core.redis import redis_connection
from participation.extensions import db
from participation.petitions.models import Signature
from tests import factories
from tests.conftest import free_port, make_test_config
from tests.security.conftest import bearer, form_token, snapshot, web_client

SHARED_ADDRESS = "203.0.113.7"


def sign(client, petition_id: int, user, address: str):
    return client.post(f"/api/v1/petitions/{petition_id}/signatures", headers=bearer(user),
                       environ_base={"REMOTE_ADDR": address})


def web_client_from(app, user_id: int, address: str):
    """A logged-in browser on that address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    with app.test_request_context(environ_base=client.environ_base):
        identifier = app.login_manager._session_identifier_generator()
    with client.session_transaction() as session:
        session.update({"_user_id": f"{user_id}.0", "_fresh": True, "_id": identifier})
    return client


def staff_page(app, staff_user) -> str:
    response = web_client(app, staff_user.id).get("/staff/trending")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_twenty_five_signatures_from_one_address_are_listed_and_nineteen_are_not(app, client, db_session):
    busy = factories.open_petition(title="구청 앞 횡단보도 설치")
    quiet = factories.open_petition(title="공원 가로등 교체")
    staff = factories.staff()
    for _ in range(25):
        assert sign(client, busy.id, factories.UserFactory(), SHARED_ADDRESS).status_code == 201
    for _ in range(19):
        assert sign(client, quiet.id, factories.UserFactory(), "198.51.100.20").status_code == 201

    alerts = trending.alerts()
    assert [(a.kind, a.channel, a.item_id, a.address, a.count) for a in alerts] == [
        ("ip", "petitions", busy.id, SHARED_ADDRESS, 25)]

    page = staff_page(app, staff)
    assert SHARED_ADDRESS in page
    assert f'href="/petitions/{busy.id}"' in page and "구청 앞 횡단보도 설치" in page
    assert "청원 서명" in page and ">25<" in page
    assert "198.51.100.20" not in page and f'href="/petitions/{quiet.id}"' not in page
    # 25 from one /24 is below the subnet threshold (50).
    assert "203.0.113.0/24" not in page
    assert "기준을 넘은 대역이 없습니다." in page

    # The console counts the alert and links to the list.
    console = web_client(app, staff.id).get("/staff/").get_data(as_text=True)
    assert 'href="/staff/trending"' in console

    # The address is in Redis only, never in the database beside the signatures.
    db_session.flush()
    assert SHARED_ADDRESS not in repr(snapshot())


def test_one_subnet_voting_often_is_listed_without_any_single_address(app, client, db_session):
    poll = factories.PollFactory(title="한강공원 야간 개방 연장")
    option = poll.options[0].id
    for host in range(1, 56):  # 55 voters, each on their own address in 192.0.2.0/24
        response = client.post(f"/api/v1/polls/{poll.id}/ballots", headers=bearer(factories.UserFactory()),
                               json={"choices": [option]}, environ_base={"REMOTE_ADDR": f"192.0.2.{host}"})
        assert response.status_code == 201, response.json

    alerts = trending.alerts()
    assert [(a.kind, a.channel, a.item_id, a.address, a.count) for a in alerts] == [
        ("subnet", "polls", poll.id, "192.0.2.0/24", 55)]
    page = staff_page(app, factories.staff())
    assert "192.0.2.0/24" in page and f'href="/polls/{poll.id}"' in page and "기준을 넘은 IP 주소가 없습니다." in page
    assert "한강공원 야간 개방 연장" in page


def test_the_threshold_is_per_item_and_configurable(app, client, db_session):
    first, second = factories.open_petition(), factories.open_petition()
    for index in range(24):
        petition = first if index % 2 else second
        assert sign(client, petition.id, factories.UserFactory(), SHARED_ADDRESS).status_code == 201
    assert trending.alerts() == []  # 12 + 12: no single item reaches 20

    app.config["TRENDING_IP_THRESHOLD"] = 12
    try:
        assert sorted((a.item_id, a.count) for a in trending.alerts() if a.kind == "ip") == sorted(
            [(first.id, 12), (second.id, 12)])
    finally:
        app.config["TRENDING_IP_THRESHOLD"] = 20


def test_only_accepted_participations_are_counted(app, client, db_session, redis):
    petition = factories.open_petition()
    poll = factories.PollFactory()
    citizen = factories.UserFactory()
    assert sign(client, petition.id, citizen, SHARED_ADDRESS).status_code == 201
    assert sign(client, petition.id, citizen, SHARED_ADDRESS).status_code == 409  # a second signature
    # On the page, a refused ballot is a redirect with a message (the poll view rolls back): not counted.
    page_client = web_client_from(app, citizen.id, SHARED_ADDRESS)
    token = form_token(page_client)
    assert page_client.post(f"/polls/{poll.id}/vote", data={"csrf_token": token, "choice": "999999"}).status_code == 303
    assert page_client.post(f"/polls/{poll.id}/vote",
                            data={"csrf_token": token, "choice": str(poll.options[1].id)}).status_code == 303
    # Withdrawing is limited like signing but is not a participation to count.
    assert client.delete(f"/api/v1/petitions/{petition.id}/signatures", headers=bearer(citizen),
                         environ_base={"REMOTE_ADDR": SHARED_ADDRESS}).status_code == 204

    # Starting a survey counts once; reopening one's own draft is not another response.
    survey = factories.survey(factories.staff(), questions=[
        {"type": "single", "text": "주로 타는 교통수단은?", "options": ["지하철", "버스"]}])
    for _ in range(2):
        assert page_client.post(f"/surveys/{survey.id}/start", data={"csrf_token": token}).status_code == 303

    key = trending.bucket_key("ip", trending.current_hour())
    assert redis.zscore(key, f"petitions|{petition.id}|{SHARED_ADDRESS}") == 1
    assert redis.zscore(key, f"polls|{poll.id}|{SHARED_ADDRESS}") == 1
    assert redis.zscore(key, f"surveys|{survey.id}|{SHARED_ADDRESS}") == 1
    assert redis.zcard(key) == 3


def test_each_participation_is_counted_once_from_the_page_and_from_the_api(app, client, db_session, redis):
    """The services that insert a participation tell the trending list themselves: a signature, a support, a
    ballot and a new survey response count once each, whichever way they came in."""
    citizen = factories.UserFactory()
    page = web_client_from(app, citizen.id, SHARED_ADDRESS)
    token = form_token(page)
    question = {"type": "single", "text": "주로 타는 교통수단은?", "options": ["지하철", "버스"]}
    items = {kind: (make(), make()) for kind, make in (
        ("petitions", factories.open_petition), ("proposals", factories.open_proposal),
        ("polls", factories.PollFactory), ("surveys", lambda: factories.survey(factories.staff(), [question])))}
    on_page = {"petitions": "sign", "proposals": "support", "polls": "vote", "surveys": "start"}
    for kind, (web_item, _) in items.items():
        data = {"csrf_token": token}
        if kind == "polls":
            data["choice"] = str(web_item.options[0].id)
        assert page.post(f"/{kind}/{web_item.id}/{on_page[kind]}", data=data).status_code == 303, kind
    petition, proposal, poll, survey = (api_item for _, api_item in items.values())
    api = {"REMOTE_ADDR": SHARED_ADDRESS}
    assert sign(client, petition.id, citizen, SHARED_ADDRESS).status_code == 201
    assert client.post(f"/api/v1/proposals/{proposal.id}/supports", headers=bearer(citizen),
                       environ_base=api).status_code == 201
    assert client.post(f"/api/v1/polls/{poll.id}/ballots", headers=bearer(citizen), environ_base=api,
                       json={"choices": [poll.options[0].id]}).status_code == 201
    answer = {str(survey.questions[0].id): survey.questions[0].options[0].id}
    assert client.post(f"/api/v1/surveys/{survey.id}/responses", headers=bearer(citizen), environ_base=api,
                       json={"answers": answer}).status_code == 201

    key = trending.bucket_key("ip", trending.current_hour())
    counted = {member.decode() if isinstance(member, bytes) else member: score
               for member, score in redis.zrange(key, 0, -1, withscores=True)}
    assert counted == {f"{kind}|{item.id}|{SHARED_ADDRESS}": 1 for kind, pair in items.items() for item in pair}


def test_buckets_are_hourly_cover_24_hours_and_expire_after_seven_days(app, db_session, redis):
    now = time.time()
    for _ in range(20):
        trending.record("proposals", 7, SHARED_ADDRESS, now=now - 23 * 3600)  # inside the window
        trending.record("proposals", 8, SHARED_ADDRESS, now=now - 25 * 3600)  # outside it
    assert [(a.channel, a.item_id, a.count) for a in trending.alerts(now=now)] == [("proposals", 7, 20)]
    for hours_ago in (23, 25):
        ttl = redis.ttl(trending.bucket_key("ip", trending.current_hour(now - hours_ago * 3600)))
        assert 6 * 86400 < ttl <= 7 * 86400


def test_ipv6_counts_per_64_and_the_address_is_the_one_the_proxy_forwarded(app, instance_dir, db_session, redis):
    assert trending.subnet_of("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert trending.subnet_of("::ffff:203.0.113.9") == "203.0.113.0/24"
    assert trending.subnet_of("203.0.113.250") == "203.0.113.0/24"
    assert trending.subnet_of("not-an-address") is None

    behind_proxy = create_app({**make_test_config(instance_dir), "PROXY_HOPS": 1})
    petition_id = factories.open_petition().id
    headers = bearer(factories.UserFactory())
    response = behind_proxy.test_client().post(f"/api/v1/petitions/{petition_id}/signatures",
                                               headers={**headers, "X-Forwarded-For": "2001:db8:1:2:aaaa::1"})
    assert response.status_code == 201
    with behind_proxy.app_context():
        connection = redis_connection()
    hour = trending.current_hour()
    assert connection.zscore(trending.bucket_key("ip", hour), f"petitions|{petition_id}|2001:db8:1:2:aaaa::1") == 1
    assert connection.zscore(trending.bucket_key("subnet", hour), f"petitions|{petition_id}|2001:db8:1:2::/64") == 1
    # The proxy's own address (the test client's 127.0.0.1) is not what was counted.
    assert connection.zscore(trending.bucket_key("ip", hour), f"petitions|{petition_id}|127.0.0.1") is None


@pytest.fixture
def redis_down_app(app, instance_dir):
    """The app with its Redis on a port where nothing listens."""
    return create_app({**make_test_config(instance_dir), "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})


def test_with_redis_down_the_signature_still_counts_and_the_page_says_the_list_is_unavailable(
        redis_down_app, db_session):
    petition_id = factories.open_petition().id
    headers = bearer(factories.UserFactory())
    signer_id, staff_id = factories.UserFactory().id, factories.staff().id
    db_session.commit()

    response = redis_down_app.test_client().post(f"/api/v1/petitions/{petition_id}/signatures", headers=headers)
    assert response.status_code == 201
    page_client = web_client(redis_down_app, signer_id)
    assert page_client.post(f"/petitions/{petition_id}/sign",
                            data={"csrf_token": form_token(page_client)}).status_code == 303
    db_session.remove()
    assert db.session.scalar(select(func.count()).select_from(Signature).where(
        Signature.petition_id == petition_id)) == 2

    page = web_client(redis_down_app, staff_id).get("/staff/trending")
    assert page.status_code == 200
    assert "집계 저장소(Redis)를 읽을 수 없습니다" in page.get_data(as_text=True)
    assert web_client(redis_down_app, staff_id).get("/staff/").status_code == 200


def test_a_budget_ballot_burst_is_listed_with_its_process(app, db_session, redis):
    from participation.budgets.models import BudgetProcess

    process = BudgetProcess(title="2026 마포구 주민참여예산", description="데모", budget=1_000_000_000,
                            district="마포구", state="voting")
    db_session.add(process)
    db_session.flush()
    for _ in range(25):
        trending.record("budgets", process.id, SHARED_ADDRESS)
    page = staff_page(app, factories.staff())
    assert "참여예산 투표" in page and f'href="/budgets/{process.id}"' in page and "2026 마포구 주민참여예산" in page
