from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.core.models import Base
from participation.core.permissions import Role
from participation.core.seoul import age_band
from participation.core.time import utcnow

EMAIL_MAX = 254
DISPLAY_NAME_MAX = 40
PASSWORD_MIN = 10
PASSWORD_MAX = 200
SUSPENSION_REASON_MAX = 500
DELETED_NAME = _l("탈퇴한 사용자")


class User(UserMixin, Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Lower-cased, trimmed address; NULL once the account is deleted.
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX), unique=True)
    # The address as the mail provider sees it (dots and +tags removed where it ignores them):
    # one account per mailbox.
    email_canonical: Mapped[str | None] = mapped_column(String(EMAIL_MAX), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    display_name: Mapped[str | None] = mapped_column(String(DISPLAY_NAME_MAX))
    district: Mapped[str | None] = mapped_column(String(10))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    locale: Mapped[str | None] = mapped_column(String(5))
    email_verified_at: Mapped[datetime | None]
    # When the person ticked the consent to collection and use (sign-up's notice, templates/accounts/register.html);
    # NULL for accounts the operator created (CLI, demo), whom nobody asked.
    privacy_consent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
    # Suspended by a moderator (accounts.services.suspend): cannot sign in or act; what it did still counts.
    suspended_at: Mapped[datetime | None]
    suspension_reason: Mapped[str | None] = mapped_column(String(SUSPENSION_REASON_MAX))
    # Part of every signed-in session's id: raising it ends all of the account's sessions, on every device,
    # including copies of a session cookie (at logout, and when the password changes or is reset).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    role_rows: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin")
    # The verified person behind the account (accounts/identity.py), if any; loaded when asked for.
    identity: Mapped["VerifiedIdentity | None"] = relationship(lazy="select", viewonly=True)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session: the id and the session generation."""
        return f"{self.id}.{self.session_generation}"

    @property
    def roles(self) -> list[str]:
        """Every account is a citizen; the rest are granted."""
        granted = {row.role for row in self.role_rows}
        return [role.value for role in Role if role == Role.citizen or role in granted]

    def has_role(self, *roles: Role) -> bool:
        mine = set(self.roles)
        return Role.admin in mine or any(role in mine for role in roles)

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def verification(self) -> str:
        """What is known of the person: "identity" (verified through the provider), "email" or "none"."""
        if self.identity is not None:
            return "identity"
        return "email" if self.email_verified else "none"

    @property
    def person_hash(self) -> str | None:
        """The keyed hash of the verified person behind the account (accounts/identity.py), if any: what a deleted
        account's tombstone keeps."""
        return self.identity.person_hash if self.identity is not None else None

    @property
    def district_verified(self) -> bool:
        return self.identity is not None and self.identity.district is not None \
            and self.identity.district == self.district

    @property
    def birth_year_verified(self) -> bool:
        return self.identity is not None and self.identity.birth_year is not None \
            and self.identity.birth_year == self.birth_year

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None and self.suspended_at is None

    @property
    def public_name(self) -> str:
        return str(DELETED_NAME) if self.deleted_at else (self.display_name or "")

    def age_band_on(self, day: date) -> str | None:
        return age_band(self.birth_year, day)


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(String(20), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="role_rows")


class ApiToken(Base):
    """A bearer token for the API. Only its SHA-256 is stored; revoked tokens stay as a record."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(80), default="api")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Recorded at most once per TOKEN_USE_PRECISION (services.touch_token), not on every request.
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # NULL only for rows the migration found already revoked; an unexpired, unrevoked token authenticates.
    expires_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class Tombstone(Base):
    """What stays of a deleted account so that the person cannot take part a second time: keyed hashes (HMAC with
    IDENTITY_PEPPER, which lives in the configuration, never in the database) of its canonical address and, for an
    identity-verified account, of its person identifier. A new account with that address or person is refused
    while any item the deleted account took part in still counts (accounts.services.register); the row goes when
    none does (privacy.purge_tombstones)."""

    __tablename__ = "account_tombstone"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    email_hash: Mapped[str] = mapped_column(String(64), index=True)
    person_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    deleted_on: Mapped[datetime] = mapped_column(default=utcnow)


class VerifiedIdentity(Base):
    """One verified person, one account: the keyed hash of the identity provider's person identifier
    (accounts/identity.py::person_hash), never the identifier, under a unique constraint. Birth year and district
    are what the provider said, when it said them."""

    __tablename__ = "verified_identity"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    person_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issuer: Mapped[str] = mapped_column(String(200))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    district: Mapped[str | None] = mapped_column(String(10))
    verified_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProfileValue(Base):
    """The district and birth year an account had from `valid_from` on, one row per change (the first at sign-up):
    polls and surveys decide eligibility on the values in force when the item opened (accounts/profile.py)."""

    __tablename__ = "profile_value"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    district: Mapped[str | None] = mapped_column(String(10))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    # Given by the identity provider rather than typed.
    verified: Mapped[bool] = mapped_column(default=False, server_default="0")
    valid_from: Mapped[datetime] = mapped_column(default=utcnow)
