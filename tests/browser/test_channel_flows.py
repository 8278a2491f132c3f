"""The channels in a real browser: a citizen files a petition and a moderator publishes it (and rejects
another), a second citizen signs it; a citizen votes on a phone; a citizen answers a survey; staff open
a poll and read the staff console. Each story checks the database afterwards."""

import re

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.petitions.models import Petition, Signature
from participation.polls.models import Ballot, Poll, SealedBallot
from participation.surveys.models import Response as SurveyResponse
from tests import factories
from tests.browser.conftest import PHONE, log_in

pytestmark = pytest.mark.browser


def count(live_data, model, *where) -> int:
    return live_data.read(lambda: db.session.scalar(select(func.count()).select_from(model).where(*where)))


def click_and_wait(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def test_petition_filed_published_rejected_and_signed(open_page, live_data):
    author = live_data.user(display_name="청원인")
    moderator = live_data.user(roles=["moderator"], display_name="검토자")
    signer = live_data.user(display_name="서명인")
    author_email, moderator_email, signer_email = author.email, moderator.email, signer.email

    page = open_page()
    log_in(page, author_email)
    for title in ("심야버스 노선을 늘려 주세요", "광고 글입니다"):
        page.goto("/petitions/new")
        main = page.locator("main")
        main.get_by_label("제목", exact=True).fill(title)
        main.get_by_label("분야").select_option("transport")
        main.get_by_label("내용").fill("밤 늦게 퇴근하는 시민을 위해 **심야버스** 노선을 늘려 주세요.")
        click_and_wait(page, main.get_by_role("button", name="검토 요청"))
        assert "/petitions/" in page.url and page.locator("h1").inner_text() == title

    rejected_id = live_data.read(
        lambda: db.session.scalar(select(Petition.id).where(Petition.title == "광고 글입니다")))
    moderation = open_page()
    log_in(moderation, moderator_email)
    moderation.goto("/petitions/moderation")
    click_and_wait(moderation, moderation.get_by_role("button", name=re.compile(r"^공개\s*:\s*심야버스")))
    moderation.goto("/petitions/moderation")
    card = moderation.locator("#case-petition-" + str(rejected_id))
    card.get_by_label("사유 분류").select_option("advertising")
    card.get_by_label("작성자에게 전할 설명").fill("광고성 글은 청원으로 받지 않습니다.")
    card.locator("input[name=confirmed]").check()
    click_and_wait(moderation, card.get_by_role("button", name=re.compile(r"^반려\s*:")))

    states = live_data.read(lambda: dict(db.session.execute(select(Petition.title, Petition.state)).all()))
    assert states == {"심야버스 노선을 늘려 주세요": "open", "광고 글입니다": "rejected"}
    petition_id = live_data.read(lambda: db.session.scalar(select(Petition.id).where(Petition.state == "open")))

    citizen = open_page()
    log_in(citizen, signer_email)
    citizen.goto(f"/petitions/{petition_id}")
    click_and_wait(citizen, citizen.get_by_role("button", name="이 청원에 서명하기"))
    assert "서명했습니다" in citizen.locator(".flashes").inner_text()
    assert count(live_data, Signature, Signature.petition_id == petition_id) == 1
    # Withdrawing is a second step: the disclosure opens on what happens, then the button withdraws.
    withdraw = citizen.get_by_role("button", name="서명을 철회합니다")
    assert not withdraw.is_visible()
    citizen.locator("summary", has_text="서명 철회").click()
    click_and_wait(citizen, withdraw)
    assert count(live_data, Signature, Signature.petition_id == petition_id) == 0


def test_citizen_votes_on_a_phone(open_page, live_data):
    voter = live_data.user()
    poll_id = factories.PollFactory(title="한강 공원 야간 개장 확대").id
    live_data.commit()
    voter_email = voter.email

    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    log_in(page, voter_email)
    page.goto(f"/polls/{poll_id}")
    page.get_by_label("찬성").check()
    click_and_wait(page, page.get_by_role("button", name="다음: 선택 확인"))
    click_and_wait(page, page.get_by_role("button", name="투표하기"))
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the receipt page scrolls sideways on a phone: {widths}"
    receipt = page.locator(".receipt-code").inner_text()
    assert len(receipt) == 24
    # Kept sealed until a batch is opened: nothing in the clear yet.
    assert count(live_data, SealedBallot, SealedBallot.box_id == poll_id) == 1
    assert count(live_data, Ballot, Ballot.poll_id == poll_id) == 0


def test_citizen_answers_a_survey(open_page, live_data):
    respondent = live_data.user()
    survey_id = factories.survey(questions=[
        {"type": "single", "text": "주로 타는 교통수단은?", "options": ["지하철", "버스"]},
        {"type": "text", "text": "하고 싶은 말", "required": False}]).id
    live_data.commit()
    email = respondent.email

    page = open_page()
    log_in(page, email)
    page.goto(f"/surveys/{survey_id}")
    click_and_wait(page, page.get_by_role("button", name="응답 시작하기"))
    page.get_by_label("지하철").check()
    page.get_by_label("하고 싶은 말").fill("배차 간격을 줄여 주세요.")
    click_and_wait(page, page.get_by_role("button", name="제출하기"))
    assert page.url.endswith(f"/surveys/{survey_id}/thanks")
    assert count(live_data, SurveyResponse, SurveyResponse.survey_id == survey_id,
                 SurveyResponse.submitted_at.is_not(None)) == 1


def test_staff_open_a_poll_and_read_the_console(open_page, live_data):
    staff = live_data.user(roles=["staff"], display_name="담당공무원")
    poll_id = factories.PollFactory(state="draft", opens_at=None, title="따릉이 요금 조정안").id
    live_data.commit()
    email = staff.email

    page = open_page()
    log_in(page, email)
    page.goto(f"/polls/{poll_id}/manage")
    click_and_wait(page, page.get_by_role("button", name="지금 열기"))
    assert live_data.read(lambda: db.session.get(Poll, poll_id).state) == "open"
    page.goto("/staff/")
    assert page.locator("h1").count() == 1 and page.locator("main").inner_text().strip()
    page.goto("/indicators")
    assert page.locator("h1").count() == 1
