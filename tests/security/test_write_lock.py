"""SQLite takes one writer at a time, and a request that may write takes the lock with its first statement. CPU
work done while holding it (argon2 on a login, decoding pictures) stalls every vote and signature behind it: a
stream of failed logins would be a denial of service. Here every such piece of work probes the lock from another
connection (`BEGIN IMMEDIATE` with no wait): it must be free. PostgreSQL locks rows, not the database."""

import sqlite3
from io import BytesIO

import pytest
from sqlalchemy.engine import make_url

from participation.accounts import services as accounts
from participation.core import images as core_images
from participation.extensions import db
from tests.conftest import csrf_token, empty_tables
from tests.proposals.test_pages import picture, proposal_form

PASSWORD = "올바른-비밀번호-2024"


@pytest.fixture
def committing(app, redis):
    """The session app with real commits (no test transaction holding the lock); tables emptied afterwards."""
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock")
    with app.app_context():
        empty_tables()
        try:
            yield
        finally:
            db.session.remove()
            empty_tables()


@pytest.fixture
def probes(app, committing, monkeypatch):
    """Record, at every argon2 call and every picture decoded, whether another connection could take the write
    lock right then."""
    path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    seen: list[tuple[str, bool]] = []

    def lock_is_free() -> bool:
        probe = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            probe.close()

    hasher = accounts.password_hasher

    class ProbingHasher:
        def verify(self, stored, password):
            seen.append(("argon2 verify", lock_is_free()))
            return hasher.verify(stored, password)

        def hash(self, password):
            seen.append(("argon2 hash", lock_is_free()))
            return hasher.hash(password)

        def check_needs_rehash(self, stored):
            return hasher.check_needs_rehash(stored)

    original_check = core_images.check_image

    def probing_check(raw, field="images"):
        seen.append(("decode picture", lock_is_free()))
        return original_check(raw, field)

    monkeypatch.setattr(accounts, "password_hasher", ProbingHasher())
    monkeypatch.setattr(core_images, "check_image", probing_check)
    return seen


def make_citizen(email: str) -> tuple[int, str]:
    user = accounts.create_user(email, PASSWORD, display_name="김시민", district="마포구")
    db.session.commit()
    result = (user.id, user.email)
    db.session.remove()  # the test's own session holds no transaction while the requests run
    return result


def web_login(client, email: str, password: str):
    return client.post("/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)})


def test_logins_right_and_wrong_hash_outside_the_write_lock(app, probes):
    _user_id, email = make_citizen("lock@example.com")
    probes.clear()
    client = app.test_client()
    assert web_login(client, email, "틀린-비밀번호-입니다").status_code == 401
    assert web_login(client, "nobody@example.com", "틀린-비밀번호-입니다").status_code == 401
    api = app.test_client()
    assert api.post("/api/v1/auth/token", json={"email": email, "password": "틀린-비밀번호"}).status_code == 401
    assert api.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD}).status_code == 200
    assert web_login(client, email, PASSWORD).status_code == 303
    assert len(probes) == 5 and all(free for _work, free in probes), probes


def test_password_forms_hash_outside_the_write_lock(app, probes):
    _user_id, email = make_citizen("forms@example.com")
    client = app.test_client()
    assert web_login(client, email, PASSWORD).status_code == 303
    token = csrf_token(client, "/account")
    client.post("/account/password", data={"current_password": "틀린-비밀번호-입니다", "password": "새-비밀번호-2025",
                                           "password_confirm": "새-비밀번호-2025", "csrf_token": token})
    client.post("/account/password", data={"current_password": PASSWORD, "password": "새-비밀번호-2025",
                                           "password_confirm": "새-비밀번호-2025", "csrf_token": token})
    client.post("/account/delete", data={"password": "틀린-비밀번호-입니다",
                                         "csrf_token": csrf_token(client, "/account")})
    register = app.test_client()
    response = register.post("/register", data={
        "email": "new@example.com", "password": "새로운-비밀번호-1", "password_confirm": "새로운-비밀번호-1",
        "display_name": "새시민", "district": "중구", "birth_year": "1990", "privacy_consent": "y",
        "csrf_token": csrf_token(register, "/register")})
    assert response.status_code == 303
    kinds = [work for work, _free in probes]
    assert kinds.count("argon2 hash") >= 2 and kinds.count("argon2 verify") >= 4, probes
    assert all(free for _work, free in probes), probes


def test_pictures_are_decoded_outside_the_write_lock(app, probes):
    from participation.proposals.models import Proposal

    _user_id, email = make_citizen("photos@example.com")
    client = app.test_client()
    assert web_login(client, email, PASSWORD).status_code == 303
    probes.clear()
    photos = [(picture(), "정류장.png"), (picture(), "의자.png")]
    response = client.post("/proposals/new", content_type="multipart/form-data",
                           data={**proposal_form(client), "images": photos})
    assert response.status_code == 303
    proposal_id = int(response.headers["Location"].rsplit("/", 1)[1])
    response = client.post(f"/proposals/{proposal_id}/edit", content_type="multipart/form-data",
                           data={**proposal_form(client, title="고친 제목"), "images": [(picture(), "셋째.png")]})
    assert response.status_code == 303
    response = client.post(f"/proposals/{proposal_id}/edit", content_type="multipart/form-data",
                           data={**proposal_form(client), "images": [(BytesIO(b"GIF89a" + b"\0" * 64), "나쁜.png")]})
    assert response.status_code == 422
    assert [work for work, _free in probes] == ["decode picture"] * 4
    assert all(free for _work, free in probes), probes
    assert len(db.session.get(Proposal, proposal_id).images) == 3
