"""The worker's tally: while the poll is open it opens sealed ballots a batch at a time and counts the opened
ones with one GROUP BY; the bulletin job digests the receipts of the opened batches and counts the turnout;
the final tally after close opens whatever waits, does all three at once and freezes the result."""

import hashlib
import itertools
import threading
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from participation.core.errors import DomainError
from participation.core.jobs import get_queue
from participation.core.time import utcnow
from participation.extensions import db
from participation.polls import counts, queries, services
from participation.polls.counts import receipts_digest
from participation.polls.models import Ballot, Poll, PollState, Receipt, SealedBallot, TurnoutCell
from participation.polls.tasks import apply_poll_deadlines, publish_bulletin, tally_all_polls, tally_poll
from tests.factories import PollFactory, UserFactory, staff


def fresh(poll_id):
    """The poll as the database has it now (the in-process worker ends the session it shared)."""
    return db.session.get(Poll, poll_id, populate_existing=True)


def snapshot(poll):
    db.session.refresh(poll)
    return (poll.total_ballots, poll.tally_digest, poll.tally_digest_count,
            [(option.id, option.votes) for option in poll.options],
            sorted((cell.dimension, cell.value, cell.participants)
                   for cell in db.session.scalars(select(TurnoutCell).where(TurnoutCell.poll_id == poll.id))))


def test_a_burst_of_votes_makes_one_tally_job_with_the_right_counts(db_session, redis, run_jobs, batch_size):
    batch_size(4)
    poll = PollFactory(labels=["가", "나", "다"], max_choices=2)
    first, second, third = (option.id for option in poll.options)
    receipts = []
    for choices in ([first], [first, second], [second], [first, third]):
        receipts.append(services.cast_ballot(poll, UserFactory(), choices))
        db.session.commit()
    assert len(get_queue().scheduled_job_registry.get_job_ids()) == 1
    assert poll.total_ballots == 0  # nothing counted until the worker runs
    poll_id = poll.id
    run_jobs()
    poll = fresh(poll_id)
    assert poll.total_ballots == 4 and poll.mixed_batches == 1
    assert [option.votes for option in poll.options] == [3, 2, 1]
    assert poll.tally_as_of is not None
    # The live tally leaves the digest to the bulletin job, which it has scheduled (BULLETIN_DELAY later).
    assert (poll.tally_digest, poll.tally_digest_count, poll.bulletin_as_of) == (None, None, None)
    assert len(get_queue().scheduled_job_registry.get_job_ids()) == 1
    run_jobs()
    poll = fresh(poll_id)
    hashes = sorted(hashlib.sha256(receipt.encode()).hexdigest() for receipt in receipts)
    assert poll.tally_digest == hashlib.sha256("\n".join(hashes).encode()).hexdigest()
    assert poll.tally_digest_count == 4 and poll.bulletin_as_of is not None
    assert queries.results(poll)["options"][0] == {"id": first, "label": "가", "votes": 3, "share": 75.0,
                                                   "rank": 1, "bar": 100.0, "winner": False, "image_url": None}


def test_tally_twice_gives_identical_rows(db_session, batch_size):
    batch_size(12)
    poll = PollFactory()
    for number in range(12):
        services.cast_ballot(poll, UserFactory(district="마포구"), [poll.options[number % 3].id])
    tally_poll(poll.id)
    publish_bulletin(poll.id)
    once = snapshot(poll)
    tally_poll(poll.id)
    publish_bulletin(poll.id)
    assert snapshot(poll) == once
    assert once[0] == once[2] == 12
    assert ("district", "마포구", 12) in once[4]


