"""The staff's participation statistics: per channel per KST month, by district and age band, as CSV.

The planted data set straddles the January/February 2025 boundary in KST: 2025-01-31 14:30 UTC is
23:30 KST on 31 January (January), 2025-01-31 15:30 UTC is 00:30 KST on 1 February (February).
"""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from participation.extensions import db
from participation.forums.models import Comment as ForumComment
from participation.indicators import channel_stats
from participation.petitions.models import Signature
from participation.polls.models import Participation
from participation.proposals.models import Support
from participation.surveys.models import Response, Survey
from tests import factories
from tests.conftest import login

JAN_LAST_2330_KST = datetime(2025, 1, 31, 14, 30, tzinfo=UTC)
FEB_FIRST_0030_KST = datetime(2025, 1, 31, 15, 30, tzinfo=UTC)
JAN_10 = datetime(2025, 1, 10, 3, tzinfo=UTC)
FEB_3 = datetime(2025, 2, 3, 3, tzinfo=UTC)
MAR_5 = datetime(2025, 3, 5, 3, tzinfo=UTC)


def people(count, **profile):
    return [factories.UserFactory(**profile) for _ in range(count)]


def sign(petition, signers, at, district):
    for user in signers:
        db.session.add(Signature(petition_id=petition.id, user_id=user.id, district=district, age_band="30-39",
                                 created_at=at))


@pytest.fixture
def planted(db_session):
    """Petitions: 청원 A (Jan, threshold 10, 10 signatures from 마포구 at 23:30 KST on 31 Jan), 청원 B
    (Jan, threshold 10, 2 signatures from 강남구), 청원 C (submitted 00:30 KST on 1 Feb, threshold 1,000,
    9 signatures from 중구 at that time). A proposal published in January with 10 supports in March from
    people now living in 노원구. A poll opened at 23:30 KST on 31 January with 10 participations at 00:30 KST
    on 1 February. A survey opened in February with 10 submitted responses and 1 unsubmitted. A forum opened
    in March with 12 comments from 10 people."""
    a = factories.open_petition(submitted_at=JAN_LAST_2330_KST, published_at=JAN_LAST_2330_KST,
                                answer_threshold=10)
    b = factories.open_petition(submitted_at=JAN_10, published_at=JAN_10, answer_threshold=10)
    c = factories.open_petition(submitted_at=FEB_FIRST_0030_KST, published_at=FEB_3, answer_threshold=1000)
    sign(a, people(10), JAN_LAST_2330_KST, "마포구")
    sign(b, people(2), JAN_10, "강남구")
    sign(c, people(9), FEB_FIRST_0030_KST, "중구")

    proposal = factories.open_proposal(submitted_at=JAN_10, published_at=JAN_10, review_threshold=10)
    for user in people(10, district="노원구", birth_year=1960):
        db.session.add(Support(proposal_id=proposal.id, user_id=user.id, created_at=MAR_5))

    poll = factories.PollFactory(opens_at=JAN_LAST_2330_KST)
    for user in people(10):
        db.session.add(Participation(poll_id=poll.id, user_id=user.id, district="종로구", age_band="20-29",
                                     created_at=FEB_FIRST_0030_KST))

    survey = Survey(title="서울 대중교통 만족도 조사", state="open", opened_at=FEB_3)
    db.session.add(survey)
    db.session.flush()
    for user in people(10):
        db.session.add(Response(survey_id=survey.id, user_id=user.id, district="은평구", age_band="40-49",
                                started_at=FEB_3, updated_at=FEB_3, submitted_at=FEB_3))
    draft = people(1)[0]
    db.session.add(Response(survey_id=survey.id, user_id=draft.id, district="은평구", age_band="40-49",
                            started_at=FEB_3, updated_at=FEB_3))

    forum = factories.ForumFactory(opened_at=MAR_5)
    commenters = people(10, district="성북구", birth_year=2000)
    for number in range(12):
        db.session.add(ForumComment(forum_id=forum.id, author_id=commenters[number % 10].id, stance="pro",
                                    body="의견입니다.", created_at=MAR_5))
    db.session.flush()


def rows_by_label():
    return {(row.channel, row.measure): row for row in channel_stats.monthly(2025)}


