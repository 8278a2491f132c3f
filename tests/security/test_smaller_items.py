"""The smaller items of issue #23 (item 10), each an attack written down: password guessing through the account
pages, a citizen poll dressed as the city's official vote, and a spreadsheet that expands past any memory."""

import io
import zipfile
from datetime import timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from participation.core.errors import ValidationError
from participation.core.time import utcnow
from participation.polls import services as polls
from participation.proposals import importer
from tests import factories
from tests.conftest import csrf_token, login


@pytest.fixture
def three_guesses_a_minute(app):
    saved = app.config["LOGIN_LIMITS"]
    app.config["LOGIN_LIMITS"] = "3 per minute"
    try:
        yield
    finally:
        app.config["LOGIN_LIMITS"] = saved


@pytest.mark.parametrize("path, field", [("/account/password", "current_password"), ("/account/delete", "password")])
def test_password_checks_on_the_account_pages_are_throttled(client, db_session, redis, three_guesses_a_minute,
                                                              path, field):
    """A stolen session (an unlocked phone) must not become unlimited password guessing."""
    citizen = factories.UserFactory()
    login(client, citizen)
    token = csrf_token(client, "/account")
    statuses = [client.post(path, data={field: f"추측-{number}-비밀번호", "password": "새-비밀번호-12345",
                                        "csrf_token": token}).status_code for number in range(4)]
    assert statuses == [422, 422, 422, 429]


def test_a_citizen_poll_cannot_carry_the_official_tags(db_session):
    """Indicator 2.4.d counts the participants of polls tagged top10_news: only the city's own polls."""
    citizen = factories.UserFactory()
    for tag in ("top10_news", "top10_policy"):
        with pytest.raises(ValidationError) as refused:
            polls.create_poll(citizen, title="우리 동네 10대 뉴스", options=["가", "나"],
                              closes_at=utcnow() + timedelta(days=3), tags=[tag])
        assert "tags" in refused.value.fields
    assert polls.create_poll(citizen, title="우리 동네 소식", options=["가", "나"],
                             closes_at=utcnow() + timedelta(days=3), tags=["dongne"]).state == "pending"
    assert polls.create_poll(factories.staff(), title="올해의 10대 뉴스", options=["가", "나"],
                             closes_at=utcnow() + timedelta(days=3), tags=["top10_news"]).state == "draft"


def test_a_citizen_poll_tagged_before_does_not_feed_the_indicator(db_session):
    from participation.polls.models import Participation, PollTag
    from participation.polls.queries import count_participants

    citizen_poll = factories.PollFactory(by_staff=False, author_id=factories.UserFactory().id)
    citizen_poll.tag_rows.append(PollTag(tag="top10_news"))
    db_session.add(Participation(poll_id=citizen_poll.id, user_id=factories.UserFactory().id, created_at=utcnow()))
    db_session.flush()
    assert count_participants(utcnow() - timedelta(days=1), utcnow() + timedelta(days=1), tag="top10_news") == 0


def workbook(rows: int, columns: int = 3, cell: str = "서울") -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("국민제안")
    sheet.append(["제안번호", "제목", "제안내용"][:columns] + [f"열{n}" for n in range(columns - 3)])
    for number in range(rows):
        sheet.append([f"1AA-{number:08d}", *([cell] * (columns - 1))])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def test_the_importer_caps_rows_columns_and_cells():
    with pytest.raises(ValidationError, match=""):
        importer.read_table(workbook(importer.MAX_ROWS + 1), "국민제안.xlsx")
    with pytest.raises(ValidationError):
        importer.read_table(workbook(2, columns=importer.MAX_COLUMNS + 1), "국민제안.xlsx")
    with pytest.raises(ValidationError):
        importer.read_table(workbook(2, cell="가" * (importer.MAX_CELL + 1)), "국민제안.xlsx")
    headers, rows = importer.read_table(workbook(10), "국민제안.xlsx")
    assert len(rows) == 10 and headers[0] == "제안번호"


def test_the_importer_refuses_a_workbook_that_expands_past_its_limit():
    """A few megabytes of zip can hold gigabytes of shared strings: openpyxl would read them all into memory."""
    data = io.BytesIO(workbook(2))
    bomb = io.BytesIO()
    with zipfile.ZipFile(data) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("xl/padding.xml", b" " * (importer.MAX_EXPANDED_BYTES + 1))
    assert len(bomb.getvalue()) < 1024 * 1024
    with pytest.raises(ValidationError):
        importer.read_table(bomb.getvalue(), "국민제안.xlsx")


