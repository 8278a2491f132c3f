"""What the security tests share: a cast of users (one per role, plus the owner's neighbour), ways to
act as each of them without paying for a password check, and a snapshot of every table."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import url_for

from participation.accounts import services as accounts
from participation.core.time import utcnow
from participation.extensions import db
from tests import factories

# The columns of the route table, in order.
ROLES = ("anonymous", "citizen", "other", "moderator", "staff", "admin")


class World:
    """The people (and, as channels arrive, the items) a route table entry can point at.

    `citizen` owns every item the World creates (author of the petition, creator of the draft …);
    `other` is another verified citizen. Channel items are made on first use and then kept."""

    def __init__(self):
        self.citizen = factories.UserFactory(display_name="주인시민")
        self.other = factories.UserFactory(display_name="이웃시민")
        self.moderator = factories.moderator(display_name="검토자")
        self.staff = factories.staff(display_name="담당공무원")
        self.admin = factories.admin(display_name="관리자")
        self._items: dict = {}

    def user(self, role: str):
        return None if role == "anonymous" else getattr(self, role)

    def item(self, key, make):
        """One item per key, made by `make()` the first time it is asked for."""
        if key not in self._items:
            self._items[key] = make()
            db.session.flush()
        return self._items[key]

    # ── channel items (the citizen owns what a citizen can own) ─────────────────────────────
    def petition(self, state: str = "open"):
        """"owed": closed past its answer threshold, the city's answer due."""
        if state == "open":
            return self.item(("petition", state), lambda: factories.open_petition(author=self.citizen))
        if state == "owed":
            return self.item(("petition", state), lambda: factories.open_petition(
                author=self.citizen, state="closed", closed_at=utcnow(), answer_due_at=utcnow() + timedelta(days=90)))
        if state == "hidden":  # hidden after it was published: it carries its rules
            return self.item(("petition", state), lambda: factories.open_petition(author=self.citizen, state=state))
        return self.item(("petition", state), lambda: factories.PetitionFactory(author=self.citizen, state=state))

    def proposal(self, state: str = "open"):
        if state == "open":
            return self.item(("proposal", state), lambda: factories.open_proposal(author=self.citizen))
        if state == "under_review":
            return self.item(("proposal", state), lambda: factories.open_proposal(
                author=self.citizen, state=state, review_started_at=utcnow(),
                answer_due_at=utcnow() + timedelta(days=30)))
        return self.item(("proposal", state), lambda: factories.ProposalFactory(author=self.citizen, state=state))

    def citizen_token_id(self) -> int:
        def make():
            from participation.accounts.models import ApiToken

            return db.session.get(ApiToken, accounts.new_token(self.citizen)[1].id)
        return self.item("citizen_token", make).id

    def proposal_comment(self):
        from participation.proposals.models import Comment

        def make():
            comment = Comment(proposal_id=self.proposal().id, author_id=self.citizen.id, body="좋은 제안입니다.")
            db.session.add(comment)
            return comment
        return self.item("proposal_comment", make)

    def poll(self, state: str = "open"):
        """A staff poll (open), or a citizen's poll waiting for moderation (pending)."""
        if state == "pending":
            return self.item(("poll", state), lambda: factories.PollFactory(
                state="pending", by_staff=False, author_id=self.citizen.id, opens_at=None))
        return self.item(("poll", state), lambda: factories.PollFactory(state=state, author_id=self.staff.id))

    def forum(self, state: str = "open"):
        return self.item(("forum", state), lambda: factories.ForumFactory(
            state=state, created_by_id=self.staff.id, **({"opened_at": None} if state == "draft" else {})))

    def forum_comment(self):
        return self.item("forum_comment", lambda: factories.ForumCommentFactory(
            forum_id=self.forum().id, author_id=self.citizen.id))

    def forum_statement(self, state: str = "approved"):
        return self.item(("forum_statement", state), lambda: factories.ForumStatementFactory(
            forum_id=self.forum().id, author_id=self.citizen.id, state=state))

    def survey(self, state: str = "open"):
        return self.item(("survey", state), lambda: factories.survey(
            self.staff, open_it=state == "open", sections=["교통", "의견"], questions=[
                {"type": "single", "text": "주로 타는 교통수단은?", "section": 0, "options": ["지하철", "버스"]},
                {"type": "text", "text": "하고 싶은 말", "section": 1, "required": False}]))

    def budget(self, state: str = "voting"):
        """A city-wide budgeting process with two feasible projects the citizen proposed; "tallied" has one ballot
        and its allocation."""
        def make():
            from participation.budgets import services
            from participation.budgets.services import write_allocation

            process = factories.BudgetProcessFactory(state="voting" if state == "tallied" else state, district=None,
                                                     author_id=self.staff.id)
            status = "proposed" if state in ("draft", "proposing", "reviewing") else "feasible"
            for cost in (100_000_000, 200_000_000):
                factories.BudgetProjectFactory(process=process, cost=cost, status=status, author_id=self.citizen.id)
            if state == "tallied":
                db.session.flush()
                services.cast_ballot(process, self.other, [process.projects[0].id])
                services.transition(process, "closed", self.staff, "시험 마감")
                write_allocation(process.id)
            return process
        return self.item(("budget", state), make)

    def indicator(self):
        from sqlalchemy import select

        from participation.indicators.models import Indicator
        from participation.indicators.services import load_catalogue

        def make():
            load_catalogue()
            return db.session.scalars(select(Indicator).order_by(Indicator.code)).first()
        return self.item("indicator", make)


@pytest.fixture
def world(db_session):
    return World()


def web_client(app, user_id: int | None):
    """A test client logged in as the user (the session Flask-Login would write at login)."""
    client = app.test_client()
    if user_id is not None:
        with app.test_request_context(environ_base=client.environ_base):
            identifier = app.login_manager._session_identifier_generator()
        with client.session_transaction() as session:
            session.update({"_user_id": f"{user_id}.0", "_fresh": True, "_id": identifier})
    return client


def bearer(user) -> dict:
    return {"Authorization": f"Bearer {accounts.issue_token(user)}"} if user is not None else {}


def form_token(client) -> str:
    """The CSRF token a page would put in its forms for this client's session."""
    from tests.conftest import csrf_token

    return csrf_token(client, "/login")


def path_for(app, endpoint: str, **values) -> str:
    with app.test_request_context():
        return url_for(endpoint, **values)


def snapshot() -> dict:
    """Every row of every table, to compare before and after a request that must write nothing."""
    rows = {}
    existing = set(sa.inspect(db.session.connection()).get_table_names())
    for table in db.metadata.sorted_tables:
        if table.name not in existing:  # a channel whose migration has not landed yet
            continue
        result = db.session.execute(sa.select(table)).all()
        rows[table.name] = sorted(repr(tuple(row)) for row in result)
    return rows
