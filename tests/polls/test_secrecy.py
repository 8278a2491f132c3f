"""Secrecy: nothing in the schema, the rows, the storage or the logs joins a person to a choice, while the poll
is open as well as after. The attacks are the ones a database administrator would try (issue #19)."""

import logging

import sqlalchemy as sa

from participation.extensions import db
from participation.polls import services
from participation.polls.tasks import tally_poll
from tests.conftest import api_token, csrf_token, login
from tests.factories import PollFactory, UserFactory

BALLOT_TABLES = ("poll_ballot", "poll_ballot_choice", "poll_sealed_ballot", "poll_receipt")


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
        # Receipts and opened ballots know nothing of each other.
        assert {column["name"] for column in inspector.get_columns("poll_receipt")} == {
            "poll_id", "receipt_hash", "batch"}
        assert {column["name"] for column in inspector.get_columns("poll_ballot")} == {"id", "poll_id"}
        assert {column["name"] for column in inspector.get_columns("poll_sealed_ballot")} == {
            "id", "poll_id", "ciphertext", "problem"}
        ballot_key = inspector.get_pk_constraint("poll_ballot")["constrained_columns"]
        assert ballot_key == ["id"]
        id_type = {column["name"]: column["type"] for column in inspector.get_columns("poll_ballot")}["id"]
        assert isinstance(id_type, sa.String)
        # Who voted says nothing about what.
        participation_columns = {column["name"] for column in inspector.get_columns("poll_participation")}
        assert participation_columns == {"id", "poll_id", "user_id", "created_at", "district", "age_band"}


def test_ballot_ids_are_random_and_not_the_sealed_ones(db_session, batch_size):
    batch_size(5)
    poll = PollFactory()
    for _ in range(5):
        services.cast_ballot(poll, UserFactory(), [poll.options[0].id])
    sealed = set(db.session.scalars(sa.text("SELECT id FROM poll_sealed_ballot")))
    tally_poll(poll.id)
    ids = set(db.session.scalars(sa.text("SELECT id FROM poll_ballot")))
    assert len(ids) == 5 and all(len(ballot_id) == 32 for ballot_id in ids)
    assert len(sealed) == 5 and not ids & sealed  # an opened ballot cannot be traced to its sealed row


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


