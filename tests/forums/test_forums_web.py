"""The forum pages: the thread with replies and hidden comments, the stance summary, the opinion map with its
text alternative, forms with CSRF, reports that hide a comment at three different reporters, moderation."""

import re

from sqlalchemy import func, select

from participation.core.reports import Report
from participation.extensions import db
from participation.forums import counts, services
from participation.forums.models import Comment, Forum, Reaction, Statement
from tests import factories
from tests.conftest import csrf_token, login

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_thread_shows_stances_replies_and_hidden_comments(client):
    forum = factories.ForumFactory()
    author = factories.UserFactory(display_name="김따릉")
    top = factories.ForumCommentFactory(forum_id=forum.id, author_id=author.id, stance="con",
                                        body="요금 인상에 **반대**합니다.")
    factories.ForumCommentFactory(forum_id=forum.id, parent_id=top.id, stance="other", body="정기권 이야기도 해요.")
    factories.ForumCommentFactory(forum_id=forum.id, state="hidden", body="욕설이 담긴 댓글")
    db.session.commit()

    page = client.get(f"/forums/{forum.id}").get_data(as_text=True)
    assert page.count("<h1>") == 1
    assert "요금 인상에 <strong>반대</strong>합니다." in page
    assert "김따릉" in page and "반대" in page
    after_top = page.split(f'id="comment-{top.id}"')[1]
    assert after_top.index('class="replies"') < after_top.index("정기권 이야기도 해요.")
    assert "숨겨진 댓글" in page and "욕설이 담긴 댓글" not in page
    assert "로그인하고 의견 남기기" in page


def test_a_citizen_comments_and_replies_through_the_page(client):
    forum = factories.ForumFactory()
    citizen = factories.UserFactory()
    db.session.commit()
    login(client, citizen)
    token = csrf_token(client, f"/forums/{forum.id}")
    response = client.post(f"/forums/{forum.id}/comments", data={
        "csrf_token": token, "stance": "pro", "body": "요금을 올려 자전거를 늘려 주세요."})
    assert response.status_code == 303
    top = db.session.scalar(select(Comment))
    assert response.headers["Location"].endswith(f"#comment-{top.id}")
    client.post(f"/forums/{forum.id}/comments", data={
        "csrf_token": token, "stance": "other", "body": "저도 같은 생각", "parent_id": str(top.id)})
    assert count(Comment) == 2
    assert db.session.scalar(select(Comment.parent_id).where(Comment.id != top.id)) == top.id

    without_token = client.post(f"/forums/{forum.id}/comments", data={"stance": "pro", "body": "토큰 없이"})
    assert without_token.status_code == 400
    bad = client.post(f"/forums/{forum.id}/comments", data={"csrf_token": token, "stance": "yes", "body": ""})
    assert bad.status_code == 422
    assert count(Comment) == 2


def test_a_reply_to_another_forums_comment_is_refused(client):
    forum = factories.ForumFactory()
    elsewhere = factories.ForumCommentFactory(forum_id=factories.ForumFactory(title="다른 질문").id)
    citizen = factories.UserFactory()
    db.session.commit()
    login(client, citizen)
    response = client.post(f"/forums/{forum.id}/comments", data={
        "csrf_token": csrf_token(client, f"/forums/{forum.id}"), "stance": "pro", "body": "엉뚱한 답글",
        "parent_id": str(elsewhere.id)})
    assert response.status_code == 422
    assert "이 공론장의 댓글에만 답글을 달 수 있습니다." in response.get_data(as_text=True)
    assert count(Comment) == 1


def test_three_reports_from_different_people_hide_a_comment_until_reviewed(client, db_session):
    comment = factories.ForumCommentFactory(body="광고성 댓글입니다")
    reporters = [factories.UserFactory() for _ in range(3)]
    services.report_comment(comment, reporters[0], "광고입니다")
    services.report_comment(comment, reporters[1], "광고입니다")
    assert comment.state == "visible"
    services.report_comment(comment, reporters[2], "광고입니다")
    assert comment.state == "auto_hidden"
    assert count(Report) == 3

    moderator = factories.moderator()
    services.keep_comment(comment, moderator)
    assert comment.state == "visible"
    assert db.session.scalars(select(Report.status)).all() == ["dismissed"] * 3


def test_one_person_reporting_three_times_hides_nothing(client):
    comment = factories.ForumCommentFactory()
    reporter = factories.UserFactory()
    db.session.commit()
    login(client, reporter)
    token = csrf_token(client, f"/forums/{comment.forum_id}")
    url = f"/forums/{comment.forum_id}/comments/{comment.id}/report"
    statuses = [client.post(url, data={"csrf_token": token, "reason": "불쾌합니다"}).status_code for _ in range(3)]
    assert statuses == [303, 409, 409]
    assert count(Report) == 1
    assert db.session.get(Comment, comment.id).state == "visible"


