"""The poll pages as a citizen on a phone uses them: choose, confirm, receipt, results, bulletin."""

import re
from datetime import timedelta
from urllib.parse import unquote

from sqlalchemy import func, select

from participation.core.time import to_kst, utcnow
from participation.extensions import db
from participation.polls import services
from participation.polls.models import Ballot, Participation, Poll, SealedBallot
from participation.polls.tasks import publish_bulletin, tally_poll
from tests.conftest import csrf_token, login
from tests.factories import PollFactory, UserFactory, moderator, staff


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_choose_confirm_vote_and_see_the_receipt_once(client, batch_size):
    batch_size(2)
    poll = PollFactory(title="한강 공원 새 이름", labels=["햇살", "물결", "바람"])
    login(client, UserFactory())
    page = client.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert 'type="radio" name="choice"' in page
    token = csrf_token(client, f"/polls/{poll.id}")
    chosen = poll.options[1].id
    confirm = client.post(f"/polls/{poll.id}/confirm", data={"choice": str(chosen), "csrf_token": token})
    assert confirm.status_code == 200
    text = confirm.get_data(as_text=True)
    assert "물결" in text and "햇살" not in text
    assert count(Ballot) == 0  # nothing stored at the confirm step
    response = client.post(f"/polls/{poll.id}/vote", data={"choice": str(chosen), "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/polls/{poll.id}/receipt")
    # The session cookie carries no receipt (a signed cookie is readable), only a token for a server-side entry.
    assert "receipt" not in response.headers.get("Set-Cookie", "").lower()
    receipt_response = client.get(f"/polls/{poll.id}/receipt")
    assert receipt_response.headers["Cache-Control"] == "no-store"
    receipt_page = receipt_response.get_data(as_text=True)
    receipt = re.search(r'class="receipt-code">([A-Z0-9-]+)<', receipt_page).group(1)
    assert len(receipt) == 24
    assert receipt not in client.get(f"/polls/{poll.id}/receipt").get_data(as_text=True)
    assert count(Participation) == 1 and count(SealedBallot) == 1 and count(Ballot) == 0
    saved = re.search(r'download="receipt.txt" href="data:text/plain;charset=utf-8,([^"]+)"', receipt_page).group(1)
    assert f"영수증 코드: {receipt}\n" in unquote(saved) and f"/polls/{poll.id}/receipts" in unquote(saved)
    assert 'data-copy="receipt-code"' in receipt_page and "<details" in receipt_page  # SHA-256 folded away

    def lookup(code: str) -> str:
        """The bulletin's lookup is a POST: a receipt code never stands in a URL."""
        token = csrf_token(client, f"/polls/{poll.id}/receipts")
        response = client.post(f"/polls/{poll.id}/receipts", data={"receipt": code, "csrf_token": token})
        assert response.headers["Cache-Control"] == "no-store"
        return response.get_data(as_text=True)

    typed = receipt.lower().replace("-", "")
    tally_poll(poll.id)  # one ballot: no batch yet
    assert "아직 게시판에 없습니다" in lookup(typed)
    services.cast_ballot(poll, UserFactory(), [poll.options[0].id])
    tally_poll(poll.id)  # a batch of two is opened
    page = lookup(typed)
    assert "아직 게시판에 없습니다" in page and "아직 집계 전" in page  # not until a digest covers it
    publish_bulletin(poll.id)
    assert "게시판에 있습니다" in lookup(typed)
    bulletin = client.get(f"/polls/{poll.id}/receipts").get_data(as_text=True)
    assert "영수증 2개 포함" in bulletin and "계산" in bulletin and "아직 집계 전" not in bulletin
    assert "아직 게시판에 없습니다" in lookup("AAAA-BBBB-CCCC-DDDD-EEEE")
    in_url = client.get(f"/polls/{poll.id}/receipts?receipt={typed}").get_data(as_text=True)
    assert "이 영수증은" not in in_url  # a code in a URL is not looked up
    assert client.post(f"/polls/{poll.id}/receipts", data={"receipt": typed}).status_code == 400  # no CSRF token


def test_the_receipt_is_kept_on_the_server_not_in_the_cookie(client):
    """A signed Flask cookie is base64 that anyone holding it can read: the receipt must not be in it."""
    import base64
    import zlib

    poll = PollFactory(title="서울광장 스케이트장 운영", labels=["찬성", "반대"])
    login(client, UserFactory())
    token = csrf_token(client, f"/polls/{poll.id}")
    client.post(f"/polls/{poll.id}/vote", data={"choice": str(poll.options[0].id), "csrf_token": token})
    cookie = client.get_cookie("session").value
    payload = cookie.lstrip(".").split(".")[0]
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    text = (zlib.decompress(data) if cookie.startswith(".") else data).decode()
    receipt_page = client.get(f"/polls/{poll.id}/receipt").get_data(as_text=True)
    receipt = re.search(r'class="receipt-code">([A-Z0-9-]+)<', receipt_page).group(1)
    assert receipt not in text and receipt.replace("-", "") not in text
    assert "poll_receipts" in text  # only the one-time token is there


def test_second_vote_on_the_page_is_refused_with_a_message(client):
    poll = PollFactory()
    login(client, UserFactory())
    token = csrf_token(client, f"/polls/{poll.id}")
    data = {"choice": str(poll.options[0].id), "csrf_token": token}
    assert client.post(f"/polls/{poll.id}/vote", data=data).status_code == 303
    again = client.post(f"/polls/{poll.id}/vote", data=data, follow_redirects=True)
    assert "이미 투표하셨습니다" in again.get_data(as_text=True)
    assert count(SealedBallot) == 1


def test_too_many_choices_on_the_confirm_step_shows_the_form_again(client):
    poll = PollFactory(labels=["가", "나", "다"], max_choices=2)
    login(client, UserFactory())
    token = csrf_token(client, f"/polls/{poll.id}")
    response = client.post(f"/polls/{poll.id}/confirm", data={
        "choice": [str(option.id) for option in poll.options], "csrf_token": token})
    assert response.status_code == 422
    assert "최대 2개까지 고를 수 있습니다" in response.get_data(as_text=True)
    for nonsense in ("abc", "²", "9" * 5000, ""):
        response = client.post(f"/polls/{poll.id}/confirm", data={"choice": nonsense, "csrf_token": token})
        assert response.status_code == 422
        response = client.post(f"/polls/{poll.id}/vote", data={"choice": nonsense, "csrf_token": token})
        assert response.status_code == 303
    assert count(Ballot) == 0


def test_vote_without_csrf_is_refused(client):
    poll = PollFactory()
    login(client, UserFactory())
    response = client.post(f"/polls/{poll.id}/vote", data={"choice": str(poll.options[0].id)})
    assert response.status_code == 400
    assert count(Ballot) == 0


def test_results_page_shows_numbers_shares_and_suppressed_turnout(client, batch_size):
    batch_size(12)
    poll = PollFactory(labels=["찬성", "반대"])


    for number in range(12):
        services.cast_ballot(poll, UserFactory(district="마포구" if number < 10 else "중구"),
                             [poll.options[number % 2].id])
    tally_poll(poll.id)
    page = client.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    assert "50.0%" in page and "<progress" in page
    assert "기준" in page
    assert "참여 현황은 아직 집계 전입니다." in page and "영수증 요약값" not in page
    publish_bulletin(poll.id)
    page = client.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    assert "비공개" in page
    # The districts not shown are one row, not a line each down a phone.
    assert re.search(r'<th scope="row">그 밖의 자치구 2[45]곳</th><td class="number">비공개</td>', page)
    assert '<th scope="row">중구</th>' not in page
    assert re.search(r"참여 현황은 [^<]+ 기준입니다\.", page)
    assert "영수증 요약값 (SHA-256)" in page and "영수증 12개 포함" in page
    client.get("/lang/en")
    english = client.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    assert "covers 12 receipts" in english and "Turnout as of" in english


def ranked_rows(page: str) -> list[tuple[str, str, bool]]:
    """(rank, label, marked as a winner) for each row of the results table, top to bottom."""
    table = page[page.index('class="poll-results"'):page.index("</table>", page.index('class="poll-results"'))]
    rows = re.findall(r'<tr( class="winner")?>\s*<td class="number">(\d+)</td>\s*<th scope="row">\s*([^<\s][^<]*?)\s*<',
                      table)
    return [(rank, label, bool(winner)) for winner, rank, label in rows]


def test_results_are_ranked_by_votes_with_bars_against_the_leader(client, batch_size):
    """A choose-2-of-4 poll: rows by votes (ties share a rank, ballot order after), the leader's bar is full, a
    share is of the people who voted, and nothing is marked as chosen while the poll is open."""
    batch_size(2)
    poll = PollFactory(labels=["가로수길", "나루터", "다리 밑", "라일락 공원"], max_choices=2)
    _first, second, third, fourth = (option.id for option in poll.options)
    for choices in ([fourth, second], [fourth, third], [fourth, second], [third]):
        services.cast_ballot(poll, UserFactory(), choices)
    tally_poll(poll.id)
    page = client.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    assert ranked_rows(page) == [("1", "라일락 공원", False), ("2", "나루터", False), ("2", "다리 밑", False),
                                 ("4", "가로수길", False)]
    assert 'value="100.0"' in page and 'value="66.7"' in page  # 3 of 3 and 2 of 3 against the leader
    assert "75.0%" in page  # 3 of the 4 people who voted
    assert "뽑혔습니다" not in page
    api = client.get(f"/api/v1/polls/{poll.id}/results").get_json()
    assert [option["rank"] for option in api["options"]] == [4, 2, 2, 1]  # ballot order kept in the API


def test_a_final_tally_marks_the_top_n_and_ties_at_the_edge(client, batch_size):
    batch_size(50)
    poll = PollFactory(labels=["가", "나", "다", "라"], max_choices=2)
    first, second, third, _fourth = (option.id for option in poll.options)
    for choices in ([first, second], [first, third], [first], [second, third]):
        services.cast_ballot(poll, UserFactory(), choices)
    services.transition(poll, "closed", staff(), "조기 마감")
    tally_poll(poll.id)
    assert poll.state == "tallied"
    page = client.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    assert ranked_rows(page) == [("1", "가", True), ("2", "나", True), ("2", "다", True), ("4", "라", False)]
    assert "득표 상위 2개가 뽑혔습니다." in page and "동점이 있어 3개가 함께 뽑혔습니다." in page
    api = client.get(f"/api/v1/polls/{poll.id}/results").get_json()
    assert [option["winner"] for option in api["options"]] == [True, True, True, False]
    client.get("/lang/en")
    english = client.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    assert "The top 2 by votes were chosen." in english and "3 were chosen together" in english


def test_a_yearly_top_ten_vote_chooses_ten_and_shows_where_they_end(client, batch_size):
    """올해의 10대 뉴스: a ballot ticks up to 5 of 12 items, and the ten with the most votes are the year's ten."""
    batch_size(2)
    labels = [f"뉴스 {number:02d}" for number in range(1, 13)]
    poll = PollFactory(labels=labels, max_choices=5, tags=["top10_news"])
    options = [option.id for option in poll.options]
    for ballot in (options[:5], options[:5], options[5:10], options[:3]):
        services.cast_ballot(poll, UserFactory(), ballot)
    tally_poll(poll.id)
    counting = client.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    assert "여기까지 지금 득표 상위 10개" in counting and "뽑혔습니다" not in counting
    services.transition(poll, "closed", staff(), "조기 마감")
    tally_poll(poll.id)
    page = client.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    assert "득표 상위 10개가 뽑혔습니다." in page
    assert [label for _rank, label, winner in ranked_rows(page) if winner] == labels[:10]
    table = page[page.index('class="poll-results"'):]
    assert table.index("뉴스 10") < table.index("여기까지 득표 상위 10개") < table.index("뉴스 11")


def test_results_page_hidden_until_close_is_403_even_for_staff(client):
    poll = PollFactory(results_visibility="after_close")
    db.session.commit()  # an error response rolls back what is not committed
    assert client.get(f"/polls/{poll.id}/results").status_code == 403
    login(client, staff())
    assert client.get(f"/polls/{poll.id}/results").status_code == 403


def test_list_shows_open_polls_and_eligible_first(client):
    PollFactory(title="강남구 주민 투표", eligible_districts=["강남구"])
    PollFactory(title="마포구 주민 투표", eligible_districts=["마포구"])
    login(client, UserFactory(district="마포구"))
    page = client.get("/polls").get_data(as_text=True)
    assert page.index("마포구 주민 투표") < page.index("강남구 주민 투표")


def test_staff_creates_previews_opens_closes_and_exports(client, redis):
    officer = staff()
    login(client, officer)
    token = csrf_token(client, "/polls/new")
    closes = to_kst(utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/polls/new", data={
        "title": "올해의 10대 정책",
        "options": "청년 월세 지원\n\n기후동행카드 | 대중교통 무제한 정기권\n손목닥터 9988\n",
        "max_choices": "2", "closes_at": closes, "tags": "top10_policy", "results_visibility": "live",
        "csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)
    poll = db.session.scalar(select(Poll).where(Poll.title == "올해의 10대 정책"))
    assert poll.state == "draft" and len(poll.options) == 3 and poll.tags == ["top10_policy"]
    assert [option.description for option in poll.options] == ["", "대중교통 무제한 정기권", ""]
    assert "미리보기" in client.get(f"/polls/{poll.id}").get_data(as_text=True)
    token = csrf_token(client, f"/polls/{poll.id}/manage")
    assert client.post(f"/polls/{poll.id}/transitions/open", data={"csrf_token": token}).status_code == 303
    refused = client.post(f"/polls/{poll.id}/transitions/closed", data={"csrf_token": token,
                                                                       "reason": ""}, follow_redirects=True)
    assert "사유를 적어 주세요" in refused.get_data(as_text=True)
    assert client.post(f"/polls/{poll.id}/transitions/closed", data={"csrf_token": token,
                                                                    "reason": "조기 마감"}).status_code == 303
    assert client.get(f"/polls/{poll.id}/export.csv").status_code == 409
    tally_poll(poll.id)
    export = client.get(f"/polls/{poll.id}/export.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    lines = export.get_data(as_text=True).strip().splitlines()
    assert len(lines) == 4 and "청년 월세 지원" in lines[1]


def test_create_form_with_errors_is_422_and_writes_nothing(client):
    login(client, staff())
    token = csrf_token(client, "/polls/new")
    response = client.post("/polls/new", data={"title": "질문", "options": "하나뿐", "max_choices": "1",
                                               "closes_at": "2020-01-01T00:00", "results_visibility": "live",
                                               "csrf_token": token})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Poll)) == 0


def test_citizens_cannot_reach_the_staff_console(client):
    login(client, UserFactory())
    assert client.get("/polls/manage").status_code == 403


def test_moderator_rejects_a_citizen_poll_with_a_reason(client):
    poll = PollFactory(state="pending", by_staff=False, title="부적절한 투표")
    login(client, moderator())
    page = client.get("/polls/moderation").get_data(as_text=True)
    assert "부적절한 투표" in page
    token = csrf_token(client, "/polls/moderation")
    response = client.post(f"/polls/{poll.id}/transitions/rejected", data={
        "csrf_token": token, "reason_code": "advertising", "reason": "광고성 내용", "confirmed": "y"})
    assert response.status_code == 303
    assert poll.state == "rejected"


def test_a_citizen_reports_a_citizen_poll_and_a_moderator_hides_it(client):
    from participation.core.reports import open_report_count

    poll = PollFactory(by_staff=False, title="광고 투표")
    reporter = UserFactory()
    db.session.commit()
    login(client, reporter)
    token = csrf_token(client, f"/polls/{poll.id}")
    response = client.post(f"/polls/{poll.id}/reports", data={"csrf_token": token, "reason": "광고입니다"})
    assert response.status_code == 303
    again = client.post(f"/polls/{poll.id}/reports", data={"csrf_token": token, "reason": "광고입니다"},
                        follow_redirects=True)
    assert "이미 신고하셨습니다" in again.get_data(as_text=True)
    assert open_report_count("poll", poll.id) == 1
    client.post("/logout", data={"csrf_token": token})
    login(client, moderator())
    token = csrf_token(client, "/polls/moderation")
    response = client.post(f"/polls/{poll.id}/transitions/hidden", data={
        "csrf_token": token, "reason_code": "advertising", "confirmed": "y"})
    assert response.status_code == 303
    assert poll.state == "hidden" and open_report_count("poll", poll.id) == 0
    client.post("/logout", data={"csrf_token": token})
    assert client.get(f"/polls/{poll.id}").status_code == 404


def test_home_page_and_consoles_list_polls(client):
    PollFactory(title="첫 화면에 보일 투표")
    PollFactory(state="pending", by_staff=False)
    PollFactory(state="draft")
    db.session.commit()
    assert "첫 화면에 보일 투표" in client.get("/").get_data(as_text=True)
    login(client, UserFactory(roles=["moderator", "staff"]))
    moderation = client.get("/moderation/").get_data(as_text=True)
    assert '시민 엠보팅 검토</a> <span class="badge">1<span class="visually-hidden">건</span></span>' in moderation
    staff_console = client.get("/staff/").get_data(as_text=True)
    assert ('엠보팅 관리 (준비 중·예약)</a> <span class="badge">1<span class="visually-hidden">건</span></span>'
            in staff_console)


def test_confirm_step_of_a_closed_poll_sends_back_with_a_message(client):
    poll = PollFactory(opens_at=utcnow() - timedelta(days=2), closes_at=utcnow() - timedelta(minutes=1))
    db.session.commit()  # an error response rolls back what is not committed
    login(client, UserFactory())
    token = csrf_token(client, f"/polls/{poll.id}")
    assert 'name="choice"' not in client.get(f"/polls/{poll.id}").get_data(as_text=True)
    response = client.post(f"/polls/{poll.id}/confirm", data={"choice": str(poll.options[0].id), "csrf_token": token},
                           headers={"Referer": f"http://localhost/polls/{poll.id}"}, follow_redirects=True)
    assert response.status_code == 200
    assert "지금은 투표할 수 없습니다" in response.get_data(as_text=True)
