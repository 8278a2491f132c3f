"""The dashboard, a measure's page, staff entry, statistics, open data and the yearly review."""

import csv
import io
import json
from datetime import UTC, datetime

from sqlalchemy import select

from participation.extensions import db
from participation.indicators import queries
from participation.indicators.models import IndicatorValue, IndicatorValueChange
from participation.indicators.services import set_manual_value
from tests import factories
from tests.conftest import csrf_token, login


def test_the_dashboard_shows_every_measure_in_the_plans_units(client, catalogue):
    page = client.get("/indicators").get_data(as_text=True)
    assert page.count('class="card measure"') == 40
    assert page.count("<h1>") == 1
    assert "전략 3. 합리적 소통과 협치" in page
    assert "3-1. 정책 과정에서의 시민참여" in page
    # 3.1.d: 430 만명 in 2024, 580 만명 in 2027, 2,020 만명 in four years, so 1,010 만명 in 2025+2026
    card = page[page.index('id="measure-3.1.d"'):page.index('id="measure-3.1.e"')]
    for text in ("430 만명", "580 만명", "2,020 만명", "1,010 만명", "자동 집계", "값 없음"):
        assert text in card, text
    assert '/indicators/3.1.d/chart.svg' in card and "<caption" in card
    # The chart waits, folded with the year table, until someone opens it: no 40 image requests on arrival.
    details = card[card.index("<details"):card.index("</details>")]
    assert 'loading="lazy"' in details and "/indicators/3.1.d/chart.svg" in details


def test_the_summary_counts_standings_and_the_filters_narrow_the_list(client, catalogue):
    """A summary of on-track / at-risk / no-value measures leads the page; strategy and standing filter it."""
    db.session.add_all([
        IndicatorValue(indicator_id=catalogue["3.1.d"].id, year=2024, value=4_300_000, source="manual"),  # on track
        IndicatorValue(indicator_id=catalogue["2.3.a"].id, year=2024, value=1, source="manual"),  # far behind
    ])
    db.session.flush()
    page = client.get("/indicators").get_data(as_text=True)
    summary = page[page.index('id="summary-heading"'):page.index("</section>")]
    counts = {name: int(summary.split(f"stat-{name}")[1].split("<strong>")[1].split("<")[0])
              for name in ("on_track", "at_risk", "no_value")}
    assert counts == {"on_track": 1, "at_risk": 1, "no_value": 38}
    behind = client.get("/indicators?status=at_risk").get_data(as_text=True)
    assert behind.count('class="card measure"') == 1 and 'id="measure-2.3.a"' in behind
    assert "지표 1개 / 40개" in behind
    strategy_3 = client.get("/indicators?strategy=3").get_data(as_text=True)
    assert all(f'id="measure-{code}"' in strategy_3 for code in ("3.1.d", "3.1.e"))
    assert 'id="measure-1.1.a"' not in strategy_3 and 'id="measure-2.3.a"' not in strategy_3
    assert 'aria-current="page" class="current">전략 3.' in strategy_3
    none = client.get("/indicators?strategy=1&status=at_risk").get_data(as_text=True)
    assert 'class="card measure"' not in none and "고른 조건에 맞는 지표가 없습니다." in none
    # Unknown values filter nothing and break nothing.
    assert client.get("/indicators?strategy=x&status=%3Cscript%3E").get_data(as_text=True).count(
        'class="card measure"') == 40


def test_english_amounts_stay_short_and_count_axes_have_whole_ticks(client, catalogue):
    db.session.add(IndicatorValue(indicator_id=catalogue["2.3.a"].id, year=2025, value=3, source="manual"))
    db.session.flush()
    client.set_cookie("lang", "en", domain="localhost")
    page = client.get("/indicators").get_data(as_text=True)
    card = page[page.index('id="measure-1.1.a"'):page.index('id="measure-1.1.b"')]
    assert "32M records" in card and "×" not in card  # 32,000 천건
    assert "4.3M people" in client.get("/indicators/3.1.d").get_data(as_text=True)
    from participation.indicators.charts import ticks

    assert ticks(3, whole=True) == [0, 1, 2, 3] and ticks(0, whole=True) == [0, 1]
    assert ticks(36_500, whole=True) == [0, 10_000, 20_000, 30_000, 40_000]
    assert ticks(2.5, whole=False) == [0, 0.5, 1.0, 1.5, 2.0, 2.5]


def test_are_we_on_track_for_3_1_d(catalogue):
    """430 만명 in 2024 leaves 1,590 만명 for three years, under 580 a year: on track. 200 만명 does not."""
    indicator = catalogue["3.1.d"]
    db.session.add(IndicatorValue(indicator_id=indicator.id, year=2024, value=4_300_000, source="manual"))
    db.session.flush()
    db.session.expire_all()
    now = datetime(2025, 3, 1, tzinfo=UTC)
    measure = queries.progress(indicator, now)
    assert (measure.latest_year, measure.cumulative, measure.achievement, measure.on_track) == (
        2024, 4_300_000, 21.3, True)
    db.session.execute(db.update(IndicatorValue).values(value=2_000_000))
    db.session.expire_all()
    assert queries.progress(indicator, now).on_track is False


def test_the_on_track_mark_is_on_the_page(client, catalogue):
    db.session.add(IndicatorValue(indicator_id=catalogue["3.1.d"].id, year=2024, value=4_300_000, source="manual"))
    db.session.flush()
    page = client.get("/indicators/3.1.d").get_data(as_text=True)
    assert "순항" in page and "21.3%" in page and "4,300,000" in page


