"""factory_boy factories. `bind(session)` points them at the test's session (conftest does it)."""

import factory

from participation.accounts.models import User, UserRole
from participation.accounts.services import canonical_email, password_hasher
from participation.core.time import utcnow

PASSWORD = "correct-horse-battery"
_PASSWORD_HASH = password_hasher.hash(PASSWORD)
_factories: list = []


def bind(session) -> None:
    for factory_class in _factories:
        factory_class._meta.sqlalchemy_session = session


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_persistence = "flush"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _factories.append(cls)


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"citizen{n}@example.com")
    email_canonical = factory.LazyAttribute(lambda user: canonical_email(user.email))
    password_hash = _PASSWORD_HASH
    display_name = factory.Sequence(lambda n: f"시민{n}")
    district = "마포구"
    birth_year = 1990
    email_verified_at = factory.LazyFunction(utcnow)

    @factory.post_generation
    def roles(user, create, extracted, **kwargs):
        for role in extracted or ():
            user.role_rows.append(UserRole(role=role))


def moderator(**kwargs) -> User:
    return UserFactory(roles=["moderator"], **kwargs)


def staff(**kwargs) -> User:
    return UserFactory(roles=["staff"], **kwargs)


def admin(**kwargs) -> User:
    return UserFactory(roles=["admin"], **kwargs)
