"""The route table: every route of the app, with what each role gets.

A test walks `app.url_map`; a route (method + endpoint) without a line in ROUTES fails it, so a new
route cannot ship without someone deciding who may use it. Each line is then exercised with six
callers: anonymous, the citizen who owns the items in the URL, another citizen, a moderator, a staff
member and an admin. Web callers are logged in with a session and send a valid CSRF token on POST;
API callers send a bearer token. Each request runs in a savepoint that is rolled back, so one role's
action never changes what the next one sees.

Each role's outcome is one of three kinds:
  allowed           ok       2xx, or a redirect that flashes no error and is not "log in first": it worked
  refused by right  login    401, or a redirect to the login page that comes back (?next=)
                    no       403
                    hidden   404 (someone else's draft: its existence is not revealed)
  refused by rule   409:<code>, 422:<code> …  exactly that status with that error code (the API's error shape,
                    or the error page's): the item's state or rules refused a caller whose rights let them in
  <nnn>             exactly that status (a redirect to a given page; a form page shown again with its errors)
So that "allowed" means something, a line gives a valid body: a caller who may act does act.

To add a route: one line, `"METHOD blueprint.endpoint": r("anon citizen other moderator staff admin",
url_value=...)`. A URL value may be a function of the World (tests/security/conftest.py), which makes
the items — e.g. `petition_id=lambda w: w.petition("open").id`. `body=` gives form fields (web) or
the JSON body (API) of POST/PUT/PATCH/DELETE requests.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest

from participation.api import API_PREFIX
from tests.factories import PASSWORD
from tests.security.conftest import ROLES, World, bearer, form_token, path_for, web_client


@dataclass(frozen=True)
class Upload:
    """A file field of a web form: a one-pixel PNG unless told otherwise."""
    name: str
    content: bytes = field(default_factory=lambda: one_pixel_png())
    content_type: str = "image/png"


def one_pixel_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (1, 1), "white").save(out, "PNG")
    return out.getvalue()


@dataclass
class Expect:
    outcomes: list[str]
    values: dict = field(default_factory=dict)
    body: dict | None = None
    session: dict | None = None  # what a web caller's session holds before the request (a mailed link's token)
    before: Callable | None = None  # run before each caller: state outside the database, which is not rolled back


def r(outcomes: str, body: dict | None = None, session: dict | None = None, before: Callable | None = None,
      **values) -> Expect:
    expect = Expect(outcomes.split(), values, body, session, before)
    assert len(expect.outcomes) == len(ROLES), outcomes
    return expect


def petition(state: str = "open"):
    return lambda w: w.petition(state).id


def proposal(state: str = "open"):
    return lambda w: w.proposal(state).id


def forum(state: str = "open"):
    return lambda w: w.forum(state).id


def statement(state: str = "approved"):
    return lambda w: w.forum_statement(state).id


def survey(state: str = "open"):
    return lambda w: w.survey(state).id


def question(survey_state: str = "open"):
    return lambda w: w.survey(survey_state).questions[0].id


def section(survey_state: str = "open"):
    return lambda w: w.survey(survey_state).sections[0].id


def started_survey():
    """The open survey, a response started by every signed-in person of the World (as "시작하기" does), but for one
    another line has suspended (the malformed-forms walk builds every line in one World)."""
    def make(w):
        from participation.surveys import answering

        def start():
            for user in (w.citizen, w.other, w.moderator, w.staff, w.admin):
                if user.suspended_at is None:
                    answering.start_response(w.survey(), user)
            return w.survey()
        return w.item("started_survey", start).id
    return make


def charted_question():
    """The first question of the open survey, its results computed (as the counting job does)."""
    def make(w):
        from participation.surveys import queries

        survey = w.survey()
        survey.results = queries.compute_results(survey)
        return survey.questions[0].id
    return make


def first_answer(w, survey_state: str = "open") -> tuple[int, int]:
    """(question id, option id): the first answer to the survey's first (single choice) question."""
    question = w.survey(survey_state).questions[0]
    return question.id, question.options[0].id


def forum_attachment(state: str = "open"):
    """A PDF attached to the World's forum, with its file in the storage."""
    def make(w):
        from participation.core import storage
        from participation.extensions import db
        from participation.forums import attachments
        from participation.forums.models import ForumAttachment

        def attach():
            row = ForumAttachment(forum_id=w.forum(state).id, original_name="배경 자료.pdf",
                                  stored_name=f"route-{state}-{w.forum(state).id}.pdf",
                                  content_type="application/pdf", size=9, uploaded_by_id=w.staff.id)
            storage.save(f"{attachments.PART}/{row.stored_name}", b"%PDF-1.7\n", row.content_type)
            db.session.add(row)
            return row
        return w.item(("forum_attachment", state), attach).id
    return make


def proposal_image(state: str = "pending"):
    """A photo of the citizen's proposal (pending unless told), with its file in the storage."""
    def make(w):
        from participation.core import storage
        from participation.extensions import db
        from participation.proposals import images
        from participation.proposals.models import ProposalImage

        def attach():
            row = ProposalImage(proposal_id=w.proposal(state).id, stored_name=f"route-{state}-{w.citizen.id}.png",
                                content_type="image/png", width=1, height=1, size=1)
            db.session.add(row)
            db.session.flush()
            storage.save(images.image_key(row), b"\x89PNG", row.content_type)
            return row
        return w.item(("proposal_image", state), attach).id
    return make


def verification_token(w) -> str:
    from participation.accounts import services

    return services.verification_token(w.citizen)


def reset_token(w) -> str:
    """The token of the reset link mailed to the citizen (read from the outbox, before delivery drops the body)."""
    import re

    from sqlalchemy import select

    from participation.accounts import services
    from participation.core.mail import OutboxMail
    from participation.extensions import db

    def request():
        services.request_password_reset(w.citizen.email)
        mail = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc())).first()
        return re.search(r"/reset/(\S+)", mail.body).group(1)
    return w.item("reset_token", request)


def unsubscribe_token(w) -> str:
    from participation.core import notifications

    return notifications.unsubscribe_token(w.citizen.id, "petitions")


def signed_in(w) -> tuple:
    return w.citizen, w.other, w.moderator, w.staff, w.admin


def taken_part_by_everyone(key: str, item_of, row_for):
    """The World's item, with a row of every signed-in person (a signature, a support, a like), so that each may
    take theirs back."""
    def make(w):
        def take_part():
            for user in signed_in(w):
                add(row_for(item_of(w), user))
            return item_of(w)
        return w.item(key, take_part).id
    return make


def supported_proposal():
    from participation.proposals.models import Support

    return taken_part_by_everyone("supported_proposal", lambda w: w.proposal(),
                                  lambda proposal, user: Support(proposal_id=proposal.id, user_id=user.id))


def signed_petition():
    from participation.petitions.models import Signature

    return taken_part_by_everyone("signed_petition", lambda w: w.petition(),
                                  lambda petition, user: Signature(petition_id=petition.id, user_id=user.id))


def liked_comment():
    from participation.forums.models import CommentLike

    return taken_part_by_everyone("liked_comment", lambda w: w.forum_comment(),
                                  lambda comment, user: CommentLike(comment_id=comment.id, user_id=user.id))


def mayor_asked():
    """The proposal under review, its forum past the threshold at which the mayor answers."""
    def make(w):
        from participation.core.time import utcnow

        proposal = w.proposal("under_review")
        proposal.mayor_answer_requested_at = utcnow()
        return proposal.id
    return make


def department():
    def make(w):
        from participation.proposals.models import Department

        return w.item("department", lambda: add(Department(name="교통정책과"))).id
    return make


def staged_import():
    """A portal export staff uploaded, waiting for their confirmation."""
    def make(w):
        from participation.proposals import importer

        return w.item("staged_import", lambda: importer.stage(PORTAL_EXPORT, "csv"))
    return make


def add(row):
    from participation.extensions import db

    db.session.add(row)
    return row


def budget(state: str = "voting"):
    return lambda w: w.budget(state).id


def budget_project(state: str = "voting", number: int = 0):
    return lambda w: w.budget(state).projects[number].id


