"""Sealed ballots and their batches (core/ballot_box.py, core/tally_keys.py) through the poll box: the key
directory, the batch rule, tampered and copied ballots, a failed batch, the close, a missing key."""

import hashlib
import json
import os
import stat

import pytest
from sqlalchemy import func, select

from participation.config import ConfigurationError
from participation.core import jobs, tally_keys
from participation.core.audit import AuditEntry
from participation.core.notifications import Notification
from participation.core.seoul import suppressed
from participation.extensions import db
from participation.polls import services
from participation.polls.box import POLL_BOX
from participation.polls.models import Ballot, BallotChoice, Poll, PollState, Receipt, SealedBallot
from participation.polls.tasks import apply_poll_deadlines, make_poll_key, publish_bulletin, tally_poll
from tests.factories import PollFactory, UserFactory, staff


def fresh(poll_id):
    return db.session.get(Poll, poll_id, populate_existing=True)


def count(model, **where) -> int:
    statement = select(func.count()).select_from(model)
    for name, value in where.items():
        statement = statement.where(getattr(model, name) == value)
    return db.session.scalar(statement)


def vote(poll, number: int = 1, choice: int = 0) -> list[str]:
    return [services.cast_ballot(poll, UserFactory(), [poll.options[choice].id]) for _ in range(number)]


def test_the_key_pair_is_made_by_a_worker_job_into_private_files(db_session, app, redis, run_jobs):
    poll = services.create_poll(staff(), title="청계천 야간 조명", options=["좋다", "싫다"],
                                closes_at=PollFactory.closes_at.function())
    assert poll.public_key is None
    db_session.commit()
    assert jobs.is_pending("tally-key:poll", poll.id)  # asked of a worker once the poll is committed
    make_poll_key(poll.id)  # what the worker runs after the commit
    poll = fresh(poll.id)
    path = tally_keys.key_path("poll", poll.id)
    assert poll.public_key is not None and len(poll.public_key) == 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    record = json.loads(path.read_text())
    assert bytes.fromhex(record["public_key"]) == poll.public_key
    make_poll_key(poll.id)  # idempotent: the same key
    assert fresh(poll.id).public_key == bytes.fromhex(record["public_key"])


def test_the_private_key_is_nowhere_in_the_database(db_session, batch_size):
    batch_size(2)
    poll = PollFactory(title="남산 케이블카")
    vote(poll, 3)
    tally_poll(poll.id)
    private = bytes.fromhex(json.loads(tally_keys.key_path("poll", poll.id).read_text())["private_key"])
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            for value in row:
                if isinstance(value, bytes | memoryview):
                    assert private not in bytes(value), table.name
                elif isinstance(value, str):
                    assert private.hex() not in value.lower(), table.name


def test_the_periodic_job_asks_again_for_a_key_that_redis_lost(db_session, redis):
    from participation.core.jobs import get_queue

    poll = PollFactory(state="draft", opens_at=None, sealed=False)
    db.session.commit()
    apply_poll_deadlines()
    apply_poll_deadlines()
    assert [job.args for job in get_queue().jobs if job.func is make_poll_key] == [(poll.id,)]


def test_every_sealed_ballot_of_a_poll_has_the_same_length(db_session):
    poll = PollFactory(labels=[f"뉴스 {number}" for number in range(1, 31)], max_choices=5)
    ids = [option.id for option in poll.options]
    for chosen in ([ids[0]], ids[1:3], ids[25:30], [ids[29], ids[0], ids[7]]):
        services.cast_ballot(poll, UserFactory(), chosen)
    lengths = set(db.session.scalars(select(func.length(SealedBallot.ciphertext))))
    assert lengths == {48 + 35 + 8 * 5}


def test_results_move_only_by_whole_batches_never_by_one_ballot(db_session):
    """Thirty ballots one after another, the worker running after each: the live total stays 0 until twenty
    wait, then jumps by twenty; the last ten appear only with the final tally."""
    poll = PollFactory(title="서울 도심 녹지", labels=["가", "나", "다"])
    totals = []
    for number in range(30):
        vote(poll, 1, number % 3)
        tally_poll(poll.id)
        totals.append(fresh(poll.id).total_ballots)
    assert totals == [0] * 19 + [20] * 11
    assert count(SealedBallot, box_id=poll.id) == 10
    services.transition(fresh(poll.id), "closed", staff(), "조기 마감")
    tally_poll(poll.id)  # closing flushes the partial batch
    poll = fresh(poll.id)
    assert (poll.state, poll.total_ballots, poll.mixed_batches) == (PollState.tallied, 30, 2)
    assert [option.votes for option in poll.options] == [10, 10, 10]
    assert count(SealedBallot, box_id=poll.id) == 0 and count(Receipt, box_id=poll.id) == 30


def test_a_small_poll_shows_its_result_at_the_close(db_session):
    poll = PollFactory()
    receipts = vote(poll, 3)
    tally_poll(poll.id)
    assert fresh(poll.id).total_ballots == 0
    services.transition(fresh(poll.id), "closed", staff(), "조기 마감")
    tally_poll(poll.id)
    poll = fresh(poll.id)
    hashes = sorted(hashlib.sha256(code.encode()).hexdigest() for code in receipts)
    assert (poll.total_ballots, poll.tally_digest_count) == (3, 3)
    assert poll.tally_digest == hashlib.sha256("\n".join(hashes).encode()).hexdigest()