def test_moderators_review_statements_and_hide_comments(client):
    forum = factories.ForumFactory()
    statement = factories.ForumStatementFactory(forum_id=forum.id, state="pending", text="주말에는 무료로 하자")
    comment = factories.ForumCommentFactory(forum_id=forum.id, body="문제의 댓글")
    moderator = factories.moderator()
    db.session.commit()
    login(client, moderator)
    page = client.get("/forums/review").get_data(as_text=True)
    assert "주말에는 무료로 하자" in page
    token = csrf_token(client, "/forums/review")
    act = "/moderation/queues/forums/act"
    assert client.post(act, data={"csrf_token": token, "items": f"forum_statement:{statement.id}"}).status_code == 422
    assert client.post(act, data={"csrf_token": token, "items": f"forum_statement:{statement.id}",
                                  "action": "publish"}).status_code == 303
    assert db.session.get(Statement, statement.id).state == "approved"
    # Hiding from the forum's page: a reason category and the ticked confirmation, or nothing happens.
    assert f'value="forum_comment:{comment.id}"' in client.get(f"/forums/{forum.id}").get_data(as_text=True)
    hide = {"csrf_token": token, "items": f"forum_comment:{comment.id}", "action": "hide"}
    assert client.post(act, data=hide).status_code == 422
    assert client.post(act, data={**hide, "reason_code": "abusive", "reason": "욕설"}).status_code == 422
    assert db.session.get(Comment, comment.id).state == "visible"
    assert client.post(act, data={**hide, "reason_code": "abusive", "reason": "욕설", "confirmed": "y"}
                       ).status_code == 303
    assert db.session.get(Comment, comment.id).state == "hidden"
    assert "숨겨진 댓글" in client.get(f"/forums/{forum.id}").get_data(as_text=True)


def test_citizens_cannot_reach_the_review_queue(client):
    citizen = factories.UserFactory()
    db.session.commit()
    login(client, citizen)
    assert client.get("/forums/review").status_code == 403


def test_reacting_one_statement_at_a_time_on_the_page(client):
    forum = factories.ForumFactory()
    first = factories.ForumStatementFactory(forum_id=forum.id, text="요금은 그대로 두자")
    factories.ForumStatementFactory(forum_id=forum.id, text="정기권을 싸게 하자")
    author = factories.UserFactory(display_name="문장작성자")
    factories.ForumStatementFactory(forum_id=forum.id, text="아직 검토 전", state="pending", author_id=author.id)
    citizen = factories.UserFactory()
    db.session.commit()
    login(client, citizen)
    page = client.get(f"/forums/{forum.id}").get_data(as_text=True)
    assert "요금은 그대로 두자" in page and "정기권을 싸게 하자" not in page and "아직 검토 전" not in page
    token = csrf_token(client, f"/forums/{forum.id}")
    url = f"/forums/{forum.id}/statements/{first.id}/reactions"
    assert client.post(url, data={"csrf_token": token, "value": "agree"}).status_code == 303
    page = client.get(f"/forums/{forum.id}").get_data(as_text=True)
    assert "정기권을 싸게 하자" in page and "1 / 2개 반응함" in page
    client.post(url, data={"csrf_token": token, "value": "disagree"})
    assert count(Reaction) == 1 and db.session.scalar(select(Reaction.value)) == "disagree"


def test_staff_create_open_and_answer_through_the_pages(client):
    staff = factories.staff()
    participant = factories.UserFactory()
    db.session.commit()
    login(client, staff)
    token = csrf_token(client, "/forums/new")
    response = client.post("/forums/new", data={
        "csrf_token": token, "title": "따릉이 요금 조정", "background": "요금 조정 배경",
        "key_facts": "- 1시간 1,000원", "links": "", "departments": "자전거정책과", "discussion_days": "14"})
    assert response.status_code == 303
    forum = db.session.scalar(select(Forum))
    assert forum.state == "draft" and forum.discussion_days == 14
    assert client.post(f"/forums/{forum.id}/transitions",
                       data={"csrf_token": token, "to": "open"}).status_code == 303
    services.add_comment(forum, participant, "pro", "좋습니다")
    assert client.post(f"/forums/{forum.id}/transitions",
                       data={"csrf_token": token, "to": "closed"}).status_code == 303
    assert client.post(f"/forums/{forum.id}/answer",
                       data={"csrf_token": token, "answer": "요금은 **동결**합니다."}).status_code == 303
    page = client.get(f"/forums/{forum.id}").get_data(as_text=True)
    assert "서울시 공식 답변" in page and "<strong>동결</strong>" in page
    invalid = client.post("/forums/new", data={"csrf_token": token, "title": "", "background": "",
                                               "discussion_days": "0"})
    assert invalid.status_code == 422
    assert count(Forum) == 1


