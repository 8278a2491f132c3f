"""Real-browser tests: Playwright drives Debian's chromium against the app under gunicorn (the
`live_server` fixture: one server per run, real commits, tables emptied after every test).

One chromium per session; each test opens its own contexts (cookies, language, viewport) with
`open_page(...)`. When a test fails, a full-page screenshot of every page it opened is saved under
test-artifacts/screenshots/ (CI keeps that folder as an artifact)."""

import contextlib
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from participation.extensions import db
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed (make test-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def open_page(browser, live_server, request):
    """open_page(locale="ko-KR", viewport=None) -> a Page in a fresh context on the live server."""
    contexts = []
    request.node.browser_pages = []

    def open_(locale: str = "ko-KR", viewport: dict | None = None, **kwargs):
        context = browser.new_context(base_url=live_server, locale=locale,
                                      viewport=viewport or {"width": 1280, "height": 900}, **kwargs)
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        request.node.browser_pages.append(page)
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page):
    return open_page()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        pages = getattr(item, "browser_pages", [])
        if pages:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-150:]
            for number, page in enumerate(pages):
                with contextlib.suppress(Exception):  # a closed or crashed page: nothing to keep
                    page.screenshot(path=str(SCREENSHOTS / f"{stem}-{number}.png"), full_page=True)
    return report


class LiveData:
    """Rows committed for real, so that the gunicorn workers see them.

    On SQLite every transaction of this process takes the write lock (BEGIN IMMEDIATE outside a request),
    so nothing may stay open while the browser acts: `commit()` ends the session, `user()` hands back a
    plain record, and `read(fn)` runs a query and ends its transaction."""

    def __init__(self, app):
        self.app = app

    def __enter__(self):
        self.context = self.app.app_context()
        self.context.push()
        factories.bind(db.session)
        return self

    def __exit__(self, *exc):
        db.session.remove()
        self.context.pop()

    def commit(self) -> None:
        db.session.commit()
        db.session.remove()

    def user(self, **kwargs) -> SimpleNamespace:
        user = factories.UserFactory(**kwargs)
        record = SimpleNamespace(id=user.id, email=user.email, display_name=user.display_name)
        self.commit()
        return record

    def read(self, query):
        try:
            return query()
        finally:
            db.session.remove()


@pytest.fixture
def live_data(app, live_server):
    with LiveData(app) as data:
        yield data


def log_in(page, email: str, password: str = factories.PASSWORD) -> None:
    """Log in through the login page (Korean labels)."""
    page.goto("/login")
    page.get_by_label("이메일").fill(email)
    page.get_by_label("비밀번호", exact=True).fill(password)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="로그인").click()
    assert "/login" not in page.url, page.locator("main").inner_text()
