"""Account writes: registration, verification, passwords, roles, tokens, deletion. Flush, never commit."""

import functools
import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import joinedload

from participation.accounts import profile
from participation.accounts.models import (
    DISPLAY_NAME_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    SUSPENSION_REASON_MAX,
    ApiToken,
    ProfileValue,
    Tombstone,
    User,
    UserRole,
    VerifiedIdentity,
)
from participation.core.addresses import canonical_email, keyed_hash, normalise_email
from participation.core.audit import audit
from participation.core.database import without_write_lock
from participation.core.errors import Conflict, Forbidden, NotFound, ValidationError
from participation.core.input import clean_text
from participation.core.mail import public_url, send_mail
from participation.core.permissions import Role, require_role
from participation.core.seoul import DISTRICTS, MINIMUM_AGE
from participation.core.time import kst_today, utcnow
from participation.extensions import db

password_hasher = PasswordHasher()
VERIFY_MAX_AGE = 7 * 24 * 3600
RESET_MAX_AGE = 3600


def check_profile(display_name, district, birth_year) -> dict:
    """Validate the profile fields; return them cleaned."""
    errors = {}
    display_name = clean_text(display_name, "display_name", DISPLAY_NAME_MAX, errors=errors,
                              missing=_l("이름(별명)을 입력해 주세요."))
    if district not in DISTRICTS:
        errors["district"] = _l("서울시 25개 자치구 중 하나를 골라 주세요.")
    this_year = kst_today().year
    if isinstance(birth_year, str) and birth_year.strip().isdigit():
        birth_year = int(birth_year)
    if isinstance(birth_year, bool) or not isinstance(birth_year, int):
        errors["birth_year"] = _l("태어난 해를 숫자로 입력해 주세요.")
    elif not this_year - 120 <= birth_year <= this_year - MINIMUM_AGE:
        errors["birth_year"] = _l("만 %(age)d세 이상만 가입할 수 있습니다.", age=MINIMUM_AGE)
    if errors:
        raise ValidationError(errors)
    return {"display_name": display_name, "district": district, "birth_year": birth_year}


def check_password(password) -> str:
    """A new password (sign-up, reset, change): long enough, not too long, and not one of the most common ones —
    a breach corpus look-up (k-anonymity range query) needs the network, so the list is bundled."""
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        raise ValidationError({"password": _l("비밀번호는 %(min)d자 이상이어야 합니다.", min=PASSWORD_MIN)})
    if len(password) > PASSWORD_MAX:
        raise ValidationError({"password": _l("비밀번호가 너무 깁니다.")})
    if password.strip().lower() in common_passwords():
        raise ValidationError({"password": _l("너무 흔해서 쉽게 알아낼 수 있는 비밀번호입니다. 다른 비밀번호를 "
                                              "정해 주세요.")})
    return password


