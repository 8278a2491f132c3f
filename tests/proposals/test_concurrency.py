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


def test_concurrent_recounts_open_exactly_one_forum_and_ask_the_mayor_once(app, live_server):
    """Recounts and reconciliations that all see the threshold crossed at once: one forum, linked once;
    then the mayor's request job run from several threads: one request, one audit entry."""
    from participation.core.audit import history
    from participation.forums import tasks as forum_tasks
    from participation.forums.models import Forum

    with app.app_context():
        factories.bind(db.session)
        proposal = factories.open_proposal(title="동시 공론장 시험 제안", review_threshold=2, discussion_threshold=3,
                                           mayor_threshold=2)
        for citizen in factories.UserFactory.create_batch(3):
            db.session.add(Support(proposal_id=proposal.id, user_id=citizen.id))
        db.session.commit()
        proposal_id = proposal.id
    barrier = Barrier(THREADS)

    def run(job) -> None:
        with app.app_context():
            barrier.wait()
            job()
            db.session.remove()

    jobs = [lambda: tasks.recount_proposal(proposal_id), tasks.recount_all_proposals] * (THREADS // 2)
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(run, jobs))
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        forums = db.session.scalars(select(Forum).where(Forum.title == "동시 공론장 시험 제안")).all()
        assert [forum.id for forum in forums] == [proposal.discussion_forum_id]
        assert (proposal.state, proposal.mayor_threshold) == ("under_review", 2)
        forum_id = forums[0].id
        assert [e.action for e in history("proposal", proposal_id)].count(f"discussion_opened:{forum_id}") == 1
        for citizen in factories.UserFactory.create_batch(2):
            factories.ForumCommentFactory(forum_id=forum_id, author_id=citizen.id)
        db.session.commit()
        forum_tasks.recount_forum(forum_id)
        db.session.remove()

    barrier = Barrier(THREADS)
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(run, [tasks.request_mayor_answers] * THREADS))
    with app.app_context():
        assert db.session.get(Proposal, proposal_id).mayor_answer_requested_at is not None
        assert [e.action for e in history("proposal", proposal_id)].count("mayor_answer_requested") == 1
        db.session.remove()
    detail = requests.get(f"{live_server}/api/v1/proposals/{proposal_id}", timeout=30).json()
    assert detail["discussion_forum_id"] == forum_id and detail["mayor_answer_requested_at"]
