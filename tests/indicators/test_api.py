"""GET /api/v1/indicators(.csv) and PUT /api/v1/indicators/<code>/values/<year> per API.md."""

import csv
import io

from sqlalchemy import select

from participation.extensions import db
from participation.indicators import tasks
from participation.indicators.models import IndicatorValueChange
from tests import factories
from tests.conftest import api_token


def test_the_yearly_table_has_forty_rows_with_raw_numbers(client, catalogue):
    response = client.get("/api/v1/indicators?year=2025")
    assert response.status_code == 200
    assert response.json["year"] == 2025
    rows = {row["code"]: row for row in response.json["indicators"]}
    assert len(rows) == 40
    assert rows["3.1.d"] == {
        "code": "3.1.d", "name_ko": "엠보팅(모바일투표) 참여자 수", "name_en": "Mobile-voting (mVoting) participants",
        "unit": "만명", "scale": 10000, "baseline_2024": 4_300_000, "target_2027": 5_800_000,
        "total_4yr": 20_200_000, "feed": "auto:poll_participants", "value": None, "source": None, "as_of": None}
    assert rows["3.2.b"]["baseline_2024"] == 50_000_000_000
    assert rows["1.1.b"]["feed"] == "manual"


def test_a_year_outside_the_plan_is_refused(client, catalogue):
    for year in ("2023", "2028", "abc", "-1"):
        response = client.get(f"/api/v1/indicators?year={year}")
        assert response.status_code == 422, year
        assert response.json["error"]["code"] == "invalid"
        assert "year" in response.json["error"]["fields"]


def test_staff_enter_a_value_and_every_change_is_kept(client, catalogue):
    headers = api_token(client, factories.staff())
    first = client.put("/api/v1/indicators/1.1.b/values/2025", headers=headers,
                       json={"value": 8_900, "note": "열린데이터광장 2025년 12월 말 기준"})
    assert first.status_code == 200, first.json
    assert (first.json["value"], first.json["source"]) == (8_900, "manual")
    second = client.put("/api/v1/indicators/1.1.b/values/2025", headers=headers,
                        json={"value": "9,012", "note": "정정: 중복 집계 제외"})
    assert second.status_code == 200
    row = next(r for r in client.get("/api/v1/indicators?year=2025").json["indicators"] if r["code"] == "1.1.b")
    assert (row["value"], row["source"]) == (9_012, "manual") and row["as_of"]
    changes = db.session.execute(select(IndicatorValueChange.old_value, IndicatorValueChange.new_value,
                                        IndicatorValueChange.note).order_by(IndicatorValueChange.id)).all()
    assert changes == [(None, 8_900, "열린데이터광장 2025년 12월 말 기준"), (8_900, 9_012, "정정: 중복 집계 제외")]


def test_an_automatic_measure_needs_the_override_flag(client, catalogue, fake_feeds):
    headers = api_token(client, factories.staff())
    fake_feeds.counts["poll_participants"] = 1_000
    tasks.refresh_year(2025)
    refused = client.put("/api/v1/indicators/3.1.d/values/2025", headers=headers, json={"value": 4_400_000})
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "auto_measure"
    assert "override" in refused.json["error"]["message"]
    accepted = client.put("/api/v1/indicators/3.1.d/values/2025", headers=headers,
                          json={"value": 4_400_000, "note": "현장 투표 합산", "override": True})
    assert accepted.status_code == 200
    assert (accepted.json["value"], accepted.json["source"]) == (4_400_000, "manual")
    tasks.refresh_year(2025)
    row = next(r for r in client.get("/api/v1/indicators?year=2025").json["indicators"] if r["code"] == "3.1.d")
    assert (row["value"], row["source"]) == (4_400_000, "manual")


def test_bad_values_are_clear_errors(client, catalogue):
    headers = api_token(client, factories.staff())
    cases = [
        ("1.1.b", "2025", {"value": -5}, 422, "value"),
        ("1.1.b", "2025", {"value": "많음"}, 422, "value"),
        ("1.1.b", "2025", {"value": 1.5}, 422, "value"),
        ("1.1.b", "2025", {"value": True}, 422, "value"),
        ("1.1.b", "2025", {"value": None}, 422, "value"),
        ("1.1.b", "2025", {"value": 10**30}, 422, "value"),
        ("1.1.b", "2025", {"note": "값 없음"}, 422, "value"),
        ("1.1.b", "2023", {"value": 5}, 422, "year"),
        ("1.1.b", "2028", {"value": 5}, 422, "year"),
        ("1.1.b", "올해", {"value": 5}, 422, "year"),
    ]
    for code, year, body, status, field in cases:
        response = client.put(f"/api/v1/indicators/{code}/values/{year}", headers=headers, json=body)
        assert response.status_code == status, (body, year, response.json)
        assert field in response.json["error"]["fields"], (body, year)
    unknown = client.put("/api/v1/indicators/9.9.z/values/2025", headers=headers, json={"value": 5})
    assert unknown.status_code == 404 and unknown.json["error"]["code"] == "unknown_indicator"
    not_json = client.put("/api/v1/indicators/1.1.b/values/2025", headers=headers, data="[1, 2]")
    assert not_json.status_code == 400
    assert db.session.scalar(select(db.func.count()).select_from(IndicatorValueChange)) == 0


def test_only_staff_enter_values(client, catalogue):
    anonymous = client.put("/api/v1/indicators/1.1.b/values/2025", json={"value": 5})
    assert anonymous.status_code == 401
    citizen = client.put("/api/v1/indicators/1.1.b/values/2025", json={"value": 5},
                         headers=api_token(client, factories.UserFactory()))
    assert citizen.status_code == 403


def test_the_csv_has_korean_intact(client, catalogue):
    response = client.get("/api/v1/indicators.csv?year=2024")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 40
    row = next(r for r in rows if r["code"] == "3.1.d")
    assert row["name_ko"] == "엠보팅(모바일투표) 참여자 수"
    assert (row["year"], row["unit"], row["baseline_2024"], row["value"]) == ("2024", "만명", "4300000", "")
    assert client.get("/api/v1/indicators.csv?year=1999").status_code == 422
