"""The public moderation log and the monthly report: every kind of act, never who moderated or reported."""

import json
from datetime import UTC, datetime, timedelta

from participation.core import appeals, moderation_log
from participation.core.audit import audit
from participation.core.reports import file_report, resolve_reports
from participation.extensions import db
from participation.forums import services as forums
from participation.petitions import services as petitions
from participation.proposals import services as proposals
from tests.conftest import api_token
from tests.factories import (
    ForumCommentFactory,
    ForumFactory,
    PetitionFactory,
    UserFactory,
    moderator,
    open_petition,
    open_proposal,
)


def every_kind_of_act():
    """One of each act, by two moderators with names a leak would show."""
    first = moderator(display_name="검토자홍길동", email="hong@example.com")
    second = moderator(display_name="검토자김철수", email="kim@example.com")
    reporter = UserFactory(display_name="신고자이영희")
    author = UserFactory()
    never_public = PetitionFactory(author=author, title="공개되지 않은 반려 청원")
    petitions.transition(never_public, "rejected", first, "광고입니다: 010-1234-5678", category="advertising")
    hidden = open_proposal(author=author, title="숨겨졌다 복원된 제안")
    proposals.transition(hidden, "hidden", first, "홍길동 님 연락처 포함")
    appeal = appeals.file_appeal(author, "proposal", hidden.id, "연락처를 지웠습니다")
    appeals.decide(appeal, second, "upheld", "확인했습니다")
    again = open_petition(author=author, title="무효 처리된 서명이 있는 청원")
    audit(first, "petition", again.id, "voided", "같은 사람이 만든 계정 3개의 서명")
    audit(second, "petition", again.id, "unvoided", "다시 보니 다른 사람")
    kept = open_petition(title="신고가 기각된 청원")
    file_report(reporter, "petition", kept.id, "마음에 안 듭니다", author_id=kept.author_id)
    resolve_reports(first, "petition", kept.id, upheld=False)
    comment = ForumCommentFactory(forum_id=ForumFactory(state="open").id, author_id=author.id)
    for _number in range(forums.AUTO_HIDE_REPORTS):
        forums.report_comment(comment, UserFactory(), "욕설")
    closed = open_petition(author=author, title="기각된 이의 신청의 청원")
    petitions.transition(closed, "hidden", first, "혐오 표현")
    appeals.decide(appeals.file_appeal(author, "petition", closed.id, "아닙니다"), second, "dismissed", "맞습니다")
    db.session.commit()


def test_the_log_shows_every_kind_of_act_and_nobody(client):
    every_kind_of_act()
    body = client.get("/api/v1/moderation-log?per_page=100").json
    rows = body["items"]
    assert {row["act"] for row in rows} == {"reject", "hide", "restore", "appeal_upheld", "void", "unvoid", "keep",
                                            "auto_hide", "appeal_dismissed"}
    assert body["total"] == len(rows) == 10
    by_act = {row["act"]: row for row in rows}
    assert by_act["reject"]["title"] is None and by_act["reject"]["reason"] == "advertising"
    assert by_act["restore"]["title"] == "숨겨졌다 복원된 제안" and by_act["restore"]["automatic"] is False
    assert by_act["auto_hide"]["automatic"] is True and by_act["auto_hide"]["reason"] == "reports"
    assert by_act["auto_hide"]["channel"] == "forums" and by_act["void"]["channel"] == "petitions"
    for text in (client.get("/api/v1/moderation-log?per_page=100").get_data(as_text=True),
                 client.get("/moderation-log").get_data(as_text=True),
                 client.get("/moderation-log.csv").get_data(as_text=True),
                 client.get("/moderation-log.json").get_data(as_text=True),
                 client.get("/moderation-log/monthly.json").get_data(as_text=True)):
        for secret in ("검토자홍길동", "검토자김철수", "hong@example.com", "신고자이영희", "010-1234-5678",
                       "연락처 포함", "같은 사람이 만든", '"actor', "공개되지 않은 반려 청원"):
            assert secret not in text
    page = client.get("/moderation-log").get_data(as_text=True)
    assert "공개된 적 없는 글" in page and "숨겨졌다 복원된 제안" in page and "자동 숨김 (신고 누적)" in page
    assert client.get("/moderation-log?channel=forums").get_data(as_text=True).count("<tr>") == 1 + 1
    assert client.get("/api/v1/moderation-log?channel=nowhere").status_code == 422
    lines = client.get("/moderation-log.csv").get_data(as_text=True).splitlines()
    assert lines[0].lstrip("\ufeff") == "at,channel,item_type,item_id,title,act,reason,automatic" and len(lines) == 11
    client.set_cookie("lang", "en", domain="localhost")
    assert "An unpublished item" in client.get("/moderation-log").get_data(as_text=True)


