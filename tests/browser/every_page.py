"""Every page a person reaches, in Korean and in English, with the Korean demo's data, in a real browser at
320, 390 and 1366 px: no page is wider than the screen, and axe (every impact level, WCAG 2.2 A/AA plus the
AAA contrast rule) finds nothing at 320 and 1366 px. A full-page screenshot of every page at 320 and 1366 px
is kept under test-artifacts/pages/ (CI keeps that folder as an artifact).

The page list is tests/foundation/test_every_page.py's crawl (as a visitor, a citizen and an admin, who holds
every role), one page of each kind per person; the demo gets one proposal photo 640 px wide (issue #25: a
photo pushed the page sideways on a phone). One chromium, one tab per person and language: a page is loaded
once and measured at each width by resizing the tab. About 183 pages per language, 92 kinds audited; the run
took 24 minutes on two shared, loaded cores (setup 5: the demo and three crawls; axe is most of the rest).

The Korean pages are test_every_page_ko.py, the English ones test_every_page_en.py: two files, each with a demo of its
own, so that `make test`'s two workers share the audit (a file never splits between them)."""

import os
import re
import time
from io import BytesIO
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from sqlalchemy import select

from participation import demo
from participation.extensions import db
from tests.browser.conftest import ROOT, LiveData
from tests.foundation.test_every_page import crawl, shape

# The pages look the same from either database (tests/foundation/test_every_page.py renders them on both legs):
# the browser audit, the longest test of the suite, runs on the embedded leg only.
MARKS = [pytest.mark.browser, pytest.mark.slow, pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="the browser audit of every page runs on the embedded leg (the pages are the same on PostgreSQL)")]

WIDTHS = (320, 390, 1366)
AXE_WIDTHS = (320, 1366)
PEOPLE = ("visitor", "citizen@example.com", "admin@example.com")
ARTIFACTS = ROOT / "test-artifacts" / "pages"
# axe's rules tagged with these: WCAG 2.0-2.2 A and AA, best practices, and AAA colour contrast (7:1).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice", "wcag2aaa"]
# AAA rules other than contrast are not required here (a link's purpose from its text alone, refresh).
AXE_OPTIONS = {"resultTypes": ["violations"], "runOnly": {"type": "tag", "values": AXE_TAGS},
               "rules": {rule: {"enabled": False} for rule in ("identical-links-same-purpose",
                                                               "meta-refresh-no-exceptions")}}

# The widest elements that are not inside a box of their own that scrolls or clips (those cannot widen the page).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const scroll = document.documentElement.scrollWidth;
  if (scroll <= width) return null;
  const clipped = (element) => {
    for (let node = element.parentElement; node && node !== document.body; node = node.parentElement) {
      if (getComputedStyle(node).overflowX !== 'visible') return true;
    }
    return false;
  };
  const wide = [];
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    if (box.right > width + 1 && box.width > 0 && !clipped(element)) {
      wide.push(element.tagName.toLowerCase() + (element.className && typeof element.className === 'string'
        ? '.' + element.className.trim().split(/\\s+/).join('.') : '') + ' ' + Math.round(box.right) + 'px');
    }
  }
  return `${scroll}px wide: ${wide.slice(-4).join(', ')}`;
}"""


def add_wide_photo() -> None:
    """A 640 × 480 photo on the first proposal (the demo has none)."""
    from participation.proposals import images
    from participation.proposals.models import Proposal

    picture = BytesIO()
    Image.new("RGB", (640, 480), (40, 110, 170)).save(picture, "PNG")
    proposal = db.session.scalars(select(Proposal).order_by(Proposal.id)).first()
    images.attach_images(proposal, images.check_uploads([picture.getvalue()]))


def kind(path: str) -> str:
    """The foundation crawl's page shape, with every path segment holding a digit taken as an id too (the 40
    indicator pages /indicators/1.1.a … are one kind of page)."""
    return re.sub(r"/[^/?]*\d[^/?]*", "/#", shape(path))


def pages_of_each_kind(app, who: str, user_agent: str) -> tuple[list[str], str | None]:
    """The crawl's pages, one of each kind, and the signed-in session's cookie (the browser takes it over:
    logging in through the page waits on argon2 and the database lock, which a loaded machine makes slow).
    Flask-Login's strong session protection ties a session to the user agent it was made for: the crawl says
    it is the browser."""
    with app.test_client() as client:
        client.environ_base["HTTP_USER_AGENT"] = user_agent
        if who != "visitor":
            from tests.conftest import csrf_token
            client.post("/login", data={"email": who, "password": demo.DEMO_PASSWORD,
                                        "csrf_token": csrf_token(client, "/login")})
        failures, pages = crawl(client, "ko")
        cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"], domain="localhost")
    # The crawl's requests ran in the test's own app context (the redis fixture's), so in one session: end it,
    # or the transaction the login began holds SQLite's write lock while the server answers the browser, and
    # until the tables are emptied after the test ("database is locked").
    db.session.remove()
    assert failures == {}
    kinds, chosen = set(), []
    for path in pages:
        if kind(path) not in kinds:
            kinds.add(kind(path))
            chosen.append(path)
    return chosen, cookie.value if cookie and who != "visitor" else None


def demo_site(app, browser, run_jobs) -> dict:
    """The demo (and the wide photo), committed for the live server; each person's pages and session cookie."""
    with LiveData(app):
        demo.seed()
        add_wide_photo()
        db.session.commit()
    run_jobs()
    context = browser.new_context()
    user_agent = context.new_page().evaluate("navigator.userAgent")
    context.close()
    return {who: pages_of_each_kind(app, who, user_agent) for who in PEOPLE}


