"""E-mail addresses as sign-in, sign-up and the throttles read them: one spelling per mailbox.

`normalise_email` is what an account is stored and found under: NFKC (fullwidth `ｅxample.com` is `example.com`,
as is any compatibility form of a letter), trimmed, lower-cased and syntax-checked (no DNS look-up).
`canonical_email` is the mailbox a provider delivers to: the dots and +tags it ignores removed — one account per
mailbox, and one throttle."""

import hashlib
import hmac
import unicodedata

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l

from participation.accounts.models import EMAIL_MAX
from participation.core.errors import ValidationError

# Providers that deliver a.b+tag@ to ab@: one mailbox, one account.
DOT_AND_TAG_BLIND_DOMAINS = {"gmail.com", "googlemail.com"}
TAG_BLIND_DOMAINS = {"naver.com", "outlook.com", "hotmail.com", "kakao.com", "daum.net", "hanmail.net"}


def normalise_email(raw: str | None) -> str:
    """NFKC, trimmed, lower-cased and syntax-checked (no DNS look-up). Raises ValidationError."""
    text = unicodedata.normalize("NFKC", raw or "").strip().lower()
    if not text:
        raise ValidationError({"email": _l("이메일을 입력해 주세요.")})
    if len(text) > EMAIL_MAX:
        raise ValidationError({"email": _l("이메일이 너무 깁니다.")})
    try:
        email = validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValidationError({"email": _l("올바른 이메일 주소가 아닙니다.")}) from None
    domain = email.rsplit("@", 1)[1]
    if domain in current_app.config["DISPOSABLE_EMAIL_DOMAINS"]:
        raise ValidationError({"email": _l("일회용 이메일 주소는 쓸 수 없습니다.")})
    return email


def canonical_email(email: str) -> str:
    local, domain = email.rsplit("@", 1)
    if domain in DOT_AND_TAG_BLIND_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
    elif domain in TAG_BLIND_DOMAINS:
        local = local.split("+", 1)[0]
    return f"{local}@{domain}"


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of a value that names a person (a canonical address, a person identifier), keyed with
    IDENTITY_PEPPER: without the pepper, which lives in the configuration and never in the database, a dump
    cannot test guesses against it. Unset, the pepper is derived from SECRET_KEY (changing that key then forgets
    every tombstone)."""
    pepper = current_app.config.get("IDENTITY_PEPPER") or hmac.new(
        current_app.config["SECRET_KEY"].encode(), b"identity pepper", hashlib.sha256).hexdigest()
    return hmac.new(pepper.encode(), value.encode(), hashlib.sha256).hexdigest()
