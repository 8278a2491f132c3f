"""Two web machines: two gunicorn processes with instance folders of their own (nothing on disk is shared), one
database, one Redis and one worker, as the README's scale-out describes — once with files in the database and
once in S3 (moto's server). What one machine takes, the other serves: a proposal photo uploaded on A is read
on B; the national-portal import uploaded on A is confirmed on B; a vote cast on A is refused a second time on B,
and B shows its result. Neither instance folder ends up holding an uploaded file. On the PostgreSQL leg the
same machines also vote through PgBouncer in transaction mode."""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from flask import current_app
from sqlalchemy.engine import make_url

from participation.accounts.services import issue_token
from participation.extensions import db
from participation.proposals import importer
from tests import factories
from tests.conftest import ROOT, free_port, wait_until_serving
from tests.proposals.test_import import HEADER, as_csv, portal_rows
from tests.proposals.test_pages import picture

pytestmark = pytest.mark.slow


def start(app_module: str, instance, redis_url: str, storage_url: str | None, web: bool = True,
          database_url: str | None = None):
    env = {**os.environ, "PARTICIPATION_TEST_INSTANCE": str(instance), "REDIS_URL": redis_url,
           # The test database itself (on SQLite a file in the test session's instance folder, not this one).
           "DATABASE_URL": database_url or db.engine.url.render_as_string(hide_password=False)}
    if storage_url:
        env["PARTICIPATION_STORAGE_URL"] = storage_url
    if not web:  # the worker, like `flask worker --no-cron`; the tally key directory is given to it alone
        env["PARTICIPATION_TALLY_KEY_DIR"] = current_app.config["TALLY_KEY_DIR"]
        command = ("from tests.live_app import app\nfrom participation.worker import make_worker\n"
                   "make_worker(app).work(with_scheduler=True, logging_level='ERROR')")
        return None, subprocess.Popen([sys.executable, "-c", command], cwd=ROOT, env=env)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4",
         "--timeout", "60", "--graceful-timeout", "2", "--log-level", "warning", app_module], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(base, process)
    return base, process


