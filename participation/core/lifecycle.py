"""The life cycle of every channel's items: one engine, and one declared table per channel.

A channel's item (a petition, proposal, poll, forum, survey …) changes state in one way only: its channel's
`Lifecycle.move()`. The channel *declares* its life cycle — which edges exist, who may take each, which need a
reason, which the platform itself takes — and registers the side effects of arriving in a state as enter-hooks.
Nothing else assigns `state`.

    S = PetitionState
    LIFECYCLE = Lifecycle("petition", S, [
        Edge(S.draft, S.pending, Role.citizen),                     # the author submits (a guard: theirs only)
        Edge(S.pending, S.open, Role.moderator),
        Edge(S.pending, S.rejected, Role.moderator, reason=True),
        Edge(S.open, S.closed, Role.moderator, system=True),         # … or the deadline job
        Edge(S.open, S.hidden, Role.moderator, reason=True),
        Edge(S.closed, S.answered, Role.staff),
        Edge(S.closed, S.hidden, Role.moderator, reason=True),
    ])
    transition = LIFECYCLE.move          # the channel's name for it: views, the API and jobs call this

    @LIFECYCLE.on_enter(S.closed)
    def _close(petition, step):          # what runs after a petition closes
        petition.closed_at = step.at
        ...

How does a petition close, and what runs after? Read its table (the edge `open → closed`: a moderator, or the
system) and its enter-hooks for `closed`. Every channel answers the same way.

## What `move(item, to, actor, reason=None, **context)` does, in this order

1. Parses `to`. A value that is not one of the channel's states is not an edge either: 409
   `invalid_transition`, like any other target that is not allowed, naming the states that are. (One status for
   both, 409 rather than 422: the API contract answers "a transition to a state not allowed" with 409 and the
   allowed transitions named, and a client that sent a state this channel does not have learns the same thing
   from the same answer. 422 stays for a body that is not `{"to": <string>}`, which the API schema refuses.)
2. Finds the edge from the item's state to `to`; none: 409 naming the allowed targets (`allowed()`).
3. Checks the actor. A person needs the edge's role (`core.permissions.require_role`: 401 without a user, 403
   without the role; admin holds every role). An edge whose role is None is taken by no person. `actor=None` is
   the platform itself (a deadline job, a threshold reached) and takes only the edges declared `system=True`;
   any other edge is refused with 409 naming the ones it may take.
4. Locks the item's row (`SELECT … FOR UPDATE` on PostgreSQL; SQLite has one writer anyway) and reads its state
   again — and the channel's `reread` columns, e.g. a poll's voting window — then checks 2 and 3 on what it read:
   of two moderators acting at once the second sees the first's move and is refused, and a ballot in flight
   (which holds the poll row FOR KEY SHARE) commits before a close or sees the poll closed. The lock is taken
   only after the cheap checks, so that a refused call does not hold it.
5. Checks the reason (stripped; empty means none): an edge declared `reason=True` needs one from a person (422,
   `fields.reason`); the platform's own moves never need one. At most REASON_MAX characters.
6. Runs the channel's guards for the target, `@LIFECYCLE.guard(State.x)`: checks that need the item (an answer
   must be written first, the closing time must lie ahead). A guard raises a DomainError; nothing has changed yet.
7. Writes the audit row — `core.audit.audit(actor, subject, item.id, "<from>-><to>", reason)` — and sets
   `item.state`.
8. Runs the enter-hooks for the target, `@LIFECYCLE.on_enter(State.x)`, in the order they were registered: the
   side effects of arriving (dates, rules copied from the settings, reports resolved, jobs scheduled by name,
   people notified). A hook must not refuse: whatever can refuse is a guard. Hooks run with autoflush off, so
   that the new state and what the hooks set reach the database in one UPDATE (a table's CHECK may tie them:
   an open petition has its rules copied; an answered forum has its answer); a query in a hook sees the rows
   as they were before the move.
9. Flushes. It never commits: the view, API endpoint or job that called it commits once.

Guards and hooks are plain functions `(item, step)`; `step` is a `Step`: `source`, `target`, `actor` (None: the
platform), `reason`, `at` (the one "now" of the move), `via`, and `context` (the keyword arguments the caller gave
`move()`, e.g. a forum's official answer: `move(forum, "answered", staff, answer="…")`).

## Adding a channel (e.g. participatory budgeting)

Give the model a `state` column of a `StrEnum` (CONTRIBUTING.md: "Models"); in the channel's `services.py` declare
`LIFECYCLE = Lifecycle("<subject>", State, [Edge(...), ...])` (the subject is the audit log's `subject_type`),
write `transition = LIFECYCLE.move`, and register guards and enter-hooks next to the table. The views, the API's
`POST /<resource>/<id>/transitions` (`{"to", "reason"}`; `InvalidTransition` becomes the 409) and the deadline
job all call `transition`. Put the channel in `tests/reliability/test_state_machines.py`: a Hypothesis state
machine then calls it in random order with random roles and checks that every audited change is an edge of the
table.

## Adding an edge (e.g. an upheld appeal restores a rejected or hidden item)

Add it to the channel's table. An edge that only a named procedure may take — not a plain
`POST …/transitions` — carries `via`:

    Edge(S.rejected, S.open, Role.moderator, reason=True, via="appeal"),
    Edge(S.hidden, S.open, Role.moderator, reason=True, via="appeal"),

Such an edge is invisible to every `move()` that does not name it (it is not listed in `allowed()` either); the
appeal service takes it with `transition(item, "open", moderator, reason, via="appeal")`, after its own checks
(a different moderator, one appeal per item). The enter-hooks of the target run as for any other arrival; a hook
that must not run again on a restore (a petition's signature period starts once) looks at `step.source` or
`step.via`. The audit row is the ordinary "<from>-><to>"; the appeal writes its own `appeal_upheld` entry.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l

from participation.core.audit import audit
from participation.core.errors import Forbidden, InvalidTransition
from participation.core.input import clean_text
from participation.core.permissions import Role, require_role
from participation.core.time import utcnow
from participation.extensions import db

REASON_MAX = 2000


@dataclass(frozen=True)
class Edge:
    """One allowed move: from `source` to `target`, by a person holding `role` (None: by no person), with a
    reason when `reason` (asked of people only), by the platform itself when `system`, and only through the
    procedure named `via` when set."""

    source: StrEnum
    target: StrEnum
    role: Role | None = None
    reason: bool = False
    system: bool = False
    via: str | None = None


@dataclass
class Step:
    """A move in progress, as guards and enter-hooks see it."""

    item: object
    source: StrEnum
    target: StrEnum
    actor: object | None
    reason: str | None
    at: datetime
    via: str | None = None
    context: dict = field(default_factory=dict)

    @property
    def by_system(self) -> bool:
        return self.actor is None


Hook = Callable[[object, Step], None]


class Lifecycle:
    def __init__(self, subject: str, states: type[StrEnum], edges: Iterable[Edge], *,
                 reread: tuple[str, ...] = ()):
        """`subject`: the audit log's subject_type; `reread`: columns read again with the state under the lock
        (step 4), for enter-hooks that use them."""
        self.subject, self.states, self.reread = subject, states, ("state", *reread)
        self.edges: dict[tuple[StrEnum, StrEnum], Edge] = {}
        for edge in edges:
            key = (states(edge.source), states(edge.target))
            if key in self.edges:
                raise ValueError(f"{subject}: the edge {key[0]} -> {key[1]} is declared twice")
            self.edges[key] = edge
        self._guards: dict[StrEnum, list[Hook]] = defaultdict(list)
        self._hooks: dict[StrEnum, list[Hook]] = defaultdict(list)

    # --- the declared table ---------------------------------------------------------------------------------

    def allowed(self, state, *, system: bool = False, via: str | None = None) -> list[StrEnum]:
        """The states reachable from `state` (by the platform itself when `system`), in the enum's order."""
        state = self.states(state)
        reachable = {target for (source, target), edge in self.edges.items()
                     if source == state and edge.via == via and (edge.system or not system)}
        return [target for target in self.states if target in reachable]

    def guard(self, *targets: StrEnum) -> Callable[[Hook], Hook]:
        """Register a check that runs before a move into any of `targets` changes anything."""
        return self._register(self._guards, targets)

    def on_enter(self, *targets: StrEnum) -> Callable[[Hook], Hook]:
        """Register a side effect of arriving in any of `targets` (after the audit row and the new state)."""
        return self._register(self._hooks, targets)

    def _register(self, table: dict, targets) -> Callable[[Hook], Hook]:
        def register(function: Hook) -> Hook:
            for target in targets:
                table[self.states(target)].append(function)
            return function
        return register

    # --- moving ---------------------------------------------------------------------------------------------

    def check(self, item, to, actor, *, via: str | None = None) -> Edge:
        """Steps 1-3 of `move` without moving: the edge from the item's state to `to` that `actor` may take, or
        the domain error that `move` would raise. For a service that must refuse before it does its own work."""
        current = self.states(item.state)
        try:
            target = self.states(to)
        except (ValueError, TypeError):
            raise InvalidTransition(current, to, self.allowed(current, system=actor is None, via=via)) from None
        edge = self.edges.get((current, target))
        if edge is None or edge.via != via or (actor is None and not edge.system):
            raise InvalidTransition(current, target, self.allowed(current, system=actor is None, via=via))
        if actor is not None:
            if edge.role is None:
                raise Forbidden()
            require_role(actor, edge.role)
        return edge

    def move(self, item, to, actor, reason: str | None = None, *, via: str | None = None,
             category: str | None = None, **context):
        """Move `item` to the state `to` (see the module's docstring for each step); `actor` None is the
        platform itself; `category` the reason's category for the public moderation log (core/moderation_log.py).
        Returns the item."""
        self.check(item, to, actor, via=via)
        db.session.flush()
        db.session.refresh(item, list(self.reread), with_for_update=True)
        edge = self.check(item, to, actor, via=via)
        reason = clean_text(reason, "reason", REASON_MAX, required=edge.reason and actor is not None,
                            missing=_l("사유를 적어 주세요."))
        step = Step(item=item, source=self.states(item.state), target=self.states(edge.target), actor=actor,
                    reason=reason or None, at=utcnow(), via=via, context=context)
        for check in self._guards[step.target]:
            check(item, step)
        audit(actor, self.subject, item.id, f"{step.source}->{step.target}", step.reason, category)
        item.state = step.target
        with db.session.no_autoflush:  # the new state and what the hooks set are written together
            for hook in self._hooks[step.target]:
                hook(item, step)
        db.session.flush()
        return item
