"""Documents attached to a forum's background (첨부 문서): staff upload PDF, images, 한글, Office files,
recognised by their content; citizens download them from the forum page; drafts stay hidden."""

import zipfile
from io import BytesIO
from urllib.parse import quote

import pytest
from PIL import Image
from sqlalchemy import func, select

from participation.core import storage
from participation.core.audit import AuditEntry
from participation.extensions import db
from participation.forums import attachments
from participation.forums.models import ForumAttachment
from tests import factories
from tests.conftest import api_token, csrf_token, login, stored_names

REFUSED_TYPE = "PDF, PNG, JPEG, 한글(HWP·HWPX), 워드(DOCX), 엑셀(XLSX), 파워포인트(PPTX) 문서만 올릴 수 있습니다."


def image(kind: str) -> bytes:
    output = BytesIO()
    Image.new("RGB", (4, 3), (11, 78, 162)).save(output, kind)
    return output.getvalue()


def package(parts: dict[str, bytes]) -> bytes:
    output = BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return output.getvalue()


def hwp() -> bytes:
    """An OLE compound file (as HWP 5.0 is) whose FileHeader stream carries the HWP signature."""
    header = attachments.OLE_MAGIC + b"\x00" * 504
    directory = "FileHeader".encode("utf-16-le") + b"\x00" * 108
    return header + directory + b"HWP Document File" + b"\x00" * 240


def ooxml(part: str) -> bytes:
    return package({"[Content_Types].xml": b"<Types/>", "_rels/.rels": b"<Relationships/>", part: b"<x/>"})


SAMPLES = {
    "공론장 배경 자료.pdf": (b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n", "application/pdf"),
    "따릉이 정류소 지도.png": (image("PNG"), "image/png"),
    "현장 사진.jpeg": (image("JPEG"), "image/jpeg"),
    "요금 조정안.hwp": (hwp(), "application/x-hwp"),
    "요금 조정안.hwpx": (package({"mimetype": b"application/hwp+zip", "Contents/section0.xml": b"<s/>"}),
                      "application/hwp+zip"),
    "설명 자료.docx": (ooxml("word/document.xml"), attachments.OOXML + "wordprocessingml.document"),
    "이용 통계.xlsx": (ooxml("xl/workbook.xml"), attachments.OOXML + "spreadsheetml.sheet"),
    "설명회 발표.pptx": (ooxml("ppt/presentation.xml"), attachments.OOXML + "presentationml.presentation"),
}
PDF = SAMPLES["공론장 배경 자료.pdf"][0]


def stored_files() -> set[str]:
    return stored_names(attachments.PART)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def upload(client, forum, name: str, data: bytes, token: str | None = None):
    form = {"file": (BytesIO(data), name)}
    if token is not False:
        form["csrf_token"] = token or csrf_token(client, f"/forums/{forum.id}")
    return client.post(f"/forums/{forum.id}/attachments", data=form, content_type="multipart/form-data")


def staff_with_forum(client, **forum_fields):
    staff = factories.staff()
    forum = factories.ForumFactory(created_by_id=staff.id, **forum_fields)
    db.session.commit()
    login(client, staff)
    return staff, forum


@pytest.mark.parametrize("name", list(SAMPLES))
def test_staff_attach_each_accepted_kind_of_document(client, name):
    staff, forum = staff_with_forum(client)
    data, content_type = SAMPLES[name]
    before = stored_files()

    response = upload(client, forum, name, data)

    assert response.status_code == 303
    row = db.session.scalar(select(ForumAttachment))
    assert (row.forum_id, row.original_name, row.content_type, row.size, row.uploaded_by_id) == (
        forum.id, name, content_type, len(data), staff.id)
    assert row.stored_name != name and "/" not in row.stored_name
    assert stored_files() - before == {row.stored_name}
    assert storage.read(attachments.attachment_key(row)) == data
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.subject_type == "forum_attachment"))
    assert (entry.actor_id, entry.subject_id, entry.action) == (staff.id, row.id, "attached")