def test_monthly_figures_follow_kst_months(planted):
    rows = rows_by_label()
    petitions_new = rows[("petitions", "new")]
    assert petitions_new.months[:3] == [2, 1, 0] and petitions_new.total == 3
    # Counted by KST month (before suppression): January 12 signatures, February 9, polls in February.
    assert channel_stats._count_acts(Signature.created_at, Signature.user_id, 2025) == {1: (12, 12), 2: (9, 9)}
    assert channel_stats._count_acts(Participation.created_at, Participation.user_id, 2025) == {2: (10, 10)}
    assert channel_stats._count_acts(Response.submitted_at, Response.user_id, 2025,
                                     Response.submitted_at.is_not(None)) == {2: (10, 10)}  # not the draft
    assert channel_stats._count_acts(ForumComment.created_at, ForumComment.author_id, 2025) == {3: (12, 10)}
    signatures = rows[("petitions", "participations")]
    # February has 9 people and ten months have none: together too few, so January (12) is hidden too — else
    # the year's 21 would give February away.
    assert signatures.months[:3] == [None, None, None]
    assert signatures.total == 21 and signatures.suppressed
    assert rows[("polls", "new")].months[:2] == [1, 0]  # items, not people: shown as they are
    assert rows[("polls", "participations")].months[:2] == [None, None]  # one busy month: the total gives it
    assert rows[("polls", "participations")].total == 10
    assert rows[("surveys", "new")].months[1] == 1
    assert rows[("surveys", "participations")].total == 10
    assert rows[("forums", "participations")].total == 12
    assert rows[("forums", "participants")].total == 10


def test_conversion_figures(planted):
    rows = rows_by_label()
    # January's petitions: A (10 signatures, reached 10) and B (2, not reached): 12 / 2 = 6.0, 1 of 2 = 50%.
    per_petition = rows[("petitions", "per_item")]
    assert per_petition.months[0] == 6.0
    assert per_petition.months[1] is None  # C alone: 9 people, suppressed
    assert per_petition.total == 7.0  # 21 signatures / 3 petitions
    reached = rows[("petitions", "reached")]
    assert reached.months[:2] == [50.0, 0.0] and reached.total == 33.3  # 1 of 3
    assert rows[("proposals", "per_item")].months[0] == 10.0
    assert rows[("proposals", "reached")].months[0] == 100.0
    assert rows[("polls", "per_item")].months[0] == 10.0  # the poll opened in January; people came in February
    assert rows[("surveys", "per_item")].months[1] == 10.0
    assert rows[("forums", "per_item")].months[2] == 12.0
    assert rows[("forums", "people_per_item")].months[2] == 10.0
    assert rows[("forums", "per_item")].months[0] is None  # no forum opened: nothing to divide


def test_one_query_per_channel_and_measure(planted):
    statements = []

    def count(*args):
        statements.append(args[2])

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        channel_stats.monthly(2025)
        monthly = len(statements)
        channel_stats.breakdown(2025)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # 5 channels × (new, participations, year's people, conversion): 20, whatever the data.
    assert monthly == 20
    assert len(statements) - monthly == 10  # 5 sources × 2 dimensions


def cells(page, label):
    start = page.index(f'<th scope="row">{label}</th>')
    return [re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r'<td class="number">(.*?)</td>', page[start:page.index("</tr>", start)], re.S)]


def test_the_page_suppresses_nine_and_shows_ten(client, planted):
    login(client, factories.staff())
    page = client.get("/indicators/statistics?year=2025").get_data(as_text=True)
    assert page.count("<caption") == 7 and 'scope="col"' in page
    assert cells(page, "서명")[:3] == ["비공개", "비공개", "비공개"]
    assert cells(page, "서명")[-1] == "21"
    assert cells(page, "청원당 서명 (해당 월 공개 청원)")[:2] == ["6", "—"]
    assert cells(page, "답변 기준 도달 청원 비율 (%)")[:2] == ["50", "0"]
    # By district, columns: signatures, supports (current district), polls, surveys, forum commenters. 중구 (9)
    # and 강남구 (2) together hold 11 signatures: 마포구's 10 can be shown. Every other column has one district
    # with ten people and none elsewhere, which its total would give away: hidden.
    assert cells(page, "마포구")[0] == "10"
    assert cells(page, "중구")[0] == "비공개" and cells(page, "강남구")[0] == "비공개"
    assert cells(page, "강동구") == ["비공개"] * 5
    assert cells(page, "노원구")[1] == cells(page, "종로구")[2] == cells(page, "성북구")[4] == "비공개"
    assert cells(page, "30대")[0] == "비공개"
    assert "현재 거주 자치구 기준" in page
    assert "10명 미만인 칸(0명 포함)과, 합계에서 그런 칸을 계산해 낼 수 있게 하는 칸은" in page  # explained


