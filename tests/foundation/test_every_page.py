"""Every page a person can reach, in Korean and in English, with the Korean demo's data in it: no 5xx, and no
internal code where a person reads words.

The catalogue check (test_i18n) proves each message has its English; only rendering proves the English
still formats (Jinja's gettext applies `%` to every message, so a stray "100%." in a translation is a 500
on a page that no other test renders in English). The crawl starts from the home page and the consoles
and follows every same-site link (GET only), as a visitor, a citizen and an admin (who holds every role)."""

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from participation import demo
from participation.accounts.models import User
from participation.i18n import ROOT, parts
from tests.conftest import login

START = ("/", "/petitions", "/proposals", "/polls", "/forums", "/surveys", "/indicators", "/moderation",
         "/staff", "/admin/settings", "/account")
# Links that end the session or change language are not pages to check; a list's further pages and sort
# orders are the same page with other rows (one of each is kept: see `shape`).
SKIP_PREFIXES = ("/logout", "/lang/", "/static/", "/dev/")
MAX_PAGES = 400


# Codes that are data, not words: an official poll tag, an age band's key. Shown to people they must be labels
# ("올해의 10대 뉴스", "20대"); only code samples and file-format hints may spell them.
INTERNAL_CODES = re.compile(r"\btop10_(news|policy)\b|마크다운"
                            r"|(?<![\d.:-])(14-19|20-29|30-39|40-49|50-59|60-69)(?![\d:-])")
QUIET = {"code", "pre", "script", "style", "textarea", "option"}


class Links(HTMLParser):
    """The page's links, and its visible text outside code, form hints and option values."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self.text: list[str] = []
        self.quiet: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.found.append(attributes["href"])
        if tag in QUIET or "hint" in (attributes.get("class") or "").split():
            self.quiet.append(tag)

    def handle_endtag(self, tag):
        if self.quiet and self.quiet[-1] == tag:
            self.quiet.pop()

    def handle_data(self, data):
        if not self.quiet:
            self.text.append(data)


def shape(path: str) -> str:
    """Pages that differ only in an id or a query value are one kind of page: each kind is rendered a few
    times, not once per row (the demo has hundreds of petitions)."""
    parts_ = urlsplit(path)
    segments = ["#" if segment.isdigit() else segment for segment in parts_.path.split("/")]
    keys = sorted(key.split("=")[0] for key in parts_.query.split("&") if key)
    return "/".join(segments) + "?" + "&".join(keys)


def crawl(client, locale: str) -> tuple[dict[str, object], list[str]]:
    """(failures by path, the HTML pages that answered 200 in the order they were reached)."""
    client.set_cookie("lang", locale, domain="localhost")
    seen, kinds, failures, pages = set(), {}, {}, []
    queue = deque(START)
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen or kinds.get(shape(path), 0) >= 3:
            continue
        seen.add(path)
        kinds[shape(path)] = kinds.get(shape(path), 0) + 1
        try:  # the test app propagates a view's exception instead of answering 500
            response = client.get(path)
            body = response.get_data()  # a streamed export runs (and fails) while it is read; XLSX is binary
            response.close()
        except Exception as error:
            failures[path] = repr(error)
            continue
        if response.status_code >= 500:
            failures[path] = response.status_code
            continue
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        pages.append(path)
        if b'<meta property="og:title" content="' not in body:  # what a shared link shows (issue #25)
            failures[path] = "no OpenGraph tags"
        parser = Links()
        parser.feed(body.decode())
        shown = INTERNAL_CODES.search(" ".join(parser.text))
        if shown:
            failures[path] = f"shows the internal code {shown.group(0)!r}"
        for href in parser.found:
            url, _fragment = urldefrag(urljoin(path, href))
            parsed = urlsplit(url)
            if parsed.netloc not in ("", "localhost") or parsed.scheme not in ("", "http", "https"):
                continue
            local = parsed.path + (f"?{parsed.query}" if parsed.query else "")
            if not local.startswith(SKIP_PREFIXES) and local not in seen:
                queue.append(local)
    return failures, pages


@pytest.fixture
def demo_site(db_session, run_jobs):
    demo.seed()
    db_session.commit()
    run_jobs()


@pytest.mark.slow
def test_every_reachable_page_renders_in_both_locales(app, demo_site, db_session):
    """One demo for the three readers: seeding it is most of the test's time."""
    for who in ("visitor", "citizen@example.com", "admin@example.com"):
        with app.test_client() as client:
            if who != "visitor":
                login(client, db_session.scalars(select(User).where(User.email == who)).one(), demo.DEMO_PASSWORD)
            for locale in ("ko", "en"):
                failures, pages = crawl(client, locale)
                assert failures == {}, f"{who} in {locale}: {failures}"
                assert len(pages) > 40, f"{who} in {locale} reached only {len(pages)} pages"


def test_translations_format_as_their_source_does():
    """Jinja formats every translated message with `%`: a translation that fails where its Korean source
    formats (a bare `%`, a placeholder the source does not have) breaks the page in English only."""

    class Anything(dict):
        def __missing__(self, key):
            return 1

    problems = []
    for part in parts():
        with (ROOT / "translations" / part / "en" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            for message in read_po(handle):
                if not message.id or not message.string:
                    continue
                pairs = zip(message.id, message.string, strict=False) if message.pluralizable else [
                    (message.id, message.string)]
                for source, translation in pairs:
                    try:
                        source % Anything()
                    except (ValueError, TypeError, KeyError):
                        continue
                    try:
                        translation % Anything()
                    except (ValueError, TypeError, KeyError) as error:
                        problems.append(f"{part}: {translation!r}: {error}")
    assert problems == []


def test_promises_on_the_pages_are_the_settings_in_force(client, db_session):
    """The home page and the proposal list quote the thresholds in force, not numbers written into templates."""
    from participation.core.settings import set_setting
    from tests.factories import admin

    who = admin()
    for name, value in (("PETITION_ANSWER_THRESHOLD", 2500), ("PETITION_SIGNATURE_DAYS", 45),
                        ("PROPOSAL_REVIEW_THRESHOLD", 70), ("PROPOSAL_DISCUSSION_THRESHOLD", 140),
                        ("PROPOSAL_SUPPORT_DAYS", 20)):
        set_setting(name, value, who)
    db_session.commit()
    home = client.get("/").get_data(as_text=True)
    assert "45일 동안 2,500명이 서명하면" in home and "70명이 공감하면" in home and "140명이면 공론장" in home
    assert "1,000명" not in home
    proposals = client.get("/proposals").get_data(as_text=True)
    assert "20일 동안 70명이 공감하면" in proposals and "140명이 공감하면 공론장" in proposals