def budget_project_image(state: str = "voting"):
    """A photo of the citizen's project in the process (voting unless told), with its file in the storage."""
    def make(w):
        from participation.budgets import images
        from participation.budgets.models import BudgetProjectImage
        from participation.core import storage
        from participation.extensions import db

        def attach():
            row = BudgetProjectImage(project_id=w.budget(state).projects[0].id,
                                     stored_name=f"route-budget-{state}-{w.citizen.id}.png", content_type="image/png",
                                     width=1, height=1, size=1)
            db.session.add(row)
            db.session.flush()
            storage.save(images.image_key(row), b"\x89PNG", row.content_type)
            return row
        return w.item(("budget_project_image", state), attach).id
    return make


def citizen_poll():
    """An open poll a citizen (the World's) made: citizens may report it, unlike a staff poll."""
    return lambda w: w.item("citizen_poll", lambda: citizen_poll_row(w)).id


def citizen_poll_row(w):
    from tests import factories

    return factories.PollFactory(by_staff=False, author_id=w.citizen.id)


def first_option(value=str):
    return lambda w: value(w.poll().options[0].id)


def refused_by_all(code: str) -> str:
    return "  ".join(["login", *[f"409:{code}"] * 5])


def closed_poll_option(value=int):
    return lambda w: value(w.poll("closed").options[0].id)


def draft_poll():
    return lambda w: w.poll("draft").id


def draft_poll_option():
    return lambda w: w.poll("draft").options[0].id


def poll_option_image(state: str = "open"):
    """A picture of the first option of the World's poll (open unless told), with its file in the storage."""
    def make(w):
        from participation.core import storage
        from participation.polls import images

        def attach():
            option = w.poll(state).options[0]
            option.image_name, option.image_content_type = f"route-{option.id}.png", "image/png"
            storage.save(images.image_key(option), b"\x89PNG", "image/png")
            return option
        return w.item(("poll_option_image", state), attach).id
    return make


def burst():
    """A burst staff opened on the World's open petition (nothing voided)."""
    def make(w):
        from datetime import timedelta

        from participation.core.networks import Burst
        from participation.core.time import utcnow
        from participation.extensions import db

        def create():
            row = Burst(channel="petitions", item_id=w.petition().id, network="203.0.113.0/24",
                        window_start=utcnow() - timedelta(hours=2), window_end=utcnow(), matched=0,
                        opened_by_id=w.staff.id)
            db.session.add(row)
            return row
        return w.item("burst", create).id
    return make


def voided_burst():
    def make(w):
        from participation.staff import bursts

        return w.item("voided_burst", lambda: bursts.void(w.staff, burst()(w), "자동 서명")).id
    return make


def suspended_other(w) -> int:
    from participation.accounts import services

    return w.item("suspended_other", lambda: services.suspend(w.moderator, w.other, "광고 도배")).id


FAILED_JOB = "route-table-failed-job"


def broken_job() -> None:
    raise ValueError("고장 난 작업")


def a_failed_job(_world) -> None:
    """The job FAILED_JOB, failed on a worker as RQ keeps it (again, if the caller before retried or discarded it)."""
    from rq import SimpleWorker

    from participation.core.jobs import get_queue

    queue = get_queue()
    if FAILED_JOB not in queue.failed_job_registry.get_job_ids():
        queue.enqueue(broken_job, job_id=FAILED_JOB)
        SimpleWorker([queue], connection=queue.connection).work(burst=True)


def overridden_indicator(w) -> str:
    """An indicator the platform counts, with a value staff entered over the count for 2024."""
    from sqlalchemy import select

    from participation.indicators import services
    from participation.indicators.models import Indicator

    def enter():
        w.indicator()  # the catalogue
        indicator = next(row for row in db_session().scalars(select(Indicator).order_by(Indicator.code)) if row.is_auto)
        services.set_manual_value(w.staff, indicator.code, 2024, "5", "직접 센 값", override=True)
        return indicator
    return w.item("overridden_indicator", enter).code


def removed(subject: str, item_of, hide):
    """The citizen's item, hidden by the World's moderator (the audit row is the decision an appeal is against)."""
    def make(w):
        from participation.core.audit import audit

        def remove():
            item = item_of(w)
            hide(item)
            audit(w.moderator, subject, item.id, "open->hidden", "욕설")
            return item
        return w.item(("removed", subject), remove).id
    return make


def hidden_state(item) -> None:
    item.state = "hidden"


def hidden_comment(comment) -> None:
    from participation.core.time import utcnow

    comment.hidden_at = utcnow()


REMOVED = {
    "petition": removed("petition", lambda w: w.petition(), hidden_state),
    "proposal": removed("proposal", lambda w: w.proposal(), hidden_state),
    "poll": removed("poll", lambda w: w.item("citizen_poll", lambda: citizen_poll_row(w)), hidden_state),
    "proposal_comment": removed("proposal_comment", lambda w: w.proposal_comment(), hidden_comment),
    "forum_comment": removed("forum_comment", lambda w: w.forum_comment(), hidden_state),
}


def appeal(w) -> int:
    """The citizen's appeal against the moderator's hiding of their petition."""
    from participation.core import appeals

    def file():
        return appeals.file_appeal(w.citizen, "petition", REMOVED["petition"](w), "이의 있습니다")
    return w.item("appeal", file).id


def db_session():
    from participation.extensions import db

    return db.session


def hours_ago(hours: int):
    def value(_world):
        from datetime import timedelta

        from participation.core.time import utcnow
        return (utcnow() - timedelta(hours=hours)).isoformat()
    return value


# URL values a line does not give: the World's usual item for that name.
DEFAULT_VALUES = {
    "petition_id": petition(), "proposal_id": proposal(), "poll_id": lambda w: w.poll().id,
    "forum_id": forum(), "statement_id": statement(), "survey_id": survey(), "number": 1,
    "code": lambda w: w.indicator().code, "year": 2024, "fmt": "csv",
    "budget_id": lambda w: w.budget().id, "project_id": lambda w: w.budget().projects[0].id,
}


def default_value(world, endpoint: str, name: str):
    if name == "comment_id":  # whose comment: the channel's
        return (world.forum_comment() if endpoint.startswith("forums") else world.proposal_comment()).id
    value = DEFAULT_VALUES[name]
    return value(world) if callable(value) else value




NEW_PETITION = {"title": "제목", "body": "본문", "kind": "general", "category": "transport"}
NEW_PROJECT = {"title": "망원동 골목 안심 조명", "description": "어두운 골목에 조명을", "cost": "80000000",
               "category": "", "district": ""}
NEW_QUESTION = {"type": "single", "text": "주로 타는 교통수단은?", "options": "지하철\n버스", "required": "y"}
POPULATION = "district,age_band,count,source,as_of\n마포구,20-29,100,예시 자료,2024-12-31\n".encode()
NEW_SURVEY = {"title": "조사", "questions": [{"type": "text", "text": "의견"}]}
PDF = b"%PDF-1.7\n%%EOF\n"
UPHOLD = {"outcome": "upheld", "reason": "다시 보니 괜찮습니다"}
NEW_ACCOUNT = {"email": "new.citizen@example.com", "password": "새-비밀번호-12345", "display_name": "새시민",
               "district": "마포구", "birth_year": 1990}
NEW_PASSWORD = "다른-비밀번호-67890"
NEW_PROPOSAL = {"title": "버스 정류장 온열 의자", "body": "겨울에 정류장 의자를 데워 주세요.", "category": "transport",
                "district": "마포구"}
PORTAL_EXPORT = ("제안번호,제목,제안내용,분야,접수일,자치구\n"
                 "1AA-2024-00001,공영주차장 야간 개방,빈 주차장을 열어 주세요.,교통,2024-08-01,은평구\n").encode()
# A moderator's reject or hide form, complete (core/forms.py ModerationReasonForm).
HIDE = {"reason_code": "abusive", "reason": "욕설이 있습니다", "confirmed": "y"}
NEW_POLL = {"title": "투표", "options": ["가", "나"], "closes_at": "2030-01-01T00:00:00+09:00"}

