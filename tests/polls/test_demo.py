"""The demo: the 10대 뉴스 vote with 30 items and votes, a tallied poll, a hidden-results poll, a queue."""

from sqlalchemy import func, select

from participation.extensions import db
from participation.polls import demo
from participation.polls.models import Ballot, BallotChoice, Participation, Poll, SealedBallot
from tests.factories import UserFactory, moderator, staff


def test_demo_polls(db_session):
    citizens = [UserFactory(district="마포구", birth_year=1950 + number % 58) for number in range(201)]
    demo.seed({"citizen": citizens, "staff": [staff()], "moderator": [moderator()], "admin": []})
    polls = {poll.title: poll for poll in db.session.scalars(select(Poll))}
    news = polls["올해의 10대 뉴스"]
    assert (news.state, len(news.options), news.max_choices, news.tags) == ("open", 30, 5, ["top10_news"])
    # Six batches opened, each at least MIX_BATCH; one ballot short of the seventh waits sealed.
    voters = db.session.scalar(select(func.count()).select_from(Participation).where(Participation.poll_id == news.id))
    waiting = db.session.scalar(select(func.count()).select_from(SealedBallot).where(SealedBallot.box_id == news.id))
    assert news.mixed_batches == 6 and waiting == 19 and news.total_ballots == voters - 19 >= 6 * 20
    assert sum(option.votes for option in news.options) == db.session.scalar(
        select(func.count()).select_from(BallotChoice).where(BallotChoice.poll_id == news.id))
    assert db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.poll_id == news.id)) == (
        news.total_ballots)
    # The bulletin covers the six batches: one receipt per opened ballot.
    assert (news.bulletin_batch, news.tally_digest_count) == (6, news.total_ballots)
    rest = polls["도심 속 휴식 공간, 무엇이 더 필요할까요?"]
    assert rest.state == "tallied" and rest.total_ballots == 120
    assert sum(option.votes for option in rest.options) == 120
    assert all(option.image_content_type == "image/png" for option in rest.options)
    youth = polls["청년 정책, 무엇을 먼저 해야 할까요?"]
    assert youth.results_visibility == "after_close" and youth.total_ballots > 0
    assert polls["우리 동네 도서관, 밤 10시까지 열면 이용하시겠어요?"].state == "pending"
    # The first citizen has not voted, so a person trying the demo can.
    assert db.session.scalar(select(func.count()).select_from(Participation).where(
        Participation.user_id == citizens[0].id)) == 0
