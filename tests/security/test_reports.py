"""Reports that cannot be brigaded (issue #18, item 7). Three accounts that never verified their e-mail reported a
verified citizen's forum comment, and it was auto-hidden. Now only accounts with a verified e-mail, at least
REPORT_MIN_ACCOUNT_HOURS (24) old, may report; the automatic hide counts distinct such reporters; and reports are
limited per account and per IP on every channel."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from participation.core import settings
from participation.core.reports import Report
from participation.core.time import utcnow
from participation.extensions import db
from participation.forums.models import Comment
from tests import factories
from tests.conftest import csrf_token, login

MONTH_AGO = timedelta(days=30)


@pytest.fixture
def report_rules(app):
    """The production rule (24 hours) instead of the tests' 0, and the given report limits."""
    saved = {name: app.config[name] for name in ("REPORT_MIN_ACCOUNT_HOURS", "REPORT_LIMITS")}

    def apply(limits="10000 per second"):
        app.config.update({"REPORT_MIN_ACCOUNT_HOURS": 24, "REPORT_LIMITS": limits})
        settings._cache.clear()

    apply()
    try:
        yield apply
    finally:
        app.config.update(saved)
        settings._cache.clear()


def report_comment(client, comment, user):
    from tests.security.conftest import bearer

    return client.post(f"/api/v1/forums/{comment.forum_id}/comments/{comment.id}/reports",
                       json={"reason": "광고입니다"}, headers=bearer(user))


def comment_state(comment_id):
    return db.session.get(Comment, comment_id).state


@pytest.mark.parametrize(("kind", "code"), [("unverified", "email_not_verified"), ("brand_new", "account_too_new")])
def test_three_unverified_or_brand_new_accounts_cannot_hide_a_comment(client, db_session, report_rules, kind, code):
    comment = factories.ForumCommentFactory(body="정성껏 쓴 시민의 의견입니다")
    if kind == "unverified":
        brigade = [factories.UserFactory(email_verified_at=None, created_at=utcnow() - MONTH_AGO) for _ in range(3)]
    else:
        brigade = [factories.UserFactory() for _ in range(3)]  # verified a minute ago
    db_session.commit()
    for user in brigade:
        response = report_comment(client, comment, user)
        assert response.status_code == 403 and response.json["error"]["code"] == code
    assert comment_state(comment.id) == "visible"
    assert db_session.scalar(select(func.count()).select_from(Report)) == 0


def test_auto_hide_counts_distinct_established_reporters(client, db_session, report_rules):
    comment = factories.ForumCommentFactory()
    established = [factories.UserFactory(created_at=utcnow() - MONTH_AGO) for _ in range(3)]
    # A report filed before the rule by an account made a minute ago is kept, but does not count towards hiding.
    db_session.add(Report(subject_type="forum_comment", subject_id=comment.id,
                          reporter_id=factories.UserFactory().id, reason="광고입니다"))
    db_session.commit()
    assert report_comment(client, comment, established[0]).status_code == 201
    assert report_comment(client, comment, established[1]).status_code == 201
    assert comment_state(comment.id) == "visible"  # 3 open reports, 2 that count
    assert report_comment(client, comment, established[2]).status_code == 201
    assert comment_state(comment.id) == "auto_hidden"


def test_reports_are_limited_per_account_on_every_channel(client, db_session, redis, report_rules):
    report_rules("1 per hour")
    petition, proposal = factories.open_petition(), factories.open_proposal()
    poll, comment = factories.PollFactory(by_staff=False), factories.ForumCommentFactory()
    channels = [(f"/petitions/{petition.id}/report", f"/petitions/{petition.id}", {"target": "petition"}),
                (f"/proposals/{proposal.id}/report", f"/proposals/{proposal.id}", {}),
                (f"/polls/{poll.id}/reports", f"/polls/{poll.id}", {}),
                (f"/forums/{comment.forum_id}/comments/{comment.id}/report", f"/forums/{comment.forum_id}", {})]
    reporters = [factories.UserFactory(created_at=utcnow() - MONTH_AGO) for _ in channels]
    db_session.commit()
    for (url, page, fields), reporter in zip(channels, reporters, strict=True):
        login(client, reporter)
        token = csrf_token(client, page)
        statuses = [client.post(url, data={"csrf_token": token, "reason": "광고입니다", **fields}).status_code
                    for _ in range(2)]
        assert statuses == [303, 429], url
        client.post("/logout", data={"csrf_token": token})
    api = report_comment(client, comment, reporters[0])  # the API shares the account's budget
    assert api.status_code == 429


