"""Real concurrency against a live server and the real database: double supports, merges and recounts."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import requests
from sqlalchemy import func, select

from participation.accounts.services import issue_token
from participation.extensions import db
from participation.proposals import tasks
from participation.proposals.models import Proposal, Support
from tests import factories

THREADS = 12


def test_concurrent_double_support_makes_one_row_and_409s(app, live_server):
    with app.app_context():
        factories.bind(db.session)
        proposal = factories.open_proposal(title="동시 공감 시험 제안")
        citizens = [factories.UserFactory() for _ in range(5)]
        tokens = [issue_token(citizen) for citizen in citizens]
        db.session.commit()
        proposal_id = proposal.id
    url = f"{live_server}/api/v1/proposals/{proposal_id}/supports"
    barrier = Barrier(THREADS)

    def support(token: str) -> int:
        barrier.wait()
        return requests.post(url, headers={"Authorization": f"Bearer {token}"}, timeout=60).status_code

    # The same person from twelve threads at once.
    with ThreadPoolExecutor(THREADS) as pool:
        statuses = sorted(pool.map(support, [tokens[0]] * THREADS))
    assert statuses == [201] + [409] * (THREADS - 1)

    # Four more people, each three times, at once.
    barrier = Barrier(THREADS)
    with ThreadPoolExecutor(THREADS) as pool:
        statuses = sorted(pool.map(support, [tokens[1 + n % 4] for n in range(THREADS)]))
    assert statuses == [201] * 4 + [409] * (THREADS - 4)

    def recount() -> None:
        with app.app_context():
            tasks.recount_proposal(proposal_id)

    # The recount job, run concurrently and again: the same rows.
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: recount(), range(4)))
    recount()
    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(Support).where(Support.proposal_id == proposal_id))
        assert (rows, db.session.get(Proposal, proposal_id).support_count) == (5, 5)
        db.session.remove()
    detail = requests.get(f"{live_server}/api/v1/proposals/{proposal_id}", timeout=30).json()
    assert (detail["support_count"], detail["status"]) == (5, "open")
