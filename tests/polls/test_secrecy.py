"""Secrecy: nothing in the schema, the rows or the logs joins a person to a choice."""

import logging

import pytest
import sqlalchemy as sa

from participation.extensions import db
from participation.polls import services
from participation.polls.tasks import tally_poll
from tests.conftest import api_token, csrf_token, login
from tests.factories import PollFactory, UserFactory

BALLOT_TABLES = ("poll_ballot", "poll_ballot_choice")


def test_ballot_tables_have_no_user_and_no_time(app):
    with app.app_context():
        inspector = sa.inspect(db.engine)
        for table in BALLOT_TABLES:
            columns = {column["name"]: column for column in inspector.get_columns(table)}
            assert not any("user" in name or "author" in name for name in columns), table
            assert not any(isinstance(column["type"], sa.DateTime | sa.Date) or name.endswith("_at")
                           for name, column in columns.items()), table
            referred = {foreign_key["referred_table"] for foreign_key in inspector.get_foreign_keys(table)}
            assert referred <= {"poll", "poll_ballot", "poll_option"}, table
        ballot_key = inspector.get_pk_constraint("poll_ballot")["constrained_columns"]
        assert ballot_key == ["id"]
        id_type = {column["name"]: column["type"] for column in inspector.get_columns("poll_ballot")}["id"]
        assert isinstance(id_type, sa.String)
        # Who voted says nothing about what.
        participation_columns = {column["name"] for column in inspector.get_columns("poll_participation")}
        assert participation_columns == {"id", "poll_id", "user_id", "created_at", "district", "age_band"}


def test_ballot_ids_are_random_not_sequential(db_session):
    poll = PollFactory()
    for _ in range(5):
        services.cast_ballot(poll, UserFactory(), [poll.options[0].id])
    ids = list(db.session.scalars(sa.text("SELECT id FROM poll_ballot")))
    assert len(set(ids)) == 5 and all(len(ballot_id) == 32 for ballot_id in ids)


def test_logs_never_put_a_voter_next_to_a_choice(client, caplog, run_jobs):
    poll = PollFactory(labels=["비밀선택지가", "비밀선택지나"])
    voters = [UserFactory(display_name=f"비밀투표자{number}") for number in range(3)]
    db.session.commit()
    poll_id = poll.id
    option_ids = [str(option.id) for option in poll.options]
    identities = [(voter.email, voter.display_name, f"user:{voter.id}") for voter in voters]
    caplog.set_level(logging.DEBUG)
    # Through the API, the pages and the worker.
    for voter in voters[:2]:
        response = client.post(f"/api/v1/polls/{poll.id}/ballots", json={"choices": [poll.options[1].id]},
                               headers=api_token(client, voter))
        assert response.status_code == 201
    login(client, voters[2])
    token = csrf_token(client, f"/polls/{poll.id}")
    assert client.post(f"/polls/{poll.id}/vote", data={"choice": str(poll.options[0].id),
                                                       "csrf_token": token}).status_code == 303
    run_jobs()
    tally_poll(poll_id)
    text = "\n".join(record.getMessage() for record in caplog.records)
    for identity in identities:
        for line in text.splitlines():
            mentions_voter = any(part in line for part in identity)
            assert not (mentions_voter and any(word in line for word in ("choice", "비밀선택지", *option_ids))), line
    assert "비밀선택지" not in text