def test_citizens_cannot_open_the_staff_form(client):
    citizen = factories.UserFactory()
    db.session.commit()
    login(client, citizen)
    assert client.get("/forums/new").status_code == 403


def test_every_text_field_is_escaped(client):
    staff = factories.staff()
    forum = services.create_forum(staff, title=XSS, background=XSS, key_facts=XSS, links=XSS, departments=XSS)
    services.transition(forum, "open", staff)
    citizen = factories.UserFactory(display_name="<script>alert(1)</script>")
    comment = services.add_comment(forum, citizen, "pro", XSS)
    services.add_comment(forum, citizen, "con", XSS, comment.id)
    statement = services.add_statement(forum, staff, XSS[:140])
    for user in [factories.UserFactory() for _ in range(8)]:
        services.react(forum, statement, user, "agree")
    counts.refresh_forum(forum.id)
    db.session.commit()
    page = client.get(f"/forums/{forum.id}").get_data(as_text=True)
    listing = client.get("/forums").get_data(as_text=True)
    reader = factories.UserFactory()
    db.session.commit()
    login(client, reader)
    as_reader = client.get(f"/forums/{forum.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert" in as_reader.split('id="statements"')[1]
    services.transition(forum, "closed", staff)
    services.transition(forum, "answered", staff, answer=XSS)
    db.session.commit()
    answered = client.get(f"/forums/{forum.id}").get_data(as_text=True)
    for html in (page, listing, as_reader, answered):
        assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in page


def test_the_opinion_map_page_has_an_svg_a_text_alternative_and_a_sortable_table(client, db_session):
    forum = factories.ForumFactory()
    statements = [factories.ForumStatementFactory(forum_id=forum.id, text=f"문장 {n}") for n in range(8)]
    for camp in (1, -1):
        for _ in range(5):
            user = factories.UserFactory()
            for index, statement in enumerate(statements):
                value = "agree" if index == 0 or (index < 4) == (camp > 0) else "disagree"
                factories.ForumReactionFactory(statement_id=statement.id, user_id=user.id, value=value)
    counts.refresh_forum(forum.id)
    db.session.commit()
    page = client.get(f"/forums/{forum.id}").get_data(as_text=True)
    section = page.split('id="opinions"')[1].split('id="comments"')[0]
    assert section.count('<use href="#marker-') == 10 + 2  # ten people, two legend markers
    assert page.count('id="marker-0"') == 1
    # The map's text alternative: each group's size and place, in the SVG and visible under it.
    assert 'role="img"' in section and "그룹 1: 5명, 지도 오른쪽; 그룹 2: 5명, 지도 왼쪽" in section
    assert "그룹 1(전체의 50%) — 지도 오른쪽." in section
    # What each group stands for, what all share, what divides them.
    groups = section.split("그룹마다 무엇을 대표하나요")[1].split("모든 그룹이 함께하는 생각")[0]
    assert "“문장 1” — 이 그룹의 100%가 동의 (다른 그룹은 0%)" in groups and "“문장 0”" not in groups
    shared = section.split("모든 그룹이 함께하는 생각")[1].split("그룹을 가장 크게 가르는 문장")[0]
    assert "“문장 0” — 그룹 1의 100%, 그룹 2의 100% 동의" in shared
    assert "“문장 4” — 그룹 1의 0% 동의·100% 비동의; 그룹 2의 100% 동의·0% 비동의" in section

    def table_rows(html):
        table = html.split('class="opinion-table"')[1].split("</table>")[0]
        return [cell.split("<")[0] for cell in table.split('<th scope="row">')[1:]]

    # Statement × group: a header per group, a row per statement, in the statements' order by default.
    table = section.split('class="opinion-table"')[1].split("</table>")[0]
    assert "그룹 2 (5명, 동의 순)" in table and table.count('<th scope="col"') == 6
    assert "동의 100% <span class=\"meta\">(10명)</span><br>비동의 0%" in table
    assert table_rows(page) == [f"문장 {n}" for n in range(8)]
    # Sorted by the server through the column headers' links (no script): group 2 agrees with 0 and 4–7.
    assert f'href="/forums/{forum.id}?table_sort=group-2&amp;sort=newest#opinion-table"' in table
    by_group_2 = client.get(f"/forums/{forum.id}?table_sort=group-2").get_data(as_text=True)
    assert table_rows(by_group_2)[:5] == ["문장 0", "문장 4", "문장 5", "문장 6", "문장 7"]
    assert 'aria-sort="descending"' in by_group_2.split('class="opinion-table"')[1].split("group-2")[0][-200:]
    assert table_rows(client.get(f"/forums/{forum.id}?table_sort=nonsense").get_data(as_text=True)) == \
        [f"문장 {n}" for n in range(8)]
    # The open data: the four Pol.is files and the ZIP.
    for name in ("summary.csv", "comments.csv", "votes.csv", "participants-votes.csv", "polis-export.zip"):
        assert f'href="/forums/{forum.id}/export/{name}"' in section


def test_on_a_phone_reacting_comes_first_and_confirmations_are_where_you_acted(client, db_session):
    """Issue 25, item 6: the reaction card before a long background (folded), empty breakdowns not drawn, the
    confirmation of a comment inside it (not at the top, off-screen), no report link on your own comment, and
    "you are here" on the map."""
    forum = factories.ForumFactory(background="따릉이 요금 체계의 배경입니다. " * 60)
    statements = [factories.ForumStatementFactory(forum_id=forum.id, text=f"문장 {n}") for n in range(8)]
    people = []
    for camp in (1, -1):
        for _ in range(5):
            people.append(user := factories.UserFactory(district="마포구"))
            for index, statement in enumerate(statements):
                value = "agree" if index == 0 or (index < 4) == (camp > 0) else "disagree"
                factories.ForumReactionFactory(statement_id=statement.id, user_id=user.id, value=value)
    for district in ("마포구", "중구"):  # 12 in each with me: no stance reaches 10
        for stance in ["pro"] * 4 + ["con"] * 4 + ["other"] * (3 if district == "마포구" else 4):
            factories.ForumCommentFactory(forum_id=forum.id, stance=stance,
                                          author_id=factories.UserFactory(district=district).id)
    counts.refresh_forum(forum.id)
    db.session.commit()
    me = people[0]
    login(client, me)
    page = client.get(f"/forums/{forum.id}").get_data(as_text=True)
    assert page.index('id="statements"') < page.index('id="background-heading"') < page.index('id="opinions"')
    assert '<details class="background">' in page  # long: folded, a summary to open it
    assert re.search(r"검은 원이 내 위치입니다: 그룹 [12]에 있습니다\.", page) and 'r="10" fill="none"' in page

    token = csrf_token(client, f"/forums/{forum.id}")
    response = client.post(f"/forums/{forum.id}/comments", data={
        "csrf_token": token, "stance": "pro", "body": "요금은 그대로 두면 좋겠습니다."})
    mine = db.session.scalar(select(Comment).where(Comment.author_id == me.id))
    assert response.headers["Location"].endswith(f"?at=comment-{mine.id}#comment-{mine.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    article = page.split(f'id="comment-{mine.id}"')[1].split("</article>")[0]
    assert "의견을 남겼습니다." in article and page.count("의견을 남겼습니다.") == 1
    assert "신고하기" not in article and "좋아요" in article  # never offered to report yourself
    counts.refresh_forum(forum.id)
    db.session.commit()
    page = client.get(f"/forums/{forum.id}").get_data(as_text=True)
    stances = page.split('id="stance-heading"')[1].split("</section>")[0]
    assert "<caption>자치구별</caption>" not in stances  # a table of nothing but hidden cells is not drawn
    assert "자치구별: 모든 칸이 10명 미만이라 아직 보여 드리지 않습니다." in stances

    short = factories.ForumFactory(background="짧은 배경")
    db.session.commit()
    assert '<details class="background" open>' in client.get(f"/forums/{short.id}").get_data(as_text=True)
    other = factories.UserFactory()
    db.session.commit()
    login(client, other)
    page = client.get(f"/forums/{forum.id}").get_data(as_text=True)
    assert "신고하기" in page.split(f'id="comment-{mine.id}"')[1].split("</article>")[0]
    assert "검은 원이 내 위치" not in page and "내 위치가 보입니다" in page


def test_the_list_and_home_show_open_forums_only_to_the_public(client):
    factories.ForumFactory(title="열린 공론장")
    factories.ForumFactory(title="준비 중인 공론장", state="draft", opened_at=None)
    db.session.commit()
    listing = client.get("/forums").get_data(as_text=True)
    assert "열린 공론장" in listing and "준비 중인 공론장" not in listing
    assert client.get(f"/forums/{db.session.scalar(select(Forum.id).where(Forum.state == 'draft'))}").status_code == 404
    assert "열린 공론장" in client.get("/").get_data(as_text=True)
    huge = "9" * 30
    assert client.get(f"/forums?page={huge}").status_code == 200
    forum_id = db.session.scalar(select(Forum.id).where(Forum.state == "open"))
    assert client.get(f"/forums/{forum_id}?page={huge}&sort=%ff").status_code == 200