def test_the_bulletin_is_the_snapshot_its_digest_covers(client, batch_size):
    """After a bulletin, another batch is opened: its receipts stay off the bulletin (and out of a look-up) until
    a digest covers them; the listed receipts are always exactly those the digest covers."""
    batch_size(3)
    poll = PollFactory()
    first = vote(poll, 3)
    tally_poll(poll.id)
    publish_bulletin(poll.id)
    second = vote(poll, 3)
    tally_poll(poll.id)
    assert fresh(poll.id).mixed_batches == 2

    def bulletin():
        answer = client.get(f"/api/v1/polls/{poll.id}/receipts?per_page=100").json
        return answer, hashlib.sha256("\n".join(answer["items"]).encode()).hexdigest()

    answer, recomputed = bulletin()
    assert answer["items"] == sorted(hashlib.sha256(code.encode()).hexdigest() for code in first)
    assert (answer["digest"], answer["digest_count"], answer["total"]) == (recomputed, 3, 3)
    publish_bulletin(poll.id)
    answer, recomputed = bulletin()
    assert answer["items"] == sorted(hashlib.sha256(code.encode()).hexdigest() for code in first + second)
    assert (answer["digest"], answer["digest_count"], answer["total"]) == (recomputed, 6, 6)


def tamper(poll_id: int) -> str:
    row = db.session.scalars(select(SealedBallot).where(SealedBallot.box_id == poll_id)).first()
    row.ciphertext = bytes(row.ciphertext[:-1]) + bytes([row.ciphertext[-1] ^ 0x55])
    db.session.flush()
    return row.id


def test_a_tampered_ballot_is_set_aside_counted_invalid_and_staff_are_told(db_session, batch_size):
    batch_size(4)
    officer = staff()
    poll = PollFactory(title="광화문광장 행사")
    vote(poll, 4, choice=1)
    bad = tamper(poll.id)
    tally_poll(poll.id)
    poll = fresh(poll.id)
    assert (poll.total_ballots, poll.invalid_ballots, poll.mixed_batches) == (3, 1, 1)
    assert poll.options[1].votes == 3
    assert db.session.get(SealedBallot, bad).problem == "undecryptable"
    assert count(Receipt, box_id=poll.id) == 3
    assert count(Notification, user_id=officer.id) == 1
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.subject_id == poll.id,
                                                             AuditEntry.subject_type == "poll")) == "ballots_set_aside"
    services.transition(poll, "closed", staff(), "조기 마감")
    tally_poll(poll.id)  # the set-aside ballot is not tried again, and shows in the final report
    poll = fresh(poll.id)
    assert (poll.state, poll.total_ballots, poll.invalid_ballots) == (PollState.tallied, 3, 1)


def test_a_copied_sealed_ballot_is_set_aside_as_a_repeated_receipt(db_session, batch_size):
    batch_size(2)
    poll = PollFactory()
    vote(poll, 2)
    original = db.session.scalars(select(SealedBallot).where(SealedBallot.box_id == poll.id)).first()
    db.session.add(SealedBallot(id="c" * 32, box_id=poll.id, ciphertext=bytes(original.ciphertext)))
    db.session.flush()
    tally_poll(poll.id)
    poll = fresh(poll.id)
    assert (poll.total_ballots, poll.invalid_ballots) == (2, 1)
    assert db.session.scalar(select(SealedBallot.problem).where(SealedBallot.box_id == poll.id)) == "duplicate"


def test_a_ballot_forged_with_the_public_key_for_an_option_of_another_poll_is_not_accepted(db_session, batch_size):
    batch_size(2)
    poll, other = PollFactory(), PollFactory()
    vote(poll, 1)
    forged = POLL_BOX.seal(poll, hashlib.sha256(b"forged").hexdigest(), [other.options[0].id])
    POLL_BOX.cast(poll.id, forged)
    tally_poll(poll.id)
    assert (fresh(poll.id).total_ballots, fresh(poll.id).invalid_ballots) == (1, 1)
    assert count(BallotChoice, option_id=other.options[0].id) == 0


def test_a_batch_that_fails_half_way_writes_nothing_and_is_opened_again(db_session, batch_size, monkeypatch):
    batch_size(3)
    poll = PollFactory()
    receipts = vote(poll, 3)
    real_store = POLL_BOX.store

    def store_then_fail(box_id, ballots):
        real_store(box_id, ballots[:1])
        raise RuntimeError("the worker died here")

    monkeypatch.setattr(POLL_BOX, "store", store_then_fail)
    savepoint = db.session.begin_nested()
    with pytest.raises(RuntimeError):
        tally_poll(poll.id)
    savepoint.rollback()  # what the dead job's transaction comes to
    assert (count(Ballot), count(Receipt), count(SealedBallot, box_id=poll.id)) == (0, 0, 3)
    monkeypatch.setattr(POLL_BOX, "store", real_store)
    tally_poll(poll.id)  # the retry opens the same three, once
    assert (count(Ballot), count(Receipt), count(SealedBallot, box_id=poll.id)) == (3, 3, 0)
    assert sorted(db.session.scalars(select(Receipt.receipt_hash))) == sorted(
        hashlib.sha256(code.encode()).hexdigest() for code in receipts)


