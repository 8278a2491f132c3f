"""Prometheus metrics at /metrics: off (404) unless METRICS_TOKEN is set, then only with the token; request
latency by endpoint, committed participations by channel, queue depths, failed jobs, workers and the cron."""

import re

from participation.core.jobs import get_queue
from tests import factories
from tests.conftest import api_token


def sample(text: str, name: str, **labels) -> float:
    """The value of one sample of the exposition text (0 when absent)."""
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0])) if "{" in line else {}
            if all(found.get(key) == value for key, value in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def scrape(client) -> str:
    response = client.get("/metrics", headers={"Authorization": "Bearer metrics-token-for-tests"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def test_metrics_are_off_by_default_and_need_the_token(app, client, monkeypatch):
    assert client.get("/metrics").status_code == 404
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "metrics-token-for-tests")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "metrics-token-for-tests"}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401 and response.json["error"]["code"] == "invalid_token"
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert client.get("/metrics", headers={"Authorization": "Bearer metrics-token-for-tests"}).status_code == 200


def test_metrics_count_requests_participations_queues_and_failures(app, client, db_session, redis, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "metrics-token-for-tests")
    petition = factories.open_petition()
    signer = factories.UserFactory()
    db_session.commit()
    headers = api_token(client, signer)
    before = scrape(client)
    signed = client.post(f"/api/v1/petitions/{petition.id}/signatures", headers=headers)
    assert signed.status_code == 201
    assert client.post(f"/api/v1/petitions/{petition.id}/signatures", headers=headers).status_code == 409
    client.get("/")
    get_queue().enqueue("participation.no_such_module.no_such_job")
    after = scrape(client)

    # One committed signature (the refused second one counts nothing).
    assert sample(after, "participation_participations_total", channel="petitions") == \
        sample(before, "participation_participations_total", channel="petitions") + 1
    assert sample(after, "participation_request_duration_seconds_count", method="GET", endpoint="main.home",
                  status="2xx") >= 1
    assert sample(after, "participation_request_duration_seconds_count", method="POST",
                  endpoint="petitions_api.sign_petition", status="4xx") >= 1
    # The debounced recount is scheduled; the job above waits.
    assert sample(after, "participation_queue_jobs", queue="default", state="queued") == 1
    assert sample(after, "participation_queue_jobs", queue="default", state="scheduled") == 1
    assert sample(after, "participation_failed_jobs", queue="default") == 0
    assert sample(after, "participation_redis_up") == 1
    assert sample(after, "participation_workers_alive") == 0 and sample(after, "participation_cron_alive") == 0
    assert "participation_oldest_open_count_age_seconds" in after


def test_made_up_methods_cannot_grow_the_metrics_without_bound(app, client, monkeypatch):
    """An attacker sending a new HTTP method with each request ("AAAA", "AAAB", …: gunicorn passes any upper-case
    token) must not make a new time series each time: every process would keep them all in memory, and every
    scrape would carry them. Methods outside HTTP's own are counted together as "other"."""
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "metrics-token-for-tests")
    for number in range(30):
        client.open("/api/v1/categories", method=f"PROBE{number:03d}")
    methods = set(re.findall(r'participation_request_duration_seconds_count\{[^}]*method="([^"]*)"', scrape(client)))
    assert not any(method.startswith("PROBE") for method in methods)
    assert "other" in methods
