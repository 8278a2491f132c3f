"""axe-core (axe-playwright-python) on the main pages, in Korean and in English: no serious or
critical violation. A channel's page joins the list as soon as its index route exists."""

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.browser

MAIN_PAGES = ("/", "/login", "/register", "/petitions", "/proposals", "/polls", "/forums", "/surveys",
              "/budgets", "/indicators")
BLOCKING = {"serious", "critical"}


def describe(violation: dict) -> str:
    targets = [" ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
               for node in violation["nodes"][:3]]
    return f"{violation['impact']} {violation['id']}: {violation['help']} at {targets}"


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_main_pages_have_no_serious_accessibility_violations(open_page, live_server, locale):
    page = open_page(locale="ko-KR" if locale == "ko" else "en-US")
    page.context.add_cookies([{"name": "lang", "value": locale, "url": live_server}])
    axe = Axe()
    problems = []
    for path in MAIN_PAGES:
        response = page.goto(path)
        assert response.status == 200, f"{path}: {response.status}"
        assert page.locator("html").get_attribute("lang") == locale
        results = axe.run(page)
        problems += [f"{path}: {describe(v)}" for v in results.response["violations"] if v["impact"] in BLOCKING]
    assert problems == []