def test_closing_then_tallying_freezes_the_result(db_session, redis, run_jobs):
    poll = PollFactory()
    services.cast_ballot(poll, UserFactory(), [poll.options[0].id])
    services.transition(poll, "closed", staff(), "조기 마감")
    db.session.commit()
    poll_id = poll.id
    run_jobs()
    poll = fresh(poll_id)
    assert poll.state == PollState.tallied and poll.total_ballots == 1
    # A ballot slipped into the table afterwards (only a database administrator could) changes nothing.
    db.session.add(Ballot(id="f" * 32, poll_id=poll.id))
    db.session.flush()
    tally_poll(poll.id)
    db.session.refresh(poll)
    assert poll.total_ballots == 1


def test_deadline_job_opens_scheduled_and_closes_due_polls(db_session, redis, run_jobs):
    due = PollFactory(opens_at=utcnow() - timedelta(days=2), closes_at=utcnow() - timedelta(minutes=1))
    scheduled = PollFactory(state="scheduled", opens_at=utcnow() - timedelta(minutes=1))
    apply_poll_deadlines()
    assert due.state == PollState.closed and scheduled.state == PollState.open
    due_id = due.id
    db.session.commit()
    run_jobs()
    due = fresh(due_id)
    assert due.state == PollState.tallied


def test_a_scheduled_poll_whose_window_passed_is_opened_closed_and_tallied(db_session, redis, run_jobs):
    missed = PollFactory(state="scheduled", opens_at=utcnow() - timedelta(days=2),
                         closes_at=utcnow() - timedelta(days=1))
    missed_id = missed.id
    apply_poll_deadlines()
    assert missed.state == PollState.closed
    run_jobs()
    assert fresh(missed_id).state == PollState.tallied


def test_full_recount_fixes_drift(db_session, batch_size):
    batch_size(2)
    poll = PollFactory()
    services.cast_ballot(poll, UserFactory(), [poll.options[1].id])
    services.cast_ballot(poll, UserFactory(), [poll.options[1].id])
    tally_poll(poll.id)
    poll.total_ballots = 99
    db.session.flush()
    tally_all_polls()
    db.session.refresh(poll)
    assert poll.total_ballots == 2 and poll.options[1].votes == 2


def test_digest_of_no_ballots_is_the_hash_of_nothing(db_session):
    poll = PollFactory()
    assert receipts_digest(poll.id, 0) == (hashlib.sha256(b"").hexdigest(), 0)


def expected_digest(receipts):
    hashes = sorted(hashlib.sha256(receipt.encode()).hexdigest() for receipt in receipts)
    return hashlib.sha256("\n".join(hashes).encode()).hexdigest()


def counting_digests(monkeypatch) -> list:
    """Record every computation of a receipts digest (the expensive part of the bulletin)."""
    digests = []
    real = counts.receipts_digest
    monkeypatch.setattr(counts, "receipts_digest", lambda poll_id, batches: digests.append(poll_id) or real(
        poll_id, batches))
    return digests


def test_the_live_tally_counts_but_never_computes_the_digest_or_the_turnout(db_session, monkeypatch, batch_size):
    batch_size(5)
    digests = counting_digests(monkeypatch)
    poll = PollFactory()
    for number in range(5):
        services.cast_ballot(poll, UserFactory(district="마포구"), [poll.options[number % 3].id])
    tally_poll(poll.id)
    tally_poll(poll.id)
    poll = fresh(poll.id)
    assert poll.total_ballots == 5 and [option.votes for option in poll.options] == [2, 2, 1]
    assert (poll.tally_digest, poll.tally_digest_count, poll.bulletin_as_of, digests) == (None, None, None, [])
    assert db.session.scalars(select(TurnoutCell).where(TurnoutCell.poll_id == poll.id)).all() == []


