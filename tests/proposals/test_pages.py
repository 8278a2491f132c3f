"""Proposals as people use them in the browser (no JavaScript needed)."""

import re
from io import BytesIO

from PIL import Image
from sqlalchemy import func, select

from participation.core.audit import history
from participation.extensions import db
from participation.proposals.models import Comment, Proposal, ProposalImage, Support
from tests import factories
from tests.conftest import csrf_token, login
from tests.factories import ProposalFactory, UserFactory, open_proposal


def picture(kind: str = "PNG", size=(40, 30)) -> BytesIO:
    buffer = BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, kind)
    buffer.seek(0)
    return buffer


def proposal_form(client, **overrides) -> dict:
    return {"csrf_token": csrf_token(client, "/proposals/new"), "title": "버스 정류장에 온열 의자를",
            "problem": "겨울 아침 정류장이 너무 춥습니다.", "body": "서울 시내 버스 정류장에 온열 의자를 놓아 주세요.",
            "expected_effect": "어르신들이 덜 추우실 겁니다.", "category": "transport", "district": "", **overrides}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_citizen_proposes_with_a_photo_and_edits_until_published(client):
    citizen = UserFactory()
    login(client, citizen)
    form = client.get("/proposals/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and 'name="images" type="file"' in form
    response = client.post("/proposals/new", data={**proposal_form(client), "images": [(picture(), "정류장.png")]},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    proposal = db.session.scalars(select(Proposal)).one()
    assert (proposal.state, proposal.source, proposal.district) == ("pending", "web", None)
    image = db.session.scalars(select(ProposalImage)).one()
    assert (image.content_type, image.width, image.height) == ("image/png", 40, 30)

    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "버스 정류장에 온열 의자를" in page and "검토 대기" in page
    served = client.get(f"/proposals/images/{image.id}")
    assert (served.status_code, served.mimetype) == (200, "image/png")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert Image.open(BytesIO(served.data)).size == (40, 30)

    edited = client.post(f"/proposals/{proposal.id}/edit",
                         data=proposal_form(client, title="버스 정류장 온열 의자 설치", district="노원구"),
                         content_type="multipart/form-data")
    assert edited.status_code == 303
    assert (proposal.title, proposal.district) == ("버스 정류장 온열 의자 설치", "노원구")


def test_a_stranger_gets_404_for_someone_elses_pending_proposal_and_its_photo(client):
    proposal = ProposalFactory()
    login(client, UserFactory())
    assert client.get(f"/proposals/{proposal.id}").status_code == 404
    assert client.get(f"/proposals/{proposal.id}/edit").status_code == 404
    assert client.post(f"/proposals/{proposal.id}/support",
                       data={"csrf_token": csrf_token(client, "/proposals/new")}).status_code == 404


def test_a_bad_form_shows_messages_and_writes_nothing(client):
    login(client, UserFactory())
    response = client.post("/proposals/new", data=proposal_form(client, title="", category="weather"),
                           content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in page and "분야를 골라 주세요." in page
    assert count(Proposal) == 0


def test_uploads_that_are_not_images_or_too_big_are_refused_with_a_message(client):
    login(client, UserFactory())
    for upload, message in (((BytesIO(b"<?php echo 1; ?>"), "shell.png"), "JPEG, PNG, WebP 이미지만"),
                            ((BytesIO(b"GIF89a" + b"\0" * 100), "animation.gif"), "JPEG, PNG, WebP 이미지만"),
                            ((BytesIO(b"\xff\xd8" + b"\0" * (5 * 1024 * 1024)), "big.jpg"), "5MB 이하")):
        response = client.post("/proposals/new", data={**proposal_form(client), "images": [upload]},
                               content_type="multipart/form-data")
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    three = [(BytesIO(b"\xff\xd8" + b"\0" * (3_500_000)), f"{number}.jpg") for number in range(3)]
    response = client.post("/proposals/new", data={**proposal_form(client), "images": three},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "모두 합쳐 10MB 이하" in response.get_data(as_text=True)
    too_big = [(BytesIO(b"\0" * 4_500_000), f"{number}.jpg") for number in range(3)]
    response = client.post("/proposals/new", data={**proposal_form(client), "images": too_big},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert count(Proposal) == 0 and count(ProposalImage) == 0


def test_a_jpeg_is_re_encoded_without_its_metadata(client):
    login(client, UserFactory())
    original = BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "카메라 제조사"
    Image.new("RGB", (3000, 1500), (10, 120, 10)).save(original, "JPEG", exif=exif)
    original.seek(0)
    response = client.post("/proposals/new", data={**proposal_form(client), "images": [(original, "사진.jpg")]},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    image = db.session.scalars(select(ProposalImage)).one()
    assert (image.content_type, image.width, image.height) == ("image/jpeg", 2000, 1000)
    assert not Image.open(BytesIO(client.get(f"/proposals/images/{image.id}").data)).getexif()


def test_forms_without_csrf_are_refused(client):
    proposal = open_proposal()
    login(client, UserFactory())
    assert client.post(f"/proposals/{proposal.id}/support").status_code == 400
    assert client.post("/proposals/new", data={"title": "x", "body": "y", "category": "other"}).status_code == 400
    assert count(Support) == 0 and count(Proposal) == 1


def test_a_moderator_publishes_from_the_queue_and_citizens_support_and_withdraw(client):
    proposal = ProposalFactory(title="광장 야외 도서관 상설화")
    moderator, citizen = factories.moderator(), UserFactory()
    login(client, moderator)
    queue = client.get("/proposals/moderation").get_data(as_text=True)
    assert "광장 야외 도서관 상설화" in queue
    assert "시민제안 검토 대기" in client.get("/moderation/").get_data(as_text=True)
    response = client.post(f"/proposals/{proposal.id}/transition",
                           data={"csrf_token": csrf_token(client, "/proposals/moderation"), "to": "open",
                                 "back": "moderation"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/proposals/moderation")
    assert proposal.state == "open"

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, citizen)
    token = csrf_token(client, f"/proposals/{proposal.id}")
    assert client.post(f"/proposals/{proposal.id}/support", data={"csrf_token": token}).status_code == 303
    assert count(Support) == 1
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "공감 취소" in page
    again = client.post(f"/proposals/{proposal.id}/support", data={"csrf_token": token},
                        headers={"Referer": f"http://localhost/proposals/{proposal.id}"})
    assert again.status_code == 303 and count(Support) == 1
    assert "이미 공감하셨습니다." in client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert client.post(f"/proposals/{proposal.id}/withdraw", data={"csrf_token": token}).status_code == 303
    assert count(Support) == 0


def test_rejecting_without_a_reason_is_refused_and_the_author_sees_the_reason(client):
    proposal = ProposalFactory()
    login(client, factories.moderator())
    token = csrf_token(client, f"/proposals/{proposal.id}")
    client.post(f"/proposals/{proposal.id}/transition", data={"csrf_token": token, "to": "rejected"},
                headers={"Referer": f"http://localhost/proposals/{proposal.id}"})
    assert proposal.state == "pending"
    client.post(f"/proposals/{proposal.id}/transition",
                data={"csrf_token": token, "to": "rejected", "reason_code": "other",
                      "reason": "서울시 소관이 아닙니다"})
    assert proposal.state == "pending"  # not confirmed
    client.post(f"/proposals/{proposal.id}/transition",
                data={"csrf_token": token, "to": "rejected", "reason_code": "other", "confirmed": "y"})
    assert proposal.state == "pending"  # "기타" without an explanation
    client.post(f"/proposals/{proposal.id}/transition",
                data={"csrf_token": token, "to": "rejected", "reason_code": "not_city",
                      "reason": "서울시 소관이 아닙니다", "confirmed": "y"})
    assert proposal.state == "rejected"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, proposal.author)
    assert "서울시 소관이 아닙니다" in client.get(f"/proposals/{proposal.id}").get_data(as_text=True)


def test_comments_and_replies_with_escaped_markup_and_a_moderator_hides_one(client):
    proposal = open_proposal(title="<script>alert('제목')</script>")
    login(client, UserFactory())
    token = csrf_token(client, f"/proposals/{proposal.id}")
    client.post(f"/proposals/{proposal.id}/comments",
                data={"csrf_token": token, "body": "<img src=x onerror=alert(1)> **좋아요**"})
    top = db.session.scalars(select(Comment)).one()
    client.post(f"/proposals/{proposal.id}/comments", data={"csrf_token": token, "body": "답글입니다",
                                                            "parent_id": str(top.id)})
    client.post(f"/proposals/{proposal.id}/comments", data={"csrf_token": token, "body": "잘못된 부모",
                                                            "parent_id": "abc"})
    assert count(Comment) == 2
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<img src=x" not in page and "<strong>좋아요</strong>" in page

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, factories.moderator())
    client.post(f"/proposals/comments/{top.id}/hide",
                data={"csrf_token": csrf_token(client, f"/proposals/{proposal.id}"), "reason_code": "other",
                      "reason": "도배", "confirmed": "y"})
    assert top.hidden_at is not None
    assert "검토자가 숨긴 댓글입니다." in client.get(f"/proposals/{proposal.id}").get_data(as_text=True)


def test_list_filters_and_sorts(client):
    open_proposal(title="성동구 공원 제안", district="성동구", support_count=3)
    open_proposal(title="전체 교통 제안", district=None, category="transport", support_count=9)
    ProposalFactory(title="비공개 대기 제안")
    page = client.get("/proposals?sort=support").get_data(as_text=True)
    assert page.index("전체 교통 제안") < page.index("성동구 공원 제안") and "비공개 대기 제안" not in page
    assert "제안 1건" in client.get("/proposals?district=city").get_data(as_text=True)
    assert "제안 1건" in client.get("/proposals?q=공원&district=성동구").get_data(as_text=True)
    assert "제안 0건" in client.get("/proposals?status=pending&sort=nonsense&page=x").get_data(as_text=True)


def test_staff_assign_a_department_answer_and_the_history_tells_it(client):
    proposal = open_proposal(state="under_review", answer_due_at=factories.utcnow())
    staff = factories.staff()
    login(client, staff)
    desk = client.post("/proposals/staff", data={"csrf_token": csrf_token(client, "/proposals/staff"),
                                                 "name": "예시) 기후환경본부", "is_example": "y"})
    assert desk.status_code == 303
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    department_id = re.search(r'<option value="(\d+)">예시\) 기후환경본부</option>', page).group(1)
    token = csrf_token(client, f"/proposals/{proposal.id}")
    client.post(f"/proposals/{proposal.id}/department", data={"csrf_token": token, "department_id": department_id})
    client.post(f"/proposals/{proposal.id}/answer", data={
        "csrf_token": token, "outcome": "not_adopted", "answer_body": "이미 비슷한 사업이 있습니다."})
    assert proposal.state == "answered"
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "불채택" in page and "이미 비슷한 사업이 있습니다." in page and "예시) 기후환경본부" in page
    assert "부서 검토 중 → 답변 완료" in page
    assert [entry.action for entry in history("proposal", proposal.id)][-1] == "under_review->answered"


def test_staff_enter_a_youth_committee_proposal(client):
    login(client, factories.staff())
    response = client.post("/proposals/staff/youth", data={
        "csrf_token": csrf_token(client, "/proposals/staff/youth"), "title": "학교 앞 안심 통학로",
        "body": "통학로에 보행자 신호를 늘려 주세요.", "category": "safety", "district": "",
        "submitted_on": "2025-05-10"})
    assert response.status_code == 303
    proposal = db.session.scalars(select(Proposal)).one()
    assert (proposal.source, proposal.state) == ("youth_committee", "open")
    bad = client.post("/proposals/staff/youth", data={
        "csrf_token": csrf_token(client, "/proposals/staff/youth"), "title": "x", "body": "y",
        "category": "safety", "submitted_on": "내일"})
    assert bad.status_code == 422 and count(Proposal) == 1


def test_citizens_cannot_reach_the_staff_and_moderation_pages(client):
    login(client, UserFactory())
    for path in ("/proposals/staff", "/proposals/staff/import", "/proposals/staff/youth", "/proposals/moderation"):
        assert client.get(path).status_code == 403


def test_a_citizen_finds_their_own_proposals_in_every_state(client):
    citizen = UserFactory()
    ProposalFactory(author=citizen, title="내 대기 중 제안")
    ProposalFactory(author=citizen, title="내 반려된 제안", state="rejected")
    ProposalFactory(author=citizen, title="숨긴 제안", state="hidden")
    ProposalFactory(title="남의 대기 중 제안")
    login(client, citizen)
    page = client.get("/proposals?mine=1").get_data(as_text=True)
    # Hidden ones too: the author sees their own hidden proposal, and why (issue 20).
    assert "내 대기 중 제안" in page and "내 반려된 제안" in page and "숨긴 제안" in page and "제안 3건" in page
    assert "남의 대기 중 제안" not in page


def test_progress_shows_the_next_goal_and_none_once_both_are_reached(client, db_session):
    proposal = factories.open_proposal(support_count=30)
    db_session.commit()
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "부서 검토까지 공감 30 / 50명" in page
    proposal.support_count, proposal.state = 70, "under_review"
    db_session.commit()
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "공론장까지 공감 70 / 100명" in page and "부서 검토까지" not in page
    proposal.support_count = 114
    db_session.commit()
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "<progress" not in page


def test_a_moderator_merges_a_duplicate_by_picking_it_not_by_typing_its_number(client):
    """Issue #25 (13): the merge form lists the likely targets (same category, shared title words first) as
    choices, and a title search finds others; the chosen one's id is posted as before."""
    duplicate = open_proposal(title="한강 공원 그늘막 설치", category="environment")
    target = open_proposal(title="한강 공원에 그늘막을 더 설치해 주세요", category="environment")
    other = open_proposal(title="북촌 한옥마을 소음 줄이기", category="culture")
    ProposalFactory(title="한강 공원 그늘막 (검토 전)", category="environment")  # pending: never a target
    login(client, factories.moderator())
    page = client.get(f"/proposals/{duplicate.id}").get_data(as_text=True)
    choices = re.findall(r'<input type="radio" name="target_id" value="(\d+)"', page)
    assert choices[0] == str(target.id) and str(other.id) not in choices and str(duplicate.id) not in choices
    assert 'name="target_id" type="text"' not in page and 'type="number"' not in page.split('id="merge"')[1]
    found = client.get(f"/proposals/{duplicate.id}?merge_q=북촌").get_data(as_text=True)
    assert re.findall(r'name="target_id" value="(\d+)"', found) == [str(other.id)]
    response = client.post(f"/proposals/{duplicate.id}/merge", data={
        "csrf_token": csrf_token(client, f"/proposals/{duplicate.id}"), "target_id": str(target.id),
        "reason": "같은 내용"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/proposals/{target.id}")
    db.session.refresh(duplicate)
    assert (duplicate.state, duplicate.merged_into_id) == ("merged", target.id)
