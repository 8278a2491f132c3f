"""Budget ballots are secret exactly as poll ballots are (issue #19 through core/ballot_box.py): sealed when cast,
opened by the worker in shuffled batches, the voter count moving batch by batch, receipts apart and shown once,
the tally equal to the ballots cast, a missing key said clearly, tampered and forged ballots set aside."""

import base64
import hashlib
import json
import os
import random
import re
import stat
import zlib
from collections import Counter

import pytest
from sqlalchemy import func, select

from participation.budgets import counts, services
from participation.budgets.box import BUDGET_BOX
from participation.budgets.models import (
    BudgetBallot,
    BudgetParticipation,
    BudgetProcess,
    BudgetReceipt,
    BudgetSealedBallot,
    ProcessState,
)
from participation.budgets.tasks import apply_budget_deadlines, make_budget_key, open_budget_ballots, tally_budget
from participation.core import jobs, tally_keys
from participation.core.errors import Conflict
from participation.core.notifications import Notification
from participation.core.time import start_of_kst_day, utcnow
from participation.extensions import db
from tests.conftest import csrf_token, login
from tests.factories import UserFactory, budget_with_projects, staff

EOK = 100_000_000  # 1억원


def fresh(budget_id: int) -> BudgetProcess:
    return db.session.get(BudgetProcess, budget_id, populate_existing=True)


def count(model, **where) -> int:
    statement = select(func.count()).select_from(model)
    for name, value in where.items():
        statement = statement.where(getattr(model, name) == value)
    return db.session.scalar(statement)


def close_and_tally(process: BudgetProcess) -> BudgetProcess:
    services.transition(fresh(process.id), "closed", staff(), "시험 마감")
    tally_budget(process.id)
    return fresh(process.id)


def test_the_key_pair_is_made_by_a_worker_job_into_a_private_file(db_session, redis):
    process = services.create_process(staff(), title="2026 마포구 주민참여예산", budget=5 * EOK, district="마포구")
    assert process.public_key is None
    db_session.commit()
    assert jobs.is_pending("tally-key:budget", process.id)  # asked of a worker once the process is committed
    make_budget_key(process.id)  # what the worker runs after the commit
    process = fresh(process.id)
    path = tally_keys.key_path("budget", process.id)
    assert process.public_key is not None and len(process.public_key) == 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert bytes.fromhex(json.loads(path.read_text())["public_key"]) == process.public_key
    make_budget_key(process.id)  # idempotent: the same key
    assert fresh(process.id).public_key == bytes.fromhex(json.loads(path.read_text())["public_key"])


def test_no_ballot_is_taken_before_the_key_exists_and_the_periodic_job_asks_again(db_session, redis):
    from participation.core.jobs import get_queue

    process = budget_with_projects(sealed=False)
    with pytest.raises(Conflict) as caught:
        services.cast_ballot(process, UserFactory(), [process.projects[0].id])
    assert caught.value.code == "ballot_box_not_ready"
    assert (count(BudgetParticipation), count(BudgetSealedBallot)) == (0, 0)
    db.session.commit()
    apply_budget_deadlines()
    apply_budget_deadlines()  # not asked twice while the first job waits
    assert [job.args for job in get_queue().jobs if job.func is make_budget_key] == [(process.id,)]


def test_every_sealed_ballot_of_a_process_has_the_same_length(db_session):
    process = budget_with_projects([10] * 12, budget=1_000)
    ids = [project.id for project in process.projects]
    for chosen in ([ids[0]], ids[1:4], ids, [ids[11], ids[0]]):
        services.cast_ballot(process, UserFactory(), chosen)
    lengths = set(db.session.scalars(select(func.length(BudgetSealedBallot.ciphertext))))
    assert lengths == {48 + 35 + 8 * 12}


