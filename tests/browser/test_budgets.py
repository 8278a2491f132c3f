"""Participatory budgeting in a real browser: a citizen on a phone ticks projects and watches the running total
against the budget (over the budget the vote button is off and an alert says so), confirms and votes; the
budgeting pages with data in them pass axe in Korean and English, the results chart included."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import func, select

from participation.budgets import services
from participation.budgets.models import BudgetParticipation, BudgetSealedBallot
from participation.budgets.services import write_allocation
from participation.extensions import db
from tests import factories
from tests.browser.conftest import PHONE, log_in
from tests.browser.test_accessibility import BLOCKING, describe

pytestmark = pytest.mark.browser
COSTS = (("망원동 골목길 LED 보안등", 80_000_000), ("어린이공원 그늘막과 바닥분수", 200_000_000),
         ("상암동 반려견 놀이터", 250_000_000), ("경의선숲길 분리수거함", 30_000_000))


def make_process(live_data, **fields) -> tuple[int, list[int]]:
    process = factories.BudgetProcessFactory(title="2026 마포구 주민참여예산", budget=500_000_000, **fields)
    for title, cost in COSTS:
        factories.BudgetProjectFactory(process=process, title=title, cost=cost)
    ids = process.id, [project.id for project in process.projects]
    live_data.commit()
    return ids


def test_citizen_picks_projects_under_the_budget_on_a_phone(open_page, live_data):
    budget_id, _ids = make_process(live_data)
    citizen = live_data.user(district="마포구", display_name="김시민")
    page = open_page(viewport=PHONE)
    log_in(page, citizen.email)
    page.goto(f"/budgets/{budget_id}")
    total = page.locator("#ballot-total")
    assert total.is_visible()
    vote = page.get_by_role("button", name="다음: 선택 확인")
    assert vote.is_disabled()  # nothing chosen yet
    page.get_by_label(re.compile("망원동 골목길 LED 보안등")).check()
    page.get_by_label(re.compile("어린이공원 그늘막과 바닥분수")).check()
    assert total.locator("[data-total-cost]").inner_text() == "2억 8,000만원"
    assert total.locator("[data-total-left]").inner_text() == "2억 2,000만원"
    # The dog park (2억 5,000만원) no longer fits: ticking it puts the ballot over the budget.
    page.get_by_label(re.compile("상암동 반려견 놀이터")).check()
    assert total.get_by_role("alert").is_visible() and "예산을 넘었습니다" in total.inner_text()
    assert vote.is_disabled()
    page.get_by_label(re.compile("상암동 반려견 놀이터")).uncheck()
    page.get_by_label(re.compile("경의선숲길 분리수거함")).check()
    assert total.locator("[data-total-cost]").inner_text() == "3억 1,000만원"
    assert not total.get_by_role("alert").is_visible() and vote.is_enabled()
    # The total stays on screen while the list scrolls (sticky), within the phone's width.
    box = total.bounding_box()
    assert box["width"] <= PHONE["width"]
    with page.expect_navigation():
        vote.click()
    assert "3억 1,000만원" in page.locator("main").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="투표하기").click()
    receipt = page.locator(".receipt-code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{4}){4}", receipt)
    counts = live_data.read(lambda: (db.session.scalar(select(func.count()).select_from(BudgetParticipation)),
                                     db.session.scalar(select(func.count()).select_from(BudgetSealedBallot))))
    assert counts == (1, 1)


def test_without_javascript_the_server_keeps_the_ballot_under_the_budget(open_page, live_data):
    budget_id, _ids = make_process(live_data)
    citizen = live_data.user(district="마포구")
    page = open_page(viewport=PHONE, java_script_enabled=False)
    log_in(page, citizen.email)
    page.goto(f"/budgets/{budget_id}")
    assert not page.locator("#ballot-total").is_visible()  # the running total needs JavaScript
    for title, _cost in COSTS[:3]:
        page.get_by_label(re.compile(title)).check()
    with page.expect_navigation():
        page.get_by_role("button", name="다음: 선택 확인").click()
    assert "고른 사업의 합계 530,000,000원이 예산 500,000,000원을 30,000,000원 넘습니다" in page.locator(
        "main").inner_text()
    assert page.get_by_label(re.compile(COSTS[2][0])).is_checked()  # the choices are kept to take some out


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_budget_pages_with_data_have_no_serious_accessibility_violations(open_page, live_server, live_data, locale):
    voting_id, project_ids = make_process(live_data)
    tallied_id, _ = make_process(live_data, rule="equal_shares")
    officer = live_data.user(roles=["staff"])

    def tally():
        process = db.session.get(factories.BudgetProcessFactory._meta.model, tallied_id)
        for number in range(12):
            voter = factories.UserFactory()
            chosen = ([0], [0, 1], [0, 3], [2, 3])[number % 4]  # each within the 5억원 budget
            services.cast_ballot(process, voter, [process.projects[index].id for index in chosen])
        services.transition(process, "closed", db.session.get(type(voter), officer.id), "시험 마감")
        write_allocation(tallied_id)
        db.session.commit()

    live_data.read(tally)
    page = open_page(locale="ko-KR" if locale == "ko" else "en-US")
    page.context.add_cookies([{"name": "lang", "value": locale, "url": live_server}])
    if locale == "ko":  # the staff pages too (the login page's labels are Korean)
        log_in(page, officer.email)
    axe = Axe()
    problems = []
    paths = [f"/budgets/{voting_id}", f"/budgets/{voting_id}/projects/{project_ids[0]}", "/budgets",
             f"/budgets/{tallied_id}/results", f"/budgets/{tallied_id}/receipts", f"/budgets/{tallied_id}"]
    if locale == "ko":
        paths += ["/budgets/manage", f"/budgets/{voting_id}/manage", f"/budgets/{tallied_id}/manage",
                  "/budgets/new"]
    for path in paths:
        response = page.goto(path)
        assert response.status == 200, f"{path}: {response.status}"
        results = axe.run(page)
        problems += [f"{path}: {describe(v)}" for v in results.response["violations"] if v["impact"] in BLOCKING]
    assert problems == []
