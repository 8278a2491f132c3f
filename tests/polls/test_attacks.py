"""The attacks of issue #19, as a database administrator and an observer of the live results would try them,
with the poll open after 30 ballots cast one after another (each its own transaction, the worker running
after each one as its debounced job would).

What "no better than chance" means here. The worker opened the first 20 sealed ballots as one batch and wrote
their plaintext in an order drawn from the operating system's CSPRNG, in a transaction of its own; the other
10 wait sealed. Every voter casts a different set of options, so a ballot names its voter if anything pairs
them. An attack pairs each of the 20 voters of the batch with one opened ballot. Whatever pairing is derived
from row order or transaction ids, the plaintext order carries no information about the voters, so the
number of voters paired with their own ballot is distributed as the fixed points of a uniformly random
permutation of 20: mean 1, P(at least 8) = 1.0e-5. The tests fail at 8 or more (the code before sealing
gave 30 of 30). Joins on a transaction id (xmin) or on a time find no opened ballot at all."""

import math

import pytest
import sqlalchemy as sa

from participation.extensions import db
from participation.polls import services
from participation.polls.models import Poll
from participation.polls.tasks import tally_poll
from tests.conftest import empty_tables

VOTERS = 30
BATCH = 20
LABELS = ("따릉이 확대", "한강 리버버스", "기후동행카드", "서울 야간관광", "손목닥터", "서울런", "정원박람회", "책보고")
# P(a uniformly random permutation of 20 has at least 8 fixed points) = sum_{k>=8} D(20-k) / 20!; about 1e-5.
TOO_MANY = 8


def chance_of_at_least(fixed: int, size: int = BATCH) -> float:
    derangements = [1, 0]
    for n in range(2, size + 1):
        derangements.append((n - 1) * (derangements[-1] + derangements[-2]))
    return sum(math.comb(size, k) * derangements[size - k] for k in range(fixed, size + 1)) / math.factorial(size)


def distinct_ballots(option_ids: list[int]) -> list[tuple[int, ...]]:
    """Thirty different ballots of up to two options out of eight (8 singles and 22 of the 28 pairs), with four
    singles last, so that the ballots still sealed at the end hold one option or two."""
    ballots = [(one,) for one in option_ids] + [(one, two) for index, one in enumerate(option_ids)
                                                for two in option_ids[index + 1:]]
    ballots = ballots[:VOTERS]
    return ballots[4:] + ballots[:4]


@pytest.fixture
def thirty_sequential_ballots(app, monkeypatch):
    """A real poll, 30 voters each committing a ballot, the worker's tally after each. Returns the poll id and
    {user id: the set of options that voter chose}; every row is deleted afterwards."""
    from tests import factories

    monkeypatch.setitem(app.config, "MIX_BATCH", BATCH)
    with app.app_context():
        factories.bind(db.session)
        try:
            poll = factories.PollFactory(title="올해의 10대 뉴스", labels=LABELS, max_choices=2)
            voters = [factories.UserFactory() for _ in range(VOTERS)]
            db.session.commit()
            poll_id, option_ids = poll.id, [option.id for option in poll.options]
            truth = {}
            for voter, ballot in zip(voters, distinct_ballots(option_ids), strict=True):
                services.cast_ballot(db.session.get(Poll, poll_id), voter, list(ballot))
                db.session.commit()
                truth[voter.id] = frozenset(ballot)
                tally_poll(poll_id)
            db.session.remove()
            yield poll_id, truth
        finally:
            empty_tables()


def opened_ballots(connection, poll_id: int, order: str) -> list[frozenset]:
    """The opened ballots of the poll, each as its set of options, in the order of `order` over the choice rows
    (ctid, xmin): the order in which a reader of the table would meet them."""
    rows = connection.execute(sa.text(
        f"SELECT ballot_id, option_id FROM poll_ballot_choice WHERE poll_id = :poll ORDER BY {order}"),
        {"poll": poll_id}).all()
    ballots: dict[str, set] = {}
    for ballot_id, option_id in rows:
        ballots.setdefault(ballot_id, set()).add(option_id)
    return [frozenset(options) for options in ballots.values()]


def postgresql_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("xmin and ctid are PostgreSQL's; the SQLite attack reads the -wal file (test below)")


def test_a_dba_joining_voters_to_choices_by_transaction_id_finds_nothing(app, thirty_sequential_ballots):
    poll_id, truth = thirty_sequential_ballots
    with app.app_context():
        postgresql_only()
        with db.engine.connect() as dba:
            named = dba.execute(sa.text(
                "SELECT p.user_id, c.option_id FROM poll_participation p JOIN poll_ballot_choice c "
                "ON c.xmin = p.xmin WHERE p.poll_id = :poll"), {"poll": poll_id}).all()
            receipts = dba.execute(sa.text(
                "SELECT count(*) FROM poll_participation p JOIN poll_receipt r ON r.xmin = p.xmin "
                "WHERE p.poll_id = :poll"), {"poll": poll_id}).scalar()
            # The join itself works: it links each voter still waiting to a sealed ballot, which is ciphertext.
            sealed = dba.execute(sa.text(
                "SELECT p.user_id, s.ciphertext FROM poll_participation p JOIN poll_sealed_ballot s "
                "ON s.xmin = p.xmin WHERE p.poll_id = :poll"), {"poll": poll_id}).all()
            opened = opened_ballots(dba, poll_id, "ctid")
    assert named == [] and receipts == 0
    assert len(opened) == BATCH and len(sealed) == VOTERS - BATCH
    # One length, whatever was chosen (one option or two): the ciphertext does not even say how many.
    assert {len(truth[user]) for user, _ciphertext in sealed} == {1, 2}
    assert len({len(ciphertext) for _user, ciphertext in sealed}) == 1