def test_random_query_strings_cannot_flush_the_public_cache():
    """An anonymous flood of made-up addresses (`/petitions/7?x=1`, `?x=2`, …) used to fill the per-process cache
    and empty it whole, so the page everyone was reading went back to the database every few hundred requests.
    The copies that are read again and again now stay."""
    from participation.core import response_cache
    from participation.core.response_cache import SHAREABLE, PublicResponseCache

    rendered = []

    def app(environ, start_response):
        rendered.append(environ["QUERY_STRING"])
        environ[SHAREABLE] = True
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"petition 7"]

    cache = PublicResponseCache(app, {"PUBLIC_CACHE_SECONDS": 60, "SESSION_COOKIE_NAME": "session"})

    def get(query: str) -> bytes:
        environ = {"REQUEST_METHOD": "GET", "wsgi.url_scheme": "https", "HTTP_HOST": "participation.seoul.go.kr",
                   "PATH_INFO": "/petitions/7", "QUERY_STRING": query}
        return b"".join(cache(environ, lambda status, headers, exc_info=None: None))

    response_cache.clear()
    try:
        get("")
        for number in range(10 * response_cache.MAX_ENTRIES):
            get(f"x={number}")
            if number % 50 == 0:
                assert get("") == b"petition 7"  # the page everyone reads, read meanwhile
        assert rendered.count("") == 1
        assert len(response_cache._entries) <= response_cache.MAX_ENTRIES
    finally:
        response_cache.clear()


@pytest.mark.parametrize("password", ["qwertyuiop", "1q2w3e4r5t", "Password123", "manchester"])
def test_the_most_common_passwords_are_refused_at_sign_up(client, db_session, password):
    """A breach corpus look-up needs the network: the 30,000 most common passwords are bundled (zxcvbn's list)."""
    from participation.accounts.models import User

    response = client.post("/api/v1/auth/register", json={
        "email": "common@example.com", "password": password, "display_name": "흔한비번",
        "district": "중구", "birth_year": 1990, "privacy_consent": True})
    assert response.status_code == 422 and "password" in response.json["error"]["fields"]
    assert db_session.scalar(select(User).where(User.email == "common@example.com")) is None
    assert client.post("/api/v1/auth/register", json={
        "email": "common@example.com", "password": "한강-자전거-2027-봄", "display_name": "흔한비번",
        "district": "중구", "birth_year": 1990, "privacy_consent": True}).status_code == 201


def test_registration_does_not_reveal_which_addresses_have_accounts(client, db_session):
    """An attacker signs up with a list of addresses to learn who uses the platform (and whom to phish): an address
    with an account must get the answer of a new one, on the page and in the API; only the mail tells its owner."""
    from participation.accounts.models import User
    from participation.core.mail import OutboxMail

    owner = factories.UserFactory(email="owner@example.com")
    before = (owner.password_hash, owner.display_name, owner.district)

    def api(email):
        return client.post("/api/v1/auth/register", json={
            "email": email, "password": "한강-자전거-2027-봄", "display_name": "탐색자", "district": "중구",
            "birth_year": 1990, "privacy_consent": True})

    taken, new = api("Owner@example.com"), api("fresh@example.com")
    assert (taken.status_code, new.status_code) == (201, 201)
    assert {**taken.json, "email": None} == {**new.json, "email": None}

    def page(email):
        with client.session_transaction() as session:
            session.clear()
        response = client.post("/register", data={
            "email": email, "password": "한강-자전거-2027-봄", "display_name": "탐색자", "district": "중구",
            "birth_year": "1990", "privacy_consent": "y", "csrf_token": csrf_token(client, "/register")})
        with client.session_transaction() as session:
            logged_in = "_user_id" in session
        return response.status_code, response.headers.get("Location"), logged_in

    assert page("owner@example.com") == page("another@example.com") == (303, "/login", False)

    db_session.refresh(owner)
    assert (owner.password_hash, owner.display_name, owner.district) == before
    assert db_session.scalar(select(User.id).where(User.email_canonical == "owner@example.com")) == owner.id
    to_owner = db_session.scalars(select(OutboxMail).where(OutboxMail.to == "owner@example.com")).all()
    assert len(to_owner) == 2 and all("이미 가입된 계정이 있어" in mail.body for mail in to_owner)
    assert all("/verify/" not in mail.body for mail in to_owner)
    to_new = db_session.scalars(select(OutboxMail).where(OutboxMail.to == "fresh@example.com")).all()
    assert len(to_new) == 1 and "/verify/" in to_new[0].body


