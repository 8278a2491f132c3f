"""Importing the national proposal portal's export (국민제안): dry run, confirm, idempotence, encodings."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from participation.core.errors import Forbidden, ValidationError
from participation.extensions import db
from participation.proposals import importer
from participation.proposals.models import Proposal
from tests import factories
from tests.conftest import csrf_token, login

HEADER = ["제안번호", "제목", "제안내용", "분야", "접수일", "자치구"]
CATEGORY_LABELS = ["교통", "환경", "복지", "안전", "문화·관광", "경제·일자리"]


def portal_rows(count: int) -> list[list[str]]:
    return [[f"1AA-2024-{number:05d}", f"국민제안 {number}번: 공영주차장 야간 개방", "야간에 비어 있는 공영주차장을 "
             f"주민에게 개방해 주세요 ({number}).", CATEGORY_LABELS[number % len(CATEGORY_LABELS)],
             f"2024-{number % 12 + 1:02d}-{number % 28 + 1:02d}", "" if number % 5 else "은평구"]
            for number in range(count)]


def as_csv(rows, header=HEADER, encoding="utf-8") -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode(encoding)


def proposals() -> int:
    return db.session.scalar(select(func.count()).select_from(Proposal))


def test_a_thousand_rows_imported_twice_make_a_thousand_proposals(db_session):
    staff = factories.staff()
    data = as_csv(portal_rows(1000))
    dry = importer.run_import(staff, data, "export.csv")
    assert (dry.count("new"), len(dry.errors), dry.imported) == (1000, 0, False)
    assert proposals() == 0
    done = importer.run_import(staff, data, "export.csv", confirm=True)
    assert (done.count("new"), done.imported) == (1000, True)
    again = importer.run_import(staff, data, "export.csv", confirm=True)
    assert (again.count("new"), again.count("update"), again.count("unchanged")) == (0, 0, 1000)
    assert proposals() == 1000
    sample = db.session.scalar(select(Proposal).where(Proposal.portal_id == "1AA-2024-00005"))
    assert (sample.source, sample.state, sample.category, sample.district) == (
        "national_portal", "open", "economy", "은평구")
    assert sample.submitted_at.isoformat() == "2024-06-05T15:00:00+00:00"  # 6 June, 00:00 in Seoul


def test_a_cp949_export_reads_like_utf8_and_changed_rows_are_updates(db_session):
    staff = factories.staff()
    rows = portal_rows(3)
    importer.run_import(staff, as_csv(rows, encoding="cp949"), "국민제안.csv", confirm=True)
    assert db.session.scalar(select(Proposal.title).where(Proposal.portal_id == "1AA-2024-00001")) == (
        "국민제안 1번: 공영주차장 야간 개방")
    rows[1][1] = "국민제안 1번: 공영주차장 야간 개방 (수정)"
    plan = importer.run_import(staff, as_csv(rows, encoding="utf-8-sig"), "export.csv")
    assert (plan.count("update"), plan.count("unchanged")) == (1, 2)
    assert [(row.line, row.changed) for row in plan.rows if row.action == "update"] == [(3, ["title"])]


def test_rows_with_errors_are_reported_by_line_and_skipped(db_session):
    staff = factories.staff()
    rows = portal_rows(4)
    rows[1][3] = "우주항공"
    rows[2][0] = rows[0][0]
    rows[3][4] = "어제쯤"
    rows.append(["1AA-9", "", "내용", "교통", "2024-01-01", "해운대구"])
    plan = importer.run_import(staff, as_csv(rows), "export.csv")
    assert [(row.line, len(row.errors)) for row in plan.errors] == [(3, 1), (4, 1), (5, 1), (6, 2)]
    assert "2행" in str(plan.errors[1].errors[0])
    done = importer.run_import(staff, as_csv(rows), "export.csv", confirm=True)
    assert done.count("new") == 1 and proposals() == 1


def test_wrong_columns_and_broken_files_change_nothing(db_session):
    staff = factories.staff()
    with pytest.raises(ValidationError) as error:
        importer.run_import(staff, as_csv(portal_rows(2), header=["번호", "제목", "본문", "분야", "날짜", "구"]),
                            "export.csv", confirm=True)
    assert sorted(error.value.fields) == ["map_body", "map_portal_id", "map_received_at"]
    with pytest.raises(ValidationError) as error:
        importer.run_import(staff, b"\xff\xfe\x00\x81broken", "export.csv")
    assert list(error.value.fields) == ["file"]
    with pytest.raises(ValidationError):
        importer.run_import(staff, b"PK not really a zip", "export.xlsx")
    with pytest.raises(ValidationError):
        importer.run_import(staff, b"", "export.csv")
    mapping = {**importer.default_mapping(["번호", "제목", "본문", "분야", "날짜", "구"]),
               "portal_id": "번호", "body": "본문", "received_at": "날짜", "district": "구"}
    plan = importer.run_import(staff, as_csv(portal_rows(2), header=["번호", "제목", "본문", "분야", "날짜", "구"]),
                               "export.csv", mapping, confirm=True)
    assert plan.count("new") == 2 and proposals() == 2


def test_an_export_with_a_nul_character_is_refused_and_nothing_is_imported(db_session):
    rows = portal_rows(2)
    rows[1][1] = "공영주차장\x00야간 개방"
    with pytest.raises(ValidationError) as error:
        importer.run_import(factories.staff(), as_csv(rows), "export.csv", confirm=True)
    assert error.value.fields == {"file": ["보이지 않는 제어 문자(NUL)는 입력할 수 없습니다."]}
    assert proposals() == 0


def test_an_xlsx_export_with_date_cells(db_session):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append([20240001, "한강 수영장 운영 연장", "9월까지 운영해 주세요", "문화·관광", datetime(2024, 8, 1, 9, 30),
                  "영등포구"])
    sheet.append(["1AA-X", "잘못된 행", "내용", "교통", "날짜 아님", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan = importer.run_import(factories.staff(), buffer.getvalue(), "export.xlsx", confirm=True)
    assert [row.line for row in plan.errors] == [3]
    proposal = db.session.scalars(select(Proposal)).one()
    assert (proposal.portal_id, proposal.category, proposal.district) == ("20240001", "culture", "영등포구")
    assert proposal.submitted_at.isoformat() == "2024-08-01T00:30:00+00:00"


def test_only_staff_import(db_session):
    with pytest.raises(Forbidden):
        importer.run_import(factories.UserFactory(), as_csv(portal_rows(1)), "export.csv", confirm=True)


def test_the_import_pages_preview_then_confirm(client):
    login(client, factories.staff())
    rows = portal_rows(3)
    rows[2][3] = "모름"
    upload = client.post("/proposals/staff/import", data={
        "csrf_token": csrf_token(client, "/proposals/staff/import"),
        "file": (io.BytesIO(as_csv(rows, encoding="cp949")), "국민제안_내보내기.csv")},
        content_type="multipart/form-data")
    page = upload.get_data(as_text=True)
    assert upload.status_code == 200
    assert "아직 아무것도 가져오지 않았습니다. 새 제안 2건, 바뀔 제안 0건, 그대로 0건, 오류 1행." in page
    assert "알 수 없는 분야입니다: 모름" in page and proposals() == 0
    action = re.search(r'action="(/proposals/staff/import/[0-9a-f]{32}\.csv)"', page).group(1)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    mapping = {f"map_{name}": value for name, value in importer.default_mapping(HEADER).items()}
    done = client.post(action, data={"csrf_token": token, "action": "confirm", **mapping})
    assert done.status_code == 303 and proposals() == 2
    assert client.post(action, data={"csrf_token": token, "action": "confirm", **mapping}).status_code == 404
    assert client.post("/proposals/staff/import/..%2F..%2Fsecret_key",
                       data={"csrf_token": token}).status_code == 404
    refused = client.post("/proposals/staff/import", data={
        "csrf_token": token, "file": (io.BytesIO(b"MZ"), "program.exe")}, content_type="multipart/form-data")
    assert refused.status_code == 422 and "CSV 또는 XLSX" in refused.get_data(as_text=True)


def test_unconfirmed_uploads_are_removed_after_a_day(app, db_session, time_machine):
    stale = importer.stage(as_csv(portal_rows(1)), "csv")
    db_session.commit()
    time_machine.move_to(datetime.now(UTC) + importer.STALE_AFTER - timedelta(hours=1))
    fresh = importer.stage(as_csv(portal_rows(1)), "csv")
    db_session.commit()
    time_machine.move_to(datetime.now(UTC) + timedelta(hours=1, minutes=1))
    assert importer.remove_stale_uploads() == 1
    assert importer.staged(stale) is None and importer.staged(fresh) is not None
