"""Proposals in a real browser: a citizen proposes and supports with the keyboard only, and axe finds no
serious problem on the pages moderators and staff work on."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import func, select

from participation.extensions import db
from participation.proposals.models import Comment, Proposal, ProposalImage, Support
from tests import factories
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def serious(page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [f"{page.url} {v['id']}: {v['help']}" for v in violations if v["impact"] in {"serious", "critical"}]


def test_a_citizen_proposes_and_supports_with_the_keyboard(open_page, live_data):
    author = live_data.user(display_name="박제안")
    proposal_id = factories.open_proposal(title="공원 무료 와이파이").id
    live_data.commit()
    page = open_page()
    log_in(page, author.email)
    page.goto("/proposals/new")
    page.get_by_label("제목").fill("동네 도서관 무인 반납함")
    page.get_by_label("제안 내용").fill("지하철역에 도서관 무인 반납함을 놓아 주세요.")
    page.get_by_label("분야").select_option("culture")
    page.get_by_role("button", name="제안하기").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "제안을 접수했습니다" in page.locator(".flashes").inner_text()
    assert page.locator("h1").inner_text() == "동네 도서관 무인 반납함"

    page.goto(f"/proposals/{proposal_id}")
    page.get_by_role("button", name="공감하기").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("button", name="공감 취소").is_visible()
    assert live_data.read(lambda: count(Support)) == 1
    assert live_data.read(lambda: count(Proposal)) == 2


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_detail_moderation_and_staff_pages_pass_axe(open_page, live_data, locale):
    admin = factories.admin(display_name="최관리")
    email = admin.email
    # Past 100 supports with a forum that reached the mayor's threshold, and a photo: the forum progress,
    # the mayor's answer form, the waiting list and the photo removal form all render.
    forum = factories.ForumFactory(title="공론장", participant_count=4, count_as_of=factories.utcnow())
    proposal = factories.open_proposal(state="under_review", answer_due_at=factories.utcnow(),
                                       discussion_forum_id=forum.id, mayor_threshold=4,
                                       mayor_answer_requested_at=factories.utcnow())
    db.session.add(ProposalImage(proposal_id=proposal.id, stored_name="axe.png", content_type="image/png", width=1,
                                 height=1, size=1))
    db.session.add(Comment(proposal_id=proposal.id, author_id=admin.id, body="**좋은** 제안입니다"))
    reviewed_id, pending_id = proposal.id, factories.ProposalFactory(title="검토 대기 중인 제안").id
    live_data.commit()
    page = open_page(locale="ko-KR" if locale == "ko" else "en-US")
    log_in(page, email)
    page.context.add_cookies([{"name": "lang", "value": locale, "url": page.url}])
    problems = []
    for path in (f"/proposals/{reviewed_id}", f"/proposals/{pending_id}", "/proposals/new", "/proposals/moderation",
                 "/proposals/staff", "/proposals/staff/import", "/proposals/staff/youth"):
        response = page.goto(path)
        assert response.status == 200, path
        problems += serious(page)
    assert problems == []
    page.goto(f"/proposals/{reviewed_id}")
    assert page.locator("#mayor-progress").count() == 1
    assert page.locator("textarea[name=mayor_answer]").count() == 1
    assert page.locator("textarea[name=reason][id^=remove-image-]").count() == 1
