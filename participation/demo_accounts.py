"""The demo's logins and the names its people are made from (participation/demo.py seeds them; a channel's demo
that makes people of its own, like the budgeting demo's residents, uses the same password and names), and how
the demo's voters are verified persons."""

from participation.accounts.identity import person_hash
from participation.accounts.models import VerifiedIdentity
from participation.extensions import db

DEMO_PASSWORD = "seoul-demo-2024"
DEMO_ACCOUNTS = (
    # email, display name, district, birth year, roles
    ("citizen@example.com", "김시민", "마포구", 1988, ()),
    ("moderator@example.com", "이검토", "중구", 1979, ("moderator",)),
    ("staff@example.com", "박주무관", "중구", 1984, ("staff",)),
    ("admin@example.com", "최관리", "종로구", 1975, ("admin",)),
)
SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = ("민준", "서연", "도윤", "하은", "지호", "수아", "예준", "지우", "시우", "서윤", "주원", "하린")


def verified(people) -> None:
    """Link each demo voter to a demo person, as if each had verified through the identity provider (the person
    identifiers are made up; only their keyed hashes are stored, as for real ones)."""
    for user in people:
        if db.session.get(VerifiedIdentity, user.id) is None:
            db.session.add(VerifiedIdentity(user_id=user.id, person_hash=person_hash(f"demo-person-{user.id}"),
                                            issuer="demo", district=user.district, birth_year=user.birth_year))
            db.session.expire(user, ["identity"])
    db.session.flush()
