"""The bulletin job reads a million receipts for seconds: meanwhile votes go on (on SQLite its read is a WAL
snapshot, not a hold on the one write lock)."""

import requests
from sqlalchemy import select

from participation.accounts.services import issue_token
from participation.extensions import db
from participation.polls import counts, services, tasks
from participation.polls.models import Poll
from tests import factories
from tests.conftest import job_paused_in


def test_a_vote_commits_while_the_bulletin_is_reading(app, live_server, monkeypatch):
    monkeypatch.setitem(app.config, "MIX_BATCH", 2)
    with app.app_context():
        factories.bind(db.session)
        poll = factories.PollFactory(title="덕수궁 돌담길 야간 개방", labels=("찬성", "반대"))
        early, late = factories.UserFactory(), factories.UserFactory()
        for voter in (early, factories.UserFactory()):
            services.cast_ballot(poll, voter, [poll.options[0].id])
        services.write_tally(poll.id)  # the two are opened as one batch
        token = issue_token(late)
        db.session.commit()
        poll_id, option_id = poll.id, poll.options[1].id
        db.session.remove()

    # The bulletin's read transaction stays open (held after the digest) until the vote has answered.
    with job_paused_in(app, monkeypatch, counts, "receipts_digest", lambda: tasks.publish_bulletin(poll_id)):
        vote = requests.post(f"{live_server}/api/v1/polls/{poll_id}/ballots", json={"choices": [option_id]},
                             headers={"Authorization": f"Bearer {token}"}, timeout=15)
        assert vote.status_code == 201
    with app.app_context():
        # The bulletin of the snapshot it read: two receipts, written after the vote without replacing anything.
        assert db.session.execute(select(Poll.tally_digest_count, Poll.bulletin_as_of)
                                  .where(Poll.id == poll_id)).one()[0] == 2
        db.session.remove()