PUBLIC = "ok     ok     ok     ok     ok     ok"
MEMBERS = "login  ok     ok     ok     ok     ok"
# Reporting the World's items, which the citizen wrote: nobody reports their own.
REPORTERS = "login  403:own_item  ok  ok  ok  ok"
MODERATORS = "login  no     no     ok     no     ok"
STAFF = "login  no     no     no     ok     ok"
ADMINS = "login  no     no     no     no     ok"
API_PUBLIC = PUBLIC
API_MEMBERS = "login  ok     ok     ok     ok     ok"
# Reporting the World's items, which the citizen wrote: nobody reports their own.
REPORTERS = "login  403:own_item  ok  ok  ok  ok"

ROUTES: dict[str, Expect] = {
    # ── foundation: pages ────────────────────────────────────────────────────────────────
    "GET main.home":                        r(PUBLIC),
    "GET main.health":                      r(PUBLIC),
    "GET main.set_language":                r("303 303 303 303 303 303", code="en"),
    "GET main.outbox":                      r(PUBLIC),  # development only (404 in production)
    "GET main.answers":                     r(PUBLIC),
    "GET main.metrics":                     r("404 404 404 404 404 404"),  # off unless METRICS_TOKEN is set
    "GET static":                           r(PUBLIC, filename="css/site.css"),
    "GET accounts.register":                r(PUBLIC),
    "POST accounts.register":               r(PUBLIC, body={**NEW_ACCOUNT, "privacy_consent": "y"}),
    "GET accounts.verify_link":             r("303 303 303 303 303 303", token="not-a-token"),
    "GET accounts.verify_email":            r(PUBLIC, session={"verify_token": verification_token}),
    "POST accounts.verify_email":           r(PUBLIC, session={"verify_token": verification_token}),
    "POST accounts.resend_verification":    r(MEMBERS),
    "GET accounts.login":                   r(PUBLIC),
    "POST accounts.login":                  r(PUBLIC, body={"email": lambda w: w.citizen.email, "password": PASSWORD}),
    "POST accounts.logout":                 r(PUBLIC),
    "GET accounts.request_reset":           r(PUBLIC),
    "POST accounts.request_reset":          r(PUBLIC, body={"email": lambda w: w.citizen.email}),
    "GET accounts.reset_link":              r("303 303 303 303 303 303", token="not-a-token"),
    "GET accounts.reset_password":          r(PUBLIC, session={"reset_token": reset_token}),
    "POST accounts.reset_password":         r(PUBLIC, session={"reset_token": reset_token},
                                              body={"password": NEW_PASSWORD}),
    "GET accounts.profile":                 r(MEMBERS),
    "POST accounts.profile":                r(MEMBERS, body={"display_name": "새이름", "district": "마포구",
                                                             "birth_year": "1990"}),
    "POST accounts.change_password":        r(MEMBERS, body={"current_password": PASSWORD, "password": NEW_PASSWORD}),
    "POST accounts.delete_account":         r(MEMBERS, body={"password": PASSWORD}),
    "GET accounts.personal_data":           r(MEMBERS),
    "GET accounts.notifications_page":      r(MEMBERS),
    "POST accounts.notification_preferences": r(MEMBERS, body={"mail": ["petitions", "polls"]}),
    "GET accounts.unsubscribe":             r(PUBLIC, token=unsubscribe_token),
    "POST accounts.unsubscribe":            r(PUBLIC, token=unsubscribe_token),
    "GET moderation.index":                 r(MODERATORS),
    "GET moderation.users":                 r(MODERATORS),
    "POST moderation.act":                  r("login no no ok no ok", name="forums", body={
        "action": "publish", "items": lambda w: f"forum_statement:{w.forum_statement('pending').id}"}),
    "POST moderation.suspend":              r("login no no ok no ok", body={"reason": "광고 도배"},
                                              user_id=lambda w: w.other.id),
    "POST moderation.unsuspend":            r("login   no      login   ok      no      ok", user_id=suspended_other),
    "GET staff.index":                      r(STAFF),
    "GET staff.trending_addresses":         r(STAFF),
    "GET staff.new_burst":                  r(STAFF),
    "POST staff.new_burst":                 r("login no no no ok ok", body={
        "channel": "petitions", "item_id": lambda w: str(w.petition().id), "network": "203.0.113.0/24"}),
    "GET staff.burst_list":                 r(STAFF),
    "GET staff.burst":                      r(STAFF, burst_id=burst()),
    "POST staff.void_burst":                r("login no no no ok ok", body={"reason": "자동 서명"}, burst_id=burst()),
    "POST staff.unvoid_burst":              r("login   no      no      no      ok      ok", burst_id=voided_burst()),
    "GET staff.health":                     r(STAFF),
    "POST staff.retry_failed_job":          r("login   no      no      no      ok      ok", job_id=FAILED_JOB,
                                              before=a_failed_job),
    "POST staff.discard_failed_job":        r("login   no      no      no      ok      ok", job_id=FAILED_JOB,
                                              before=a_failed_job),
    "GET admin.users":                      r(ADMINS),
    "POST admin.toggle_role":               r(ADMINS, body={"grant": "1"}, user_id=lambda w: w.other.id,
                                              role="moderator"),
    "GET admin.settings_page":              r(ADMINS),
    "POST admin.change_setting":            r(ADMINS, body={"value": "0"}, name="PAUSE_PARTICIPATION"),
    # ── foundation: API ──────────────────────────────────────────────────────────────────
    "GET api-docs.openapi_json":            r(API_PUBLIC),
    "POST accounts_api.register":           r(PUBLIC, body={**NEW_ACCOUNT, "privacy_consent": True}),
    "POST accounts_api.issue_token":        r(PUBLIC, body={"email": lambda w: w.citizen.email, "password": PASSWORD}),
    "DELETE accounts_api.revoke_token":     r("login  204    204    204    204    204"),
    "GET accounts_api.me":                  r(API_MEMBERS),
    "POST staff_api.open_burst":            r("login no no no ok ok", body={
        "channel": "petitions", "item_id": lambda w: w.petition().id, "network": "203.0.113.0/24",
        "window_start": hours_ago(2), "window_end": hours_ago(0)}),
    "GET staff_api.get_burst":              r("login no no no ok ok", burst_id=burst()),
    "POST staff_api.void_burst":            r("login no no no ok ok", body={"reason": "자동 서명"}, burst_id=burst()),
    "DELETE staff_api.unvoid_burst":        r("login   no      no      no      ok      ok", burst_id=voided_burst()),
    "POST accounts_api.suspend_user":       r("login no no ok no ok", body={"reason": "광고 도배"},
                                              user_id=lambda w: w.other.id),
    "DELETE accounts_api.unsuspend_user":   r("login   no      login   ok      no      ok", user_id=suspended_other),
    "GET accounts_api.list_tokens":         r(API_MEMBERS),
    # The citizen's own token: revoked by them; to anyone else it does not exist.
    "DELETE accounts_api.revoke_token_by_id": r("login  204    hidden hidden hidden hidden",
                                                token_id=lambda w: w.citizen_token_id()),
    "GET answers_api.overdue_answers":      r(API_PUBLIC),
    "GET accounts_api.categories":          r(API_PUBLIC),
    "GET accounts_api.districts":           r(API_PUBLIC),
    # ── petitions ─────────────────────────────────────────────────────────────────────────────
    "GET petitions.index":                    r("ok      ok      ok      ok      ok      ok"),
    "GET petitions.answer":                   r("login   no      no      no      ok      ok"),
    "GET petitions.answers":                  r("login   no      no      no      ok      ok"),
    "GET petitions.debate_agenda":            r("login   no      no      no      ok      ok"),
    "GET petitions.detail":                   r("ok      ok      ok      ok      ok      ok"),
    "GET petitions.edit":                     r("login   ok      hidden  hidden  hidden  hidden",
                                                petition_id=petition("draft")),
    "GET petitions.history":                  r("hidden  ok      hidden  ok      hidden  ok",
                                                petition_id=petition("pending")),
    "GET petitions.mine":                     r("login   ok      ok      ok      ok      ok"),
    "GET petitions.moderation":               r("login   no      no      ok      no      ok"),
    "GET petitions.new":                      r("login   ok      ok      ok      ok      ok"),
    "GET petitions.similar":                  r("ok      ok      ok      ok      ok      ok"),
    "POST petitions.answer":                  r("login   no      no      no      ok      ok",
                                                petition_id=petition("owed"),
                                                body={"department": "교통정책과", "body": "검토 결과를 답변드립니다."}),
    "POST petitions.edit":                    r("login   ok      hidden  hidden  hidden  hidden",
                                                petition_id=petition("draft")),
    "POST petitions.extend":                  r("login   no      no      no      ok      ok",
                                                petition_id=petition("owed"),
                                                body={"reason": "관계 부서 협의"}),
    "POST petitions.hide":                    r("login   no      no      ok      no      ok", body=HIDE),
    "POST petitions.interim":                 r("login   no      no      no      ok      ok",
                                                body={"interim_answer": "검토 중"}, petition_id=petition("owed")),
    "POST petitions.new":                     r(MEMBERS, body=NEW_PETITION),
    "POST petitions.publish":                 r("login   no      no      ok      no      ok",
                                                petition_id=petition("pending")),
    "POST petitions.reject":                  r("login   no      no      ok      no      ok", body=HIDE,
                                                petition_id=petition("pending")),
    "POST petitions.report":                  r(REPORTERS, body={"target": "petition", "reason": "광고 글입니다"}),
    "POST petitions.sign":                    r("login   ok      ok      ok      ok      ok"),
    "POST petitions.submit":                  r("login   ok      hidden  hidden  hidden  hidden",
                                                petition_id=petition("draft")),
    "POST petitions.withdraw":                r(MEMBERS, petition_id=signed_petition()),
    "DELETE petitions_api.withdraw_signature":r(MEMBERS, petition_id=signed_petition()),
    "GET petitions_api.get_petition":         r("ok      ok      ok      ok      ok      ok"),
    "GET petitions_api.list_petitions":       r("ok      ok      ok      ok      ok      ok"),
    "POST petitions_api.answer_petition":     r("login   no      no      no      ok      ok",
                                                petition_id=petition("owed"),
                                                body={"department": "교통정책과", "body": "답변"}),
    "POST petitions_api.create_petition":     r("login   ok      ok      ok      ok      ok", body=NEW_PETITION),
    "POST petitions_api.sign_petition":       r("login   ok      ok      ok      ok      ok"),
    "POST petitions_api.transition_petition": r("login   no      hidden  ok      hidden  ok",
                                                body={"to": "open"}, petition_id=petition("pending")),
    # ── proposals ─────────────────────────────────────────────────────────────────────────────
    "GET proposals.index":                    r("ok      ok      ok      ok      ok      ok"),
    "GET proposals.committee_entry":          r("login   no      no      no      ok      ok"),
    "GET proposals.detail":                   r("ok      ok      ok      ok      ok      ok"),
    "GET proposals.edit":                     r("login   ok      hidden  hidden  hidden  hidden",
                                                proposal_id=proposal("pending")),
    # The photo of the citizen's pending proposal: its author and moderators see it, nobody else learns it exists.
    "GET proposals.image":                    r("hidden  ok      hidden  ok      hidden  ok",
                                                image_id=proposal_image()),
    "GET proposals.import_upload":            r("login   no      no      no      ok      ok"),
    "GET proposals.moderation":               r("login   no      no      ok      no      ok"),
    "GET proposals.new":                      r("login   ok      ok      ok      ok      ok"),
    "GET proposals.staff_desk":               r("login   no      no      no      ok      ok"),
    "POST proposals.answer":                  r("login   no      no      no      ok      ok",
                                                proposal_id=proposal("under_review"),
                                                body={"outcome": "partly", "answer_body": "일부 구간에 설치합니다.",
                                                      "follow_up": "내년 상반기에 설치합니다."}),
    "POST proposals.assign":                  r("login   no      no      no      ok      ok",
                                                body={"department_id": department()}),
    "POST proposals.comment":                 r(MEMBERS, body={"body": "좋은 생각입니다."}),
    "POST proposals.committee_entry":         r("login   no      no      no      ok      ok",
                                                body={**NEW_PROPOSAL, "submitted_on": "2024-08-01"}),
    "POST proposals.edit":                    r("login   ok      hidden  hidden  hidden  hidden",
                                                proposal_id=proposal("pending"), body=NEW_PROPOSAL),
    "POST proposals.extend":                  r("login   no      no      no      ok      ok",
                                                body={"reason": "현장 조사"}, proposal_id=proposal("under_review")),
    "POST proposals.follow":                  r("login   ok      ok      ok      ok      ok"),
    "POST proposals.hide_comment":            r("login   no      no      ok      no      ok", body=HIDE),
    "POST proposals.import_review":           r("login   no      no      no      ok      ok", stored=staged_import(),
                                                body={"action": "confirm", "map_portal_id": "제안번호",
                                                      "map_title": "제목", "map_body": "제안내용",
                                                      "map_category": "분야", "map_received_at": "접수일",
                                                      "map_district": "자치구"}),
    "POST proposals.import_upload":           r("login   no      no      no      ok      ok",
                                                body={"file": Upload("국민제안.csv", PORTAL_EXPORT, "text/csv")}),
    "POST proposals.interim":                 r("login   no      no      no      ok      ok",
                                                proposal_id=proposal("under_review"),
                                                body={"interim_answer": "현장을 조사하고 있습니다."}),
    "POST proposals.mayor_answer":            r("login   no      no      no      ok      ok", proposal_id=mayor_asked(),
                                                body={"mayor_answer": "내년 예산에 반영하겠습니다."}),
    "POST proposals.merge":                   r("login   no      hidden  ok      hidden  ok",
                                                proposal_id=proposal("pending"),
                                                body={"target_id": proposal(), "reason": "같은 제안"}),
    "POST proposals.new":                     r(MEMBERS, body=NEW_PROPOSAL),
    "POST proposals.remove_image":            r("login   ok      hidden  ok      hidden  ok",
                                                proposal_id=proposal("pending"), image_id=proposal_image(),
                                                body={"reason": "개인정보가 보이는 사진"}),
    "POST proposals.report":                  r(REPORTERS, body={"reason": "광고 글입니다"}),
    "POST proposals.staff_desk":              r("login   no      no      no      ok      ok",
                                                body={"name": "교통정책과"}),
    "POST proposals.support":                 r("login   ok      ok      ok      ok      ok"),
    "POST proposals.transition":              r("login   no      hidden  ok      hidden  ok",
                                                body={"to": "open"}, proposal_id=proposal("pending")),
    "POST proposals.withdraw":                r(MEMBERS, proposal_id=supported_proposal()),
    "DELETE proposals_api.withdraw":          r(MEMBERS, proposal_id=supported_proposal()),
    "GET proposals_api.detail":               r("ok      ok      ok      ok      ok      ok"),
    "GET proposals_api.index":                r("ok      ok      ok      ok      ok      ok"),
    "POST proposals_api.comment":             r(MEMBERS, body={"body": "좋은 생각입니다."}),
    "POST proposals_api.create":              r(MEMBERS, body=NEW_PROPOSAL),
    "POST proposals_api.support":             r("login   ok      ok      ok      ok      ok"),
    "POST proposals_api.transition":          r("login   no      hidden  ok      hidden  ok",
                                                body={"to": "open"}, proposal_id=proposal("pending")),
    # ── polls ─────────────────────────────────────────────────────────────────────────────────
    "GET polls.index":                        r("ok      ok      ok      ok      ok      ok"),
    "GET polls.bulletin":                     r("ok      ok      ok      ok      ok      ok"),
    "POST polls.bulletin":                    r("ok      ok      ok      ok      ok      ok",
                                                body={"receipt": "AAAA-BBBB-CCCC-DDDD-EEEE"}),
    "GET polls.create":                       r("login   ok      ok      ok      ok      ok"),
    "GET polls.detail":                       r("ok      ok      ok      ok      ok      ok"),
    "GET polls.export":                       r("login   no      no      no      ok      ok",
                                                poll_id=lambda w: w.poll("tallied").id),
    "GET polls.manage":                       r("login   no      no      no      ok      ok"),
    "GET polls.manage_poll":                  r("login   no      no      no      ok      ok"),
    "GET polls.option_image":                 r(PUBLIC, option_id=poll_option_image()),
    "POST polls.remove_option_image":         r("login   no      no      no      ok      ok", poll_id=draft_poll(),
                                                option_id=draft_poll_option()),
    "POST polls.set_option_image":            r("login   no      no      no      ok      ok", poll_id=draft_poll(),
                                                option_id=draft_poll_option(), body={"image": Upload("가.png")}),
    "GET polls.moderation":                   r("login   no      no      ok      no      ok"),
    "GET polls.receipt":                      r("login   ok      ok      ok      ok      ok"),
    "GET polls.results":                      r("ok      ok      ok      ok      ok      ok"),
    "POST polls.change_state":                r("login   no      no      no      ok      ok", to="closed",
                                                body={"reason": "조기 마감"}),
    "POST polls.confirm":                     r(MEMBERS, body={"choice": first_option()}),
    "POST polls.create":                      r(MEMBERS, body={
        "title": "투표", "options": "가\n나", "max_choices": "1", "closes_at": "2030-01-01T10:00",
        "results_visibility": "live"}),
    "POST polls.extend":                      r("login   no      no      no      ok      ok",
                                                body={"closes_at": "2030-01-01T10:00", "reason": "연장"}),
    "POST polls.report":                      r(REPORTERS, poll_id=citizen_poll(), body={"reason": "광고입니다"}),
    "POST polls.vote":                        r(MEMBERS, body={"choice": first_option()}),
    "GET polls_api.detail":                   r("ok      ok      ok      ok      ok      ok"),
    "GET polls_api.index":                    r("ok      ok      ok      ok      ok      ok"),
    "GET polls_api.receipts":                 r("ok      ok      ok      ok      ok      ok"),
    "GET polls_api.results":                  r("ok      ok      ok      ok      ok      ok"),
    "POST polls_api.change_state":            r("login   no      no      no      ok      ok",
                                                body={"to": "closed", "reason": "조기 마감"}),
    "POST polls_api.create":                  r("login   ok      ok      ok      ok      ok", body=NEW_POLL),
    "POST polls_api.extend":                  r("login   no      no      no      ok      ok",
                                                body={"closes_at": "2030-01-01T00:00:00+09:00", "reason": "연장"}),
    "POST polls_api.vote":                    r(MEMBERS, body={"choices": [first_option(int)]}),
    # ── forums ────────────────────────────────────────────────────────────────────────────────
    "GET forums.index":                       r("ok      ok      ok      ok      ok      ok"),
    "GET forums.detail":                      r("ok      ok      ok      ok      ok      ok"),
    "GET forums.export":                      r("ok      ok      ok      ok      ok      ok", name="votes.csv"),
    "GET forums.attachment":                  r(PUBLIC, attachment_id=forum_attachment()),
    "GET forums.new":                         r("login   no      no      no      ok      ok"),
    "GET forums.review":                      r("login   no      no      ok      no      ok"),
    "POST forums.add_statement":              r(MEMBERS, body={"text": "요금보다 배차 간격이 중요합니다."}),
    "POST forums.answer":                     r("login   no      no      no      ok      ok",
                                                body={"answer": "서울시 답변입니다."}, forum_id=forum("closed")),
    "POST forums.change_state":               r("login   no      no      no      ok      ok",
                                                body={"to": "closed", "reason": "기간 종료"}),
    # A valid body, so that the staff-only rule is what answers a citizen (an empty form was refused first).
    "POST forums.closing_poll":               r("login   no      no      no      ok      ok",
                                                body={"options": "찬성\n반대"}),
    "POST forums.comment":                    r(MEMBERS, body={"stance": "pro", "body": "찬성합니다."}),
    "POST forums.like":                       r("login   ok      ok      ok      ok      ok"),
    "POST forums.new":                        r("login   no      no      no      ok      ok",
                                                body={"title": "따릉이 요금", "background": "배경",
                                                      "discussion_days": "14"}),
    "POST forums.react":                      r(MEMBERS, body={"value": "agree"}),
    "POST forums.remove_attachment":          r("login   no      no      no      ok      ok",
                                                attachment_id=forum_attachment()),
    "POST forums.report":                     r(REPORTERS, body={"reason": "욕설입니다"}),
    "POST forums.upload_attachment":          r("login   no      no      no      ok      ok",
                                                body={"file": Upload("자료.pdf", PDF, "application/pdf")}),
    "DELETE forums_api.unlike_comment":       r(MEMBERS, comment_id=liked_comment()),
    "GET forums_api.get_forum":               r("ok      ok      ok      ok      ok      ok"),
    "GET forums_api.list_comments":           r("ok      ok      ok      ok      ok      ok"),
    "GET forums_api.list_forums":             r("ok      ok      ok      ok      ok      ok"),
    "GET forums_api.list_statements":         r("ok      ok      ok      ok      ok      ok"),
    "GET forums_api.next_statement":          r("login   ok      ok      ok      ok      ok"),
    "GET forums_api.opinion_map":             r("ok      ok      ok      ok      ok      ok"),
    "GET forums_api.export":                  r("ok      ok      ok      ok      ok      ok",
                                                name="polis-export.zip"),
    "POST forums_api.create_closing_poll":    r("login   no      no      no      ok      ok",
                                                body={"options": ["찬성", "반대"]}),
    "POST forums_api.create_comment":         r(MEMBERS, body={"stance": "pro", "body": "찬성합니다."}),
    "POST forums_api.create_forum":           r("login   no      no      no      ok      ok",
                                                body={"title": "질문", "background": "배경"}),
    "POST forums_api.create_statement":       r(MEMBERS, body={"text": "요금보다 배차 간격이 중요합니다."}),
    "POST forums_api.like_comment":           r("login   ok      ok      ok      ok      ok"),
    "POST forums_api.react":                  r(MEMBERS, body={"value": "agree"}),
    "POST forums_api.report_comment":         r(REPORTERS, body={"reason": "욕설입니다"}),
    "POST forums_api.transition_forum":       r("login   no      no      no      ok      ok", body={"to": "closed"}),
    # ── surveys ───────────────────────────────────────────────────────────────────────────────
    "GET surveys.index":                      r("ok      ok      ok      ok      ok      ok"),
    "GET surveys.chart":                      r("no      no      no      no      ok      ok",
                                                question_id=charted_question()),
    "GET surveys.detail":                     r("ok      ok      ok      ok      ok      ok"),
    "GET surveys.edit":                       r("login   no      no      no      ok      ok",
                                                survey_id=survey("draft")),
    "GET surveys.edit_question":              r("login   no      no      no      ok      ok",
                                                survey_id=survey("draft"), question_id=question("draft")),
    "GET surveys.export":                     r("login   no      no      no      ok      ok", shape="tidy"),
    "GET surveys.new":                        r("login   no      no      no      ok      ok"),
    "GET surveys.new_question":               r("login   no      no      no      ok      ok",
                                                survey_id=survey("draft"), section_id=section("draft")),
    "GET surveys.population":                 r("login   no      no      no      ok      ok"),
    "GET surveys.preview":                    r("login   no      no      no      ok      ok",
                                                survey_id=survey("draft")),
    "GET surveys.report":                     r("no      no      no      no      ok      ok"),
    "GET surveys.respond":                    r(MEMBERS, survey_id=started_survey()),
    "GET surveys.results":                    r("no      no      no      no      ok      ok"),
    "GET surveys.thanks":                     r("login   ok      ok      ok      ok      ok"),
    "POST surveys.add_section":               r("login   no      no      no      ok      ok",
                                                survey_id=survey("draft")),
    "POST surveys.delete_question":           r("login   no      no      no      ok      ok",
                                                survey_id=survey("draft"), question_id=question("draft")),
    "POST surveys.duplicate":                 r("login   no      no      no      ok      ok"),
    "POST surveys.edit":                      r("login   no      no      no      ok      ok",
                                                survey_id=survey("draft"),
                                                body={"title": "교통 조사", "intro": "안내"}),
    "POST surveys.edit_question":             r("login   no      no      no      ok      ok", body=NEW_QUESTION,
                                                survey_id=survey("draft"), question_id=question("draft")),
    "POST surveys.new":                       r("login   no      no      no      ok      ok",
                                                body={"title": "교통 조사"}),
    "POST surveys.new_question":              r("login   no      no      no      ok      ok", body=NEW_QUESTION,
                                                survey_id=survey("draft"), section_id=section("draft")),
    "POST surveys.population":                r("login   no      no      no      ok      ok",
                                                body={"file": Upload("인구.csv", POPULATION, "text/csv")}),
    "POST surveys.respond":                   r(MEMBERS, survey_id=started_survey(),
                                                body=lambda w: {f"q{first_answer(w)[0]}": first_answer(w)[1]}),
    "POST surveys.set_skip":                  r("login   no      no      no      ok      ok",
                                                survey_id=survey("draft"), question_id=question("draft"),
                                                body={"option": lambda w: first_answer(w, "draft")[1],
                                                      "section": lambda w: w.survey("draft").sections[1].id}),
    "POST surveys.start":                     r("login   ok      ok      ok      ok      ok"),
    "POST surveys.transition":                r("login   no      no      no      ok      ok", body={"to": "closed"}),
    "GET surveys_api.get_survey":             r("ok      ok      ok      ok      ok      ok"),
    "GET surveys_api.list_surveys":           r("ok      ok      ok      ok      ok      ok"),
    "GET surveys_api.survey_results":         r("no      no      no      no      ok      ok"),
    "POST surveys_api.answer_survey":         r(MEMBERS, body=lambda w: {"answers": dict([first_answer(w)])}),
    "POST surveys_api.create_survey":         r("login   no      no      no      ok      ok", body=NEW_SURVEY),
    "POST surveys_api.transition_survey":     r("login   hidden  hidden  hidden  ok      ok",
                                                body={"to": "open"}, survey_id=survey("draft")),
    # ── budgets ───────────────────────────────────────────────────────────────────────────────
    "GET budgets.index":                      r(PUBLIC),
    "GET budgets.detail":                     r(PUBLIC),
    "GET budgets.project":                    r(PUBLIC),
    "GET budgets.bulletin":                   r(PUBLIC),
    "POST budgets.bulletin":                  r(PUBLIC, budget_id=budget("tallied"), body={"receipt": "AAAA-BBBB"}),
    "GET budgets.results":                    r(PUBLIC, budget_id=budget("tallied")),
    "GET budgets.chart":                      r(PUBLIC, budget_id=budget("tallied")),
    "GET budgets.pabulib":                    r(PUBLIC, budget_id=budget("tallied")),
    "GET budgets.receipt":                    r(MEMBERS),
    "GET budgets.propose":                    r(MEMBERS, budget_id=budget("proposing")),
    "GET budgets.create":                     r(STAFF),
    "GET budgets.manage":                     r(STAFF),
    "GET budgets.manage_process":             r(STAFF),
    "POST budgets.propose":                   r(MEMBERS, budget_id=budget("proposing"), body=NEW_PROJECT),
    "POST budgets.support":                   r(MEMBERS, budget_id=budget("proposing"),
                                                project_id=budget_project("proposing")),
    "POST budgets.confirm":                   r(MEMBERS, body={"project": budget_project()}),
    "POST budgets.vote":                      r(MEMBERS, body={"project": budget_project()}),
    # Identity verification: one's own account only; without a provider (tests) start answers 503, a callback with
    # no flow started is refused on the identity page, at an address without the code (a 303 there).
    "GET identity.page":                      r("login   ok      ok      ok      ok      ok"),
    "POST identity.start":                    r("login   503  503  503  503  503"),
    "GET identity.callback":                  r("login   303     303     303     303     303"),
    "GET budgets.image":                      r("ok      ok      ok      ok      ok      ok",
                                                image_id=budget_project_image()),
    # The proposer may not remove a photo once the project is assessed (409); staff may, with a reason.
    "POST budgets.remove_image":              r("login   409:not_editable  hidden  hidden  ok      ok",
                                                body={"reason": "개인정보가 보이는 사진"}, budget_id=budget("voting"),
                                                project_id=budget_project("voting"), image_id=budget_project_image()),
    "POST budgets.create":                    r("login   no      no      no      ok      ok", body={
        "title": "2027 마포구 주민참여예산", "budget": "500000000", "district": "", "ballot": "knapsack",
        "rule": "greedy"}),
    "POST budgets.change_state":              r("login   no      no      no      ok      ok", to="closed",
                                                body={"reason": "투표 기간 종료"}),
    "POST budgets.assess":                    r("login   no      no      no      ok      ok",
                                                budget_id=budget("reviewing"), project_id=budget_project("reviewing"),
                                                body={"feasible": "yes", "notes": "실행할 수 있습니다."}),
    "POST budgets.merge":                     r("login   no      no      no      ok      ok",
                                                budget_id=budget("reviewing"), project_id=budget_project("reviewing"),
                                                body={"into": budget_project("reviewing", 1), "reason": "같은 제안"}),
    "POST budgets.implementation":            r("login   no      no      no      ok      ok",
                                                budget_id=budget("tallied"), project_id=budget_project("tallied"),
                                                body={"status": "in_progress", "percent": "50"}),
    "GET budgets_api.index":                  r(PUBLIC),
    "GET budgets_api.detail":                 r(PUBLIC),
    "GET budgets_api.projects":               r(PUBLIC),
    "GET budgets_api.project_detail":         r(PUBLIC),
    "GET budgets_api.results":                r(PUBLIC, budget_id=budget("tallied")),
    "GET budgets_api.receipts":               r(PUBLIC, budget_id=budget("tallied")),
    "POST budgets_api.create":                r("login   no      no      no      ok      ok",
                                                body={"title": "예산", "budget": 1000}),
    "POST budgets_api.change_state":          r("login   no      no      no      ok      ok",
                                                body={"to": "closed", "reason": "투표 기간 종료"}),
    "POST budgets_api.propose":               r(MEMBERS, budget_id=budget("proposing"),
                                                body={"title": "공원 의자", "cost": 1000}),
    "POST budgets_api.support":               r(MEMBERS, budget_id=budget("proposing"),
                                                project_id=budget_project("proposing")),
    "POST budgets_api.vote":                  r(MEMBERS, body={"projects": [budget_project()]}),
    "POST budgets_api.assess":                r("login   no      no      no      ok      ok",
                                                budget_id=budget("reviewing"), project_id=budget_project("reviewing"),
                                                body={"feasible": True}),
    "POST budgets_api.merge":                 r("login   no      no      no      ok      ok",
                                                budget_id=budget("reviewing"), project_id=budget_project("reviewing"),
                                                body={"into": budget_project("reviewing", 1), "reason": "같은 제안"}),
    "POST budgets_api.implementation":        r("login   no      no      no      ok      ok",
                                                budget_id=budget("tallied"), project_id=budget_project("tallied"),
                                                body={"status": "in_progress", "percent": 50}),
    # ── indicators ────────────────────────────────────────────────────────────────────────────
    "GET indicators.index":                   r("ok      ok      ok      ok      ok      ok"),
    "GET indicators.chart":                   r("ok      ok      ok      ok      ok      ok"),
    "GET indicators.data_csv":                r("ok      ok      ok      ok      ok      ok"),
    "GET indicators.data_dictionary":         r("ok      ok      ok      ok      ok      ok"),
    "GET indicators.data_json":               r("ok      ok      ok      ok      ok      ok"),
    "GET indicators.detail":                  r("ok      ok      ok      ok      ok      ok"),
    "GET indicators.enter_value":             r("login   no      no      no      ok      ok"),
    "GET indicators.review":                  r("ok      ok      ok      ok      ok      ok"),
    "GET indicators.statistics":              r("login   no      no      no      ok      ok"),
    "GET indicators.statistics_csv":          r("login   no      no      no      ok      ok"),
    "POST indicators.enter_value":            r("login   no      no      no      ok      ok",
                                                body={"value": "5", "note": "2024년 실적"}),
    "POST indicators.revert_value":           r("login   no      no      no      ok      ok",
                                                code=overridden_indicator),
    "GET indicators_api.table":               r("ok      ok      ok      ok      ok      ok"),
    "GET indicators_api.table_csv":           r("ok      ok      ok      ok      ok      ok"),
    "PUT indicators_api.put_value":           r("login   no      no      no      ok      ok", body={"value": 5}),
    # ── the platform's health (staff) ───────────────────────────────────────────────────
    "GET staff_api.get_health":               r("login   no      no      no      ok      ok"),
    "POST staff_api.retry_failed_job":        r("login   no      no      no      ok      ok", job_id=FAILED_JOB,
                                                before=a_failed_job),
    "DELETE staff_api.discard_failed_job":    r("login   no      no      no      ok      ok", job_id=FAILED_JOB,
                                                before=a_failed_job),
    # ── transparency: the moderation log, appeals (issue 20) ──────────────────────────────────
    "GET transparency.log":                   r(PUBLIC),
    "GET transparency.log_data":              r(PUBLIC, fmt="csv"),
    "GET transparency.monthly":               r(PUBLIC),
    "GET transparency.monthly_data":          r(PUBLIC, fmt="json"),
    # Only its author may appeal a removed item; to anyone else there is nothing to appeal (a rejected or hidden
    # item is not theirs to see, and the answer must not tell that it exists).
    "POST transparency.appeal":               r("login   ok      hidden  hidden  hidden  hidden", subject="petition",
                                                item_id=REMOVED["petition"], body={"text": "이의 있습니다"}),
    # The moderator who hid the petition may not decide the appeal against it; another one (the admin) may.
    "GET moderation.appeals_queue":           r(MODERATORS),
    "POST moderation.decide":                 r("login   no      no      403:same_moderator no      ok",
                                                appeal_id=appeal, body=UPHOLD),
    "GET transparency_api.moderation_log_index": r(API_PUBLIC),
    "POST transparency_api.appeal_petition":  r("login   ok      hidden  hidden  hidden  hidden",
                                                item_id=REMOVED["petition"],
                                                body={"text": "이의 있습니다"}),
    "POST transparency_api.appeal_proposal":  r("login   ok      hidden  hidden  hidden  hidden",
                                                item_id=REMOVED["proposal"],
                                                body={"text": "이의 있습니다"}),
    "POST transparency_api.appeal_poll":      r("login   ok      hidden  hidden  hidden  hidden",
                                                item_id=REMOVED["poll"],
                                                body={"text": "이의 있습니다"}),
    "POST transparency_api.appeal_proposal_comment": r("login   ok      hidden  hidden  hidden  hidden",
                                                       item_id=REMOVED["proposal_comment"],
                                                       body={"text": "이의 있습니다"}),
    "POST transparency_api.appeal_forum_comment": r("login   ok      hidden  hidden  hidden  hidden",
                                                    item_id=REMOVED["forum_comment"], body={"text": "이의 있습니다"}),
    "GET transparency_api.appeal_queue":      r(MODERATORS),
    # An appeal is its author's and the moderators'; to anyone else it does not exist.
    "GET transparency_api.appeal_detail":     r("login   ok      hidden  ok      hidden  ok", appeal_id=appeal),
    "POST transparency_api.decide":           r("login   no      no      403:same_moderator no      ok",
                                                appeal_id=appeal, body=UPHOLD),
}

