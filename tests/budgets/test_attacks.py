"""The attacks of issue #19 on budget ballots, as a database administrator would try them, with the process in its
voting phase after 30 ballots cast one after another (each its own transaction, the worker's job after each).
The worker opened the first 20 as one batch, in a random order, in a transaction of its own; the other 10 wait
sealed. "No better than chance" is as for polls (tests/polls/test_attacks.py): every voter picks a different set
of projects, and an attack pairing voters with opened ballots by storage order names as many voters as the fixed
points of a random permutation of 20 (fails at 8 or more, P = 1.0e-5)."""

import pytest
import sqlalchemy as sa

from participation.budgets import services
from participation.budgets.models import BudgetProcess
from participation.budgets.tasks import open_budget_ballots, tally_budget
from participation.extensions import db
from tests.conftest import empty_tables
from tests.polls.test_attacks import BATCH, TOO_MANY, VOTERS, WalReader, chance_of_at_least, distinct_ballots

TITLES = ("골목 보안등", "등산로 데크", "보행 펜스", "경로당 냉난방", "바닥분수", "작은도서관", "분리수거함",
          "자전거 거치대")


@pytest.fixture
def thirty_sequential_ballots(app, monkeypatch):
    """A real process, 30 voters each committing a ballot, the worker's job after each. Returns the process id and
    {user id: the set of projects that voter chose}; every row is deleted afterwards."""
    from tests import factories

    monkeypatch.setitem(app.config, "MIX_BATCH", BATCH)
    with app.app_context():
        factories.bind(db.session)
        try:
            process = factories.budget_with_projects([10_000_000] * len(TITLES), title="2026 마포구 주민참여예산")
            for project, title in zip(process.projects, TITLES, strict=True):
                project.title = title
            voters = [factories.UserFactory(district="마포구") for _ in range(VOTERS)]
            db.session.commit()
            budget_id, project_ids = process.id, [project.id for project in process.projects]
            truth = {}
            for voter, ballot in zip(voters, distinct_ballots(project_ids), strict=True):
                services.cast_ballot(services.get_visible(budget_id, voter, for_vote=True), voter, list(ballot))
                db.session.commit()
                truth[voter.id] = frozenset(ballot)
                open_budget_ballots(budget_id)
            db.session.remove()
            yield budget_id, truth
        finally:
            empty_tables()


def opened_ballots(connection, budget_id: int, order: str) -> list[frozenset]:
    rows = connection.execute(sa.text(
        f"SELECT ballot_id, project_id FROM budget_ballot_project WHERE budget_id = :budget ORDER BY {order}"),
        {"budget": budget_id}).all()
    ballots: dict[str, set] = {}
    for ballot_id, project_id in rows:
        ballots.setdefault(ballot_id, set()).add(project_id)
    return [frozenset(projects) for projects in ballots.values()]


def postgresql_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("xmin and ctid are PostgreSQL's; the SQLite attack reads the -wal file (test below)")


def test_a_dba_joining_voters_to_choices_by_transaction_id_finds_nothing(app, thirty_sequential_ballots):
    budget_id, truth = thirty_sequential_ballots
    with app.app_context():
        postgresql_only()
        with db.engine.connect() as dba:
            named = dba.execute(sa.text(
                "SELECT p.user_id, c.project_id FROM budget_participation p JOIN budget_ballot_project c "
                "ON c.xmin = p.xmin WHERE p.budget_id = :budget"), {"budget": budget_id}).all()
            receipts = dba.execute(sa.text(
                "SELECT count(*) FROM budget_participation p JOIN budget_receipt r ON r.xmin = p.xmin "
                "WHERE p.budget_id = :budget"), {"budget": budget_id}).scalar()
            # The join itself works: it links each voter still waiting to a sealed ballot, which is ciphertext.
            sealed = dba.execute(sa.text(
                "SELECT p.user_id, s.ciphertext FROM budget_participation p JOIN budget_sealed_ballot s "
                "ON s.xmin = p.xmin WHERE p.budget_id = :budget"), {"budget": budget_id}).all()
            opened = opened_ballots(dba, budget_id, "ctid")
    assert named == [] and receipts == 0
    assert len(opened) == BATCH and len(sealed) == VOTERS - BATCH
    assert {len(truth[user]) for user, _ciphertext in sealed} == {1, 2}
    assert len({len(ciphertext) for _user, ciphertext in sealed}) == 1  # one length, whatever was chosen