def test_the_live_tally_schedules_the_bulletin_only_when_a_batch_was_opened(db_session, redis, batch_size):
    batch_size(2)
    poll = PollFactory()
    services.cast_ballot(poll, UserFactory(), [poll.options[0].id])
    services.cast_ballot(poll, UserFactory(), [poll.options[1].id])
    db.session.commit()
    redis.flushdb()  # the vote's own tally job: not the subject here
    scheduled = get_queue().scheduled_job_registry.get_job_ids
    tally_poll(poll.id)
    [job_id] = scheduled()
    assert job_id.startswith("bulletin-poll-") and get_queue().fetch_job(job_id).func_name.endswith(
        "publish_bulletin")
    publish_bulletin(poll.id)
    redis.flushdb()
    tally_poll(poll.id)  # no batch to open, and the digest covers every opened ballot: no bulletin job
    assert scheduled() == []
    services.cast_ballot(poll, UserFactory(), [poll.options[0].id])
    tally_poll(poll.id)  # one ballot waits: nothing opened, no bulletin scheduled
    assert not [job_id for job_id in scheduled() if job_id.startswith("bulletin-")]
    assert fresh(poll.id).total_ballots == 2


def test_the_bulletin_recomputes_the_digest_only_when_a_batch_was_opened(db_session, monkeypatch, batch_size):
    batch_size(5)
    digests = counting_digests(monkeypatch)
    poll = PollFactory()
    receipts = [services.cast_ballot(poll, UserFactory(), [poll.options[number % 3].id]) for number in range(5)]
    tally_poll(poll.id)
    publish_bulletin(poll.id)
    poll = fresh(poll.id)
    assert (poll.tally_digest, poll.tally_digest_count, len(digests)) == (expected_digest(receipts), 5, 1)
    first_as_of = poll.bulletin_as_of
    publish_bulletin(poll.id)  # no new ballot: the stored digest stands, the turnout is counted again
    poll = fresh(poll.id)
    assert (poll.tally_digest, poll.tally_digest_count, len(digests)) == (expected_digest(receipts), 5, 1)
    assert poll.bulletin_as_of >= first_as_of
    more = [services.cast_ballot(poll, UserFactory(), [poll.options[0].id]) for _ in range(5)]
    publish_bulletin(poll.id)  # sealed ballots are not on the bulletin
    assert (fresh(poll.id).tally_digest_count, len(digests)) == (5, 1)
    tally_poll(poll.id)
    publish_bulletin(poll.id)
    poll = fresh(poll.id)
    assert (poll.tally_digest, poll.tally_digest_count, len(digests)) == (expected_digest(receipts + more), 10, 2)
    assert poll.bulletin_batch == poll.mixed_batches == 2


def test_the_final_tally_makes_counts_digest_and_turnout_agree(db_session, monkeypatch, batch_size):
    batch_size(13)
    poll = PollFactory(labels=["가", "나"])
    receipts = [services.cast_ballot(poll, UserFactory(district="마포구" if number < 11 else "중구"),
                                     [poll.options[number % 2].id]) for number in range(13)]
    tally_poll(poll.id)
    publish_bulletin(poll.id)  # the bulletin of 13 ballots
    receipts.append(services.cast_ballot(poll, UserFactory(district="마포구"), [poll.options[0].id]))
    services.transition(poll, "closed", staff(), "조기 마감")
    poll_id = poll.id
    tally_poll(poll_id)
    poll = fresh(poll_id)
    assert poll.state == PollState.tallied
    assert (poll.total_ballots, [option.votes for option in poll.options]) == (14, [8, 6])
    assert (poll.tally_digest, poll.tally_digest_count) == (expected_digest(receipts), 14)
    assert poll.bulletin_as_of == poll.tally_as_of
    cells = {(cell.dimension, cell.value): cell.participants
             for cell in db.session.scalars(select(TurnoutCell).where(TurnoutCell.poll_id == poll_id))}
    assert (cells[("district", "마포구")], cells[("district", "중구")]) == (12, 2)
    assert sum(count for (dimension, _), count in cells.items() if dimension == "age_band") == 14
    # Frozen: the bulletin job leaves a tallied poll alone.
    frozen = snapshot(poll)
    publish_bulletin(poll_id)
    assert snapshot(fresh(poll_id)) == frozen


