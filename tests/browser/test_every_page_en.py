"""Every page a person reaches, in English, in a real browser: tests/browser/every_page.py (the Korean
pages are test_every_page_ko.py, so that the two test workers share the audit)."""

from tests.browser import every_page

pytestmark = every_page.MARKS


def test_every_english_page_fits_a_phone_and_axe_finds_nothing(app, browser, open_page, live_server, run_jobs):
    every_page.audit_every_page(app, browser, open_page, live_server, run_jobs, "en")