def test_a_forum_answer_tells_its_participants_through_a_job(client, db_session, run_jobs):
    """A forum of thousands: the staff member's request that saves the answer must not write a notification (and
    queue a mail) per participant while holding the write lock; a job does, once, and a sweep finds the answers
    whose job was lost."""
    from participation.core.notifications import Notification
    from participation.forums import services as forums
    from participation.forums import tasks as forum_tasks

    forum = factories.ForumFactory(state="closed", closed_at=utcnow())
    voices = [factories.ForumCommentFactory(forum_id=forum.id).author_id for _ in range(3)]
    officer = factories.staff()
    db_session.commit()
    login(client, officer)
    token = csrf_token(client, f"/forums/{forum.id}")
    response = client.post(f"/forums/{forum.id}/answer", data={"answer": "요금은 동결합니다.", "csrf_token": token})
    assert response.status_code == 303
    assert db_session.scalar(select(Notification.id)) is None  # nothing written in the request
    run_jobs()
    told = db_session.scalars(select(Notification.user_id).where(
        Notification.url == f"/forums/{forum.id}#answer").order_by(Notification.user_id)).all()
    assert told == sorted(voices)
    assert forum_tasks.tell_answers_not_yet_told() == 0  # told once: the sweep finds nothing
    assert forums.tell_participants_of_answer(forum.id) is False
    assert len(db_session.scalars(select(Notification.id)).all()) == 3


def test_the_sweep_tells_an_answer_whose_job_was_lost(db_session):
    from participation.core.notifications import Notification
    from participation.forums import tasks as forum_tasks

    forum = factories.ForumFactory(state="answered", answer="답변입니다.", answered_at=utcnow())
    voice = factories.ForumCommentFactory(forum_id=forum.id).author_id
    assert forum_tasks.tell_answers_not_yet_told() == 1
    assert forum_tasks.tell_answers_not_yet_told() == 0
    assert db_session.scalars(select(Notification.user_id)).all() == [voice]


class CountingBody(io.RawIOBase):
    """A request body of `size` bytes that records how much of it the server read."""

    def __init__(self, size: int):
        self.size, self.read_so_far = size, 0

    def readable(self):
        return True

    def seekable(self):  # the test client measures the body: seek to the end and back (nothing read)
        return True

    def seek(self, offset, whence=io.SEEK_SET):
        self.position = self.size if whence == io.SEEK_END else offset
        return self.position

    def tell(self):
        return getattr(self, "position", 0)

    def readinto(self, buffer):
        count = min(len(buffer), self.size - self.read_so_far)
        buffer[:count] = b"-" * count
        self.read_so_far += count
        return count


@pytest.mark.parametrize("who, headers, status", [
    ("nobody", {}, 302), ("citizen", {}, 403),
    ("staff", {"Origin": "https://attacker.example"}, 400),
    ("staff", {"Sec-Fetch-Site": "cross-site"}, 400)])
def test_a_forum_upload_is_refused_before_its_body_is_read(client, db_session, who, headers, status):
    """21 MB is allowed for a staff member's attachment; anyone else sending 21 MB (anonymous, a citizen, a page
    on another site posting with a staff member's cookie) is refused from the headers, not after reading it."""
    forum = factories.ForumFactory()
    user = {"nobody": None, "citizen": factories.UserFactory(), "staff": factories.staff()}[who]
    db_session.commit()
    if user is not None:
        login(client, user)
    from participation.forums import attachments

    body = CountingBody(attachments.REQUEST_LIMIT - 1024)
    response = client.post(f"/forums/{forum.id}/attachments", input_stream=body,
                           content_type="multipart/form-data; boundary=x", headers=headers)
    assert response.status_code == status
    assert body.read_so_far == 0
