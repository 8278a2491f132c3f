"""Outgoing mail. Every message is kept in the outbox table (the record of what was sent: to whom, what subject,
when; the body only until it is sent); a worker job sends it by SMTP when MAIL_SERVER is set. Without a mail
server the developer's outbox page shows it.

If Redis was down when a mail was written, its job was never enqueued: the periodic sweep (`sweep_unsent`, every
minute) enqueues every row still unsent MAIL_SWEEP_MINUTES after it was written whose job is gone (a job that
failed stays failed, for staff to retry or discard on the health page). Links in mail are absolute, built from
PUBLIC_URL (`public_url`)."""

import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app, has_request_context, request
from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from participation.core import jobs
from participation.core.models import Base
from participation.core.time import utcnow
from participation.extensions import db

jobs.register("mail", "participation.core.mail.deliver_mail", debounce=False)


class OutboxMail(Base):
    __tablename__ = "outbox_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None]
    # A notification's one-click unsubscribe link (List-Unsubscribe, RFC 8058); None for account mail.
    unsubscribe_url: Mapped[str | None] = mapped_column(String(500))


def send_mail(to: str, subject: str, body: str, unsubscribe_url: str | None = None) -> OutboxMail:
    mail = OutboxMail(to=to, subject=subject, body=body, unsubscribe_url=unsubscribe_url)
    db.session.add(mail)
    db.session.flush()
    if current_app.config.get("MAIL_SERVER"):
        jobs.schedule("mail", mail.id)
    return mail


def public_url(path: str) -> str:
    """An absolute link for a mail: PUBLIC_URL followed by the path. Without PUBLIC_URL: the request's host (one of
    TRUSTED_HOSTS in production), else the first of TRUSTED_HOSTS over https, else the development server."""
    if not path.startswith("/"):
        return path
    base = current_app.config.get("PUBLIC_URL")
    if not base and has_request_context():
        base = request.host_url
    if not base and current_app.config.get("TRUSTED_HOSTS"):
        base = f"https://{current_app.config['TRUSTED_HOSTS'][0]}"
    return (base or "http://localhost:5000").rstrip("/") + path


def sweep_unsent() -> int:
    """Enqueue the delivery of every mail still unsent MAIL_SWEEP_MINUTES after it was written (within the last
    MAIL_SWEEP_DAYS) whose job is gone; returns how many. Nothing without a mail server."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return 0
    now = utcnow()
    unsent = db.session.scalars(select(OutboxMail.id).where(
        OutboxMail.sent_at.is_(None), OutboxMail.created_at <= now - timedelta(minutes=config["MAIL_SWEEP_MINUTES"]),
        OutboxMail.created_at >= now - timedelta(days=config["MAIL_SWEEP_DAYS"])).order_by(OutboxMail.id)).all()
    swept = 0
    for mail_id in unsent:
        if jobs.status("mail", mail_id) is None:
            jobs.schedule("mail", mail_id)
            swept += 1
    return swept


def deliver_mail(mail_id: int) -> None:
    """Job: send one outbox message by SMTP; sending twice is prevented by sent_at."""
    mail = db.session.get(OutboxMail, mail_id)
    if mail is None or mail.sent_at is not None:
        return
    config = current_app.config
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = config["MAIL_SENDER"], mail.to, mail.subject
    if mail.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(mail.body)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
    mail.sent_at = utcnow()
    # Sent, the body is not kept: it may hold a link with a reset or verification token, and backups keep
    # whatever the table holds. Who, what subject and when stay as the record of what was sent.
    mail.body = ""
    db.session.commit()
