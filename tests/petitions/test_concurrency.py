"""Real concurrency against a live server and the real database: double-signing and recounts."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import requests
from sqlalchemy import func, select

from participation.accounts.services import issue_token
from participation.extensions import db
from participation.petitions import tasks
from participation.petitions.models import Petition, Signature
from tests import factories

THREADS = 12


def test_concurrent_double_sign_makes_one_row_and_409s(app, live_server):
    with app.app_context():
        factories.bind(db.session)
        petition = factories.open_petition(title="동시 서명 시험 청원")
        citizens = [factories.UserFactory() for _ in range(5)]
        tokens = [issue_token(citizen) for citizen in citizens]
        db.session.commit()
        petition_id = petition.id
    url = f"{live_server}/api/v1/petitions/{petition_id}/signatures"
    barrier = Barrier(THREADS)

    def sign(token: str) -> int:
        barrier.wait()
        return requests.post(url, headers={"Authorization": f"Bearer {token}"}, timeout=60).status_code

    # The same person from twelve threads at once.
    with ThreadPoolExecutor(THREADS) as pool:
        statuses = sorted(pool.map(sign, [tokens[0]] * THREADS))
    assert statuses == [201] + [409] * (THREADS - 1)

    # Five people, each twice or three times, at once.
    barrier = Barrier(THREADS)
    with ThreadPoolExecutor(THREADS) as pool:
        statuses = sorted(pool.map(sign, [tokens[1 + n % 4] for n in range(THREADS)]))
    assert statuses == [201] * 4 + [409] * (THREADS - 4)

    def recount() -> None:
        with app.app_context():
            tasks.recount_petition(petition_id)

    # The recount job, run concurrently and again: the same rows.
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: recount(), range(4)))
    recount()
    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(Signature)
                                 .where(Signature.petition_id == petition_id))
        stored = db.session.get(Petition, petition_id)
        assert (rows, stored.signature_count, stored.district_counts) == (5, 5, {"마포구": 5})
        db.session.remove()
    listed = requests.get(f"{live_server}/api/v1/petitions", timeout=30).json()["items"]
    assert [(item["id"], item["signature_count"]) for item in listed] == [(petition_id, 5)]