# Each GET of an item again, on the item in its private states: a draft is its author's (or staff's), a pending or
# rejected item also the moderators', a hidden one the moderators' and its author's, who sees why and may appeal
# (issue 20; a hidden petition shows everyone a notice). To anyone else the item does not exist (404), signed in
# or not.
AUTHOR_ONLY = "hidden  ok      hidden  hidden  hidden  hidden"
AUTHOR_AND_MODERATORS = "hidden  ok      hidden  ok      hidden  ok"
STAFF_ONLY = "hidden  hidden  hidden  hidden  ok      ok"
NOTICE_TO_ALL = "ok      ok      ok      ok      ok      ok"
NOT_TALLIED = "hidden  hidden  hidden  hidden  403:results_hidden 403:results_hidden"  # staff see the draft, no result
VARIANTS: list[tuple[str, str, Expect]] = [
    *[(key, state, r(outcomes, petition_id=petition(state)))
      for key in ("GET petitions.detail", "GET petitions_api.get_petition", "GET petitions.history")
      for state, outcomes in (("draft", AUTHOR_ONLY), ("pending", AUTHOR_AND_MODERATORS),
                              ("rejected", AUTHOR_AND_MODERATORS), ("hidden", NOTICE_TO_ALL))],
    *[(key, state, r(outcomes, proposal_id=proposal(state)))
      for key in ("GET proposals.detail", "GET proposals_api.detail")
      for state, outcomes in (("pending", AUTHOR_AND_MODERATORS), ("rejected", AUTHOR_AND_MODERATORS),
                              ("hidden", AUTHOR_AND_MODERATORS))],
    *[(key, state, r(outcomes, poll_id=lambda w, state=state: w.poll(state).id))
      for key in ("GET polls.detail", "GET polls_api.detail", "GET polls.bulletin", "GET polls_api.receipts")
      for state, outcomes in (("draft", STAFF_ONLY), ("pending", AUTHOR_AND_MODERATORS),
                              ("hidden", "hidden  hidden  hidden  ok      ok      ok"))],  # its author: staff
    *[(key, "draft", r(STAFF_ONLY, forum_id=forum("draft")))
      for key in ("GET forums.detail", "GET forums_api.get_forum", "GET forums_api.list_comments",
                  "GET forums_api.list_statements", "GET forums_api.opinion_map")],
    *[(key, "draft", r(STAFF_ONLY, survey_id=survey("draft")))
      for key in ("GET surveys.detail", "GET surveys_api.get_survey")],
    *[(key, "draft", r(STAFF_ONLY, budget_id=budget("draft")))
      for key in ("GET budgets.detail", "GET budgets_api.detail", "GET budgets_api.projects")],
    # The item's other pages, files and data: as the item itself.
    *[("GET proposals.image", state, r(outcomes, image_id=proposal_image(state)))
      for state, outcomes in (("open", PUBLIC), ("rejected", AUTHOR_AND_MODERATORS),
                              ("hidden", AUTHOR_AND_MODERATORS))],
    *[(key, state, r(outcomes, poll_id=lambda w, state=state: w.poll(state).id))
      for key in ("GET polls.results", "GET polls_api.results")
      for state, outcomes in (("draft", STAFF_ONLY), ("pending", AUTHOR_AND_MODERATORS),
                              ("hidden", "hidden  hidden  hidden  ok      ok      ok"))],
    *[("GET polls.receipt", state, r(outcomes, poll_id=lambda w, state=state: w.poll(state).id))
      for state, outcomes in (("draft", "login   hidden  hidden  hidden  ok      ok"),
                              ("pending", "login   ok      hidden  ok      hidden  ok"))],
    ("GET polls.option_image", "draft", r(STAFF_ONLY, option_id=poll_option_image("draft"))),
    *[(key, "draft", r(STAFF_ONLY, forum_id=forum("draft"), **values))
      for key, values in (("GET forums.export", {"name": "votes.csv"}),
                          ("GET forums_api.export", {"name": "polis-export.zip"}),
                          ("GET forums.attachment", {"attachment_id": forum_attachment("draft")}))],
    ("GET forums_api.next_statement", "draft",
     r("login   hidden  hidden  hidden  ok      ok", forum_id=forum("draft"))),
    *[(key, "draft", r(outcomes, survey_id=survey("draft")))
      for key, outcomes in (("GET surveys.respond", "login   hidden  hidden  hidden  ok      ok"),
                            ("GET surveys.thanks", "login   hidden  hidden  hidden  ok      ok"),
                            ("GET surveys.results", STAFF_ONLY), ("GET surveys.report", STAFF_ONLY),
                            ("GET surveys_api.survey_results", STAFF_ONLY))],
    *[(key, "draft", r(outcomes, budget_id=budget("draft"), **values))
      for key, outcomes, values in (
          ("GET budgets.project", STAFF_ONLY, {"project_id": budget_project("draft")}),
          ("GET budgets_api.project_detail", STAFF_ONLY, {"project_id": budget_project("draft")}),
          ("GET budgets.bulletin", STAFF_ONLY, {}),
          *[(key, NOT_TALLIED, {}) for key in ("GET budgets.results", "GET budgets.chart", "GET budgets.pabulib",
                                               "GET budgets_api.results", "GET budgets_api.receipts")],
          ("GET budgets.receipt", "login   hidden  hidden  hidden  ok      ok", {}),
          ("GET budgets.propose", "login   hidden  hidden  hidden  ok      ok", {}))],
    ("GET budgets.image", "draft", r(STAFF_ONLY, image_id=budget_project_image("draft"))),
    # Taking part once the item no longer takes it: every member is let in, and the item's rule refuses them. (The
    # web's vote forms say why on the page they came from, without a code: their API twins stand for them.)
    *[(key, state, r(refused_by_all(code), body=body, **values)) for key, state, code, body, values in (
        ("POST petitions.sign", "closed", "not_open", None, {"petition_id": petition("owed")}),
        ("POST petitions_api.sign_petition", "closed", "not_open", None, {"petition_id": petition("owed")}),
        ("POST proposals.support", "closed", "not_open", None, {"proposal_id": proposal("closed")}),
        ("POST proposals_api.support", "closed", "not_open", None, {"proposal_id": proposal("closed")}),
        ("POST polls_api.vote", "closed", "poll_not_open", {"choices": [closed_poll_option()]},
         {"poll_id": lambda w: w.poll("closed").id}),
        ("POST forums.comment", "closed", "forum_not_open", {"stance": "pro", "body": "찬성합니다."},
         {"forum_id": forum("closed")}),
        ("POST forums_api.create_comment", "closed", "forum_not_open", {"stance": "pro", "body": "찬성합니다."},
         {"forum_id": forum("closed")}),
        ("POST budgets_api.vote", "proposing", "not_voting", {"projects": [budget_project("proposing")]},
         {"budget_id": budget("proposing")}))],
]