def describe(violation: dict) -> str:
    targets = [" ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
               for node in violation["nodes"][:3]]
    return f"{violation['impact']} {violation['id']}: {violation['help']} at {targets}"


def file_name(who: str, path: str) -> str:
    """visitor-petitions-12, admin-indicators-review-year (no spaces: the label's first word)."""
    parts = urlsplit(path)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", parts.path + ("-" + parts.query if parts.query else "")).strip("-")
    return f"{who.split('@')[0]}-{slug or 'home'}"


def measure(page, axe, folder, label: str, audit: bool) -> list[str]:
    """The loaded page at each width: overflow always; with `audit`, a screenshot and axe at AXE_WIDTHS.
    Problems are printed as they are found (seen at once with -s: the whole run takes minutes)."""
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        wide = page.evaluate(OVERFLOW)
        if wide:
            problems.append(f"{label} at {width}px: {wide}")
        if audit and width in AXE_WIDTHS:
            page.screenshot(path=str(folder / f"{label.split()[0]}-{width}.png"), full_page=True)
            results = axe.run(page, options=AXE_OPTIONS)
            problems += [f"{label} at {width}px: {describe(v)}" for v in results.response["violations"]]
    for problem in problems:
        print(problem, flush=True)
    return problems


def audit_every_page(app, browser, open_page, live_server, run_jobs, locale: str) -> None:
    """Overflow: every person's pages at every width. axe and the screenshots: each kind of page once (the first
    person who reaches it), at 320 and 1366 px."""
    site = demo_site(app, browser, run_jobs)
    axe = Axe()
    problems, pages, audits = [], 0, 0
    folder = ARTIFACTS / locale
    folder.mkdir(parents=True, exist_ok=True)
    audited = set()
    for who, (paths, session) in site.items():
        page = open_page(locale="ko-KR" if locale == "ko" else "en-US", viewport={"width": WIDTHS[0], "height": 800})
        cookies = [{"name": "lang", "value": locale, "url": live_server}]
        if session:
            cookies.append({"name": app.config["SESSION_COOKIE_NAME"], "value": session, "url": live_server})
        page.context.add_cookies(cookies)
        started = time.monotonic()
        for path in paths:
            label = f"{file_name(who, path)} ({locale} {who} {path})"
            page.set_viewport_size({"width": WIDTHS[0], "height": 800})
            response = page.goto(path)
            # The crawl reached the page without a redirect: a redirect here (to the login page) would be
            # a session the browser did not take over, and the signed-in pages left unchecked.
            if response.status != 200 or response.request.redirected_from is not None:
                problems.append(f"{label}: {response.status} at {response.url}")
                print(problems[-1], flush=True)
                continue
            audit = kind(path) not in audited
            audited.add(kind(path))
            problems += measure(page, axe, folder, label, audit)
            pages, audits = pages + 1, audits + audit
        page.context.close()
        print(f"{locale} {who}: {len(paths)} pages in {time.monotonic() - started:.0f} s", flush=True)
    print(f"{pages} pages × {len(WIDTHS)} widths checked for overflow; axe on {audits} × {len(AXE_WIDTHS)}")
    assert problems == [], "\n".join(problems)