def test_reports_are_limited_per_ip(client, db_session, redis, report_rules):
    report_rules("1 per hour")  # ten per IP (an IPv6 /64)
    comments = [factories.ForumCommentFactory() for _ in range(11)]
    reporters = [factories.UserFactory(created_at=utcnow() - MONTH_AGO) for _ in comments]
    db_session.commit()
    from tests.security.conftest import bearer

    statuses = [client.post(f"/api/v1/forums/{comment.forum_id}/comments/{comment.id}/reports",
                            json={"reason": "광고입니다"}, headers=bearer(reporter),
                            environ_base={"REMOTE_ADDR": f"2001:db8:5:5::{number + 1:x}"}).status_code
                for number, (comment, reporter) in enumerate(zip(comments, reporters, strict=True))]
    assert statuses == [201] * 10 + [429]


def test_nobody_is_offered_nor_allowed_to_report_what_they_wrote(client, db_session, report_rules):
    """A citizen's own petition, proposal, proposal comment, poll and forum comment: no report form on the page, and
    a report posted by hand is a 403 that files nothing."""
    from participation.proposals.models import Comment as ProposalComment
    from tests.security.conftest import bearer

    author = factories.UserFactory(created_at=utcnow() - MONTH_AGO)
    petition = factories.open_petition(author=author, title="우리 동네 가로등을 늘려 주세요")
    proposal = factories.open_proposal(author=author, title="공원에 음수대를 놓아 주세요")
    comment = ProposalComment(proposal_id=proposal.id, author_id=author.id, body="제가 쓴 제안 댓글입니다")
    db_session.add(comment)
    poll = factories.PollFactory(by_staff=False, author_id=author.id, title="우리 동네 축제, 언제 할까요?")
    forum_comment = factories.ForumCommentFactory(author_id=author.id, body="제가 쓴 공론장 댓글입니다")
    db_session.commit()
    login(client, author)
    channels = [(f"/petitions/{petition.id}", f"/petitions/{petition.id}/report", {"target": "petition"}),
                (f"/proposals/{proposal.id}", f"/proposals/{proposal.id}/report", {}),
                (f"/proposals/{proposal.id}", f"/proposals/{proposal.id}/report", {"comment_id": comment.id}),
                (f"/polls/{poll.id}", f"/polls/{poll.id}/reports", {}),
                (f"/forums/{forum_comment.forum_id}", f"/forums/{forum_comment.forum_id}/comments/{forum_comment.id}"
                                                      "/report", {})]
    for page, url, fields in channels:
        shown = client.get(page)
        assert shown.status_code == 200 and f'action="{url}"' not in shown.get_data(as_text=True), page
        answer = client.post(url, data={"csrf_token": csrf_token(client, page), "category": "advertising", **fields})
        assert answer.status_code == 403 and "내가 쓴 글은 신고할 수 없습니다." in answer.get_data(as_text=True), url
    api = client.post(f"/api/v1/forums/{forum_comment.forum_id}/comments/{forum_comment.id}/reports",
                      json={"reason": "광고입니다"}, headers=bearer(author))
    assert api.status_code == 403 and api.json["error"]["code"] == "own_item"
    assert db_session.scalar(select(func.count()).select_from(Report)) == 0


def test_the_author_of_a_petition_may_still_report_its_answer(client, db_session, report_rules):
    from participation.petitions.models import PetitionAnswer

    author = factories.UserFactory(created_at=utcnow() - MONTH_AGO)
    petition = factories.open_petition(author=author, title="답변이 달린 청원")
    db_session.add(PetitionAnswer(petition_id=petition.id, department="교통정책과", body="검토하겠습니다.",
                                  answered_by_id=factories.staff().id))
    db_session.commit()
    login(client, author)
    page = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert f'action="/petitions/{petition.id}/report"' in page and 'name="target" value="answer"' in page
    answer = client.post(f"/petitions/{petition.id}/report", data={
        "csrf_token": csrf_token(client, f"/petitions/{petition.id}"), "target": "answer", "category": "off_topic"})
    assert answer.status_code == 303
    assert db_session.scalar(select(Report.subject_type)) == "petition_answer"
