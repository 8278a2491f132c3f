"""The frequent reconciliation recounts what may still change (open items, and settled ones with rows newer than
their last count) and leaves settled items alone: their counts and their "as of" stay as they were, even when
they are wrong, until the weekly sweep (`reconcile_settled`) or `flask --app wsgi tally` recounts everything."""

from datetime import timedelta

from participation.core.time import utcnow
from participation.forums.models import Forum
from participation.petitions.models import Petition
from participation.proposals.models import Proposal
from participation.schedule import PERIODIC_JOBS, reconcile, reconcile_settled
from tests import factories


def same_moment(a, b) -> bool:
    return a.replace(tzinfo=None) == b.replace(tzinfo=None)


def test_reconcile_leaves_settled_items_alone_and_the_weekly_sweep_does_not(db_session):
    long_ago = utcnow() - timedelta(days=40)
    counted = utcnow() - timedelta(days=3)
    # Petitions: an open one with a wrong count, a settled one with a wrong count and no newer signature, and a
    # settled one signed after its last count (its recount was lost while Redis was down).
    open_petition = factories.open_petition(signature_count=9)
    settled = factories.open_petition(state="closed", closed_at=counted, signature_count=77, count_as_of=counted)
    factories.SignatureFactory(petition_id=settled.id, created_at=long_ago)
    late = factories.open_petition(state="closed", closed_at=counted, signature_count=0,
                                   count_as_of=counted - timedelta(hours=1))
    factories.SignatureFactory(petition_id=late.id, created_at=counted - timedelta(minutes=5))
    # Proposals, the same three.
    open_proposal = factories.open_proposal(support_count=5, count_as_of=counted)
    answered = factories.open_proposal(state="answered", support_count=33, count_as_of=counted)
    late_proposal = factories.open_proposal(state="closed", support_count=0, count_as_of=long_ago)
    from participation.proposals.models import Support

    db_session.add(Support(proposal_id=late_proposal.id, user_id=factories.UserFactory().id,
                           created_at=counted))
    # Forums: a closed forum whose opinion map was computed, a comment from before its count.
    closed_forum = factories.ForumFactory(state="closed", closed_at=counted, count_as_of=counted, comment_count=41,
                                          opinion_map={"kept": True})
    factories.ForumCommentFactory(forum_id=closed_forum.id, created_at=long_ago)
    open_forum = factories.ForumFactory(comment_count=41)
    db_session.flush()

    reconcile()
    db_session.expire_all()

    assert db_session.get(Petition, open_petition.id).signature_count == 0
    assert db_session.get(Petition, late.id).signature_count == 1
    untouched = db_session.get(Petition, settled.id)
    assert untouched.signature_count == 77 and same_moment(untouched.count_as_of, counted)
    assert db_session.get(Proposal, open_proposal.id).support_count == 0
    assert db_session.get(Proposal, late_proposal.id).support_count == 1
    untouched = db_session.get(Proposal, answered.id)
    assert untouched.support_count == 33 and same_moment(untouched.count_as_of, counted)
    assert db_session.get(Forum, open_forum.id).comment_count == 0
    untouched = db_session.get(Forum, closed_forum.id)
    assert (untouched.comment_count, untouched.opinion_map) == (41, {"kept": True})
    assert same_moment(untouched.count_as_of, counted)

    # The weekly sweep (and `tally`) recount everything.
    reconcile_settled()
    db_session.expire_all()
    assert db_session.get(Petition, settled.id).signature_count == 1
    assert db_session.get(Proposal, answered.id).support_count == 0
    swept = db_session.get(Forum, closed_forum.id)
    assert swept.comment_count == 1 and "kept" not in swept.opinion_map


def test_the_sweep_of_settled_items_is_weekly_and_the_reconciliation_frequent(app):
    assert PERIODIC_JOBS["reconcile_settled"].seconds(app.config) == 7 * 86400
    assert PERIODIC_JOBS["reconcile"].seconds(app.config) == 300