def test_the_vote_writes_the_participation_row_with_the_day_only_and_a_sealed_ballot(db_session):
    process = budget_with_projects()
    voter = UserFactory()
    receipt = services.cast_ballot(process, voter, [process.projects[0].id, process.projects[1].id])
    participation = db.session.scalars(select(BudgetParticipation)).one()
    assert participation.created_at.replace(tzinfo=None) == start_of_kst_day(utcnow()).replace(tzinfo=None)
    sealed = db.session.scalars(select(BudgetSealedBallot)).one()
    assert sealed.box_id == process.id and sealed.problem is None
    assert hashlib.sha256(receipt.encode()).hexdigest().encode() not in bytes(sealed.ciphertext)
    assert (count(BudgetBallot), count(BudgetReceipt)) == (0, 0)  # nothing in the clear until the worker opens it


def test_the_voter_count_moves_only_by_whole_batches_and_the_close_opens_the_rest(db_session, batch_size):
    batch_size(5)
    process = budget_with_projects()
    shown = []
    for number in range(12):
        services.cast_ballot(process, UserFactory(), [process.projects[number % 3].id])
        open_budget_ballots(process.id)  # the worker's debounced job after each ballot
        shown.append(fresh(process.id).participants)
    assert shown == [0] * 4 + [5] * 5 + [10] * 3
    assert count(BudgetSealedBallot, box_id=process.id) == 2
    process = close_and_tally(process)
    assert (process.state, process.total_ballots, process.mixed_batches, process.participants) == (
        ProcessState.tallied, 12, 3, 12)
    assert [project.votes for project in process.projects] == [4, 4, 4]
    assert count(BudgetSealedBallot, box_id=process.id) == 0 and count(BudgetReceipt, box_id=process.id) == 12


