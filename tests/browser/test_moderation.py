"""The moderation workspace in a real browser (issue 25, item 4): every queue page with data in it, in Korean
and in English, at 320 and 1366 px — nothing wider than the screen, and axe finds nothing at any impact level
(test_every_page.py's rules: WCAG 2.2 A/AA, best practices, AAA contrast); screenshots under
test-artifacts/pages/. The shortcuts press the same forms;
without JavaScript a reject is not sent until its box is ticked."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from participation.core.reports import file_report
from participation.extensions import db
from participation.forums.models import Statement
from participation.petitions.models import Petition
from tests import factories
from tests.browser.conftest import log_in
from tests.browser.every_page import ARTIFACTS, AXE_OPTIONS, OVERFLOW, describe, file_name

pytestmark = pytest.mark.browser

QUEUES = ("/moderation/", "/petitions/moderation", "/proposals/moderation", "/polls/moderation", "/forums/review")


def fill_every_queue(live_data) -> str:
    """One item waiting in each queue and one reported item in each channel; the moderator's e-mail."""
    from participation.proposals.models import Comment as ProposalComment

    author = factories.UserFactory()
    factories.PetitionFactory(title="심야버스 노선을 늘려 주세요")
    reported = factories.open_petition(title="광고가 섞인 청원")
    file_report(factories.UserFactory(), "petition", reported.id, "", "advertising", author_id=reported.author_id)
    file_report(factories.UserFactory(), "petition", reported.id, "같은 업체 홍보가 세 번째입니다",
                author_id=reported.author_id)
    factories.ProposalFactory(title="한강 공원에 그늘막을")
    comment = ProposalComment(proposal_id=factories.open_proposal().id, author_id=author.id, body="광고 댓글입니다")
    db.session.add(comment)
    db.session.flush()
    file_report(factories.UserFactory(), "proposal_comment", comment.id, "", "advertising", author_id=comment.author_id)
    factories.PollFactory(title="올해의 10대 뉴스", state="pending", by_staff=False, author_id=author.id, sealed=False)
    forum = factories.ForumFactory(title="따릉이 요금")
    factories.ForumStatementFactory(text="주말에는 무료로 하자", state="pending", forum_id=forum.id)
    forum_comment = factories.ForumCommentFactory(forum_id=forum.id, body="문제가 된 댓글")
    file_report(factories.UserFactory(), "forum_comment", forum_comment.id, "반말이 심합니다", "abusive",
                author_id=forum_comment.author_id)
    email = factories.moderator(display_name="검토자").email
    live_data.commit()
    return email


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_every_queue_fits_a_phone_and_axe_finds_nothing(open_page, live_data, live_server, locale):
    email = fill_every_queue(live_data)
    page = open_page(locale="ko-KR" if locale == "ko" else "en-US")
    log_in(page, email)
    page.context.add_cookies([{"name": "lang", "value": locale, "url": live_server}])
    axe, problems = Axe(), []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for path in QUEUES:
        response = page.goto(path)
        assert response.status == 200, path
        assert page.locator("[data-queue-item]").count() >= 1, path  # a queue with data in it
        for width in (320, 1366):
            page.set_viewport_size({"width": width, "height": 800})
            page.screenshot(path=str(ARTIFACTS / f"{file_name('moderator', path)}-{locale}-{width}.png"),
                            full_page=True)
            wide = page.evaluate(OVERFLOW)
            if wide:
                problems.append(f"{path} at {width}px: {wide}")
            problems += [f"{path} at {width}px: {describe(v)}"
                         for v in axe.run(page, options=AXE_OPTIONS).response["violations"]]
    assert problems == []


def test_shortcuts_press_the_forms_and_a_reject_waits_for_its_box(open_page, live_data):
    email = fill_every_queue(live_data)
    page = open_page()
    log_in(page, email)
    page.goto("/forums/review")
    assert page.locator(".js-only").is_visible()
    # The statement waits longest: j focuses it, p publishes it.
    page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("p")
    assert "1건을 처리했습니다: 공개" in page.locator(".flashes").inner_text()
    assert live_data.read(lambda: db.session.scalar(
        select(Statement.state).where(Statement.text == "주말에는 무료로 하자"))) == "approved"

    plain = open_page(java_script_enabled=False)
    log_in(plain, email)
    plain.goto("/petitions/moderation")
    petition_id = live_data.read(lambda: db.session.scalar(
        select(Petition.id).where(Petition.title == "심야버스 노선을 늘려 주세요")))
    card = plain.locator(f"#case-petition-{petition_id}")
    assert not plain.locator(".js-only").is_visible()
    card.get_by_label("사유 분류").select_option("not_city")
    card.get_by_role("button", name=re.compile(r"^반려\s*:\s*심야버스")).click()  # the box is not ticked
    assert plain.url.endswith("/petitions/moderation")
    assert live_data.read(lambda: db.session.get(Petition, petition_id).state) == "pending"
    card.locator("input[name=confirmed]").check()
    with plain.expect_navigation():
        card.get_by_role("button", name=re.compile(r"^반려\s*:\s*심야버스")).click()
    assert live_data.read(lambda: db.session.get(Petition, petition_id).state) == "rejected"