def test_the_final_tally_keeps_a_digest_that_covers_every_ballot(db_session, monkeypatch, batch_size):
    batch_size(3)
    poll = PollFactory()
    receipts = [services.cast_ballot(poll, UserFactory(), [poll.options[0].id]) for _ in range(3)]
    tally_poll(poll.id)
    publish_bulletin(poll.id)
    services.transition(poll, "closed", staff(), "조기 마감")
    digests = counting_digests(monkeypatch)
    tally_poll(poll.id)
    poll = fresh(poll.id)
    assert poll.state == PollState.tallied and digests == []
    assert (poll.tally_digest, poll.tally_digest_count) == (expected_digest(receipts), 3)


def test_the_digest_streams_in_batches_in_hash_order(db_session, monkeypatch, batch_size):
    from participation.core import ballot_box

    batch_size(5)
    monkeypatch.setattr(ballot_box, "DIGEST_BATCH", 2)
    poll = PollFactory()
    receipts = [services.cast_ballot(poll, UserFactory(), [poll.options[0].id]) for _ in range(5)]
    tally_poll(poll.id)
    assert receipts_digest(poll.id, 1) == (expected_digest(receipts), 5)


def test_turnout_cells_are_suppressed_so_that_none_can_be_worked_out(db_session):
    """종로구 (3 people) is under ten; every other district has none, so hiding 종로구 and the empty districts
    leaves 3 people hidden, which the total (13) minus 마포구 (10) would give away: 마포구 is hidden too."""
    poll = PollFactory()
    for _ in range(10):
        services.cast_ballot(poll, UserFactory(district="마포구"), [poll.options[0].id])
    for _ in range(3):
        services.cast_ballot(poll, UserFactory(district="종로구"), [poll.options[0].id])
    publish_bulletin(poll.id)
    table = dict(queries.turnout(poll)["district"])
    assert table["마포구"] is None and table["종로구"] is None and table["강남구"] is None
    for _ in range(12):
        services.cast_ballot(poll, UserFactory(district="강남구"), [poll.options[0].id])
    publish_bulletin(poll.id)
    table = dict(queries.turnout(fresh(poll.id))["district"])
    # Hidden: 종로구 (3), the empty districts and 마포구 (10, the smallest shown, so that 13 are hidden).
    assert (table["강남구"], table["마포구"], table["종로구"]) == (12, None, None)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attempts=st.lists(st.tuples(st.integers(min_value=0, max_value=7),
                                   st.lists(st.integers(min_value=-1, max_value=4), max_size=4),
                                   st.booleans()), max_size=15),
       batch=st.integers(min_value=2, max_value=6), tallies=st.sets(st.integers(min_value=0, max_value=14)))
def test_tally_equals_the_accepted_ballots_per_option(db_session, app, attempts, batch, tallies):
    """Any sequence of valid and invalid ballots (refused at the door, or sealed and then tampered with in the
    table), any batch size and tallies run at any moments: the final tally counts exactly the accepted,
    untampered ballots per option, sets the tampered ones aside as invalid, and the live totals only ever
    moved by whole batches."""
    app.config["MIX_BATCH"] = batch
    try:
        poll = PollFactory(labels=["가", "나", "다", "라"], max_choices=3)
        voters = [UserFactory() for _ in range(8)]
        ids = [option.id for option in poll.options]
        expected = dict.fromkeys(ids, 0)
        accepted = tampered = 0
        totals = [0]
        for step, (voter_index, attempt, tamper) in enumerate(attempts):
            # Indexes -1 and 4 stand for option ids that do not exist.
            choices = [ids[index] if 0 <= index < 4 else 10_000_000 + index for index in attempt]
            before = sealed_ids(poll.id)
            try:
                services.cast_ballot(poll, voters[voter_index], choices)
            except DomainError:
                continue
            if tamper:
                [cast] = sealed_ids(poll.id) - before
                tamper_with(cast)
                tampered += 1
            else:
                accepted += 1
                for choice in choices:
                    expected[choice] += 1
            if step in tallies:
                tally_poll(poll.id)
                totals.append(fresh(poll.id).total_ballots)
        steps = [after - before for before, after in itertools.pairwise(totals) if after != before]
        assert all(step >= batch - tampered for step in steps)
        services.transition(fresh(poll.id), "closed", staff(), "조기 마감")
        tally_poll(poll.id)
        poll = fresh(poll.id)
        assert poll.state == PollState.tallied
        assert poll.total_ballots == accepted and poll.invalid_ballots == tampered
        assert accepted + tampered <= len(voters)
        assert {option.id: option.votes for option in poll.options} == expected
    finally:
        app.config["MIX_BATCH"] = 20