CHECKED_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def route_keys(app) -> dict[str, object]:
    """"METHOD endpoint" -> its rule, for every rule of the app."""
    keys = {}
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & CHECKED_METHODS):
            keys.setdefault(f"{method} {rule.endpoint}", rule)
    return keys


def test_every_route_has_a_line_in_the_table(app):
    keys = route_keys(app)
    missing = sorted(set(keys) - set(ROUTES))
    assert missing == [], "routes without a line in tests/security/test_routes.py::ROUTES:\n" + "\n".join(
        f'    "{key}": r(...),  # {keys[key].rule}' for key in missing)


def test_every_line_of_the_table_is_a_route(app):
    assert sorted(set(ROUTES) - set(route_keys(app))) == []


def url_values(world, rule, expect: Expect) -> dict:
    values = {name: value(world) if callable(value) else value for name, value in expect.values.items()}
    for name in rule.arguments - set(values):
        values[name] = default_value(world, rule.endpoint, name)
    return values


@dataclass
class Answer:
    """What one caller got: the status, where a redirect leads, the error code of an error answer (the API's error
    shape or the error page), and an error flashed for the page a redirect leads to (a web form the rules refused)."""
    status: int
    location: str = ""
    code: str | None = None
    flashed: str | None = None

    def __str__(self) -> str:
        return " ".join(str(part) for part in (self.status, self.code, self.location, self.flashed) if part)


