"""The attacks of issue #19 on both secret ballot boxes (core/ballot_box.py), citizen polls (엠보팅) and
participatory budgets (주민참여예산), as a database administrator would try them: written once, run against each
box. The box takes 30 ballots cast one after another (each its own transaction, the worker's job after each one as
its debounced job would) and stays open.

What "no better than chance" means here. The worker opened the first 20 sealed ballots as one batch and wrote
their plaintext in an order drawn from the operating system's CSPRNG, in a transaction of its own; the other
10 wait sealed. Every voter casts a different set of choices, so a ballot names its voter if anything pairs
them. An attack pairs each of the 20 voters of the batch with one opened ballot. Whatever pairing is derived
from row order or transaction ids, the plaintext order carries no information about the voters, so the
number of voters paired with their own ballot is distributed as the fixed points of a uniformly random
permutation of 20: mean 1, P(at least 8) = 1.0e-5. The tests fail at 8 or more (the code before sealing
gave 30 of 30). Joins on a transaction id (xmin) or on a time find no opened ballot at all.

The 30 ballots of each box are cast once for the tests that read them (they only read)."""

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import pytest
import sqlalchemy as sa

from participation.budgets import services as budget_services
from participation.budgets.models import BudgetProcess
from participation.budgets.tasks import open_budget_ballots, tally_budget
from participation.extensions import db
from participation.polls import services as poll_services
from participation.polls.models import Poll
from participation.polls.tasks import tally_poll
from tests import factories
from tests.conftest import empty_tables

VOTERS = 30
BATCH = 20
# P(a uniformly random permutation of 20 has at least 8 fixed points) = sum_{k>=8} D(20-k) / 20!; about 1e-5.
TOO_MANY = 8

# xmin and ctid are PostgreSQL's; on SQLite the attack reads the -wal file (the last test).
POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith("postgresql")
postgresql_only = pytest.mark.skipif(not POSTGRESQL, reason="xmin and ctid are PostgreSQL's (SQLite: the -wal test)")


@dataclass(frozen=True)
class Box:
    """A channel's ballot box as a database administrator sees it (its tables and columns), and as a test makes,
    fills and closes one."""

    name: str  # the tables' prefix: poll_participation, budget_sealed_ballot …
    choices: str  # the plaintext choices' table
    choice: str  # the column there naming what was chosen
    box: str  # the column naming the box in the participation and plaintext tables
    receipt_box: str  # the column naming the box in the receipts (core.ballot_box: `<box table>_id`)
    model: type
    services: ModuleType
    items: str  # the box's attribute listing what a ballot chooses from
    make: Callable[[str, tuple[str, ...]], object]  # (title, labels of the choices) -> the box
    title: str
    labels: tuple[str, ...]
    job: Callable[[int], None]  # the worker's job after a vote: it opens a batch once MIX_BATCH wait
    final: Callable[[int], None]  # the worker's job once the box is closed: it opens the rest and counts

    def table(self, name: str) -> str:
        return f"{self.name}_{name}"

    def new(self, title: str, labels: tuple[str, ...]) -> tuple[int, list[int]]:
        """A box in its voting phase with one choice per label, committed: its id and its choices' ids."""
        row = self.make(title, labels)
        db.session.commit()
        return row.id, [item.id for item in getattr(row, self.items)]

    def vote(self, box_id: int, voter, choice_ids) -> None:
        self.services.cast_ballot(self.services.get_visible(box_id, voter, for_vote=True), voter, list(choice_ids))
        db.session.commit()

    def close(self, box_id: int) -> None:
        self.services.transition(db.session.get(self.model, box_id), "closed", factories.staff(), "조기 마감")
        db.session.commit()


def new_budget(title: str, labels: tuple[str, ...]) -> BudgetProcess:
    process = factories.budget_with_projects([10_000_000] * len(labels), title=title)
    for project, label in zip(process.projects, labels, strict=True):
        project.title = label
    return process


