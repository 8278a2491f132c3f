"""The petition pages: filing, moderation, signing, answering — without JavaScript."""

import re
from datetime import timedelta

from sqlalchemy import select

from participation.core.time import utcnow
from participation.petitions.models import Petition
from tests.conftest import csrf_token, login
from tests.factories import PetitionFactory, UserFactory, moderator, open_petition, staff

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def post(client, path, data=None, page=None):
    return client.post(path, data={"csrf_token": csrf_token(client, page or path), **(data or {})})


def test_citizen_files_a_draft_then_submits_it(client, db_session):
    citizen = UserFactory()
    login(client, citizen)
    response = post(client, "/petitions/new", {"title": "어린이 보호구역 과속 카메라", "body": "학교 앞이 위험합니다.",
                                               "kind": "general", "category": "safety", "action": "draft"})
    assert response.status_code == 303
    petition = db_session.scalars(select(Petition)).one()
    assert (petition.state, petition.submitted_at) == ("draft", None)
    page = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert "검토 요청" in page and "수정" in page
    response = post(client, f"/petitions/{petition.id}/edit", {
        "title": "어린이 보호구역 과속 단속 카메라", "body": "학교 앞 도로가 위험합니다.", "kind": "general",
        "category": "safety", "action": "submit"})
    assert response.status_code == 303
    assert (petition.state, petition.title) == ("pending", "어린이 보호구역 과속 단속 카메라")
    assert "어린이 보호구역 과속 단속 카메라" in client.get("/petitions/mine").get_data(as_text=True)
    login(client, UserFactory())
    assert client.get(f"/petitions/{petition.id}").status_code == 404