def test_a_poll_whose_key_is_missing_is_not_tallied_and_says_so(client, batch_size, tmp_path):
    officer = staff()
    poll = PollFactory(title="서울 달리기 축제")
    vote(poll, 3)
    services.transition(poll, "closed", officer, "조기 마감")
    path = tally_keys.key_path("poll", poll.id)
    backup = tmp_path / "poll.key"
    exported = client.application.test_cli_runner().invoke(
        args=["tally-keys", "export", "poll", str(poll.id), str(backup)])
    assert exported.exit_code == 0, exported.output
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    path.unlink()  # the key directory lost it

    tally_poll(poll.id)
    poll = fresh(poll.id)
    assert (poll.state, poll.key_problem, poll.total_ballots) == (PollState.closed, "key_missing", 0)
    assert count(SealedBallot, box_id=poll.id) == 3  # nothing lost: the ballots wait sealed
    assert count(Notification, user_id=officer.id) == 1
    tally_poll(poll.id)  # told once, not at every run
    assert count(Notification, user_id=officer.id) == 1
    from tests.conftest import login

    login(client, officer)
    page = client.get(f"/polls/{poll.id}/manage").get_data(as_text=True)
    assert "집계 키가 없어" in page and f"tally-keys import poll {poll.id}" in page
    checked = client.application.test_cli_runner().invoke(args=["tally-keys", "check"])
    assert checked.exit_code == 1 and f"poll {poll.id}: key_missing" in checked.output

    other = PollFactory()
    wrong = client.application.test_cli_runner().invoke(
        args=["tally-keys", "import", "poll", str(other.id), str(backup)])
    assert wrong.exit_code == 1 and "키가 아닙니다" in wrong.output
    restored = client.application.test_cli_runner().invoke(
        args=["tally-keys", "import", "poll", str(poll.id), str(backup)])
    assert restored.exit_code == 0, restored.output
    tally_poll(poll.id)
    poll = fresh(poll.id)
    assert (poll.state, poll.key_problem, poll.total_ballots) == (PollState.tallied, None, 3)


def test_export_refuses_to_overwrite_a_file(client, tmp_path):
    poll = PollFactory()
    target = tmp_path / "exists.key"
    target.write_text("keep me")
    result = client.application.test_cli_runner().invoke(
        args=["tally-keys", "export", "poll", str(poll.id), str(target)])
    assert result.exit_code == 1 and target.read_text() == "keep me"


def test_a_key_file_of_another_box_is_refused(db_session):
    poll, other = PollFactory(), PollFactory()
    vote(poll, 1)
    services.transition(poll, "closed", staff(), "조기 마감")
    path = tally_keys.key_path("poll", poll.id)
    path.unlink()
    path.write_text(tally_keys.key_path("poll", other.id).read_text())
    tally_poll(poll.id)
    assert fresh(poll.id).key_problem == "key_mismatch" and fresh(poll.id).state == PollState.closed
    path.unlink()


def test_a_batch_of_one_is_refused_in_the_configuration(instance_dir):
    from participation import create_app
    from tests.conftest import make_test_config

    for bad in (1, 0, "20", True):
        with pytest.raises(ConfigurationError):
            create_app({**make_test_config(instance_dir), "MIX_BATCH": bad})


@pytest.mark.parametrize(("cells", "shown"), [
    ({"가": 12, "나": 15, "다": 20}, {"가": 12, "나": 15, "다": 20}),
    # One small cell: the smallest shown one goes too, so that the total minus the rest gives neither.
    ({"가": 3, "나": 15, "다": 20}, {"가": None, "나": None, "다": 20}),
    # Two small cells holding fewer than ten together: a third goes too.
    ({"가": 3, "나": 4, "다": 20, "라": 30}, {"가": None, "나": None, "다": None, "라": 30}),
    # Zero is hidden like any small count: one meaning for a hidden cell.
    ({"가": 0, "나": 25, "다": 40}, {"가": None, "나": None, "다": 40}),
    # Two small cells already holding ten or more between them: nothing else.
    ({"가": 6, "나": 7, "다": 20}, {"가": None, "나": None, "다": 20}),
    ({"가": 3, "나": 4}, {"가": None, "나": None}),
])
def test_small_cells_and_the_cells_that_would_give_them_away_are_hidden(cells, shown):
    assert suppressed(cells) == shown


def test_a_cell_never_shown_counts_as_hidden():
    assert suppressed({"종로구": 30, "중구": 12, "-": 2}, hidden=["-"]) == {"종로구": 30, "중구": None, "-": None}
    assert suppressed({"종로구": 30, "중구": 12, "-": 11}, hidden=["-"]) == {"종로구": 30, "중구": None, "-": None}