def matches(outcome: str, answer: Answer) -> bool:
    status = answer.status
    # Sent to log in first (Flask-Login says where to come back to); a finished sign-up or reset goes to the login
    # page too, without a way back.
    location = urlsplit(answer.location)
    to_login = 300 <= status < 400 and location.path == "/login" and "next" in parse_qs(location.query)
    for token in outcome.split("|"):
        if token == "ok" and (200 <= status < 300 or (300 <= status < 400 and not to_login)) \
                and answer.flashed is None:
            return True
        if token == "login" and (status == 401 or to_login):
            return True
        if (token, status) in {("no", 403), ("hidden", 404)}:
            return True
        if ":" in token and token == f"{status}:{answer.code}":
            return True
        if token.isdigit() and status == int(token):
            return True
    return False


def test_allowed_means_it_worked_and_a_rule_is_named():
    assert not matches("ok", Answer(409, code="conflict"))
    assert not matches("ok", Answer(422))
    assert not matches("ok", Answer(303, "/polls/1", flashed="하나 이상 골라 주세요."))
    assert not matches("ok", Answer(302, "/login?next=%2Fpolls%2F1"))
    assert matches("ok", Answer(303, "/login"))  # signed up: now log in
    assert matches("ok", Answer(303, "/polls/1"))
    assert matches("409:already_signed", Answer(409, code="already_signed"))
    assert not matches("409:already_signed", Answer(409, code="not_open"))
    assert not matches("409:already_signed", Answer(422, code="already_signed"))