def test_the_csv_has_the_same_figures_with_korean_intact(client, planted):
    login(client, factories.staff())
    response = client.get("/indicators/statistics.csv?year=2025")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert 'filename="seoul-participation-statistics-2025.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    by_key = {(row["표"], row["채널"], row["항목"], row["구분"]): row for row in rows}
    february = by_key[("월별", "청원", "서명", "02")]
    assert (february["값"], february["비고"]) == ("", "비공개: 10명 미만이거나 그런 칸을 계산해 낼 수 있게 하는 칸")
    assert by_key[("월별", "청원", "서명", "합계")]["값"] == "21"
    assert by_key[("월별", "청원", "청원당 서명 (해당 월 공개 청원)", "01")]["값"] == "6.0"
    assert by_key[("자치구별", "청원 서명", "마포구", "연간")]["값"] == "10"
    assert by_key[("자치구별", "청원 서명", "중구", "연간")]["값"] == ""
    assert by_key[("연령대별", "청원 서명", "30대", "연간")]["값"] == ""


def test_statistics_are_for_staff_only(client, planted):
    for path in ("/indicators/statistics", "/indicators/statistics.csv"):
        assert client.get(path).status_code == 302
    login(client, factories.UserFactory())
    for path in ("/indicators/statistics", "/indicators/statistics.csv"):
        assert client.get(path).status_code == 403


def test_staff_and_admins_see_them_and_years_outside_the_plan_are_404(client, db_session):
    login(client, factories.admin())
    assert client.get("/indicators/statistics?year=2024").status_code == 200
    assert client.get("/indicators/statistics.csv?year=2027").status_code == 200
    assert client.get("/indicators/statistics?year=2040").status_code == 404
    assert client.get("/indicators/statistics.csv?year=2023").status_code == 404


def test_a_voided_burst_stops_counting_in_the_statistics(client, db_session, redis):
    """Signatures and supports staff voided (a burst from one network, issue 18 item 8) stay in the database but
    count nowhere: not in the petition's count, and not in the staff statistics either."""
    from participation.core.time import kst_today, utcnow
    from participation.staff import bursts
    from tests.security.conftest import bearer

    year = kst_today().year
    petition = factories.open_petition(answer_threshold=30)
    proposal = factories.open_proposal(review_threshold=30)

    def take_part(address, district):
        user = factories.UserFactory(district=district)
        environ = {"REMOTE_ADDR": address}
        assert client.post(f"/api/v1/petitions/{petition.id}/signatures", headers=bearer(user),
                           environ_base=environ).status_code == 201
        assert client.post(f"/api/v1/proposals/{proposal.id}/supports", headers=bearer(user),
                           environ_base=environ).status_code == 201

    for number in range(23):  # 23 people, each from a network of their own: 12 in 마포구, 11 in 중구
        take_part(f"10.{number}.0.1", "마포구" if number < 12 else "중구")
    for number in range(10):  # ten accounts from one /24 in a few minutes
        take_part(f"198.51.100.{10 + number}", "마포구")

    def figures():
        rows = {(row.channel, row.measure): row for row in channel_stats.monthly(year)}
        table = channel_stats.breakdown(year)["district"]["마포구"]
        return {channel: (rows[(channel, "participations")].total, rows[(channel, "per_item")].total,
                          rows[(channel, "reached")].total, table[source])
                for channel, source in (("petitions", "petition_signatures"), ("proposals", "proposal_supports"))}

    # (participations in the year, per item, % of items past the threshold of 30, 마포구's cell)
    assert figures() == {"petitions": (33, 33.0, 100.0, 22), "proposals": (33, 33.0, 100.0, 22)}
    officer = factories.staff()
    start, end = utcnow() - timedelta(hours=1), utcnow()
    for channel, item in (("petitions", petition), ("proposals", proposal)):
        burst = bursts.open_burst(officer, channel, item.id, "198.51.100.10", start, end)
        assert bursts.void(officer, burst.id, "한 대역에서 몇 분 만에 몰린 자동 참여").voided_count == 10
    assert figures() == {"petitions": (23, 23.0, 0.0, 12), "proposals": (23, 23.0, 0.0, 12)}
    assert db.session.query(Signature).filter_by(petition_id=petition.id).count() == 33  # kept, marked