def test_the_monthly_report_counts_acts_and_times_decisions_against_the_sla(client, time_machine):
    reviewer = moderator()
    start = datetime(2026, 3, 2, 1, tzinfo=UTC)  # 10:00 in Seoul
    time_machine.move_to(start)
    quick, slow, other = (PetitionFactory(submitted_at=start) for _number in range(3))
    time_machine.move_to(start + timedelta(hours=10))
    petitions.transition(quick, "open", reviewer)
    time_machine.move_to(start + timedelta(hours=30))
    petitions.transition(other, "rejected", reviewer, "중복", category="duplicate")
    time_machine.move_to(start + timedelta(days=8))
    petitions.transition(slow, "rejected", reviewer, "불분명", category="unclear")
    db.session.commit()

    report = moderation_log.monthly("petitions", "2026-03")
    assert report.acts == {"reject": 2}
    assert report.reasons == {("reject", "duplicate"): 1, ("reject", "unclear"): 1}
    assert (report.decisions, report.median_hours, report.sla_days, report.within_sla) == (3, 30.0, 5, 2)
    assert moderation_log.monthly("petitions", "2026-02").decisions == 0
    data = json.loads(client.get("/moderation-log/monthly.json?month=2026-03&channel=petitions").data)
    assert data["channels"][0]["median_decision_hours"] == 30.0 and data["channels"][0]["within_sla"] == 2
    page = client.get("/moderation-log/monthly?month=2026-03").get_data(as_text=True)
    assert "30.0" in page and "중복" in page and "시민제안" in page
    assert client.get("/moderation-log/monthly?month=2026-13").status_code == 200  # malformed: this month


def test_the_api_log_is_public_and_paginated(client):
    every_kind_of_act()
    page = client.get("/api/v1/moderation-log?per_page=3&page=2").json
    assert (page["page"], page["per_page"], page["total"], len(page["items"])) == (2, 3, 10, 3)
    assert client.get("/api/v1/moderation-log", headers=api_token(client, UserFactory())).status_code == 200


def test_a_moderator_using_the_api_gives_the_reason_category_the_log_shows(client):
    """The web form's reason list, through the API: a hide by a moderator's app is logged with its category like one
    from the workspace; a category the list does not have is a 422 that changes nothing."""
    staff = moderator()
    headers = api_token(client, staff)
    petition, proposal = open_petition(title="연락처가 적힌 청원"), open_proposal(title="광고 같은 제안")
    db.session.commit()
    refused = client.post(f"/api/v1/petitions/{petition.id}/transitions", headers=headers,
                          json={"to": "hidden", "reason": "전화번호가 있습니다", "reason_code": "마음에 안 듦"})
    assert refused.status_code == 422 and "reason_code" in refused.json["error"]["fields"]
    assert client.get(f"/api/v1/petitions/{petition.id}").json["status"] == "open"
    for path in (f"/api/v1/petitions/{petition.id}", f"/api/v1/proposals/{proposal.id}"):
        answer = client.post(f"{path}/transitions", headers=headers,
                             json={"to": "hidden", "reason": "전화번호가 있습니다", "reason_code": "personal_data"})
        assert answer.status_code == 200, answer.json
    rows = client.get("/api/v1/moderation-log").json["items"]
    assert [(row["act"], row["reason"]) for row in rows] == [("hide", "personal_data")] * 2
