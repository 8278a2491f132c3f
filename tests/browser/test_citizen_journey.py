"""A citizen in a real browser: signs up through the pages, verifies the e-mail from the development
outbox, logs out and in again, and switches the language to English and back."""

import re

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_citizen_signs_up_verifies_logs_in_and_switches_language(page, live_data):
    page.goto("/register")
    page.get_by_label("이메일").fill("kim.seoul@example.com")
    page.get_by_label("비밀번호 (10자 이상)").fill("서울시민-비밀번호-2026")
    page.get_by_label("이름(별명)").fill("김서울")
    page.get_by_label("사는 자치구").select_option("마포구")
    page.get_by_label("태어난 해").fill("1988")
    page.get_by_label("위와 같이 개인정보를 수집·이용하는 데 동의합니다. (필수)").check()
    with page.expect_navigation():
        page.get_by_role("button", name="동의하고 가입하기").click()
    # The same answer whether or not the address had an account: no one is logged in yet.
    assert page.url.endswith("/login")
    assert "가입 신청을 받았습니다" in page.locator(".flashes").inner_text()
    log_in(page, "kim.seoul@example.com", "서울시민-비밀번호-2026")
    # Until the address is verified the page says so and offers a new mail.
    assert page.get_by_role("button", name="인증 메일 다시 받기").is_visible()

    page.goto("/dev/outbox")
    mail = page.locator("article.mail").filter(has_text="kim.seoul@example.com").first
    link = mail.locator("a[href*='/verify/']").first
    with page.expect_navigation():
        link.click()
    assert page.url.endswith("/verify")  # the token left the address bar
    with page.expect_navigation():
        page.get_by_role("button", name="이메일 인증하기").click()
    assert "이메일이 인증되었습니다" in page.locator(".flashes").inner_text()
    assert page.get_by_role("button", name="인증 메일 다시 받기").count() == 0

    with page.expect_navigation():
        page.get_by_role("button", name="로그아웃").click()
    assert page.get_by_role("link", name="로그인").count() == 1

    log_in(page, "kim.seoul@example.com", "서울시민-비밀번호-2026")
    assert page.get_by_role("link", name="김서울").is_visible()

    page.get_by_role("link", name="English").click()
    page.wait_for_selector("html[lang=en]")
    assert page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Petitions").is_visible()
    page.get_by_role("link", name="한국어").click()
    page.wait_for_selector("html[lang=ko]")
    assert page.get_by_role("navigation", name="주요 메뉴").get_by_role("link", name="청원").is_visible()


def test_keyboard_reaches_the_skip_link_first_and_it_moves_focus_to_main(page, live_server):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.className, document.activeElement.textContent]")
    assert focused == ["skip-link", "본문으로 건너뛰기"]
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"#main$"))
    assert page.evaluate("() => document.activeElement.id") == "main"


def test_the_phone_header_is_one_row_with_a_menu_and_works_without_javascript(open_page):
    """Issue #25 (13): on a phone the header was three rows (about 150 px). Now the brand and a 메뉴 button;
    the button opens both menus; without JavaScript the menus are simply shown. (Every page's width at
    320/390/1366 px: every_page.py.)"""
    page = open_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.goto("/")
    header = page.locator("header.site-header").bounding_box()
    assert header["height"] < 70, header
    petitions = page.get_by_role("navigation", name="주요 메뉴").get_by_role("link", name="청원")
    assert not petitions.is_visible()
    menu = page.get_by_role("button", name="메뉴")
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true" and petitions.is_visible()
    assert page.get_by_role("link", name="로그인").is_visible()
    page.keyboard.press("Escape")
    assert not petitions.is_visible()

    plain = open_page(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    plain.goto("/")
    assert plain.get_by_role("navigation", name="주요 메뉴").get_by_role("link", name="청원").is_visible()
    assert plain.get_by_role("button", name="메뉴").count() == 0  # hidden: nothing to press without JavaScript