@pytest.mark.parametrize("order", ["ctid", "xmin::text, ctid", "ballot_id, project_id"])
def test_a_dba_pairing_voters_and_ballots_by_storage_order_does_no_better_than_chance(
        app, thirty_sequential_ballots, order):
    budget_id, truth = thirty_sequential_ballots
    with app.app_context():
        postgresql_only()
        with db.engine.connect() as dba:
            voters = list(dba.scalars(sa.text(
                "SELECT user_id FROM budget_participation WHERE budget_id = :budget ORDER BY ctid"),
                {"budget": budget_id}))
            opened = opened_ballots(dba, budget_id, order)
    assert len(opened) == BATCH and set(opened) == {truth[voter] for voter in voters[:BATCH]}
    right = sum(truth[voter] == ballot for voter, ballot in zip(voters[:BATCH], opened, strict=True))
    assert chance_of_at_least(TOO_MANY) < 2e-5
    assert right < TOO_MANY, f"{right} of {BATCH} voters named by ordering by {order}"


def test_no_time_anywhere_pairs_a_voter_with_a_ballot(app, thirty_sequential_ballots):
    budget_id, _truth = thirty_sequential_ballots
    with app.app_context():
        inspector = sa.inspect(db.engine)
        times = {table: [column["name"] for column in inspector.get_columns(table)
                         if isinstance(column["type"], sa.DateTime | sa.Date)]
                 for table in ("budget_participation", "budget_ballot", "budget_ballot_project", "budget_receipt",
                               "budget_sealed_ballot")}
        days = db.session.scalar(sa.text(
            "SELECT count(DISTINCT created_at) FROM budget_participation WHERE budget_id = :budget"),
            {"budget": budget_id})
        db.session.remove()
    assert times == {"budget_participation": ["created_at"], "budget_ballot": [], "budget_ballot_project": [],
                     "budget_receipt": [], "budget_sealed_ballot": []}
    assert days == 1


def test_no_commit_holds_a_participation_row_and_a_plaintext_choice_in_the_sqlite_wal(app, monkeypatch):
    from tests import factories

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the -wal file is SQLite's; on PostgreSQL see the xmin and ctid attacks above")

    monkeypatch.setitem(app.config, "MIX_BATCH", 3)
    with app.app_context():
        path = db.engine.url.database
        db.session.remove()
        db.engine.dispose()

        def no_checkpoints(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")

        sa.event.listen(db.engine, "connect", no_checkpoints)
        try:
            raw = db.engine.raw_connection()
            try:
                raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # outside any transaction
            finally:
                raw.close()
            wal = WalReader(path)
            commits = []
            factories.bind(db.session)
            process = factories.budget_with_projects()
            voters = [factories.UserFactory(district="마포구") for _ in range(7)]
            db.session.commit()
            commits += wal.commits_since()
            budget_id = process.id
            for number, voter in enumerate(voters):
                process = db.session.get(BudgetProcess, budget_id)
                services.cast_ballot(process, voter, [project.id for project in process.projects][:1 + number % 2])
                db.session.commit()
                commits += wal.commits_since()
                open_budget_ballots(budget_id)
                commits += wal.commits_since()
            services.transition(db.session.get(BudgetProcess, budget_id), "closed", factories.staff(), "조기 마감")
            db.session.commit()
            tally_budget(budget_id)  # the final tally opens the last, partial batch
            commits += wal.commits_since()
            process = db.session.get(BudgetProcess, budget_id)
            assert (process.state, process.total_ballots) == ("tallied", 7)
            db.session.remove()
        finally:
            sa.event.remove(db.engine, "connect", no_checkpoints)
            db.engine.dispose()
            empty_tables()
    voting = [tables for tables in commits if "budget_participation" in tables]
    opening = [tables for tables in commits if "budget_ballot_project" in tables]
    assert len(voting) == 7 and len(opening) == 3  # 7 votes; batches of 3, 3 and the last 1 at the close
    assert all("budget_sealed_ballot" in tables for tables in voting)
    assert not [tables for tables in commits if {"budget_participation", "budget_ballot_project"} <= tables]
    assert not [tables for tables in commits if {"budget_participation", "budget_ballot"} <= tables]
