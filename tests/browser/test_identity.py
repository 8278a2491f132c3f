"""본인인증 in a real browser: a citizen opens a budget process that requires identity, follows the page's button to
the development provider, comes back verified and votes. The test client enforces no Content-Security-Policy;
chromium does, and with form-action 'self' alone it stopped the identity form's redirect to the provider.

The shared live server runs without a provider, so this test serves the app configured with one (in threads of
this process, on the same database) next to the development provider."""

import threading

import pytest
from werkzeug.serving import make_server

from participation import create_app, dev_identity
from participation.budgets.models import BudgetParticipation
from participation.extensions import db
from tests import factories
from tests.browser.conftest import PHONE, LiveData, log_in
from tests.conftest import empty_tables, free_port, make_test_config

pytestmark = pytest.mark.browser


def serve(wsgi_app) -> tuple[str, callable]:
    port = free_port()
    server = make_server("127.0.0.1", port, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        thread.join(10)

    return f"http://127.0.0.1:{port}", stop


@pytest.fixture
def site_with_a_provider(app, redis, instance_dir):
    """(the site's base URL, the provider's): the app on the test database with the development provider."""
    provider, stop_provider = serve(dev_identity.provider_app())
    config = make_test_config(instance_dir)
    config.pop("SERVER_NAME")
    config.update(IDENTITY_ISSUER=provider, IDENTITY_CLIENT_ID=dev_identity.CLIENT_ID,
                  IDENTITY_CLIENT_SECRET=dev_identity.CLIENT_SECRET)
    site, stop_site = serve(create_app(config))
    try:
        yield site, provider
    finally:
        stop_site()
        stop_provider()
        with app.app_context():
            empty_tables()


def test_a_citizen_verifies_from_a_budget_page_and_votes(app, browser, site_with_a_provider):
    site, provider = site_with_a_provider
    with LiveData(app) as data:
        process = factories.budget_with_projects(title="2026 마포구 주민참여예산", verification="identity")
        budget_id, project_id = process.id, process.projects[0].id
        data.commit()
        citizen = data.user(district="마포구", birth_year=1988)
        context = browser.new_context(base_url=site, locale="ko-KR", viewport=PHONE)
        context.set_default_timeout(20_000)
        try:
            page = context.new_page()
            blocked = []
            page.on("console", lambda message: "Content Security Policy" in message.text
                    and blocked.append(message.text))
            log_in(page, citizen.email)
            page.goto(f"/budgets/{budget_id}")
            assert page.locator("input[name=project]").count() == 0
            page.get_by_role("link", name="본인인증 하고 참여하기").click()
            with page.expect_navigation(url=lambda url: url.startswith(provider)):
                page.locator("main").get_by_role("button", name="본인인증 하기").click()
            assert "개발용 본인인증 제공자" in page.content()
            with page.expect_navigation(url=f"{site}/budgets/{budget_id}"):
                page.get_by_role("button", name="김시민 (마포구, 1988)").click()
            assert "본인인증을 마쳤습니다" in page.locator("main").inner_text()
            page.locator(f"input[name=project][value='{project_id}']").check()
            page.get_by_role("button", name="다음: 선택 확인").click()
            with page.expect_navigation(url=f"{site}/budgets/{budget_id}/receipt"):
                page.locator("main form").get_by_role("button", name="투표하기").click()
            assert page.locator(".receipt-code").is_visible()
            assert blocked == []
        finally:
            context.close()
        voters = data.read(lambda: db.session.query(BudgetParticipation).filter_by(budget_id=budget_id).count())
        assert voters == 1