def token_of(page: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def sign_in(base: str, email: str) -> requests.Session:
    browser = requests.Session()
    token = token_of(browser.get(base + "/login").text)
    answer = browser.post(base + "/login", data={"email": email, "password": factories.PASSWORD,
                                                 "csrf_token": token}, allow_redirects=False)
    assert answer.status_code == 303
    return browser


def uploaded_files(*instances) -> list:
    return [path for instance in instances for path in instance.rglob("*")
            if path.is_file() and "uploads" in path.parts]


def test_what_one_machine_takes_the_other_serves(redis_app, redis_process, storage_backend, tmp_path):
    citizen, staff = factories.UserFactory(display_name="김시민"), factories.staff()
    voters = factories.UserFactory.create_batch(3)
    poll = factories.PollFactory(labels=("광화문 광장", "서울숲", "여의도 공원"))
    db.session.flush()
    poll_id, option_ids = poll.id, [option.id for option in poll.options]
    tokens = [issue_token(voter) for voter in voters]
    staff_token = issue_token(staff)
    citizen, staff = citizen.email, staff.email
    # Nothing is read after the commit: on SQLite a transaction of the test's would take the write lock.
    db.session.commit()

    machines = [tmp_path / "machine-a", tmp_path / "machine-b", tmp_path / "worker"]
    for folder in machines:
        folder.mkdir()
    processes = []
    try:
        a, process = start("tests.live_app:app", machines[0], redis_process.url, storage_backend)
        processes.append(process)
        b, process = start("tests.live_app:app", machines[1], redis_process.url, storage_backend)
        processes.append(process)
        processes.append(start("", machines[2], redis_process.url, storage_backend, web=False)[1])

        # A proposal photo: uploaded on A, seen by its author on B (the session cookie works on either).
        author = sign_in(a, citizen)
        form = {"csrf_token": token_of(author.get(a + "/proposals/new").text), "title": "버스 정류장에 온열 의자를",
                "problem": "겨울 아침 정류장이 너무 춥습니다.", "body": "정류장에 온열 의자를 놓아 주세요.",
                "expected_effect": "덜 추울 겁니다.", "category": "transport", "district": ""}
        answer = author.post(a + "/proposals/new", data=form, files={"images": ("정류장.png", picture().getvalue(),
                                                                              "image/png")}, allow_redirects=False)
        assert answer.status_code == 303
        page = author.get(b + answer.headers["Location"]).text
        image = re.search(r'src="(/proposals/images/\d+)"', page).group(1)
        on_b, on_a = author.get(b + image), author.get(a + image)
        assert on_b.status_code == 200 and on_b.headers["Content-Type"] == "image/png"
        assert on_b.content.startswith(b"\x89PNG") and on_b.content == on_a.content

        # The import: uploaded (dry run) on A, confirmed on B.
        officer = sign_in(a, staff)
        upload = officer.post(a + "/proposals/staff/import", files={
            "file": ("국민제안_내보내기.csv", as_csv(portal_rows(3)), "text/csv")},
            data={"csrf_token": token_of(officer.get(a + "/proposals/staff/import").text)})
        assert upload.status_code == 200 and "새 제안 3건" in upload.text
        action = re.search(r'action="(/proposals/staff/import/[0-9a-f]{32}\.csv)"', upload.text).group(1)
        mapping = {f"map_{name}": value for name, value in importer.default_mapping(HEADER).items()}
        done = officer.post(b + action, data={"csrf_token": token_of(upload.text), "action": "confirm", **mapping},
                            allow_redirects=False)
        assert done.status_code == 303
        assert officer.post(a + action, data={"csrf_token": token_of(upload.text), "action": "confirm",
                                              **mapping}).status_code == 404  # the staged file went with it
        found = officer.get(b + "/api/v1/proposals", params={"q": "공영주차장 야간 개방"}).json()
        assert found["total"] == 3

        # A vote: cast on A, refused a second time on B; closed on B, and B shows the final result.
        for number, token in enumerate(tokens):
            cast = requests.post(f"{a}/api/v1/polls/{poll_id}/ballots", json={"choices": [option_ids[number % 2]]},
                                 headers={"Authorization": f"Bearer {token}"}, timeout=30)
            assert cast.status_code == 201
        again = requests.post(f"{b}/api/v1/polls/{poll_id}/ballots", json={"choices": [option_ids[2]]},
                              headers={"Authorization": f"Bearer {tokens[0]}"}, timeout=30)
        assert again.status_code == 409 and again.json()["error"]["code"] == "already_voted"
        closed = requests.post(f"{b}/api/v1/polls/{poll_id}/transitions", json={"to": "closed", "reason": "시험"},
                               headers={"Authorization": f"Bearer {staff_token}"}, timeout=30)
        assert closed.status_code == 200
        deadline = time.monotonic() + 60
        while (results := requests.get(f"{b}/api/v1/polls/{poll_id}/results", timeout=30).json()).get("final") \
                is not True and time.monotonic() < deadline:
            time.sleep(0.25)
        assert results["total_ballots"] == 3
        assert [option["votes"] for option in results["options"]] == [2, 1, 0]

        assert uploaded_files(*machines) == []
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


class PgBouncer:
    """Debian's pgbouncer in transaction mode on a free port, in front of the test database, with fewer server
    connections than the two machines have threads, so that their transactions really share them."""

    def __init__(self, server_connections: int = 3):
        # A folder of its own under the system's temp directory: run as root, pgbouncer drops to the postgres
        # user, who cannot enter pytest's folders.
        self.folder, self.port = Path(tempfile.mkdtemp(prefix="participation-pgbouncer-")), free_port()
        url = make_url(db.engine.url.render_as_string(hide_password=False))
        folder = self.folder
        (folder / "users.txt").write_text(f'"{url.username}" "{url.password or ""}"\n')
        (folder / "pgbouncer.ini").write_text(
            f"[databases]\n{url.database} = host={url.host} port={url.port or 5432}\n"
            f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {folder / 'users.txt'}\npool_mode = transaction\n"
            f"default_pool_size = {server_connections}\nmax_client_conn = 200\nlogfile = {folder / 'log'}\n")
        self.url = url.set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def __enter__(self):
        command = [shutil.which("pgbouncer"), str(self.folder / "pgbouncer.ini")]
        if os.geteuid() == 0:  # pgbouncer refuses to run as root
            shutil.chown(self.folder, "postgres")
            for path in self.folder.iterdir():
                shutil.chown(path, "postgres")
            command[1:1] = ["-u", "postgres"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = self.folder / "log"
                    raise RuntimeError(f"pgbouncer did not start: {log.read_text()[-500:] if log.exists() else ''}") \
                        from None
                time.sleep(0.1)

    def __exit__(self, *_exc):
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def test_two_machines_work_through_pgbouncer_in_transaction_mode(redis_app, redis_process, tmp_path):
    """The README's production shape: the web processes reach PostgreSQL through PgBouncer in transaction mode
    (with DATABASE_PREPARED_STATEMENTS off). 40 voters at once over two machines, 10 of them twice: exactly
    one ballot each, the rest 409, and the final result read through PgBouncer too."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PgBouncer stands in front of PostgreSQL (PostgreSQL leg)")
    if shutil.which("pgbouncer") is None:
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    voters = factories.UserFactory.create_batch(40)
    staff = factories.staff()
    poll = factories.PollFactory(labels=("광화문 광장", "서울숲"))
    db.session.flush()
    poll_id, option_ids = poll.id, [option.id for option in poll.options]
    tokens = [issue_token(voter) for voter in voters]
    staff_token = issue_token(staff)
    db.session.commit()

    with PgBouncer() as bouncer:
        os.environ["PARTICIPATION_DATABASE_PREPARED_STATEMENTS"] = "false"  # without it: 500s, prepared statements lost
        processes = []
        try:
            machines = []
            for name in ("a", "b", "worker"):
                (tmp_path / name).mkdir()
            for name in ("a", "b"):
                base, process = start("tests.live_app:app", tmp_path / name, redis_process.url, None,
                                      database_url=bouncer.url)
                machines.append(base)
                processes.append(process)
            processes.append(start("", tmp_path / "worker", redis_process.url, None, web=False,
                                   database_url=bouncer.url)[1])
            work = [(machines[number % 2], token, option_ids[number % 2]) for number, token in enumerate(tokens)]
            work += [(machines[(number + 1) % 2], token, option_ids[number % 2])
                     for number, token in enumerate(tokens[:10])]  # the same ballot again, through the other
            barrier = threading.Barrier(len(work))

            def vote(item):
                base, token, option = item
                barrier.wait(timeout=30)
                return requests.post(f"{base}/api/v1/polls/{poll_id}/ballots", json={"choices": [option]},
                                     headers={"Authorization": f"Bearer {token}"}, timeout=60).status_code

            with ThreadPoolExecutor(max_workers=len(work)) as pool:
                answers = Counter(pool.map(vote, work))
            assert answers == {201: 40, 409: 10}
            closed = requests.post(f"{machines[1]}/api/v1/polls/{poll_id}/transitions",
                                   json={"to": "closed", "reason": "시험"},
                                   headers={"Authorization": f"Bearer {staff_token}"}, timeout=30)
            assert closed.status_code == 200
            deadline = time.monotonic() + 60
            while (results := requests.get(f"{machines[0]}/api/v1/polls/{poll_id}/results", timeout=30).json()) \
                    .get("final") is not True and time.monotonic() < deadline:
                time.sleep(0.25)
            assert results["total_ballots"] == 40
            assert [option["votes"] for option in results["options"]] == [20, 20]
        finally:
            os.environ.pop("PARTICIPATION_DATABASE_PREPARED_STATEMENTS", None)
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
