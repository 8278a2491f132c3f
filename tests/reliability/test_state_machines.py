"""Property tests of the life cycles (Hypothesis rule-based state machines): any sequence of transition
calls, by any role (or the system), with or without a reason, through each channel's service. After every
step the item's state is one of its enum's states; every audited change "from->to" is an edge of the
channel's declared table (core/lifecycle.py), taken by someone holding the edge's role or by the system where
the edge allows it, and the audited changes chain from the first state to the current one; a refused call
raises a domain error (InvalidTransition, Forbidden, …) and changes neither the state nor the log."""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from participation.accounts.models import User
from participation.budgets import services as budgets
from participation.budgets.models import BudgetProcess, ProcessState
from participation.core.audit import AuditEntry
from participation.core.errors import DomainError
from participation.core.time import utcnow
from participation.extensions import db
from participation.forums import services as forums
from participation.forums.models import Comment, CommentState, Forum, ForumState
from participation.petitions import services as petitions
from participation.petitions.models import Petition, PetitionState
from participation.polls import services as polls
from participation.polls.models import Poll, PollState
from participation.proposals import services as proposals
from participation.proposals.models import Proposal, ProposalState
from participation.surveys import services as surveys
from participation.surveys.models import Survey, SurveyState
from tests import factories

SETTINGS = settings(max_examples=25, stateful_step_count=15, deadline=None,
                    suppress_health_check=list(HealthCheck))
ROLES = ("system", "author", "other", "moderator", "staff", "admin")
REASONS = (None, "", "운영 원칙에 맞지 않습니다.")


def _make_petition(start: str, author):
    if start == "open":
        return factories.open_petition(author=author)
    return factories.PetitionFactory(author=author, state=start, submitted_at=None if start == "draft" else utcnow())


def _make_poll(start: str, author):
    if start == "pending":
        return factories.PollFactory(state="pending", by_staff=False, author_id=author.id, opens_at=None)
    if start == "draft":
        return factories.PollFactory(state="draft", author_id=author.id, opens_at=utcnow() + timedelta(hours=1))
    return factories.PollFactory(state="open", author_id=author.id)


def _make_proposal(start: str, author):
    if start == "open":
        return factories.open_proposal(author=author)
    return factories.ProposalFactory(author=author, state=start)


def _make_forum(start: str, _author):
    if start == "draft":
        return factories.ForumFactory(state="draft", opened_at=None, closes_at=None)
    return factories.ForumFactory()


def _make_survey(start: str, author):
    question = {"type": "single", "text": "대중교통에 만족하십니까?", "options": ["예", "아니요"]}
    return factories.survey(factories.staff(), [question], open_it=start == "open")


def _make_comment(start: str, _author):
    return factories.ForumCommentFactory(state=start)


def _make_budget(start: str, _author):
    """A process with one feasible project (so that voting can open) and dates ahead."""
    process = factories.BudgetProcessFactory(state=start, voting_opened_at=None if start == "draft" else utcnow())
    factories.BudgetProjectFactory(process=process, status="feasible")
    return process


def _answering(move):
    """A forum's move to `answered` takes the official answer: the reason stands in for it here."""
    return lambda item, to, actor, reason: move(item, to, actor, reason, answer=reason)


CHANNELS = {
    # name: (model, state enum, life cycle, the channel's transition function, starting states, factory)
    "petition": (Petition, PetitionState, petitions.LIFECYCLE, petitions.transition, ("draft", "pending", "open"),
                 _make_petition),
    "poll": (Poll, PollState, polls.LIFECYCLE, polls.transition, ("pending", "draft", "open"), _make_poll),
    "proposal": (Proposal, ProposalState, proposals.LIFECYCLE, proposals.transition, ("pending", "open"),
                 _make_proposal),
    "forum": (Forum, ForumState, forums.LIFECYCLE, _answering(forums.transition), ("draft", "open"), _make_forum),
    "survey": (Survey, SurveyState, surveys.LIFECYCLE, surveys.transition, ("draft", "open"), _make_survey),
    "budget": (BudgetProcess, ProcessState, budgets.LIFECYCLE, budgets.transition, ("draft", "reviewing", "voting"),
               _make_budget),
    "forum_comment": (Comment, CommentState, forums.COMMENT_LIFECYCLE, forums.COMMENT_LIFECYCLE.move,
                      ("visible", "auto_hidden"), _make_comment),
}


def machine_for(channel: str):
    model, states, lifecycle, transition, starts, make = CHANNELS[channel]

    class LifeCycle(RuleBasedStateMachine):
        @initialize(start=st.sampled_from(starts))
        def create(self, start):
            author = factories.UserFactory()
            self.people = {"system": None, "author": author, "other": factories.UserFactory(),
                           "moderator": factories.moderator(), "staff": factories.staff(),
                           "admin": factories.admin()}
            self.item = make(start, author)
            db.session.flush()
            self.first = states(start)
            self.made = len(self.audited())  # moves made while building the item (a survey opened by its service)
            self.changes = 0

        def audited(self) -> list[tuple[str, int | None]]:
            return [(action, actor_id) for action, actor_id in db.session.execute(
                select(AuditEntry.action, AuditEntry.actor_id).where(
                    AuditEntry.subject_type == lifecycle.subject, AuditEntry.subject_id == self.item.id)
                .order_by(AuditEntry.id)) if "->" in action]

        def stored_state(self):
            return db.session.scalar(select(model.state).where(model.id == self.item.id))

        @rule(to=st.sampled_from([*states, "nonsense"]), role=st.sampled_from(ROLES), reason=st.sampled_from(REASONS))
        def try_transition(self, to, role, reason):
            before = states(self.item.state)
            log_before = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.subject_type == lifecycle.subject, AuditEntry.subject_id == self.item.id))
            try:
                with db.session.begin_nested():
                    transition(self.item, to, self.people[role], reason)
            except DomainError:
                # Refused: nothing changed, nothing logged.
                db.session.expire(self.item)
                assert self.item.state == before
                assert self.stored_state() == before
                assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
                    AuditEntry.subject_type == lifecycle.subject, AuditEntry.subject_id == self.item.id)) == log_before
                return
            after = states(self.item.state)
            assert after == states(to)
            assert after in lifecycle.allowed(before), f"{before}->{after} is not in the table"
            self.changes += 1

        @invariant()
        def state_is_on_the_diagram(self):
            if not hasattr(self, "item"):
                return
            assert self.stored_state() in set(states)
            actions = self.audited()[self.made:]
            assert len(actions) == self.changes
            current = self.first
            for action, actor_id in actions:
                old, new = action.split("->")
                assert states(old) == current, f"audit chain broken at {action} (was {current})"
                edge = lifecycle.edges.get((states(old), states(new)))
                assert edge is not None and edge.via is None, f"{action} is not an allowed edge"
                if actor_id is None:
                    assert edge.system, f"{action} by the system, which may not take it"
                else:
                    assert edge.role is not None and db.session.get(User, actor_id).has_role(edge.role), \
                        f"{action} by someone without the role {edge.role}"
                current = states(new)
            assert current == self.stored_state()

    LifeCycle.__name__ = f"{channel.title()}LifeCycle"
    return LifeCycle


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_no_sequence_of_calls_leaves_the_diagram(db_session, redis, channel):
    run_state_machine_as_test(machine_for(channel), settings=SETTINGS)
