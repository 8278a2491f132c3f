"""Property tests of the life cycles (Hypothesis rule-based state machines): any sequence of transition
calls, by any role (or the system), with or without a reason, through each channel's service. After every
step the item's state is one of its enum's states; every audited change "from->to" is an edge of the
channel's ALLOWED table and the audited changes chain from the first state to the current one; a refused
call raises a domain error (InvalidTransition, Forbidden, …) and changes neither the state nor the log."""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from participation.core.audit import AuditEntry
from participation.core.errors import DomainError
from participation.core.time import utcnow
from participation.extensions import db
from participation.petitions import services as petitions
from participation.petitions.models import Petition, PetitionState
from participation.polls import services as polls
from participation.polls.models import Poll, PollState
from participation.proposals import services as proposals
from participation.proposals.models import Proposal, ProposalState
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


CHANNELS = {
    # name: (model, state enum, services module, starting states, factory)
    "petition": (Petition, PetitionState, petitions, ("draft", "pending", "open"), _make_petition),
    "poll": (Poll, PollState, polls, ("pending", "draft", "open"), _make_poll),
    "proposal": (Proposal, ProposalState, proposals, ("pending", "open"), _make_proposal),
}


def machine_for(channel: str):
    model, states, services, starts, make = CHANNELS[channel]

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
            self.changes = 0

        def audited(self) -> list[str]:
            return [action for action in db.session.scalars(
                select(AuditEntry.action).where(AuditEntry.subject_type == services.SUBJECT,
                                                AuditEntry.subject_id == self.item.id).order_by(AuditEntry.id))
                    if "->" in action]

        def stored_state(self):
            return db.session.scalar(select(model.state).where(model.id == self.item.id))

        @rule(to=st.sampled_from([*states, "nonsense"]), role=st.sampled_from(ROLES), reason=st.sampled_from(REASONS))
        def try_transition(self, to, role, reason):
            before = states(self.item.state)
            log_before = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.subject_type == services.SUBJECT, AuditEntry.subject_id == self.item.id))
            try:
                with db.session.begin_nested():
                    services.transition(self.item, to, self.people[role], reason)
            except DomainError:
                # Refused: nothing changed, nothing logged.
                db.session.expire(self.item)
                assert self.item.state == before
                assert self.stored_state() == before
                assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
                    AuditEntry.subject_type == services.SUBJECT, AuditEntry.subject_id == self.item.id)) == log_before
                return
            after = states(self.item.state)
            assert after == states(to)
            assert after in services.ALLOWED[before], f"{before}->{after} is not in ALLOWED"
            self.changes += 1

        @invariant()
        def state_is_on_the_diagram(self):
            if not hasattr(self, "item"):
                return
            assert self.stored_state() in set(states)
            actions = self.audited()
            assert len(actions) == self.changes
            current = self.first
            for action in actions:
                old, new = action.split("->")
                assert states(old) == current, f"audit chain broken at {action} (was {current})"
                assert states(new) in services.ALLOWED[states(old)], f"{action} is not an allowed edge"
                current = states(new)
            assert current == self.stored_state()

    LifeCycle.__name__ = f"{channel.title()}LifeCycle"
    return LifeCycle


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_no_sequence_of_calls_leaves_the_diagram(db_session, redis, channel):
    run_state_machine_as_test(machine_for(channel), settings=SETTINGS)
