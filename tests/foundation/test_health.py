"""The platform's health for staff (GET /api/v1/health, /staff/health) and for balancers (/healthz): who may see
it, what it reports, retrying and discarding a failed job, and the "may be stale" note on an item's page."""

from datetime import timedelta

from rq import SimpleWorker
from sqlalchemy.exc import OperationalError

from participation.core.jobs import get_queue
from participation.core.time import utcnow
from participation.cron import LAST_SUCCESS_KEY, NEXT_RUN_KEY, STATE_KEY
from participation.extensions import db
from participation.schedule import PERIODIC_JOBS
from tests import factories
from tests.conftest import api_token, csrf_token, login


def broken_job() -> None:
    raise ValueError("고장 난 작업")


def a_failed_job(app):
    """A job that really failed on a worker, as RQ keeps it."""
    job = get_queue().enqueue(broken_job)
    SimpleWorker([get_queue()], connection=get_queue().connection).work(burst=True)
    assert job.get_status(refresh=True) == "failed"
    return job


def test_health_is_for_staff_only(client, db_session):
    citizen, staff = factories.UserFactory(), factories.staff()
    db_session.commit()  # (a savepoint) an error answer rolls the request's session back
    assert client.get("/api/v1/health").status_code == 401
    response = client.get("/api/v1/health", headers=api_token(client, citizen))
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    assert client.get("/api/v1/health", headers=api_token(client, staff)).status_code == 200
    login(client, citizen)
    assert client.get("/staff/health").status_code == 403


def test_health_reports_queues_failed_jobs_periodic_jobs_cron_workers_and_the_oldest_count(app, client, db_session,
                                                                                             redis):
    staff = factories.staff()
    old = utcnow() - timedelta(minutes=40)
    petition = factories.open_petition(count_as_of=old)
    factories.open_petition(count_as_of=utcnow())
    factories.open_petition(state="closed", count_as_of=utcnow() - timedelta(days=300))  # settled: not counted
    job = a_failed_job(app)
    redis.hset(LAST_SUCCESS_KEY, "reconcile", utcnow().timestamp())
    redis.hset(NEXT_RUN_KEY, "reconcile", utcnow().timestamp() + 300)
    redis.hset(STATE_KEY, mapping={"holder": "host:1:abc", "heartbeat": utcnow().timestamp(), "since": 0})

    report = client.get("/api/v1/health", headers=api_token(client, staff)).json
    assert report["redis"] is True
    assert report["queues"]["default"] == {"queued": 0, "scheduled": 0, "started": 0, "failed": 1, "deferred": 0}
    assert report["failed_total"] == 1
    [failed] = report["failed_jobs"]
    assert failed["id"] == job.id and failed["error"] == "ValueError: 고장 난 작업"
    periodic = {row["name"]: row for row in report["periodic"]}
    assert set(periodic) == set(PERIODIC_JOBS)
    assert periodic["reconcile"]["last_success"] and periodic["reconcile"]["next_run"]
    assert periodic["reconcile"]["late"] is False and periodic["petitions.close_due_petitions"]["late"] is True
    assert report["cron"] == {**report["cron"], "holder": "host:1:abc", "alive": True, "standby": 0}
    assert report["workers"] == []
    assert report["oldest_as_of"]["channel"] == "petitions" and report["oldest_as_of"]["id"] == petition.id
    assert report["oldest_as_of"]["stale"] is True
    assert report["stale_counts"]["petitions"] == 1 and report["stale_after_minutes"] == 15

    login(client, staff)
    page = client.get("/staff/health").get_data(as_text=True)
    assert "실행 중인 워커가 없습니다" in page and "ValueError: 고장 난 작업" in page
    assert "진행 중인 항목의 집계가 15분 넘게 갱신되지 않았습니다" in page


def test_a_failed_job_is_retried_or_discarded_and_an_unknown_one_is_a_404(app, client, db_session, redis):
    staff = factories.staff()
    citizen = factories.UserFactory()
    db_session.commit()  # (a savepoint) an error answer rolls the request's session back
    retried, discarded = a_failed_job(app), a_failed_job(app)
    headers = api_token(client, staff)
    response = client.post("/api/v1/health/failed-jobs/no-such-job/retry", headers=headers)
    assert response.status_code == 404 and response.json["error"]["code"] == "no_such_failed_job"
    assert client.delete("/api/v1/health/failed-jobs/no-such-job", headers=headers).status_code == 404
    assert get_queue().failed_job_registry.count == 2  # nothing changed
    response = client.post(f"/api/v1/health/failed-jobs/{retried.id}/retry", headers=api_token(client, citizen))
    assert response.status_code == 403

    assert client.post(f"/api/v1/health/failed-jobs/{retried.id}/retry", headers=headers).status_code == 204
    assert get_queue().get_job_ids() == [retried.id]
    get_queue().empty()
    assert client.delete(f"/api/v1/health/failed-jobs/{discarded.id}", headers=headers).status_code == 204
    assert get_queue().failed_job_registry.count == 0
    assert not redis.exists(discarded.key)

    # The same on the page, with the form's CSRF token.
    again = a_failed_job(app)
    login(client, staff)
    token = csrf_token(client, "/staff/health")
    assert client.post(f"/staff/health/failed/{again.id}/discard").status_code == 400  # no CSRF token
    assert get_queue().failed_job_registry.count == 1
    response = client.post(f"/staff/health/failed/{again.id}/retry", data={"csrf_token": token})
    assert response.status_code == 303 and again.id in get_queue().get_job_ids()
    assert client.post("/staff/health/failed/no-such-job/discard", data={"csrf_token": token}).status_code == 404


def test_healthz_is_ok_degraded_or_down(app, client, db_session, redis, monkeypatch):
    # No worker and no cron: degraded (every vote is still taken), still 200 for the balancer.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "degraded", "database": "ok", "redis": "ok", "workers": 0, "cron": "missing"}

    worker = SimpleWorker([get_queue()], connection=redis)
    worker.register_birth()
    worker.heartbeat()
    redis.hset(STATE_KEY, mapping={"holder": "host:1:abc", "heartbeat": utcnow().timestamp()})
    response = client.get("/healthz")
    assert (response.status_code, response.json) == (200, {"status": "ok", "database": "ok", "redis": "ok",
                                                           "workers": 1, "cron": "ok"})
    worker.register_death()

    def no_database(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", no_database)
    response = client.get("/healthz")
    assert (response.status_code, response.json) == (503, {"status": "down", "database": "down"})


def test_an_open_items_page_says_its_count_may_be_stale(client, db_session):
    fresh = factories.open_petition(count_as_of=utcnow())
    stale = factories.open_petition(count_as_of=utcnow() - timedelta(minutes=16))
    settled = factories.open_petition(state="closed", count_as_of=utcnow() - timedelta(days=30))
    warning = "최신이 아닐 수 있습니다"
    assert warning not in client.get(f"/petitions/{fresh.id}").get_data(as_text=True)
    assert warning in client.get(f"/petitions/{stale.id}").get_data(as_text=True)
    assert warning not in client.get(f"/petitions/{settled.id}").get_data(as_text=True)
    proposal = factories.open_proposal(count_as_of=utcnow() - timedelta(hours=1))
    assert warning in client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    forum = factories.ForumFactory(count_as_of=utcnow() - timedelta(hours=1))
    assert warning in client.get(f"/forums/{forum.id}").get_data(as_text=True)
    client.set_cookie("lang", "en", domain="localhost")
    english = client.get(f"/petitions/{stale.id}").get_data(as_text=True)
    assert "may not be current" in english
