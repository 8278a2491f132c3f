"""The outbox's sweep and the links in mail: a mail whose job was lost is enqueued again once it is older than
MAIL_SWEEP_MINUTES, one whose job waits or failed is left alone (a failed one is for staff, on the health page),
and every link is absolute."""

from datetime import timedelta

from participation.core import jobs
from participation.core.jobs import get_queue
from participation.core.mail import OutboxMail, public_url, send_mail, sweep_unsent
from participation.core.time import utcnow


def test_the_sweep_enqueues_only_old_unsent_mail_whose_job_is_gone(app, db_session, redis, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    old = utcnow() - timedelta(minutes=6)
    lost, waiting, failed = (send_mail(f"{name}@example.com", "제목", "본문") for name in ("lost", "waiting", "failed"))
    fresh = send_mail("fresh@example.com", "제목", "본문")
    sent = send_mail("sent@example.com", "제목", "")
    ancient = send_mail("ancient@example.com", "제목", "본문")
    for mail in (lost, waiting, failed, sent):
        mail.created_at = old
    sent.sent_at = old
    ancient.created_at = utcnow() - timedelta(days=3)
    db_session.commit()  # enqueues the delivery of every one of them
    get_queue().empty()
    get_queue().enqueue("participation.core.mail.deliver_mail", waiting.id,
                        job_id=jobs.job_id_for(jobs.JOBS["mail"].key(waiting.id)))
    job = get_queue().enqueue("participation.core.mail.deliver_mail", failed.id,
                              job_id=jobs.job_id_for(jobs.JOBS["mail"].key(failed.id)))
    get_queue().remove(job)
    get_queue().failed_job_registry.add(job, exc_string="SMTPRecipientsRefused")
    job.set_status("failed")

    assert jobs.status("mail", lost.id) is None and jobs.status("mail", failed.id) == "failed"
    assert sweep_unsent() == 1
    db_session.commit()
    queued = get_queue().get_job_ids()
    assert queued == [jobs.job_id_for(jobs.JOBS["mail"].key(waiting.id)),
                      jobs.job_id_for(jobs.JOBS["mail"].key(lost.id))]
    assert db_session.get(OutboxMail, fresh.id).sent_at is None  # its own job will send it

    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    assert sweep_unsent() == 0  # no mail server: the outbox page shows them


def test_links_in_mail_are_absolute(app, monkeypatch):
    with app.test_request_context("/", base_url="http://localhost"):
        monkeypatch.setitem(app.config, "PUBLIC_URL", "https://participation.example.kr/")
        assert public_url("/proposals/5") == "https://participation.example.kr/proposals/5"
        monkeypatch.setitem(app.config, "PUBLIC_URL", None)
        assert public_url("/proposals/5") == "http://localhost/proposals/5"
    with app.app_context():
        monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["participation.seoul.go.kr"])
        assert public_url("/petitions/1") == "https://participation.seoul.go.kr/petitions/1"
        assert public_url("https://elsewhere.example/x") == "https://elsewhere.example/x"
