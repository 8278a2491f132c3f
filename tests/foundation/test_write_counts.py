"""What a vote, a signature and a support cost, counted: the SQL statements and commits, and the Redis round trips
(rate limits on, as in production). Counting is deterministic where timing is not (bench/ times them): these
numbers may only go down. If a change needs one more, say why in the commit and raise the number here."""

import contextlib

import pytest
from redis.connection import AbstractConnection
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from participation.accounts.models import ApiToken
from participation.extensions import db
from tests.conftest import api_token
from tests.factories import PollFactory, UserFactory, open_petition, open_proposal


@contextlib.contextmanager
def counting(monkeypatch):
    counts = {"statements": [], "commits": 0, "redis": 0}

    def statement(_connection, _cursor, text, *_args):
        # SAVEPOINT and RELEASE are the tests' own transactions (BEGIN and COMMIT in production: `commits` counts
        # those); settings are cached per process for a few seconds, so whether they are read depends on the clock.
        if not text.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")) and "FROM setting_change" not in text:
            counts["statements"].append(text.split()[0])

    def committed(_session):
        counts["commits"] += 1

    original = AbstractConnection.send_packed_command

    def round_trip(connection, command, *args, **kwargs):
        if command not in (b"*1\r\n$4\r\nPING\r\n", [b"*1\r\n$4\r\nPING\r\n"]):  # a health check, when idle
            counts["redis"] += 1
        return original(connection, command, *args, **kwargs)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", round_trip)
    event.listen(db.engine, "before_cursor_execute", statement)
    event.listen(Session, "after_commit", committed)
    try:
        yield counts
    finally:
        event.remove(Session, "after_commit", committed)
        event.remove(db.engine, "before_cursor_execute", statement)


def first_use_this_hour(client, db_session) -> dict:
    """A citizen's token as it is at a city-wide vote: issued earlier, not used in the last hour (its use is
    written with the action)."""
    headers = api_token(client, UserFactory())
    db_session.execute(update(ApiToken).values(last_used_at=None))
    db_session.commit()
    return headers


ACTIONS = {
    "vote": (lambda: PollFactory(), lambda poll: (f"/api/v1/polls/{poll.id}/ballots",
                                                  {"choices": [poll.options[0].id]})),
    "sign": (lambda: open_petition(), lambda petition: (f"/api/v1/petitions/{petition.id}/signatures", None)),
    "support": (lambda: open_proposal(), lambda proposal: (f"/api/v1/proposals/{proposal.id}/supports", None)),
}

# Statements by kind, commits, Redis round trips. A vote: the token with its user and roles, the poll with its options,
# the participation and the sealed ballot, the token's last use, in one transaction. A signature or a support: the
# token, the item's row, the row, the token's last use. Redis: the per-account limit's hit (one window in the tests'
# ACTION_LIMITS, two in production's: one round trip each, the answer's headers included), then after the commit the
# debounce mark, the trending counts (and for a signature or support, today's network key kept) in one pipeline.
# Before issue 24: a vote 5 statements, 2 commits, 5 round trips; a signature 7, 2, 7; a support 4, 2, 7.
EXPECTED = {
    "vote": ({"SELECT": 2, "INSERT": 2, "UPDATE": 1}, 1, 2),
    "sign": ({"SELECT": 2, "INSERT": 1, "UPDATE": 1}, 1, 2),
    "support": ({"SELECT": 2, "INSERT": 1, "UPDATE": 1}, 1, 2),
}


@pytest.mark.parametrize("action", ACTIONS)
def test_a_participation_costs_no_more_than_this(client, db_session, monkeypatch, action):
    make, request = ACTIONS[action]
    path, body = request(make())
    db_session.commit()
    # Once first, by another citizen: the rate limiter's scripts are loaded, today's network key is read, the
    # recount is scheduled (later events in the burst are folded into it).
    assert client.post(path, json=body, headers=api_token(client, UserFactory())).status_code == 201
    headers = first_use_this_hour(client, db_session)
    with counting(monkeypatch) as counts:
        response = client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.json
    kinds = {kind: counts["statements"].count(kind) for kind in set(counts["statements"])}
    assert (kinds, counts["commits"], counts["redis"]) == EXPECTED[action]


def test_a_refused_second_vote_costs_no_more_than_this(client, db_session, monkeypatch):
    poll = PollFactory()
    db_session.commit()
    headers = api_token(client, UserFactory())
    path, body = f"/api/v1/polls/{poll.id}/ballots", {"choices": [poll.options[0].id]}
    assert client.post(path, json=body, headers=headers).status_code == 201
    with counting(monkeypatch) as counts:
        response = client.post(path, json=body, headers=headers)
    assert response.status_code == 409
    kinds = {kind: counts["statements"].count(kind) for kind in set(counts["statements"])}
    # The token, the poll, the refused insert; no commit; the limit's hit (before issue 24: 3 round trips).
    assert (kinds, counts["commits"], counts["redis"]) == ({"SELECT": 2, "INSERT": 1}, 0, 1)