@pytest.mark.parametrize("name, data", [
    ("보고서.pdf", b"MZ\x90\x00 this is a Windows program"),  # a program renamed to .pdf
    ("보고서.docx", PDF),  # a PDF under a Word name
    ("사진.png", image("JPEG")),  # a JPEG under a PNG name
    ("보고서.docx", package({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<x/>"})),  # a workbook
    ("압축.docx", package({"readme.txt": b"hello"})),  # any zip
    ("문서.hwp", attachments.OLE_MAGIC + b"\x00" * 600),  # an OLE file that is not HWP (e.g. old .doc)
    ("스크립트.html", b"<html><script>alert(1)</script></html>"),
    ("확장자없음", PDF),
])
def test_a_file_whose_content_is_not_an_accepted_document_is_refused(client, name, data):
    _, forum = staff_with_forum(client)
    before = stored_files()

    response = upload(client, forum, name, data)

    assert response.status_code == 422
    assert REFUSED_TYPE in response.get_data(as_text=True)
    assert count(ForumAttachment) == 0 and stored_files() == before
    assert count(AuditEntry) == 0


def test_an_empty_or_missing_file_is_refused(client):
    _, forum = staff_with_forum(client)
    response = upload(client, forum, "빈 파일.pdf", b"")
    assert response.status_code == 422
    assert "올릴 파일을 골라 주세요." in response.get_data(as_text=True)
    assert count(ForumAttachment) == 0


def test_a_document_over_20_mb_is_refused_with_a_message(client):
    _, forum = staff_with_forum(client)
    before = stored_files()

    response = upload(client, forum, "큰 자료.pdf", PDF + b"0" * (20 * 1024 * 1024))

    assert response.status_code == 422
    assert "첨부 문서는 한 개에 20MB 이하여야 합니다." in response.get_data(as_text=True)
    assert count(ForumAttachment) == 0 and stored_files() == before
    exactly_20 = PDF + b"0" * (20 * 1024 * 1024 - len(PDF))
    assert upload(client, forum, "딱 20MB.pdf", exactly_20).status_code == 303
    assert db.session.scalar(select(ForumAttachment.size)) == 20 * 1024 * 1024


def test_at_most_ten_documents_per_forum(client):
    _, forum = staff_with_forum(client)
    token = csrf_token(client, f"/forums/{forum.id}")
    for number in range(10):
        assert upload(client, forum, f"자료 {number + 1}.pdf", PDF, token).status_code == 303
    before = stored_files()

    response = upload(client, forum, "열한 번째.pdf", PDF, token)

    assert response.status_code == 422
    assert "공론장 하나에 문서는 10개까지 첨부할 수 있습니다." in response.get_data(as_text=True)
    assert count(ForumAttachment) == 10 and stored_files() == before
    other = factories.ForumFactory()
    db.session.commit()
    assert upload(client, other, "다른 공론장.pdf", PDF, token).status_code == 303


def test_the_download_keeps_the_korean_name_type_and_bytes(client):
    _, forum = staff_with_forum(client)
    name = "2025년 따릉이 요금 조정안 (최종).hwpx"
    data, content_type = SAMPLES["요금 조정안.hwpx"]
    upload(client, forum, name, data)
    row = db.session.scalar(select(ForumAttachment))

    response = client.get(f"/forums/{forum.id}/attachments/{row.id}")

    assert response.status_code == 200
    assert response.data == data
    assert response.headers["Content-Type"] == content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(name)}" in disposition
    assert response.headers["Content-Length"] == str(len(data))


def test_the_forum_page_lists_the_documents_under_the_background(client):
    _, forum = staff_with_forum(client)
    upload(client, forum, "공론장 배경 자료.pdf", PDF + b"0" * 2000)
    row = db.session.scalar(select(ForumAttachment))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    page = client.get(f"/forums/{forum.id}").get_data(as_text=True)

    background = page.split('id="background-heading"')[1].split('id="stance-heading"')[0]
    assert "첨부 문서" in background and "공론장 배경 자료.pdf" in background
    assert f'href="/forums/{forum.id}/attachments/{row.id}"' in background
    assert "PDF" in background and "2.0 kB" in background
    assert "지우기" not in background  # no removal button for a citizen or a visitor


def test_a_draft_forums_documents_are_hidden_from_citizens(client):
    _, forum = staff_with_forum(client, state="draft", opened_at=None, closes_at=None)
    assert upload(client, forum, "공개 전 자료.pdf", PDF).status_code == 303
    row = db.session.scalar(select(ForumAttachment))
    path = f"/forums/{forum.id}/attachments/{row.id}"
    assert client.get(path).status_code == 200
    citizen = factories.UserFactory()
    db.session.commit()
    headers = api_token(client, citizen)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    assert client.get(path).status_code == 404
    login(client, citizen)
    assert client.get(path).status_code == 404
    assert client.get(f"/api/v1/forums/{forum.id}", headers=headers).status_code == 404
    # Another forum's id with this attachment's id: not found either.
    other = factories.ForumFactory()
    db.session.commit()
    assert client.get(f"/forums/{other.id}/attachments/{row.id}").status_code == 404


def test_citizens_cannot_upload_or_remove_and_uploads_need_the_csrf_token(client):
    _, forum = staff_with_forum(client)
    assert upload(client, forum, "자료.pdf", PDF, token=False).status_code == 400
    assert count(ForumAttachment) == 0
    upload(client, forum, "자료.pdf", PDF)
    row = db.session.scalar(select(ForumAttachment))
    citizen = factories.UserFactory()
    db.session.commit()
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, citizen)
    token = csrf_token(client, f"/forums/{forum.id}")

    assert upload(client, forum, "시민 자료.pdf", PDF, token).status_code == 403
    assert client.post(f"/forums/{forum.id}/attachments/{row.id}/delete",
                       data={"csrf_token": token}).status_code == 403
    assert count(ForumAttachment) == 1


def test_staff_remove_a_document_and_it_is_audited(client):
    _, forum = staff_with_forum(client)
    upload(client, forum, "잘못 올린 자료.pdf", PDF)
    row = db.session.scalar(select(ForumAttachment))
    row_id, key = row.id, attachments.attachment_key(row)
    token = csrf_token(client, f"/forums/{forum.id}")
    assert client.post(f"/forums/{forum.id}/attachments/{row_id}/delete").status_code == 400  # no CSRF token
    assert storage.exists(key)

    response = client.post(f"/forums/{forum.id}/attachments/{row_id}/delete", data={"csrf_token": token})

    assert response.status_code == 303
    assert count(ForumAttachment) == 0 and not storage.exists(key)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.subject_type == "forum_attachment")
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["attached", "removed"]
    assert client.get(f"/forums/{forum.id}/attachments/{row_id}").status_code == 404


