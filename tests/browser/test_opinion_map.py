"""The forum's opinion map in a real browser, on a phone: axe finds nothing serious on the page with a map, its
table and its text alternative, in Korean and in English; the table sorts from the keyboard without script;
the Pol.is-format ZIP downloads."""

import io
import zipfile

import pytest
from axe_playwright_python.sync_playwright import Axe

from participation.forums import counts
from tests import factories
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

CAMPS = (("요금을 올려도 된다", 1), ("정기권은 그대로 둔다", 1), ("요금 인상보다 효율화가 먼저다", -1),
         ("광고로 적자를 메우자", -1), ("고장 난 자전거를 빨리 고치자", 0), ("대여소를 늘리자", 0),
         ("심야 요금을 따로 정하자", 1), ("환승 할인을 적용하자", -1))


def forum_with_a_map(live_data) -> int:
    forum = factories.ForumFactory(title="따릉이 요금, 어떻게 조정할까요?")
    statements = [factories.ForumStatementFactory(forum_id=forum.id, text=text) for text, _ in CAMPS]
    for camp in (1, -1):
        for person in range(8):
            user = factories.UserFactory()
            for index, (statement, (_, leaning)) in enumerate(zip(statements, CAMPS, strict=True)):
                value = "agree" if leaning in (0, camp) else ("pass" if (person + index) % 5 == 0 else "disagree")
                factories.ForumReactionFactory(statement_id=statement.id, user_id=user.id, value=value)
    forum_id = forum.id
    counts.refresh_forum(forum_id)
    live_data.commit()
    return forum_id


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_the_map_page_has_no_serious_accessibility_violation_on_a_phone(open_page, live_data, live_server, locale):
    forum_id = forum_with_a_map(live_data)
    page = open_page(locale="ko-KR" if locale == "ko" else "en-US", viewport=PHONE)
    page.context.add_cookies([{"name": "lang", "value": locale, "url": live_server}])
    page.goto(f"/forums/{forum_id}")
    assert page.locator("#opinions svg[role=img]").count() == 1
    assert page.locator("#opinion-table table tbody tr").count() == len(CAMPS)
    results = Axe().run(page)
    serious = [f"{v['impact']} {v['id']}: {v['help']}" for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == []


def test_the_table_sorts_from_the_keyboard_and_the_export_downloads(open_page, live_data):
    forum_id = forum_with_a_map(live_data)
    page = open_page(viewport=PHONE, java_script_enabled=False)
    page.goto(f"/forums/{forum_id}")
    first_column = page.locator("#opinion-table tbody th[scope=row]")
    assert first_column.all_inner_texts() == [text for text, _ in CAMPS]
    header = page.locator("#opinion-table thead a", has_text="그룹 2")
    header.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # Group 2 (as large as group 1, its members came later) is the camp that agrees with the statements leaning
    # −1 and the shared ones: those first, in the statements' order.
    assert first_column.all_inner_texts()[:5] == [text for text, leaning in CAMPS if leaning <= 0]
    assert page.locator("#opinion-table thead th[aria-sort=descending]").inner_text().startswith("그룹 2")
    with page.expect_download() as download:
        page.locator("#open-data ~ ul a", has_text="polis-export.zip").click()
    with zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes())) as archive:
        assert len(archive.namelist()) == 4
