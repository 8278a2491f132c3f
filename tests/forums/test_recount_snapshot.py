"""The forum recount reads every reaction for its opinion map (seconds in a big forum): meanwhile other writes go
on (on SQLite its read is a WAL snapshot, not a hold on the one write lock), and the figures of an older
snapshot never replace newer ones."""

from datetime import timedelta

import requests
from sqlalchemy import select

from participation.accounts.services import issue_token
from participation.extensions import db
from participation.forums import counts, tasks
from participation.forums.models import Forum
from tests import factories
from tests.conftest import job_paused_in


def test_a_signature_commits_while_the_forum_recount_is_reading(app, live_server, monkeypatch):
    with app.app_context():
        factories.bind(db.session)
        forum = factories.ForumFactory(title="한강 야간 드론쇼, 계속할까요?")
        factories.ForumCommentFactory(forum_id=forum.id, body="계속해 주세요. 가족 나들이에 좋습니다.")
        petition = factories.open_petition(title="버스 정류장 그늘막 설치")
        token = issue_token(factories.UserFactory())
        db.session.commit()
        forum_id, petition_id = forum.id, petition.id
        db.session.remove()

    # The recount's read transaction stays open (held after the opinion map) until the signature has answered.
    with job_paused_in(app, monkeypatch, counts, "opinion_map", lambda: tasks.recount_forum(forum_id)):
        signed = requests.post(f"{live_server}/api/v1/petitions/{petition_id}/signatures",
                               headers={"Authorization": f"Bearer {token}"}, timeout=15)
        assert signed.status_code == 201
    with app.app_context():
        forum = db.session.execute(select(Forum.comment_count, Forum.count_as_of).where(Forum.id == forum_id)).one()
        assert forum.comment_count == 1 and forum.count_as_of is not None
        db.session.remove()


def test_older_figures_do_not_replace_newer_ones(db_session):
    forum = factories.ForumFactory(title="청계천 보행로 확장")
    factories.ForumCommentFactory(forum_id=forum.id)
    newer = counts.forum_figures(forum.id)
    older = {**newer, "comment_count": 0, "count_as_of": newer["count_as_of"] - timedelta(seconds=5)}
    counts.write_forum_figures(forum.id, newer)
    counts.write_forum_figures(forum.id, older)
    assert db.session.get(Forum, forum.id).comment_count == 1