def test_a_closed_forums_documents_can_no_longer_change(client):
    _, forum = staff_with_forum(client)
    upload(client, forum, "자료.pdf", PDF)
    forum.state = "closed"
    db.session.commit()
    row = db.session.scalar(select(ForumAttachment))
    token = csrf_token(client, f"/forums/{forum.id}")

    refused = upload(client, forum, "마감 후 자료.pdf", PDF, token)
    assert refused.status_code == 409
    assert "초안이거나 의견을 받는 중인 공론장에만" in refused.get_data(as_text=True)
    assert client.post(f"/forums/{forum.id}/attachments/{row.id}/delete",
                       data={"csrf_token": token}).status_code == 409
    assert count(ForumAttachment) == 1
    assert client.get(f"/forums/{forum.id}/attachments/{row.id}").status_code == 200


def test_a_path_in_the_file_name_is_dropped():
    assert attachments.clean_name("../../etc/공론장.pdf") == "공론장.pdf"
    assert attachments.clean_name("C:\\문서\\요금\u0000안.pdf") == "요금안.pdf"
    assert attachments.clean_name("가" * 300 + ".pdf").endswith(".pdf")
    assert len(attachments.clean_name("가" * 300 + ".pdf")) == 255
    # macOS sends Korean names decomposed (NFD); they are stored composed.
    assert attachments.clean_name("\u1100\u1161.pdf") == "가.pdf"


def test_the_api_lists_the_documents_in_the_forum_detail(client):
    _, forum = staff_with_forum(client)
    upload(client, forum, "이용 통계.xlsx", SAMPLES["이용 통계.xlsx"][0])
    row = db.session.scalar(select(ForumAttachment))

    detail = client.get(f"/api/v1/forums/{forum.id}").json

    assert detail["attachments"] == [{
        "id": row.id, "name": "이용 통계.xlsx", "content_type": SAMPLES["이용 통계.xlsx"][1], "size": row.size,
        "url": f"http://localhost/forums/{forum.id}/attachments/{row.id}"}]
    assert "attachments" not in client.get("/api/v1/forums").json["items"][0]