def call(app, key: str, path: str, user_id: int | None, token_headers: dict, body: dict | None,
         session_values: dict | None = None):
    method = key.split(" ", 1)[0]
    if path.startswith(API_PREFIX + "/"):
        client = app.test_client()
        json_body = body if body is not None else ({} if method in {"POST", "PUT", "PATCH"} else None)
        return client, client.open(path, method=method, json=json_body, headers=token_headers)
    client = web_client(app, user_id)
    if session_values:
        with client.session_transaction() as session:
            session.update(session_values)
    if method == "GET":
        return client, client.get(path)
    data = {"csrf_token": form_token(client), **(body or {})}
    return client, client.open(path, method=method, data={name: form_value(value) for name, value in data.items()})


def form_value(value):
    if isinstance(value, Upload):
        return io.BytesIO(value.content), value.name, value.content_type
    return [str(item) for item in value] if isinstance(value, list) else str(value)


def flashed_error(client) -> str | None:
    with client.session_transaction() as session:
        return next((message for category, message in session.get("_flashes", []) if category == "error"), None)


@pytest.fixture
def error_codes(monkeypatch) -> list:
    """The code of every error answer, in order (the web's error page does not show it)."""
    from participation.main import errors

    codes, answer = [], errors.error_response

    def recording(status, code, *args, **kwargs):
        codes.append(code)
        return answer(status, code, *args, **kwargs)
    monkeypatch.setattr(errors, "error_response", recording)
    return codes