@cache
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of the leaked-password corpora zxcvbn ships (xato's ranking)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    listed = FREQUENCY_LISTS["passwords"]
    return frozenset(listed.split(",") if isinstance(listed, str) else listed)


def register(email, password, display_name, district, birth_year, *, consent: bool | None,
             verified: bool = False, password_hash: str | None = None, still_counting=None) -> User:
    """A new account. `consent`: the person agreed to the collection and use of their data (required to sign up;
    recorded with its time); None for an account the operator creates (CLI, demo), whom nobody asked.
    `password_hash` lets a caller that creates many accounts with one password (the demo) hash it once.
    `still_counting(user_ids)` (participation.privacy.still_counting) refuses the address of a deleted account
    whose participations still count (see `refuse_return`)."""
    errors = {}
    if consent is False:
        errors["privacy_consent"] = [_l("개인정보 수집·이용에 동의해야 가입할 수 있습니다.")]
    cleaned = {}
    for check in (lambda: {"email": normalise_email(email)},
                  lambda: {"password": check_password(password)},
                  lambda: check_profile(display_name, district, birth_year)):
        try:
            cleaned.update(check())
        except ValidationError as error:
            errors.update(error.fields)
    if errors:
        raise ValidationError(errors)
    password_hash = password_hash or hash_password(cleaned["password"])
    canonical = canonical_email(cleaned["email"])
    taken = db.session.scalar(select(User.id).where(
        (User.email == cleaned["email"]) | (User.email_canonical == canonical)))
    if taken:
        raise Conflict(_l("이미 가입된 이메일입니다. 로그인하거나 비밀번호를 다시 설정해 주세요."), code="email_taken")
    if still_counting is not None:
        refuse_return(still_counting, email_hash=keyed_hash(canonical))
    user = User(email=cleaned["email"], email_canonical=canonical, password_hash=password_hash,
                display_name=cleaned["display_name"], district=cleaned["district"],
                birth_year=cleaned["birth_year"], email_verified_at=utcnow() if verified else None,
                privacy_consent_at=utcnow() if consent else None)
    db.session.add(user)
    db.session.flush()
    profile.record(user)
    audit(user, "user", user.id, "registered")
    if consent:
        audit(user, "user", user.id, "privacy_consent")
    if not verified:
        send_verification(user)
    return user


def refuse_return(still_counting, *, email_hash: str | None = None, person_hash: str | None = None) -> None:
    """Conflict when a deleted account with this (hashed) address or person took part in an item that still counts
    it: the new account would be the same person's second voice there. Once those items have closed, the person
    signs up afresh."""
    conditions = [column == value for column, value in ((Tombstone.email_hash, email_hash),
                                                        (Tombstone.person_hash, person_hash)) if value]
    deleted = db.session.scalars(select(Tombstone.user_id).where(or_(*conditions))).all() if conditions else []
    if deleted and still_counting(deleted):
        raise Conflict(_l("이 주소(또는 본인인증)로 탈퇴한 계정이 참여한 청원·제안·투표·설문이 아직 진행 중입니다. "
                          "한 사람이 두 번 참여하지 않도록, 그 항목이 모두 끝난 뒤에 다시 가입할 수 있습니다."),
                       code="deleted_account_still_counted")


def authenticate(email, password) -> User | None:
    """The user for these credentials, or None; takes the same time whether the e-mail exists or not. Call it
    before the request writes anything: argon2 runs outside SQLite's write lock (core.database)."""
    try:
        email = normalise_email(email)
    except ValidationError:
        email = None
    user = db.session.scalar(select(User).where(User.email == email)) if email else None
    stored = user.password_hash if user and user.password_hash else _DUMMY_HASH
    try:
        without_write_lock(password_hasher.verify, stored, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is not None and user.deleted_at is None and user.suspended_at is not None:
        # Said only to whoever knows the password.
        raise Forbidden(_l("이 계정은 정지되었습니다. 사유: %(reason)s", reason=user.suspension_reason),
                        code="account_suspended")
    if user is None or not user.is_active:
        return None
    if password_hasher.check_needs_rehash(stored):
        user.password_hash = hash_password(password)
    return user


def hash_password(password: str) -> str:
    """argon2 (slow on purpose), outside SQLite's write lock: call it before the request writes anything."""
    return without_write_lock(password_hasher.hash, password)


_DUMMY_HASH = password_hasher.hash("not a password of anyone")


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def verification_token(user: User) -> str:
    return _serializer("verify-email").dumps({"id": user.id, "email": user.email})


def sign_up(email, password, display_name, district, birth_year, *, consent: bool, still_counting=None) -> User | None:
    """Public sign-up (the page and the API), which never tells whether an address already has an account: the
    same checks, the same password hashing and one mail either way — the verification link to a new address, to
    an address with an account a note that someone tried to sign up with it. Returns the new account, or None
    when the address was taken."""
    try:
        return register(email, password, display_name, district, birth_year, consent=consent,
                        still_counting=still_counting)
    except Conflict as refusal:  # raised before anything is written
        if refusal.code != "email_taken":  # a deleted account's address still counted: refuse_return says why
            raise
    canonical = canonical_email(normalise_email(email))
    owner = db.session.scalar(select(User).where(User.email_canonical == canonical, User.deleted_at.is_(None)))
    if owner is not None:
        send_mail(owner.email, _("[서울시 시민참여] 이 주소로 가입 신청이 있었습니다"),
                  _("이 이메일 주소로 이미 가입된 계정이 있어 새 계정을 만들지 않았습니다. 본인이 신청했다면 "
                    "로그인하거나, 비밀번호가 생각나지 않으면 다시 설정해 주세요.\n\n%(login)s\n%(reset)s\n\n"
                    "본인이 신청하지 않았다면 이 메일은 무시하셔도 됩니다. 계정은 그대로입니다.",
                    login=url_for("accounts.login", _external=True),
                    reset=url_for("accounts.request_reset", _external=True)))
    return None


def send_verification(user: User) -> None:
    link = public_url(url_for("accounts.verify_link", token=verification_token(user)))
    send_mail(user.email, _("[서울시 시민참여] 이메일 주소를 인증해 주세요"),
              _("아래 링크를 열면 이메일 인증이 끝납니다 (7일 동안 유효).\n\n%(link)s", link=link))


def verification_user(token: str) -> User:
    """The account a verification token is for (nothing changes); ValidationError when it is not valid."""
    try:
        data = _serializer("verify-email").loads(token, max_age=VERIFY_MAX_AGE)
    except BadSignature:
        raise ValidationError({"token": _l("인증 링크가 올바르지 않거나 만료되었습니다.")}) from None
    user = db.session.get(User, data.get("id")) if isinstance(data, dict) else None
    if user is None or user.email != data.get("email") or not user.is_active:
        raise ValidationError({"token": _l("인증 링크가 올바르지 않거나 만료되었습니다.")})
    return user


def verify_email(token: str) -> User:
    user = verification_user(token)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        audit(user, "user", user.id, "email_verified")
    return user


def _reset_fingerprint(user: User) -> str:
    # Changes with the password, so a used reset link stops working.
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def request_password_reset(email) -> None:
    """Mail a reset link if the address has an account; say nothing either way."""
    try:
        email = normalise_email(email)
    except ValidationError:
        return
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not user.is_active:
        return
    token = _serializer("reset-password").dumps({"id": user.id, "f": _reset_fingerprint(user)})
    link = public_url(url_for("accounts.reset_link", token=token))
    send_mail(user.email, _("[서울시 시민참여] 비밀번호 다시 설정"),
              _("아래 링크에서 새 비밀번호를 정하세요 (1시간 동안 유효).\n\n%(link)s", link=link))


def reset_user(token: str) -> User:
    """The account a reset token is for, while it can still be used (nothing changes); else ValidationError."""
    invalid = ValidationError({"token": _l("비밀번호 재설정 링크가 올바르지 않거나 만료되었습니다.")})
    try:
        data = _serializer("reset-password").loads(token, max_age=RESET_MAX_AGE)
    except BadSignature:
        raise invalid from None
    user = db.session.get(User, data.get("id")) if isinstance(data, dict) else None
    if user is None or not user.is_active or data.get("f") != _reset_fingerprint(user):
        raise invalid
    return user


def reset_password(token: str, password) -> User:
    reset_user(token)  # a bad link is refused before argon2 runs
    new_hash = hash_password(check_password(password))
    user = reset_user(token)  # read again: the hash ran outside the transaction (core.database.without_write_lock)
    user.password_hash = new_hash
    # A reset proves the mailbox is theirs.
    user.email_verified_at = user.email_verified_at or utcnow()
    revoke_all_tokens(user)
    end_sessions(user)
    audit(user, "user", user.id, "password_reset")
    return user


def change_password(user: User, current, new) -> None:
    if authenticate(user.email, current) is None:
        raise ValidationError({"current_password": _l("현재 비밀번호가 맞지 않습니다.")})
    user.password_hash = hash_password(check_password(new))
    # Signed out everywhere else: other browsers' sessions and the apps' tokens (the caller's session goes on).
    end_sessions(user)
    revoke_all_tokens(user)
    audit(user, "user", user.id, "password_changed")


def end_sessions(user: User) -> None:
    """Sign the account out everywhere: every session cookie issued so far, copies included, stops working."""
    user.session_generation += 1


def update_profile(user: User, display_name, district, birth_year) -> None:
    cleaned = check_profile(display_name, district, birth_year)
    profile.change(user, cleaned["district"], cleaned["birth_year"])
    user.display_name = cleaned["display_name"]


def delete_account(user: User, password, erase=None) -> None:
    """Erase the personal data; public contributions stay, shown as "탈퇴한 사용자". `erase(user)` removes what the
    channels hold for the person (participation.privacy.erase), before the account row is scrubbed."""
    if authenticate(user.email, password) is None:
        raise ValidationError({"password": _l("비밀번호가 맞지 않습니다.")})
    if erase is not None:
        erase(user)
    # Keyed hashes only: the address itself goes below. `person_hash` is the identity module's, where verified.
    db.session.add(Tombstone(user_id=user.id, email_hash=keyed_hash(user.email_canonical or user.email),
                             person_hash=getattr(user, "person_hash", None)))
    # The person's link and the history of district and birth year go too (the tombstone keeps the person's hash).
    db.session.execute(delete(VerifiedIdentity).where(VerifiedIdentity.user_id == user.id))
    db.session.execute(delete(ProfileValue).where(ProfileValue.user_id == user.id))
    db.session.expire(user, ["identity"])
    revoke_all_tokens(user)
    user.email = user.email_canonical = user.password_hash = user.display_name = None
    user.district = user.birth_year = None
    user.deleted_at = utcnow()
    user.role_rows.clear()
    audit(None, "user", user.id, "deleted")


def _check_suspension(actor, user: User | None, reason, *, required: bool) -> str | None:
    """A moderator (or admin) acts on another, existing account; only an admin on an admin's."""
    require_role(actor, Role.moderator)
    if user is None or user.deleted_at is not None:
        raise NotFound()
    if user.id == actor.id:
        raise Conflict(_l("자신의 계정은 정지하거나 정지를 풀 수 없습니다."), code="own_account")
    if Role.admin in user.roles and Role.admin not in actor.roles:
        raise Forbidden(_l("관리자 계정은 관리자만 정지하거나 정지를 풀 수 있습니다."), code="cannot_suspend_admin")
    return clean_text(reason, "reason", SUSPENSION_REASON_MAX, required=required,
                      missing=_l("정지 사유를 입력해 주세요."))


def suspend(actor, user: User | None, reason) -> User:
    """Suspend an account: it cannot sign in or act (its sessions end, its tokens are revoked); its signatures,
    supports, ballots and answers stay counted unless staff void them. Audited as `suspended` with the reason."""
    reason = _check_suspension(actor, user, reason, required=True)
    if user.suspended_at is not None:
        raise Conflict(_l("이미 정지된 계정입니다."), code="already_suspended")
    user.suspended_at, user.suspension_reason = utcnow(), reason
    revoke_all_tokens(user)
    end_sessions(user)
    audit(actor, "user", user.id, "suspended", reason)
    return user


def unsuspend(actor, user: User | None, reason=None) -> User:
    """Lift a suspension (audited as `unsuspended`); the account signs in again (revoked tokens stay revoked)."""
    reason = _check_suspension(actor, user, reason, required=False)
    if user.suspended_at is None:
        raise Conflict(_l("정지되지 않은 계정입니다."), code="not_suspended")
    user.suspended_at = user.suspension_reason = None
    audit(actor, "user", user.id, "unsuspended", reason or None)
    return user


def create_user(email, password, roles=(), display_name=None, district="중구", birth_year=1990,
                password_hash: str | None = None) -> User:
    """A verified account with roles, for the CLI and the demo."""
    user = register(email, password, display_name or email.split("@")[0], district, birth_year, consent=None,
                    verified=True, password_hash=password_hash)
    for role in roles:
        grant_role(None, user, Role(role))
    return user


def grant_role(actor, user: User, role: Role) -> None:
    if actor is not None:
        require_role(actor, Role.admin)
    if role != Role.citizen and role not in user.roles:
        user.role_rows.append(UserRole(role=role))
        audit(actor, "user", user.id, f"grant:{role}")


def revoke_role(actor, user: User, role: Role) -> None:
    require_role(actor, Role.admin)
    if actor.id == user.id and role == Role.admin:
        raise Conflict(_l("자신의 관리자 권한은 해제할 수 없습니다."))
    for row in list(user.role_rows):
        if row.role == role:
            user.role_rows.remove(row)
            audit(actor, "user", user.id, f"revoke:{role}")


def issue_token(user: User, name: str = "api") -> str:
    return new_token(user, name)[0]


def new_token(user: User, name: str = "api") -> tuple[str, ApiToken]:
    """A new bearer token, valid for API_TOKEN_DAYS, and its row; the plain value is returned once and never
    stored."""
    token, now = secrets.token_urlsafe(32), utcnow()
    # Issued (with the password) counts as used: the first requests of a new token write nothing more.
    row = ApiToken(user_id=user.id, token_hash=hash_token(token), name=name[:80], last_used_at=now,
                   expires_at=now + timedelta(days=current_app.config["API_TOKEN_DAYS"]))
    db.session.add(row)
    db.session.flush()
    return token, row


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# How exactly last_used_at is kept: written when older than this, so that a token used for a vote every second
# costs one UPDATE an hour, not one per request.
TOKEN_USE_PRECISION = timedelta(hours=1)


def user_for_token(token: str) -> tuple[User, int, datetime | None] | None:
    """(user, token id, last used) for a token that is neither revoked nor expired, of an active account."""
    # One statement for the token, its (active) user, the user's roles and verified identity (what GET /me and
    # the identity-only items read; a lazy load was a second statement): this runs on every authenticated API
    # request, a vote included, so it is built once per process (construction and cache key were half its cost).
    row = db.session.execute(_user_for_token(), {"token_hash": hash_token(token), "now": utcnow()}).unique().first()
    return None if row is None else tuple(row)


@functools.cache
def _user_for_token():
    return (select(User, ApiToken.id, ApiToken.last_used_at).join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None),
                   ApiToken.expires_at > bindparam("now"), User.deleted_at.is_(None), User.suspended_at.is_(None))
            .options(joinedload(User.role_rows), joinedload(User.identity)))