BOXES = [
    Box(name="poll", choices="poll_ballot_choice", choice="option_id", box="poll_id", receipt_box="poll_id",
        model=Poll, services=poll_services, items="options",
        make=lambda title, labels: factories.PollFactory(title=title, labels=labels, max_choices=2),
        title="올해의 10대 뉴스", labels=("따릉이 확대", "한강 리버버스", "기후동행카드", "서울 야간관광", "손목닥터",
                                      "서울런", "정원박람회", "책보고"),
        job=tally_poll, final=tally_poll),
    Box(name="budget", choices="budget_ballot_project", choice="project_id", box="budget_id",
        receipt_box="budget_process_id", model=BudgetProcess, services=budget_services, items="projects",
        make=new_budget, title="2026 마포구 주민참여예산", labels=("골목 보안등", "등산로 데크", "보행 펜스",
                                                                 "경로당 냉난방", "바닥분수", "작은도서관",
                                                                 "분리수거함", "자전거 거치대"),
        job=open_budget_ballots, final=tally_budget),
]


def chance_of_at_least(fixed: int, size: int = BATCH) -> float:
    derangements = [1, 0]
    for n in range(2, size + 1):
        derangements.append((n - 1) * (derangements[-1] + derangements[-2]))
    return sum(math.comb(size, k) * derangements[size - k] for k in range(fixed, size + 1)) / math.factorial(size)


def distinct_ballots(choice_ids: list[int]) -> list[tuple[int, ...]]:
    """Thirty different ballots of up to two choices out of eight (8 singles and 22 of the 28 pairs), with four
    singles last, so that the ballots still sealed at the end hold one choice or two."""
    ballots = [(one,) for one in choice_ids] + [(one, two) for index, one in enumerate(choice_ids)
                                                for two in choice_ids[index + 1:]]
    ballots = ballots[:VOTERS]
    return ballots[4:] + ballots[:4]


@pytest.fixture(scope="module", params=BOXES, ids=lambda box: box.name)
def thirty_sequential_ballots(request, app):
    """A real box, 30 voters each committing a ballot, the worker's job after each. Returns the box, its id and
    {user id: the set of choices that voter made}; every row is deleted after the module's tests."""
    box = request.param
    with app.app_context():
        factories.bind(db.session)
        try:
            with pytest.MonkeyPatch.context() as patch:
                patch.setitem(app.config, "MIX_BATCH", BATCH)
                box_id, choice_ids = box.new(box.title, box.labels)
                voters = [factories.UserFactory() for _ in range(VOTERS)]
                db.session.commit()
                truth = {}
                for voter, ballot in zip(voters, distinct_ballots(choice_ids), strict=True):
                    box.vote(box_id, voter, ballot)
                    truth[voter.id] = frozenset(ballot)
                    box.job(box_id)
                db.session.remove()
            yield box, box_id, truth
        finally:
            empty_tables()


def opened_ballots(connection, box: Box, box_id: int, order: str) -> list[frozenset]:
    """The opened ballots of the box, each as its set of choices, in the order of `order` over the choice rows
    (ctid, xmin): the order in which a reader of the table would meet them."""
    rows = connection.execute(sa.text(
        f"SELECT ballot_id, {box.choice} FROM {box.choices} WHERE {box.box} = :box ORDER BY {order}"),
        {"box": box_id}).all()
    ballots: dict[str, set] = {}
    for ballot_id, choice_id in rows:
        ballots.setdefault(ballot_id, set()).add(choice_id)
    return [frozenset(choices) for choices in ballots.values()]


def voters_in_storage_order(connection, box: Box, box_id: int) -> list[int]:
    return list(connection.scalars(sa.text(
        f"SELECT user_id FROM {box.table('participation')} WHERE {box.box} = :box ORDER BY ctid"), {"box": box_id}))


