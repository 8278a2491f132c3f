"""SQL statements per vote and per results read (issue #10): the hot paths stay a fixed, small number of
statements whatever the size of the poll, and never count ballots per request."""

from contextlib import contextmanager

from sqlalchemy import event

from participation.extensions import db
from tests.conftest import api_token
from tests.factories import PollFactory, UserFactory


@contextmanager
def recorded_statements():
    """The SQL statements sent to the database meanwhile (savepoints left out: the test harness adds some)."""
    statements: list[str] = []

    def record(_connection, _cursor, statement, *_rest):
        if not statement.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            statements.append(statement)

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_vote_reads_the_voter_and_the_poll_once_each_and_writes_two_rows(client, db_session):
    poll = PollFactory(title="올해의 10대 뉴스", labels=[f"뉴스 {n}" for n in range(1, 31)], max_choices=5)
    poll_id, choices = poll.id, [option.id for option in poll.options[:5]]
    first, second = (api_token(client, UserFactory()) for _ in range(2))
    db_session.commit()
    # The first vote of this process also reads the pause switch; the next ones find it cached.
    assert client.post(f"/api/v1/polls/{poll_id}/ballots", json={"choices": choices}, headers=first).status_code == 201

    with recorded_statements() as statements:
        response = client.post(f"/api/v1/polls/{poll_id}/ballots", json={"choices": choices}, headers=second)
    assert response.status_code == 201
    reads = [statement for statement in statements if statement.startswith("SELECT")]
    writes = [statement.split("(")[0].strip() for statement in statements if statement.startswith("INSERT")]
    # The token with its user and the user's roles, the poll with its thirty options.
    assert len(reads) == 2 and "FROM poll LEFT OUTER JOIN poll_option" in reads[1]
    # Who voted, and the ballot sealed: nothing in the clear, one row fewer than before sealing.
    assert writes == ["INSERT INTO poll_participation", "INSERT INTO poll_sealed_ballot"]
    assert len(statements) == 4

    with recorded_statements() as statements:
        response = client.post(f"/api/v1/polls/{poll_id}/ballots", json={"choices": choices}, headers=second)
    assert response.status_code == 409
    assert len(statements) == 3  # the same two reads, and the refused insert


def test_reading_live_results_is_one_statement_and_counts_nothing(client, db_session):
    poll = PollFactory(title="동네 축제 날짜", labels=["봄", "여름", "가을", "겨울"])
    poll_id = poll.id
    db_session.commit()
    for path in (f"/api/v1/polls/{poll_id}/results", f"/polls/{poll_id}/results"):
        with recorded_statements() as statements:
            response = client.get(path)
        assert response.status_code == 200
        assert not any("count(" in statement.lower() for statement in statements)
        if path.startswith("/api"):
            assert len(statements) == 1
