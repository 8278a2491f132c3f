"""No N+1 queries: the number of SQL statements a page needs does not grow with the rows it shows.
Each page is read with 3 items and again with 12 (authors, options, tags and comments included); the two
counts must be equal."""

import pytest
from sqlalchemy import event

from participation.extensions import db
from participation.forums.models import Comment as ForumComment
from participation.proposals.models import Comment as ProposalComment
from tests import factories
from tests.conftest import api_token, login


def statements_for(client, path: str) -> int:
    statements = []

    def count(*args):
        # Settings are cached per process for a few seconds: whether a page reads them depends on the clock.
        if "FROM setting_change" not in args[2]:
            statements.append(args[2])

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, path
    return len(statements)


def add_items(count: int, proposal, forum) -> None:
    for _ in range(count):
        factories.open_petition()
        factories.open_proposal()
        factories.PollFactory(tags=["top10_news"])
        factories.ForumFactory()
        factories.survey(questions=[{"type": "likert", "text": "따릉이에 만족하십니까?"}])
        author = factories.UserFactory()
        db.session.add(ProposalComment(proposal_id=proposal.id, author=author, body="좋은 제안입니다."))
        db.session.add(ForumComment(forum_id=forum.id, author_id=author.id, stance="con",
                                    body="요금 인상에 반대합니다."))
    db.session.commit()


PAGES = ["/", "/petitions", "/proposals", "/polls", "/forums", "/surveys", "/proposals/{proposal}",
         "/forums/{forum}"]


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "citizen"])
def test_pages_need_the_same_statements_for_3_items_as_for_12(db_session, client, signed_in):
    proposal, forum = factories.open_proposal(), factories.ForumFactory()
    db.session.commit()
    # The citizen is held for the whole test: the session's identity map holds rows only weakly, so a user object
    # the garbage collector happened to free between two pages would be loaded again (two more statements).
    citizen = factories.UserFactory() if signed_in else None
    if citizen:
        login(client, citizen)
    paths = [page.format(proposal=proposal.id, forum=forum.id) for page in PAGES]
    add_items(3, proposal, forum)
    few = {path: statements_for(client, path) for path in paths}
    add_items(9, proposal, forum)
    many = {path: statements_for(client, path) for path in paths}
    assert many == few


@pytest.mark.parametrize("verified", [False, True], ids=["email", "identity"])
def test_the_callers_account_is_one_statement(client, db_session, verified):
    """GET /api/v1/me with a token used this hour: the token, its account, roles and verified identity in one
    SELECT (the identity was a second one)."""
    citizen = factories.UserFactory(display_name="김서울")
    if verified:
        factories.verified_person(citizen)
    db.session.commit()
    headers = api_token(client, citizen)
    statements = []

    def count(_connection, _cursor, text, *_args):
        if not text.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")) and "FROM setting_change" not in text:
            statements.append(text)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get("/api/v1/me", headers=headers)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    assert (response.json["display_name"], response.json["verification"]) == (
        "김서울", "identity" if verified else "email")
    assert len(statements) == 1, statements