@postgresql_only
def test_a_dba_joining_voters_to_choices_by_transaction_id_finds_nothing(app, thirty_sequential_ballots):
    box, box_id, truth = thirty_sequential_ballots
    participation = box.table("participation")
    with app.app_context(), db.engine.connect() as dba:
        named = dba.execute(sa.text(
            f"SELECT p.user_id, c.{box.choice} FROM {participation} p JOIN {box.choices} c "
            f"ON c.xmin = p.xmin WHERE p.{box.box} = :box"), {"box": box_id}).all()
        receipts = dba.execute(sa.text(
            f"SELECT count(*) FROM {participation} p JOIN {box.table('receipt')} r ON r.xmin = p.xmin "
            f"WHERE p.{box.box} = :box"), {"box": box_id}).scalar()
        # The join itself works: it links each voter still waiting to a sealed ballot, which is ciphertext.
        sealed = dba.execute(sa.text(
            f"SELECT p.user_id, s.ciphertext FROM {participation} p JOIN {box.table('sealed_ballot')} s "
            f"ON s.xmin = p.xmin WHERE p.{box.box} = :box"), {"box": box_id}).all()
        opened = opened_ballots(dba, box, box_id, "ctid")
    assert named == [] and receipts == 0
    assert len(opened) == BATCH and len(sealed) == VOTERS - BATCH
    # One length, whatever was chosen (one choice or two): the ciphertext does not even say how many.
    assert {len(truth[user]) for user, _ciphertext in sealed} == {1, 2}
    assert len({len(ciphertext) for _user, ciphertext in sealed}) == 1


@postgresql_only
@pytest.mark.parametrize("order", ["ctid", "xmin::text, ctid", "ballot_id, choice"])
def test_a_dba_pairing_voters_and_ballots_by_storage_order_does_no_better_than_chance(
        app, thirty_sequential_ballots, order):
    box, box_id, truth = thirty_sequential_ballots
    order = order.replace("choice", box.choice)
    with app.app_context(), db.engine.connect() as dba:
        voters = voters_in_storage_order(dba, box, box_id)
        opened = opened_ballots(dba, box, box_id, order)
    assert len(opened) == BATCH and set(opened) == {truth[voter] for voter in voters[:BATCH]}
    # The best pairing order gives: the first twenty voters (the batch) with the opened ballots, in order.
    right = sum(truth[voter] == ballot for voter, ballot in zip(voters[:BATCH], opened, strict=True))
    assert chance_of_at_least(TOO_MANY) < 2e-5
    assert right < TOO_MANY, f"{right} of {BATCH} voters named by ordering by {order}"


@postgresql_only
def test_a_dba_pairing_voters_and_receipts_by_storage_order_does_no_better_than_chance(
        app, thirty_sequential_ballots):
    """A receipt links to no choice; still, a voter's receipt must not be found from the tables either (else a
    voter who shows a receipt to a buyer could be found, or a receipt traced to a voter)."""
    box, box_id, _truth = thirty_sequential_ballots
    with app.app_context(), db.engine.connect() as dba:
        voters = voters_in_storage_order(dba, box, box_id)
        receipts = list(dba.scalars(sa.text(
            f"SELECT receipt_hash FROM {box.table('receipt')} WHERE {box.receipt_box} = :box ORDER BY ctid"),
            {"box": box_id}))
    assert len(receipts) == BATCH and len(voters) == VOTERS
    # Nothing but the order is there to pair them by; the receipts' order is a fresh shuffle of the batch.
    assert len(set(receipts)) == BATCH