@pytest.mark.parametrize("key", sorted(ROUTES))
def test_route_answers_each_role_as_the_table_says(app, db_session, redis, error_codes, key):
    check(app, db_session, error_codes, key, ROUTES[key])


@pytest.mark.parametrize("key, state, expect", VARIANTS, ids=[f"{key} {state}" for key, state, _ in VARIANTS])
def test_private_states_answer_each_role_as_the_table_says(app, db_session, redis, error_codes, key, state, expect):
    check(app, db_session, error_codes, key, expect)


def resolve(world, value):
    """A body with the World's values put in (a value may be a function of the World, in a list or not)."""
    if callable(value):
        return value(world)
    if isinstance(value, dict):
        return {name: resolve(world, item) for name, item in value.items()}
    if isinstance(value, list):
        return [resolve(world, item) for item in value]
    return value


def check(app, db_session, error_codes: list, key: str, expect: Expect) -> None:
    rule = route_keys(app).get(key)
    if rule is None:
        pytest.fail(f"{key} is in the table but not a route (renamed or removed?)")
    world = World()
    values = url_values(world, rule, expect)
    body, session_values = resolve(world, expect.body), resolve(world, expect.session)
    user_ids = {role: getattr(world.user(role), "id", None) for role in ROLES}
    tokens = {role: bearer(world.user(role)) for role in ROLES}
    path = path_for(app, rule.endpoint, **values)
    db_session.commit()

    connection = db_session.get_bind()
    seen = {}
    for role in ROLES:
        savepoint = connection.begin_nested()
        error_codes.clear()
        try:
            if expect.before:
                expect.before(world)
            client, response = call(app, key, path, user_ids[role], tokens[role], body, session_values)
            response.get_data()  # a streamed body (CSV exports) is read while its request is current
            response.close()
            seen[role] = Answer(response.status_code, response.headers.get("Location", ""),
                                error_codes[-1] if error_codes else None,
                                None if path.startswith(API_PREFIX) else flashed_error(client))
        finally:
            db_session.remove()
            savepoint.rollback()
        if path.startswith(API_PREFIX):
            assert "Set-Cookie" not in response.headers, f"{key} as {role} set a cookie"
        assert response.headers.get("X-Content-Type-Options") == "nosniff"
    wrong = {role: str(seen[role]) for role, outcome in zip(ROLES, expect.outcomes, strict=True)
             if not matches(outcome, seen[role])}
    assert wrong == {}, f"{key} {path}: expected {dict(zip(ROLES, expect.outcomes, strict=True))}"