def token_use_is_stale(last_used_at: datetime | None) -> bool:
    return last_used_at is None or last_used_at < utcnow() - TOKEN_USE_PRECISION


def touch_token(token_id: int) -> None:
    """Record that a token was used (to the hour): one conditional UPDATE."""
    now = utcnow()
    db.session.execute(_touch_token(), {"token_id": token_id, "now": now, "stale": now - TOKEN_USE_PRECISION})


@functools.cache
def _touch_token():
    # Built once per process, like `_user_for_token`: the first use of a token in an hour is part of a vote.
    token = ApiToken.__table__
    return update(token).where(token.c.id == bindparam("token_id"), or_(
        token.c.last_used_at.is_(None), token.c.last_used_at < bindparam("stale"))).values(
        last_used_at=bindparam("now"))


def tokens_of(user: User) -> list[ApiToken]:
    """The account's tokens that still work, newest first."""
    return list(db.session.scalars(select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow())
        .order_by(ApiToken.id.desc())))


def revoke_token(token: str) -> None:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None:
        raise NotFound()
    row.revoked_at = row.revoked_at or utcnow()


def revoke_token_by_id(user: User, token_id: int) -> None:
    """Revoke one of the caller's own tokens; someone else's, or one already revoked, is a 404."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        raise NotFound(_l("토큰을 찾을 수 없습니다."))
    row.revoked_at = utcnow()


def revoke_all_tokens(user: User) -> None:
    for row in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                         ApiToken.revoked_at.is_(None))):
        row.revoked_at = utcnow()
