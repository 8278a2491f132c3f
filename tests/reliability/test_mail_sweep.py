"""Mail written while Redis is down is not lost: its delivery job could not be enqueued, and once Redis is back
the periodic sweep enqueues every mail still unsent MAIL_SWEEP_MINUTES later; a worker delivers it to a real SMTP
server on this machine. The links in it are absolute (PUBLIC_URL), and the delivered rows keep no body (the
reset link's token is gone from the database)."""

from datetime import timedelta

from sqlalchemy import select

from participation.core.mail import OutboxMail, sweep_unsent
from participation.core.notifications import notify
from participation.core.time import utcnow
from participation.extensions import db
from participation.schedule import run_periodic
from participation.worker import make_worker
from tests import factories
from tests.conftest import csrf_token
from tests.smtp_sink import SmtpSink

PUBLIC = "https://participation.example.kr"


def test_unsent_mail_is_delivered_by_the_sweep_after_redis_comes_back(redis_app, redis_process, time_machine):
    sink = SmtpSink()
    redis_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, PUBLIC_URL=PUBLIC)
    try:
        citizen = factories.UserFactory(email="sweep@example.com")
        db.session.commit()
        redis_process.stop()

        # Redis down: a password reset asked for on the page, and a notification; both rows are written.
        client = redis_app.test_client()
        response = client.post("/reset", data={"email": "sweep@example.com",
                                                "csrf_token": csrf_token(client, "/reset")})
        assert response.status_code == 303
        notify([db.session.get(type(citizen), citizen.id)], "제안 '한강 그늘막'에 서울시 답변이 올라왔습니다.",
               "/proposals/5")
        db.session.commit()
        mails = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
        assert len(mails) == 2 and all(mail.sent_at is None for mail in mails)
        assert f"{PUBLIC}/reset/" in mails[0].body and f"{PUBLIC}/proposals/5" in mails[1].body
        db.session.rollback()

        redis_process.start()  # back, empty: the jobs were never there
        assert sweep_unsent() == 0  # too fresh: a delivery may still be on its way
        time_machine.move_to(utcnow() + timedelta(minutes=6), tick=False)
        assert run_periodic("deliver_unsent_mail") is True
        make_worker(redis_app).work(burst=True, with_scheduler=False)

        assert sorted(message["To"] for message in sink.messages) == ["sweep@example.com"] * 2
        bodies = [message.get_content() for message in sink.messages]
        assert any(f"{PUBLIC}/reset/" in body for body in bodies)
        assert any(f"{PUBLIC}/proposals/5" in body for body in bodies)
        db.session.expire_all()
        delivered = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
        assert all(mail.sent_at is not None and mail.body == "" for mail in delivered)
        db.session.rollback()
        # Nothing is left for the sweep, and nothing is sent twice.
        assert run_periodic("deliver_unsent_mail") is True
        make_worker(redis_app).work(burst=True, with_scheduler=False)
        assert len(sink.messages) == 2
    finally:
        sink.close()
