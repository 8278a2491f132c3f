"""Scale-out: two gunicorn processes and two RQ workers on one database and one Redis count exactly what one
of each counts. The same load (30 citizens sign, support and vote at once, a third of them twice) runs
against each set-up on fresh items; the answers and the counts the workers publish must be the same, and
equal to a direct SQL count. On the PostgreSQL leg this is the deployment the README describes."""

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from participation.accounts.services import issue_token
from participation.extensions import db
from participation.petitions.models import Petition, Signature
from participation.polls import services as poll_services
from participation.polls.models import BallotChoice, Poll, PollOption
from participation.proposals.models import Proposal, Support
from tests import factories
from tests.conftest import ROOT, free_port, wait_until_serving

CITIZENS = 30
TWICE = CITIZENS // 3

pytestmark = pytest.mark.slow


def start_stack(web_processes: int, workers: int, instance_dir, redis_url: str) -> tuple[str, list]:
    env = {**os.environ, "PARTICIPATION_TEST_INSTANCE": str(instance_dir), "REDIS_URL": redis_url}
    port = free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(web_processes),
         "--threads", "8", "--timeout", "60", "--graceful-timeout", "2", "--log-level", "warning",
         "tests.live_app:app"], cwd=ROOT, env=env)
    # Like `flask worker --no-cron`: jobs run in the worker process, debounced jobs move to the queue when due.
    worker_command = ("from tests.live_app import app\nfrom participation.worker import make_worker\n"
                      "make_worker(app).work(with_scheduler=True, logging_level='ERROR')")
    processes = [web] + [subprocess.Popen([sys.executable, "-c", worker_command], cwd=ROOT, env=env)
                         for _ in range(workers)]
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(base, web)
    return base, processes


def stop(processes: list) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def make_items() -> dict:
    petition = factories.open_petition()
    proposal = factories.open_proposal()
    poll = factories.PollFactory(labels=("광화문 광장", "서울숲", "여의도 공원"))
    db.session.flush()
    items = {"petition": petition.id, "proposal": proposal.id, "poll": poll.id,
             "options": [option.id for option in poll.options]}
    # Nothing is read after the commit: on SQLite a transaction of the test's would take the write lock.
    db.session.commit()
    return items


def load(base: str, items: dict, tokens: list[str]) -> Counter:
    """Every citizen signs, supports and votes at once; the first TWICE citizens send everything twice."""
    work = []
    for number, token in enumerate(tokens):
        headers = {"Authorization": f"Bearer {token}"}
        requests_of_one = [
            (f"/api/v1/petitions/{items['petition']}/signatures", {}),
            (f"/api/v1/proposals/{items['proposal']}/supports", {}),
            (f"/api/v1/polls/{items['poll']}/ballots", {"choices": [items["options"][number % 3]]}),
        ]
        for _ in range(2 if number < TWICE else 1):
            work += [(path, body, headers) for path, body in requests_of_one]
    barrier = threading.Barrier(len(work))

    def send(item):
        path, body, headers = item
        barrier.wait(timeout=30)
        return path.rsplit("/", 1)[1], requests.post(base + path, json=body, headers=headers, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=len(work)) as pool:
        return Counter(pool.map(send, work))


def direct_counts(items: dict) -> dict:
    """The direct SQL count; the votes once the final tally has opened every sealed ballot."""
    counts = {
        "signatures": db.session.scalar(select(func.count()).select_from(Signature)
                                        .where(Signature.petition_id == items["petition"])),
        "supports": db.session.scalar(select(func.count()).select_from(Support)
                                      .where(Support.proposal_id == items["proposal"])),
        "votes": [db.session.scalar(select(func.count()).select_from(BallotChoice)
                                    .where(BallotChoice.option_id == option)) for option in items["options"]],
    }
    db.session.rollback()  # SQLite: an open transaction of the test's would hold up the workers' writes
    return counts


def published_counts(items: dict) -> dict:
    db.session.expire_all()
    counts = {
        "signatures": db.session.scalar(select(Petition.signature_count).where(Petition.id == items["petition"])),
        "supports": db.session.scalar(select(Proposal.support_count).where(Proposal.id == items["proposal"])),
        "votes": [db.session.scalar(select(PollOption.votes).where(PollOption.id == option))
                  for option in items["options"]],
        "ballots": db.session.scalar(select(Poll.total_ballots).where(Poll.id == items["poll"])),
    }
    db.session.rollback()
    return counts


def run(web_processes: int, workers: int, tokens: list[str], instance_dir, redis_url: str) -> tuple[Counter, dict]:
    items = make_items()
    base, processes = start_stack(web_processes, workers, instance_dir, redis_url)
    try:
        answers = load(base, items, tokens)
        # Ballots are opened a batch (MIX_BATCH) at a time while the poll is open, whenever a job finds enough
        # waiting: close it, and the workers' final tally opens and counts every one.
        poll_services.transition(db.session.get(Poll, items["poll"]), "closed", None)
        db.session.commit()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if published_counts(items) == {**direct_counts(items), "ballots": CITIZENS}:
                break
            time.sleep(0.25)
        return answers, published_counts(items)
    finally:
        stop(processes)


def test_two_web_processes_and_two_workers_count_what_one_of_each_counts(redis_app, instance_dir, redis_process):
    citizens = factories.UserFactory.create_batch(CITIZENS)
    db.session.flush()
    tokens = [issue_token(citizen) for citizen in citizens]
    db.session.commit()

    one_of_each = run(1, 1, tokens, instance_dir, redis_process.url)
    two_of_each = run(2, 2, tokens, instance_dir, redis_process.url)

    expected_answers = Counter({(kind, 201): CITIZENS for kind in ("signatures", "supports", "ballots")}
                               | {(kind, 409): TWICE for kind in ("signatures", "supports", "ballots")})
    expected_counts = {"signatures": CITIZENS, "supports": CITIZENS, "votes": [10, 10, 10], "ballots": CITIZENS}
    assert one_of_each == (expected_answers, expected_counts)
    assert two_of_each == one_of_each
