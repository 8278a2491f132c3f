"""Staff on call see that the worker died, and citizens see that a count may be stale: with a real worker (and
its cron) running, an open petition's count is refreshed by the reconciliation and its page has no warning, and
/healthz says "ok"; once the worker is killed and the clock has moved past STALE_COUNT_MINUTES, the page says the
figure may not be current, /healthz says "degraded" (still 200: votes are still taken), and the staff's health
report shows no live worker, a silent cron and the stale count."""

import os
from datetime import timedelta

from sqlalchemy import select

from participation.core.time import utcnow
from participation.extensions import db
from participation.petitions.models import Petition
from tests import factories
from tests.reliability.test_one_cron import start_worker, stop
from tests.reliability.test_worker_kill import wait_for
from tests.security.conftest import bearer

WARNING = "최신이 아닐 수 있습니다"


def test_the_stale_warning_appears_when_the_worker_is_stopped(redis_app, instance_dir, redis_process, time_machine):
    hour_ago = utcnow() - timedelta(hours=1)
    petition = factories.open_petition(count_as_of=hour_ago)
    staff = factories.staff()
    headers = bearer(staff)
    petition_id = petition.id
    db.session.commit()
    visitor = redis_app.test_client()
    assert WARNING in visitor.get(f"/petitions/{petition_id}").get_data(as_text=True)  # no worker yet

    worker = start_worker({**os.environ, "PARTICIPATION_TEST_INSTANCE": str(instance_dir),
                           "REDIS_URL": redis_process.url})
    try:
        def counted_again():
            as_of = db.session.scalar(select(Petition.count_as_of).where(Petition.id == petition_id))
            db.session.rollback()
            return as_of.replace(tzinfo=None) > hour_ago.replace(tzinfo=None)

        wait_for(counted_again, seconds=180, what="the reconciliation of the worker's cron")
        assert WARNING not in visitor.get(f"/petitions/{petition_id}").get_data(as_text=True)
        wait_for(lambda: visitor.get("/healthz").json["status"] == "ok", seconds=60, what="a healthy worker")
    finally:
        stop(worker)  # SIGKILL, the worker and its cron

    time_machine.move_to(utcnow() + timedelta(minutes=16), tick=False)
    assert WARNING in visitor.get(f"/petitions/{petition_id}").get_data(as_text=True)
    response = visitor.get("/healthz")
    assert (response.status_code, response.json["status"], response.json["workers"], response.json["cron"]) == \
        (200, "degraded", 0, "missing")
    report = visitor.get("/api/v1/health", headers=headers).json
    assert not any(worker["alive"] for worker in report["workers"]) and report["cron"]["alive"] is False
    assert report["oldest_as_of"]["id"] == petition_id and report["oldest_as_of"]["stale"] is True