def test_no_time_anywhere_pairs_a_voter_with_a_ballot(app, thirty_sequential_ballots):
    """By any timestamp: the ballot tables have no time column, and the participation rows keep only the KST
    day, the same for all thirty voters, so a join on any time pairs every voter with every ballot."""
    box, box_id, _truth = thirty_sequential_ballots
    tables = [box.table(name) for name in ("participation", "ballot", "receipt", "sealed_ballot")] + [box.choices]
    with app.app_context():
        inspector = sa.inspect(db.engine)
        times = {table: [column["name"] for column in inspector.get_columns(table)
                         if isinstance(column["type"], sa.DateTime | sa.Date)] for table in tables}
        days = db.session.scalar(sa.text(
            f"SELECT count(DISTINCT created_at) FROM {box.table('participation')} WHERE {box.box} = :box"),
            {"box": box_id})
        db.session.remove()
    assert times == {table: ["created_at"] if table == box.table("participation") else [] for table in tables}
    assert days == 1


@pytest.mark.skipif(POSTGRESQL, reason="the -wal file is SQLite's; on PostgreSQL see the xmin and ctid attacks")
@pytest.mark.parametrize("box", BOXES, ids=lambda box: box.name)
def test_no_commit_holds_a_participation_row_and_a_plaintext_choice_in_the_sqlite_wal(app, monkeypatch, box):
    """SQLite keeps each commit's pages in the -wal file (and in any copy of it): read every commit's frames
    and map each page to its table (dbstat), as someone holding the file would. Seven voters, batches of 3."""
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
            box_id, choice_ids = box.new(box.title, box.labels[:3])
            voters = [factories.UserFactory() for _ in range(7)]
            db.session.commit()
            commits += wal.commits_since()
            for number, voter in enumerate(voters):
                box.vote(box_id, voter, choice_ids[:1 + number % 2])
                commits += wal.commits_since()
                box.job(box_id)
                commits += wal.commits_since()
            box.close(box_id)
            box.final(box_id)  # the final tally opens the last, partial batch
            commits += wal.commits_since()
            row = db.session.get(box.model, box_id)
            assert (row.state, row.total_ballots) == ("tallied", 7)
            db.session.remove()
        finally:
            sa.event.remove(db.engine, "connect", no_checkpoints)
            db.engine.dispose()
            empty_tables()
    participation, choices = box.table("participation"), box.choices
    voting = [tables for tables in commits if participation in tables]
    opening = [tables for tables in commits if choices in tables]
    assert len(voting) == 7 and len(opening) == 3  # 7 votes; batches of 3, 3 and the last 1 at the close
    # The reading works: each vote's commit holds its participation row and its sealed ballot, side by side...
    assert all(box.table("sealed_ballot") in tables for tables in voting)
    # ...and never a plaintext choice, which only the worker's batches write.
    assert not [tables for tables in commits if {participation, choices} <= tables]
    assert not [tables for tables in commits if {participation, box.table("ballot")} <= tables]


class WalReader:
    """Reads the frames appended to a SQLite -wal file since the last call, grouped by commit, and names the
    table (or index: reported under its table) each page belongs to, from dbstat."""

    HEADER, FRAME_HEADER = 32, 24

    def __init__(self, database: str):
        import sqlite3

        self.path = database + "-wal"
        self.offset = self.HEADER
        self.pages: set[int] = set()  # frames of a commit not yet complete
        self.inspector = sqlite3.connect(f"file:{database}?mode=ro", uri=True)

    def commits_since(self) -> list[set[str]]:
        import struct

        with open(self.path, "rb") as file:
            data = file.read()
        page_size = struct.unpack(">I", data[8:12])[0]
        salts = data[16:24]
        owners = dict(self.inspector.execute(
            "SELECT d.pageno, m.tbl_name FROM dbstat AS d JOIN sqlite_schema AS m ON m.name = d.name").fetchall())
        commits = []
        while self.offset + self.FRAME_HEADER + page_size <= len(data):
            header = data[self.offset:self.offset + self.FRAME_HEADER]
            if header[8:16] != salts:
                break
            page, commit_size = struct.unpack(">II", header[:8])
            self.pages.add(page)
            self.offset += self.FRAME_HEADER + page_size
            if commit_size:
                commits.append({owners[number] for number in self.pages if number in owners})
                self.pages = set()
        return commits