def sealed_ids(poll_id: int) -> set[str]:
    return set(db.session.scalars(select(SealedBallot.id).where(SealedBallot.box_id == poll_id)))


def tamper_with(ballot_id: str) -> None:
    """Flip one byte of a sealed ballot, as someone who can write the table might."""
    row = db.session.get(SealedBallot, ballot_id)
    row.ciphertext = bytes([row.ciphertext[0] ^ 1]) + bytes(row.ciphertext[1:])
    db.session.flush()


def test_concurrent_tallies_and_bulletins_agree(app, committed, batch_size):
    """Four tally jobs at once, then four bulletin jobs, each with its own connection, leave the same rows
    as one: the fifteen ballots are opened once, as one batch."""
    from participation.accounts.models import User
    from participation.core import tally_keys
    from participation.core.time import utcnow as now
    from participation.polls.models import PollOption

    with app.app_context():
        voters = [User(email=f"tally{n}@example.com", email_canonical=f"tally{n}@example.com",
                       display_name=f"집계{n}", district="중구", birth_year=1980, email_verified_at=now())
                  for n in range(15)]
        poll = Poll(title="동시 집계", description="", state="open", by_staff=True, max_choices=1,
                    closes_at=now() + timedelta(days=1), opens_at=now() - timedelta(hours=1),
                    eligible_districts=[], eligible_age_bands=[],
                    options=[PollOption(position=1, label="가"), PollOption(position=2, label="나")])
        db.session.add_all([*voters, poll])
        db.session.commit()
        poll.public_key = tally_keys.create("poll", poll.id)
        for number, voter in enumerate(voters):
            services.cast_ballot(poll, voter, [poll.options[number % 2].id])
        db.session.commit()
        poll_id = poll.id
        db.session.remove()

    errors = []

    def run(job):
        try:
            with app.app_context():
                job(poll_id)
                db.session.remove()
        except Exception as error:  # collected and asserted below
            errors.append(error)

    def four_at_once(job):
        threads = [threading.Thread(target=run, args=(job,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []

    def bulletin():
        with app.app_context():
            poll = db.session.get(Poll, poll_id)
            rows = (poll.tally_digest, poll.tally_digest_count, sorted(
                (cell.dimension, cell.value, cell.participants)
                for cell in db.session.scalars(select(TurnoutCell).where(TurnoutCell.poll_id == poll_id))))
            db.session.remove()
            return rows

    batch_size(15)
    four_at_once(tally_poll)
    with app.app_context():
        poll = db.session.get(Poll, poll_id)
        assert poll.total_ballots == 15 and poll.mixed_batches == 1
        assert [option.votes for option in poll.options] == [8, 7]
        assert db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id)) == 15
        hashes = sorted(db.session.scalars(select(Receipt.receipt_hash).where(Receipt.box_id == poll_id)))
        db.session.remove()
    four_at_once(publish_bulletin)
    concurrent = bulletin()
    assert concurrent[:2] == (hashlib.sha256("\n".join(hashes).encode()).hexdigest(), 15)
    assert ("district", "중구", 15) in concurrent[2]
    run(publish_bulletin)
    assert errors == [] and bulletin() == concurrent