def test_final_tally_leaves_no_writer_id_or_storage_order_linking_ballots_to_voters(db_session):
    """PostgreSQL keeps in every row the id of the transaction that wrote it (xmin) and stores rows in the
    order they were written; a vote writes its participation and its ballot in one transaction. After the
    final tally neither links them: a job writes the ballots again, in random-id order."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite keeps no writer id and stores the ballot tables in random-id order (WITHOUT ROWID)")
    from participation.polls.tasks import rewrite_ballots_in_id_order, write_tally
    from tests.factories import staff

    poll = PollFactory(title="올해의 10대 정책", labels=["가", "나", "다"], max_choices=2)
    first, second, third = (option.id for option in poll.options)
    for number in range(12):
        services.cast_ballot(poll, UserFactory(), [first, third] if number % 3 else [second])
        db_session.commit()

    def writer_ids(table):
        return set(db.session.scalars(sa.text(f"SELECT xmin::text FROM {table} WHERE poll_id = :poll"),
                                      {"poll": poll.id}))

    assert writer_ids("poll_ballot") & writer_ids("poll_participation")  # while the poll is open, they match
    ballots_before = db.session.execute(sa.text(
        "SELECT id, receipt_hash FROM poll_ballot WHERE poll_id = :poll ORDER BY id"), {"poll": poll.id}).all()
    write_tally(poll.id)
    services.transition(poll, "closed", staff(), "조기 마감")
    write_tally(poll.id)
    assert poll.state == "tallied" and [option.votes for option in poll.options] == [8, 4, 8]
    assert rewrite_ballots_in_id_order in [job for _kind, job, *_rest in db.session.info["participation_jobs"]]
    rewrite_ballots_in_id_order(poll.id)  # as the worker runs it once the tally has committed

    assert not (writer_ids("poll_ballot") | writer_ids("poll_ballot_choice")) & writer_ids("poll_participation")
    stored = db.session.execute(sa.text(
        "SELECT id, receipt_hash FROM poll_ballot WHERE poll_id = :poll ORDER BY ctid"), {"poll": poll.id}).all()
    assert stored == ballots_before  # the same ballots, now lying in the order of their random ids
    choices = db.session.execute(sa.text(
        "SELECT ballot_id, option_id FROM poll_ballot_choice WHERE poll_id = :poll ORDER BY ctid"),
        {"poll": poll.id}).all()
    assert choices == sorted(choices) and len(choices) == 20


@pytest.mark.parametrize(("ending", "role"), [("cancelled", "staff"), ("hidden", "moderator")])
def test_a_poll_ended_without_a_final_tally_also_has_its_ballots_written_again(db_session, ending, role):
    """An open poll that is cancelled or hidden is never tallied, but its ballots stay: they too must stop
    sharing a writer id (xmin) with the participation rows."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite keeps no writer id and stores the ballot tables in random-id order (WITHOUT ROWID)")
    from participation.polls.tasks import rewrite_ballots_in_id_order
    from tests import factories

    poll = PollFactory(title="동네 도서관 운영 시간", labels=["가", "나"])
    for _ in range(4):
        services.cast_ballot(poll, UserFactory(), [poll.options[0].id])
        db_session.commit()

    def writer_ids(table):
        return set(db.session.scalars(sa.text(f"SELECT xmin::text FROM {table} WHERE poll_id = :poll"),
                                      {"poll": poll.id}))

    assert writer_ids("poll_ballot") & writer_ids("poll_participation")
    services.transition(poll, ending, getattr(factories, role)(), "운영 원칙 위반")
    assert rewrite_ballots_in_id_order in [job for _kind, job, *_rest in db.session.info["participation_jobs"]]
    rewrite_ballots_in_id_order(poll.id)  # as the worker runs it once the transition has committed
    assert not (writer_ids("poll_ballot") | writer_ids("poll_ballot_choice")) & writer_ids("poll_participation")
    assert len(writer_ids("poll_ballot")) == 1


def test_the_periodic_job_asks_again_for_a_rewrite_that_redis_could_not_take(db_session, redis):
    """Redis was down when the poll was cancelled, so the rewrite job was never enqueued: the periodic job
    (every minute) enqueues it, once, and not again after it ran."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite keeps no writer id and stores the ballot tables in random-id order (WITHOUT ROWID)")
    from participation.core.jobs import get_queue
    from participation.polls.tasks import apply_poll_deadlines, rewrite_ballots_in_id_order
    from tests import factories

    poll = PollFactory(title="서울광장 겨울 스케이트장", labels=["가", "나"])
    empty = PollFactory(title="투표가 없는 취소된 투표", labels=["가", "나"])
    services.cast_ballot(poll, UserFactory(), [poll.options[0].id])
    db_session.commit()
    for ended in (poll, empty):
        services.transition(ended, "cancelled", factories.staff(), "행사 취소")
    db.session.info.pop("participation_jobs")  # as if Redis had been down at the commit
    db_session.commit()

    def rewrites_queued():
        return [job.args for job in get_queue().jobs if job.func is rewrite_ballots_in_id_order]

    apply_poll_deadlines()
    apply_poll_deadlines()  # the job is still queued: not a second copy
    assert rewrites_queued() == [(poll.id,)]  # the poll without ballots needs none
    get_queue().empty()
    rewrite_ballots_in_id_order(poll.id)
    assert poll.ballots_rewritten_at is not None
    apply_poll_deadlines()
    assert rewrites_queued() == []