def test_a_chart_is_an_svg_image_without_script(client, catalogue):
    response = client.get("/indicators/3.1.d/chart.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert b"<svg" in response.data and "실적".encode() in response.data
    assert client.get("/indicators/9.9.z/chart.svg").status_code == 404
    assert client.get("/indicators/없는코드").status_code == 404


def test_staff_enter_a_value_on_the_page(client, catalogue):
    staff = factories.staff()
    login(client, staff)
    token = csrf_token(client, "/indicators/2.3.a/values/2025")
    response = client.post("/indicators/2.3.a/values/2025", data={
        "csrf_token": token, "value": "1,650", "note": "공익활동지원센터 출입 기록 기준"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/indicators/2.3.a")
    page = client.get("/indicators/2.3.a").get_data(as_text=True)
    assert "1,650 명" in page and "공익활동지원센터 출입 기록 기준" in page and staff.display_name in page
    bad = client.post("/indicators/2.3.a/values/2025", data={"csrf_token": token, "value": "-3", "note": ""})
    assert bad.status_code == 422 and "0 이상이어야 합니다." in bad.get_data(as_text=True)
    no_csrf = client.post("/indicators/2.3.a/values/2025", data={"value": "5"})
    assert no_csrf.status_code == 400
    assert client.get("/indicators/2.3.a/values/2031").status_code == 404
    assert db.session.scalar(select(db.func.count()).select_from(IndicatorValueChange)) == 1


def test_an_override_is_shown_and_can_be_returned_to_the_count(client, catalogue, fake_feeds):
    staff = factories.staff()
    fake_feeds.counts["forums_opened"] = 4
    set_manual_value(staff, "3.1.f", 2025, 9, "오프라인 공론장 포함", override=True)
    login(client, staff)
    assert "직접 입력 (자동 집계 대체)" in client.get("/indicators/3.1.f").get_data(as_text=True)
    token = csrf_token(client, "/indicators/3.1.f/values/2025")
    response = client.post("/indicators/3.1.f/values/2025/revert",
                           data={"csrf_token": token, "revert-note": "온라인만 세기로 함"})
    assert response.status_code == 303
    value = db.session.scalar(select(IndicatorValue).where(IndicatorValue.year == 2025))
    assert (value.value, value.source) == (4, "auto")
    assert db.session.scalars(select(IndicatorValueChange.source).order_by(IndicatorValueChange.id)).all() == [
        "manual", "auto"]


def test_citizens_cannot_enter_values_or_read_statistics(client, catalogue):
    assert client.get("/indicators/statistics").status_code == 302
    login(client, factories.UserFactory())
    assert client.get("/indicators/2.3.a/values/2025").status_code == 403
    assert client.get("/indicators/statistics").status_code == 403


def test_open_data_csv_opens_with_korean_intact(client, catalogue):
    set_manual_value(factories.staff(), "1.2.b", 2024, 96, "예시 값")
    response = client.get("/indicators/data.csv")
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert 'filename="seoul-participation-indicators.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 40
    row = next(r for r in rows if r["code"] == "1.2.b")
    assert (row["name_ko"], row["value_2024"], row["source_2024"], row["value_2025"]) == (
        "서울시보 발행", "96", "manual", "")
    assert next(r for r in rows if r["code"] == "1.1.b")["implied_2025_2026"] == "17600"


def test_open_data_json_and_its_dictionary(client, catalogue):
    response = client.get("/indicators/data.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "엠보팅".encode() in response.data
    body = json.loads(response.data)
    assert body["years"] == [2024, 2025, 2026, 2027] and len(body["indicators"]) == 40
    assert body["indicators"][0]["code"] == "1.1.a" and body["indicators"][0]["value_2024"] is None
    page = client.get("/indicators/data").get_data(as_text=True)
    assert "데이터 사전" in page and "implied_2025_2026" in page and "/indicators/data.csv" in page


def test_the_yearly_review_is_the_whole_table(client, catalogue):
    staff = factories.staff()
    set_manual_value(staff, "4.2.b", 2025, 1, "상반기 점검 회의 결과 반영")
    page = client.get("/indicators/review/2025").get_data(as_text=True)
    assert "2025년 시민참여 기본계획 이행 점검" in page
    assert page.count('<th scope="row"><a href="/indicators/') == 40
    assert "상반기 점검 회의 결과 반영" in page
    assert staff.display_name not in page  # who entered it is shown to staff only
    assert client.get("/indicators/review/2023").status_code == 404


def test_the_dashboard_in_english(client, catalogue):
    client.get("/lang/en")
    page = client.get("/indicators").get_data(as_text=True)
    assert "Mobile-voting (mVoting) participants" in page and "4.3M people" in page


def test_the_staff_console_lists_missing_manual_values(client, catalogue):
    login(client, factories.staff())
    page = client.get("/staff/").get_data(as_text=True)
    # 40 measures, 11 counted by the worker
    assert "/indicators" in page and '<span class="badge">29<span class="visually-hidden">건</span></span>' in page


def test_the_review_judges_a_year_by_the_values_up_to_it(client, catalogue):
    staff = factories.staff()
    set_manual_value(staff, "2.3.a", 2024, 1_500, "센터 방문 기록")
    set_manual_value(staff, "2.3.a", 2025, 1_800, "센터 방문 기록")

    def row(year):
        page = client.get(f"/indicators/review/{year}").get_data(as_text=True)
        start = page.index('href="/indicators/2.3.a"')
        return page[start:page.index("</tr>", start)]

    assert "22.7%" in row(2024) and "50.0%" not in row(2024)  # 1,500 of 6,600; 2025 not yet counted
    assert "50.0%" in row(2025)  # 3,300 of 6,600