def test_the_tally_equals_the_ballots_cast(db_session, batch_size):
    """Random knapsack ballots, opened in batches of 4 and at the close: the opened ballots are exactly the ballots
    cast, and each project's votes and the allocation come from them."""
    batch_size(4)
    costs = (EOK, 2 * EOK, 3 * EOK, 4 * EOK, EOK // 2)
    process = budget_with_projects(costs)
    ids = [project.id for project in process.projects]
    chooser = random.Random(19)
    cast = Counter()
    for _ in range(23):
        chosen = [value for value in chooser.sample(ids, chooser.randint(1, 3))]
        while sum(costs[ids.index(value)] for value in chosen) > process.budget:
            chosen.pop()
        services.cast_ballot(process, UserFactory(), chosen)
        cast[frozenset(chosen)] += 1
        open_budget_ballots(process.id)
    process = close_and_tally(process)
    assert counts.ballots_of(process.id) == cast
    assert [project.votes for project in process.projects] == [
        sum(number for ballot, number in cast.items() if value in ballot) for value in ids]
    assert process.total_ballots == 23 and process.invalid_ballots == 0


def test_receipts_reach_the_bulletin_apart_from_the_ballots_and_the_digest_covers_them(client, batch_size):
    batch_size(2)
    process = budget_with_projects()
    receipts = [services.cast_ballot(process, UserFactory(), [project.id]) for project in process.projects]
    open_budget_ballots(process.id)
    db.session.commit()
    assert client.get(f"/api/v1/budgets/{process.id}/receipts").status_code == 403  # not before the final tally
    close_and_tally(process)
    db.session.commit()
    hashes = sorted(hashlib.sha256(code.encode()).hexdigest() for code in receipts)
    listed = client.get(f"/api/v1/budgets/{process.id}/receipts").json
    assert listed["items"] == hashes and listed["total"] == 3
    assert listed["digest"] == hashlib.sha256("\n".join(hashes).encode()).hexdigest()
    assert client.get(f"/api/v1/budgets/{process.id}/results").json["digest"] == listed["digest"]
    # The receipt table has no ballot id, the ballot table no receipt: nothing links a receipt to a choice.
    assert {column.name for column in BudgetReceipt.__table__.columns} == {"receipt_hash", "batch",
                                                                           "budget_process_id"}
    assert {column.name for column in BudgetBallot.__table__.columns} == {"id", "budget_id"}


def test_the_receipt_code_never_stands_in_a_url(app, client, batch_size):
    """Vote, keep the receipt, look it up on the bulletin after the tally: no URL the server saw, no redirect and
    no link or form target on the pages holds the code (history, proxies and referrers keep URLs). The lookup is a
    POST with a CSRF token, not kept by the browser; a code put in the query string is not looked up."""
    from flask import request, request_started

    batch_size(2)
    process = budget_with_projects(title="2026 마포구 주민참여예산")
    seen: list[str] = []

    def record(sender, **extra):
        seen.append(request.full_path)

    request_started.connect(record, app)
    try:
        login(client, UserFactory(district="마포구"))
        token = csrf_token(client, f"/budgets/{process.id}")
        voted = client.post(f"/budgets/{process.id}/vote",
                            data={"project": [str(process.projects[0].id)], "csrf_token": token})
        shown = client.get(voted.headers["Location"])
        code = re.search(r'class="receipt-code">([A-Z0-9-]+)<', shown.get_data(as_text=True)).group(1)
        services.cast_ballot(fresh(process.id), UserFactory(district="마포구"), [process.projects[1].id])
        close_and_tally(process)
        db.session.commit()
        typed = code.lower().replace("-", "")
        token = csrf_token(client, f"/budgets/{process.id}/receipts")
        pages = [shown]
        for text in (code, typed):
            found = client.post(f"/budgets/{process.id}/receipts", data={"receipt": text, "csrf_token": token})
            assert found.status_code == 200 and found.headers["Cache-Control"] == "no-store"
            assert "게시판에 있습니다" in found.get_data(as_text=True)
            pages.append(found)
        missed = client.post(f"/budgets/{process.id}/receipts",
                             data={"receipt": "AAAA-BBBB-CCCC-DDDD-EEEE", "csrf_token": token})
        assert "찾지 못했습니다" in missed.get_data(as_text=True)
        assert client.post(f"/budgets/{process.id}/receipts", data={"receipt": typed}).status_code == 400
    finally:
        request_started.disconnect(record, app)
    in_url = client.get(f"/budgets/{process.id}/receipts?receipt={typed}").get_data(as_text=True)
    assert "게시판에 있습니다" not in in_url and "찾지 못했습니다" not in in_url  # a code in a URL is not looked up
    targets = [response.headers.get("Location", "") for response in [*pages, voted]]
    for response in pages:
        # The receipt card's "save as a file" link is a data: URL, made in the browser and never sent anywhere.
        targets += [url for url in re.findall(r'(?:href|action|src)="([^"]*)"', response.get_data(as_text=True))
                    if not url.startswith("data:")]
    assert len(seen) >= 8 and targets
    for url in seen + targets:
        assert code not in url and typed not in url.lower() and code.replace("-", "") not in url, url


def test_the_receipt_is_shown_once_from_the_server_never_from_the_cookie(client):
    process = budget_with_projects(title="2026 마포구 주민참여예산")
    login(client, UserFactory(district="마포구"))
    token = csrf_token(client, f"/budgets/{process.id}")
    response = client.post(f"/budgets/{process.id}/vote",
                           data={"project": [str(process.projects[0].id)], "csrf_token": token})
    assert response.status_code == 303
    cookie = client.get_cookie("session").value
    payload = cookie.lstrip(".").split(".")[0]
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    text = (zlib.decompress(data) if cookie.startswith(".") else data).decode()
    shown = client.get(f"/budgets/{process.id}/receipt")
    assert shown.headers["Cache-Control"] == "no-store"
    receipt = re.search(r'class="receipt-code">([A-Z0-9-]+)<', shown.get_data(as_text=True)).group(1)
    assert receipt not in text and receipt.replace("-", "") not in text
    assert "budget_receipts" in text  # only the one-time token is there
    again = client.get(f"/budgets/{process.id}/receipt").get_data(as_text=True)
    assert receipt not in again and "한 번만" in again


def test_a_tampered_ballot_is_set_aside_counted_invalid_and_staff_are_told(db_session):
    officer = staff()
    process = budget_with_projects()
    for _ in range(4):
        services.cast_ballot(process, UserFactory(), [process.projects[1].id])
    sealed = db.session.scalars(select(BudgetSealedBallot)).first()
    sealed.ciphertext = bytes(sealed.ciphertext)[:-1] + bytes([sealed.ciphertext[-1] ^ 1])
    db.session.flush()
    process = close_and_tally(process)
    assert (process.state, process.total_ballots, process.invalid_ballots) == (ProcessState.tallied, 3, 1)
    assert process.projects[1].votes == 3
    assert db.session.get(BudgetSealedBallot, sealed.id).problem == "undecryptable"
    assert count(Notification, user_id=officer.id) == 1


def test_a_ballot_forged_with_the_public_key_over_the_budget_is_not_accepted(db_session):
    process = budget_with_projects((3 * EOK, 3 * EOK))
    services.cast_ballot(process, UserFactory(), [process.projects[0].id])
    forged = BUDGET_BOX.seal(process, hashlib.sha256(b"forged").hexdigest(), [p.id for p in process.projects])
    BUDGET_BOX.cast(process.id, forged)
    process = close_and_tally(process)
    assert (process.total_ballots, process.invalid_ballots) == (1, 1)
    assert [project.votes for project in process.projects] == [1, 0]


def test_a_process_whose_key_is_missing_is_not_tallied_and_says_so(client, tmp_path):
    officer = staff()
    process = budget_with_projects(title="2026 마포구 주민참여예산")
    for project in process.projects:
        services.cast_ballot(process, UserFactory(), [project.id])
    services.transition(process, "closed", officer, "조기 마감")
    backup = tmp_path / "budget.key"
    runner = client.application.test_cli_runner()
    exported = runner.invoke(args=["tally-keys", "export", "budget", str(process.id), str(backup)])
    assert exported.exit_code == 0, exported.output
    tally_keys.key_path("budget", process.id).unlink()  # the key directory lost it

    tally_budget(process.id)
    process = fresh(process.id)
    assert (process.state, process.key_problem, process.total_ballots) == (ProcessState.closed, "key_missing", 0)
    assert count(BudgetSealedBallot, box_id=process.id) == 3  # nothing lost: the ballots wait sealed
    assert count(Notification, user_id=officer.id) == 1
    tally_budget(process.id)  # told once, not at every run
    assert count(Notification, user_id=officer.id) == 1
    db.session.commit()
    assert "집계 키를 담당자가 되돌려 놓는 중" in client.get(f"/budgets/{process.id}").get_data(as_text=True)
    login(client, officer)
    page = client.get(f"/budgets/{process.id}/manage").get_data(as_text=True)
    assert "집계 키가 없어" in page and f"tally-keys import budget {process.id}" in page
    checked = runner.invoke(args=["tally-keys", "check"])
    assert checked.exit_code == 1 and f"budget {process.id}: key_missing" in checked.output

    restored = runner.invoke(args=["tally-keys", "import", "budget", str(process.id), str(backup)])
    assert restored.exit_code == 0, restored.output
    tally_budget(process.id)
    process = fresh(process.id)
    assert (process.state, process.key_problem, process.total_ballots) == (ProcessState.tallied, None, 3)


def test_an_imported_pabulib_process_needs_no_key(db_session):
    """Its votes are anonymous already (no voter, no receipt): they are stored opened, and tallied without a key."""
    from participation.budgets import exchange, pabulib

    text = ("META\nkey;value\ndescription;시험\nnum_projects;2\nnum_votes;2\nbudget;100\nvote_type;approval\n"
            "rule;greedy\nPROJECTS\nproject_id;cost\n1;60\n2;40\nVOTES\nvoter_id;vote\n1;1\n2;1,2\n")
    process = exchange.import_file(pabulib.read(text))
    tally_budget(process.id)
    process = fresh(process.id)
    assert (process.state, process.public_key, process.key_problem, process.tally_digest) == (
        ProcessState.tallied, None, None, None)
    assert [project.votes for project in process.projects] == [2, 1]