def test_form_errors_are_shown_and_nothing_is_written(client, db_session):
    login(client, UserFactory())
    response = post(client, "/petitions/new", {"title": "가" * 101, "body": "", "kind": "없음", "category": "교통"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in page and "분야를 골라 주세요." in page and "청원 종류를 골라 주세요." in page
    assert db_session.scalar(select(Petition.id)) is None
    assert client.post("/petitions/new", data={"title": "제목", "body": "내용", "kind": "general",
                                               "category": "safety"}).status_code == 400


def test_similar_petitions_with_and_without_javascript(client, db_session):
    open_petition(title="지하철 2호선 혼잡 완화")
    fragment = client.get("/petitions/similar?title=지하철 혼잡").get_data(as_text=True)
    assert "지하철 2호선 혼잡 완화" in fragment and "<html" not in fragment
    assert "찾지 못했습니다" in client.get("/petitions/similar?title=한강").get_data(as_text=True)
    login(client, UserFactory())
    page = client.get("/petitions/new?title=지하철 혼잡").get_data(as_text=True)
    assert "지하철 2호선 혼잡 완화" in page and 'value="지하철 혼잡"' in page


def test_moderator_works_the_queue_oldest_first(client, db_session):
    old = PetitionFactory(title="엿새 기다린 청원", submitted_at=utcnow() - timedelta(days=6))
    new = PetitionFactory(title="오늘 들어온 청원")
    login(client, UserFactory())
    assert client.get("/petitions/moderation").status_code == 403
    login(client, moderator())
    page = client.get("/petitions/moderation").get_data(as_text=True)
    assert page.index("엿새 기다린 청원") < page.index("오늘 들어온 청원")
    assert "6일째 대기" in page and page.count("기한 지남") == 1 and "처리할 항목 2건" in page
    assert "청원 검토 대기" in client.get("/moderation/").get_data(as_text=True)

    response = post(client, f"/petitions/{old.id}/publish", page="/petitions/moderation")
    assert response.status_code == 303 and response.headers["Location"].endswith("/petitions/moderation#queue")
    assert old.state == "open" and old.answer_threshold == 1000
    response = post(client, f"/petitions/{new.id}/reject",
                    {"reason_code": "duplicate", "reason": "12번 청원에 서명해 주세요.", "confirmed": "y"},
                    page="/petitions/moderation")
    assert response.status_code == 303
    assert new.rejection_reason == "같은 내용의 청원이 이미 진행 중입니다: 12번 청원에 서명해 주세요."
    assert "처리할 항목이 없습니다." in client.get("/petitions/moderation").get_data(as_text=True)

    login(client, new.author)
    page = client.get(f"/petitions/{new.id}").get_data(as_text=True)
    assert "반려 사유" in page and "12번 청원에 서명해 주세요." in page
    history = client.get(f"/petitions/{new.id}/history").get_data(as_text=True)
    assert "검토 중 → 반려" in history and "처리자" not in history


def test_citizen_signs_and_withdraws_with_a_confirming_post(client, db_session, run_jobs):
    petition = open_petition(title="공공도서관 야간 개방")
    anonymous = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert "로그인하고 서명하기" in anonymous
    citizen = UserFactory()
    login(client, citizen)
    page = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert re.search(rf'<form method="post" action="/petitions/{petition.id}/sign"', page)
    assert client.get(f"/petitions/{petition.id}/sign").status_code == 405
    assert post(client, f"/petitions/{petition.id}/sign", page=f"/petitions/{petition.id}").status_code == 303
    second = client.post(f"/petitions/{petition.id}/sign", headers={"Referer": f"http://localhost/petitions/{petition.id}"},
                         data={"csrf_token": csrf_token(client, f"/petitions/{petition.id}")})
    assert second.status_code == 303
    assert "이미 서명하셨습니다." in client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    run_jobs()
    page = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert "1명" in page and "서명 철회" in page and "자치구별 서명" in page
    assert post(client, f"/petitions/{petition.id}/withdraw", page=f"/petitions/{petition.id}").status_code == 303
    run_jobs()
    assert "이 청원에 서명하기" in client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert petition.signature_count == 0


def test_xss_in_every_field_is_rendered_escaped(client, db_session):
    author = UserFactory(display_name=XSS[:40])
    petition = open_petition(author=author, title=XSS[:100], body=f"# 제목\n\n{XSS}\n\n[링크](javascript:alert(1))",
                             state="closed", closed_at=utcnow(), answer_due_at=utcnow() + timedelta(days=90))
    clerk = staff()
    login(client, clerk)
    answer = {"department": XSS[:100], "body": XSS, "links": 'https://example.com/"><script>'}
    assert post(client, f"/petitions/{petition.id}/answer", answer).status_code == 303
    for path in (f"/petitions/{petition.id}", "/petitions?status=answered", "/petitions/answers",
                 f"/petitions/{petition.id}/history", "/petitions/similar?title=" + XSS, "/"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page
        assert 'href="javascript:' not in page
    page = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert" in page


def test_hidden_petition_says_so_in_general_terms(client, db_session):
    petition = open_petition(title="특정인 비방 청원", body="비방하는 내용")
    reporter = UserFactory()
    login(client, reporter)
    assert post(client, f"/petitions/{petition.id}/report", {"target": "petition", "reason": "특정인을 비방합니다"},
                page=f"/petitions/{petition.id}").status_code == 303
    login(client, moderator())
    queue = client.get("/petitions/moderation").get_data(as_text=True)
    assert "특정인 비방 청원" in queue and "특정인을 비방합니다" in queue and "신고 기각" in queue
    assert post(client, f"/petitions/{petition.id}/hide",
                {"reason_code": "personal_data", "reason": "실명 비방 (운영 원칙 3조)", "confirmed": "y"},
                page=f"/petitions/{petition.id}").status_code == 303
    assert "처리할 항목이 없습니다." in client.get("/petitions/moderation").get_data(as_text=True)
    login(client, reporter)
    page = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert "숨김 처리되었습니다" in page and "비방하는 내용" not in page and "특정인 비방 청원" not in page
    assert "실명 비방" not in client.get(f"/petitions/{petition.id}/history").get_data(as_text=True)


def test_staff_sees_due_dates_and_overdue_answers(client, db_session):
    late = open_petition(title="늦은 답변 청원", state="closed", closed_at=utcnow() - timedelta(days=100),
                         answer_due_at=utcnow() - timedelta(days=10), signature_count=1500)
    open_petition(title="기한 남은 청원", state="closed", closed_at=utcnow(),
                  answer_due_at=utcnow() + timedelta(days=90), signature_count=1100)
    open_petition(title="토론회 청구", kind="debate_request", signature_count=5200)
    login(client, staff())
    page = client.get("/petitions/answers").get_data(as_text=True)
    assert page.index("늦은 답변 청원") < page.index("기한 남은 청원") and page.count("기한 지남") == 1
    console = client.get("/staff/").get_data(as_text=True)
    assert "답변할 청원" in console and "토론회 안건" in console
    assert "토론회 청구" in client.get("/petitions/debate-agenda").get_data(as_text=True)
    assert post(client, f"/petitions/{late.id}/extend", {"reason": "관계 기관 협의"},
                page=f"/petitions/{late.id}/answer").status_code == 303
    assert late.extension_reason == "관계 기관 협의"
    login(client, UserFactory())
    assert client.get("/petitions/answers").status_code == 403


def test_pages_read_in_english_too(client, db_session):
    open_petition(title="심야버스 노선 확대")
    client.get("/lang/en")
    page = client.get("/petitions").get_data(as_text=True)
    assert "Start a petition" in page and "Open for signatures" in page and "심야버스 노선 확대" in page


def test_the_queue_pages_through_a_long_backlog(client, db_session):
    for number in range(21):
        PetitionFactory(title=f"대기 청원 {number:02d}", submitted_at=utcnow() - timedelta(hours=100 - number))
    login(client, moderator())
    first = client.get("/petitions/moderation").get_data(as_text=True)
    assert first.count('class="card" id="case-petition-') == 20 and 'rel="next"' in first and "1 / 2 쪽" in first
    second = client.get("/petitions/moderation?page=2").get_data(as_text=True)
    assert second.count('class="card" id="case-petition-') == 1 and "대기 청원 20" in second and 'rel="prev"' in second


def test_moderator_can_decide_from_the_petition_page_and_the_author_is_told(client, db_session):
    from participation.core.notifications import recent

    petition = PetitionFactory(title="버스 정류장 온열 의자")
    login(client, moderator())
    page = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert f'action="/petitions/{petition.id}/publish"' in page and 'for="reason-code-' in page
    assert post(client, f"/petitions/{petition.id}/publish", page=f"/petitions/{petition.id}").status_code == 303
    assert petition.state == "open"
    assert [n.message for n in recent(petition.author_id)] == ["청원 '버스 정류장 온열 의자'이(가) 공개되었습니다."]


def test_citizen_reports_the_answer(client, db_session):
    from participation.core.reports import open_reports

    petition = open_petition(state="answered", closed_at=utcnow())
    from participation.petitions.models import PetitionAnswer

    petition.answer = PetitionAnswer(department="교통정책과 (예시)", body="검토하겠습니다.", links="")
    db_session.flush()
    login(client, UserFactory())
    page = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert 'name="target"' in page and "답변" in page
    assert post(client, f"/petitions/{petition.id}/report", {"target": "answer", "reason": "답변이 질문과 무관합니다"},
                page=f"/petitions/{petition.id}").status_code == 303
    assert [(r.subject_type, r.subject_id) for r in open_reports()] == [("petition_answer", petition.answer.id)]
    login(client, moderator())
    queue = client.get("/petitions/moderation").get_data(as_text=True)
    assert "청원 답변:" in queue and "검토하겠습니다." in queue and "답변이 질문과 무관합니다" in queue
    assert post(client, "/moderation/queues/petitions/act", {"action": "dismiss",
                                                             "items": f"petition_answer:{petition.answer.id}"},
                page="/petitions/moderation").status_code == 303
    assert open_reports() == []


def test_the_page_sells_signing_to_everyone_it_can_and_says_why_to_the_others(client, db_session):
    """Issue #25 (11): a button for visitors (sign in, then back at the sign button); the bar says 달성 past the
    threshold; withdrawing asks first; an unverified citizen reads why instead of a button that refuses."""
    petition = open_petition(title="공공도서관 야간 개방", answer_threshold=100, signature_count=160)
    anonymous = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert re.search(r'<a class="button button-large" href="/login\?next=/petitions/\d+%23sign">'
                     r'로그인하고 서명하기</a>', anonymous)
    assert "답변 기준 100명 달성" in anonymous and 'class="bar done"' in anonymous
    assert "답변 기준 100명까지" not in anonymous
    # Every public item can be shared, and says what it is to the page that shows the link.
    assert '<meta property="og:title" content="공공도서관 야간 개방">' in anonymous
    assert re.search(r'<meta property="og:description" content="서명 160명 · 밤 늦게', anonymous)
    assert "twitter.com/intent/tweet?text=%EA%B3%B5" in anonymous
    assert f"http://localhost/petitions/{petition.id}" in anonymous

    unverified = UserFactory(email_verified_at=None)
    login(client, unverified)
    page = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert "이메일 인증을 마치면 서명할 수 있습니다." in page
    assert f'action="/petitions/{petition.id}/sign"' not in page

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    citizen = UserFactory()
    login(client, citizen)
    fewer = open_petition(answer_threshold=100, signature_count=40)
    page = client.get(f"/petitions/{fewer.id}").get_data(as_text=True)
    assert "답변 기준 100명까지 60명 남음" in page and f'action="/petitions/{fewer.id}/sign"' in page
    assert post(client, f"/petitions/{fewer.id}/sign", page=f"/petitions/{fewer.id}").status_code == 303
    page = client.get(f"/petitions/{fewer.id}").get_data(as_text=True)
    # Withdrawing is a second step: the button sits inside a disclosure that says what happens.
    confirm = re.search(r'<details class="confirm-step">.*?</details>', page, re.S).group(0)
    assert "서명 수에서 빠집니다" in confirm and f'action="/petitions/{fewer.id}/withdraw"' in confirm
