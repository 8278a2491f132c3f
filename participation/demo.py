"""The Korean demo: accounts for every role, then each channel's own demo items.

Idempotent: a database that already has the demo admin is left as it is."""

from sqlalchemy import func, select

from participation.accounts.models import User
from participation.accounts.services import create_user, password_hasher
from participation.core.seoul import DISTRICTS
from participation.demo_accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, GIVEN, SURNAMES
from participation.extensions import db

DEMO_CITIZENS = 200


def demo_district(number: int) -> str:
    """Most demo citizens live in six districts, so that district charts have cells of 10 or more people
    (smaller cells are suppressed); the rest are spread over the others."""
    return DISTRICTS[number % 6] if number % 4 else DISTRICTS[6 + number // 4 % 19]


class NotADemoDatabase(RuntimeError):
    """The database holds accounts that the demo did not make: people's data, not a place for a demo."""


def demo_emails() -> list[str]:
    return [email for email, *_rest in DEMO_ACCOUNTS] + [f"citizen{number:03d}@example.com"
                                                          for number in range(DEMO_CITIZENS)]


def seed() -> bool:
    """The demo, once. Refuses (NotADemoDatabase) a database with any other account, deleted ones included: the
    demo adds admin@example.com with a published password."""
    if db.session.scalar(select(User.id).where(User.email == DEMO_ACCOUNTS[0][0])):
        return False
    others = db.session.scalar(select(func.count()).select_from(User).where(
        User.email.is_(None) | User.email.not_in(demo_emails())))
    if others:
        raise NotADemoDatabase(f"the database holds {others} account(s) that are not the demo's")
    people = {"citizen": [], "moderator": [], "staff": [], "admin": []}
    # Every demo account has the same password: hash it once (argon2 is slow on purpose).
    password_hash = password_hasher.hash(DEMO_PASSWORD)
    for email, name, district, birth_year, roles in DEMO_ACCOUNTS:
        user = create_user(email, DEMO_PASSWORD, roles, display_name=name, district=district,
                           birth_year=birth_year, password_hash=password_hash)
        people[(roles or ("citizen",))[0]].append(user)
    for number in range(DEMO_CITIZENS):
        name = SURNAMES[number % len(SURNAMES)] + GIVEN[number % len(GIVEN)]
        people["citizen"].append(create_user(
            f"citizen{number:03d}@example.com", DEMO_PASSWORD, (), display_name=f"{name}{number}",
            district=demo_district(number), birth_year=1950 + number % 58, password_hash=password_hash))
    db.session.flush()

    from participation.budgets import demo as budgets_demo
    from participation.forums import demo as forums_demo
    from participation.indicators import demo as indicators_demo
    from participation.petitions import demo as petitions_demo
    from participation.polls import demo as polls_demo
    from participation.proposals import demo as proposals_demo
    from participation.surveys import demo as surveys_demo

    for module in (petitions_demo, proposals_demo, polls_demo, forums_demo, surveys_demo, budgets_demo,
                   indicators_demo):
        module.seed(people)
        db.session.flush()
    return True
