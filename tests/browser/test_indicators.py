"""The indicators dashboard on a phone: a summary first, and no chart requested until its measure is opened
(40 charts used to mean 40 image requests on arrival)."""

import pytest

from participation.indicators.services import load_catalogue
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


def test_the_dashboard_leads_with_the_summary_and_loads_a_chart_only_when_asked(open_page, live_data):
    load_catalogue()
    live_data.commit()
    page = open_page(viewport=PHONE)
    charts = []
    page.on("request", lambda request: charts.append(request.url) if request.url.endswith("/chart.svg") else None)
    page.goto("/indicators")
    summary = page.get_by_role("heading", name="한눈에 보기")
    assert summary.bounding_box()["y"] < PHONE["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.wait_for_load_state("networkidle")
    assert charts == []
    measure = page.locator("#measure-3\\.1\\.d").locator("xpath=..")
    with page.expect_request(lambda request: request.url.endswith("/indicators/3.1.d/chart.svg")):
        measure.get_by_text("연도별 값과 그래프").click()
    chart = measure.get_by_role("img")
    assert chart.evaluate("image => image.decode().then(() => image.naturalWidth)") > 0
    page.wait_for_load_state("networkidle")
    assert [url.rsplit("/", 2)[-2] for url in charts] == ["3.1.d"]