@pytest.mark.parametrize("order", ["ctid", "xmin::text, ctid", "ballot_id, option_id"])
def test_a_dba_pairing_voters_and_ballots_by_storage_order_does_no_better_than_chance(
        app, thirty_sequential_ballots, order):
    poll_id, truth = thirty_sequential_ballots
    with app.app_context():
        postgresql_only()
        with db.engine.connect() as dba:
            voters = list(dba.scalars(sa.text(
                "SELECT user_id FROM poll_participation WHERE poll_id = :poll ORDER BY ctid"), {"poll": poll_id}))
            opened = opened_ballots(dba, poll_id, order)
    assert len(opened) == BATCH and set(opened) == {truth[voter] for voter in voters[:BATCH]}
    # The best pairing order gives: the first twenty voters (the batch) with the opened ballots, in order.
    right = sum(truth[voter] == ballot for voter, ballot in zip(voters[:BATCH], opened, strict=True))
    assert chance_of_at_least(TOO_MANY) < 2e-5
    assert right < TOO_MANY, f"{right} of {BATCH} voters named by ordering by {order}"


def test_a_dba_pairing_voters_and_receipts_by_storage_order_does_no_better_than_chance(
        app, thirty_sequential_ballots):
    """A receipt links to no choice; still, a voter's receipt must not be found from the tables either (else a
    voter who shows a receipt to a buyer could be found, or a receipt traced to a voter)."""
    poll_id, _truth = thirty_sequential_ballots
    with app.app_context():
        postgresql_only()
        with db.engine.connect() as dba:
            voters = list(dba.scalars(sa.text(
                "SELECT user_id FROM poll_participation WHERE poll_id = :poll ORDER BY ctid"), {"poll": poll_id}))
            receipts = list(dba.scalars(sa.text(
                "SELECT receipt_hash FROM poll_receipt WHERE poll_id = :poll ORDER BY ctid"), {"poll": poll_id}))
    assert len(receipts) == BATCH and len(voters) == VOTERS
    # Nothing but the order is there to pair them by; the receipts' order is a fresh shuffle of the batch.
    assert len(set(receipts)) == BATCH


def test_no_time_anywhere_pairs_a_voter_with_a_ballot(app, thirty_sequential_ballots):
    """By any timestamp: the ballot tables have no time column, and the participation rows keep only the KST
    day, the same for all thirty voters, so a join on any time pairs every voter with every ballot."""
    poll_id, _truth = thirty_sequential_ballots
    with app.app_context():
        inspector = sa.inspect(db.engine)
        times = {table: [column["name"] for column in inspector.get_columns(table)
                         if isinstance(column["type"], sa.DateTime | sa.Date)]
                 for table in ("poll_participation", "poll_ballot", "poll_ballot_choice", "poll_receipt",
                               "poll_sealed_ballot")}
        days = db.session.scalar(sa.text(
            "SELECT count(DISTINCT created_at) FROM poll_participation WHERE poll_id = :poll"), {"poll": poll_id})
        db.session.remove()
    assert times == {"poll_participation": ["created_at"], "poll_ballot": [], "poll_ballot_choice": [],
                     "poll_receipt": [], "poll_sealed_ballot": []}
    assert days == 1


def test_no_commit_holds_a_participation_row_and_a_plaintext_choice_in_the_sqlite_wal(app, monkeypatch):
    """SQLite keeps each commit's pages in the -wal file (and in any copy of it): read every commit's frames
    and map each page to its table (dbstat), as someone holding the file would."""
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
            poll = factories.PollFactory(title="서울 야간관광", labels=("가", "나", "다"), max_choices=2)
            voters = [factories.UserFactory() for _ in range(7)]
            db.session.commit()
            commits += wal.commits_since()
            poll_id = poll.id
            for number, voter in enumerate(voters):
                services.cast_ballot(db.session.get(Poll, poll_id), voter,
                                     [option.id for option in db.session.get(Poll, poll_id).options][:1 + number % 2])
                db.session.commit()
                commits += wal.commits_since()
                tally_poll(poll_id)
                commits += wal.commits_since()
            services.transition(db.session.get(Poll, poll_id), "closed", factories.staff(), "조기 마감")
            db.session.commit()
            tally_poll(poll_id)  # the final tally opens the last, partial batch
            commits += wal.commits_since()
            assert db.session.get(Poll, poll_id).state == "tallied"
            assert db.session.get(Poll, poll_id).total_ballots == 7
            db.session.remove()
        finally:
            sa.event.remove(db.engine, "connect", no_checkpoints)
            db.engine.dispose()
            empty_tables()
    voting = [tables for tables in commits if "poll_participation" in tables]
    opening = [tables for tables in commits if "poll_ballot_choice" in tables]
    assert len(voting) == 7 and len(opening) == 3  # 7 votes; batches of 3, 3 and the last 1 at the close
    # The reading works: each vote's commit holds its participation row and its sealed ballot, side by side...
    assert all("poll_sealed_ballot" in tables for tables in voting)
    # ...and never a plaintext choice, which only the worker's batches write.
    assert not [tables for tables in commits if {"poll_participation", "poll_ballot_choice"} <= tables]
    assert not [tables for tables in commits if {"poll_participation", "poll_ballot"} <= tables]


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
