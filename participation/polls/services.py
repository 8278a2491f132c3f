"""Poll writes: create, the one transition function, extend, and casting a secret ballot. Flush, never commit.

Other channels (a forum's closing vote) call `create_poll(actor, **fields)` and `transition(...)`.
"""

import re
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from participation.accounts import identity
from participation.core import appeals, ballot_box, jobs, moderation_log, trending
from participation.core.audit import audit
from participation.core.database import inserted_once
from participation.core.errors import Conflict, Forbidden, NotFound, ValidationError
from participation.core.input import clean_choices, clean_moment, clean_text
from participation.core.lifecycle import REASON_MAX, Edge, Lifecycle
from participation.core.permissions import Role, require_role, require_user, require_verified
from participation.core.receipts import new_receipt, receipt_hash
from participation.core.reports import file_report, resolve_reports
from participation.core.seoul import AGE_BANDS, DISTRICTS, age_band
from participation.core.settings import get_setting, require_participation_open
from participation.core.tally_keys import TallyKeyError
from participation.core.time import start_of_kst_day, utcnow
from participation.extensions import db
from participation.polls import counts, queries
from participation.polls.box import POLL_BOX
from participation.polls.models import (
    DESCRIPTION_MAX,
    OPTION_DESCRIPTION_MAX,
    OPTION_LABEL_MAX,
    OPTIONS_MAX,
    OPTIONS_MIN,
    TAG_MAX,
    TITLE_MAX,
    Participation,
    Poll,
    PollOption,
    PollState,
    PollTag,
    ResultsVisibility,
)
from participation.polls.queries import eligibility_problem, opening_day, voter_values

SUBJECT = "poll"

# Jobs this channel schedules (core/jobs.py); the worker runs the functions of tasks.py named here.
jobs.register("recount:poll", "participation.polls.tasks.tally_poll")  # a batch, or the final tally
jobs.register("bulletin:poll", "participation.polls.tasks.publish_bulletin", delay="BULLETIN_DELAY")
jobs.register("tally-key:poll", "participation.polls.tasks.make_poll_key", debounce=False)  # the worker's key
TAG_PATTERN = re.compile(rf"^[a-z0-9_]{{1,{TAG_MAX}}}$")
TAGS_MAX = 10


# --- who sees what -------------------------------------------------------------------------------------------

def can_see(poll: Poll, user) -> bool:
    if poll.state in queries.PUBLIC_STATES:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if poll.state == PollState.draft:
        return user.has_role(Role.staff)
    # The author sees their own poll while it waits, and after it was rejected or hidden (and why).
    return poll.author_id == user.id or user.has_role(Role.moderator)


def get_visible(poll_id: int, user, *, for_vote: bool = False) -> Poll:
    """The poll with its options (one statement) if this person may see it; otherwise NotFound (drafts of
    others are not revealed).

    `for_vote` reads the row FOR KEY SHARE (PostgreSQL): the ballot's transaction then holds the poll row
    until it commits, and closing the poll (`transition`, FOR UPDATE) waits for it, so every ballot
    is either committed before the close (and in the final tally) or sees the poll closed. It is the lock the
    ballot's foreign keys take on the row anyway, and the tally's UPDATE of the poll does not wait for it.
    SQLite needs no lock: a write request holds the database's one write lock from its first statement."""
    poll = db.session.scalars(queries.poll_with_options(for_vote), {"poll_id": poll_id}).unique().one_or_none()
    if poll is None or not can_see(poll, user):
        raise NotFound()
    return poll


S = PollState
M, STAFF = Role.moderator, Role.staff
# A poll's life cycle (core/lifecycle.py). Staff prepare, schedule, open, close early and cancel; moderators
# decide on citizens' polls and hide; the system opens scheduled polls, closes them at their time and freezes
# the final tally (only the system: a poll tallied by hand would skip the final count).
LIFECYCLE = Lifecycle(SUBJECT, S, [
    Edge(S.pending, S.open, M),
    Edge(S.pending, S.scheduled, M),
    Edge(S.pending, S.rejected, M, reason=True),
    Edge(S.draft, S.scheduled, STAFF),
    Edge(S.draft, S.open, STAFF),
    Edge(S.draft, S.cancelled, STAFF, reason=True),
    Edge(S.scheduled, S.draft, STAFF),
    Edge(S.scheduled, S.open, STAFF, system=True),
    Edge(S.scheduled, S.cancelled, STAFF, reason=True),
    Edge(S.open, S.closed, STAFF, reason=True, system=True),  # early by staff (with a reason), or at closes_at
    Edge(S.open, S.cancelled, STAFF, reason=True),
    Edge(S.open, S.hidden, M, reason=True),
    Edge(S.closed, S.tallied, system=True),  # the final tally (write_tally)
    Edge(S.closed, S.hidden, M, reason=True),
    Edge(S.tallied, S.hidden, M, reason=True),
    # An upheld appeal (core/appeals.py): a rejected poll opens, a hidden one goes back where it was.
    Edge(S.rejected, S.open, M, reason=True, via=appeals.VIA),
    *(Edge(S.hidden, state, M, reason=True, via=appeals.VIA) for state in (S.open, S.closed, S.tallied)),
], reread=("opens_at", "closes_at", "closed_at"))
# The one way a poll changes state; `actor` None is the system applying a due date. Leaving `open` waits for the
# ballots in flight: they hold the row FOR KEY SHARE (get_visible) and the move locks it FOR UPDATE, so
# each ballot is committed before the close (then in the final tally) or sees the poll closed, and the close
# time is taken after the wait: no ballot is accepted after closed_at.
transition = LIFECYCLE.move


def _restore(poll: Poll, moderator, reason: str) -> None:
    decision = appeals.decision_of(SUBJECT, poll.id)
    transition(poll, appeals.restore_target(decision, S.open), moderator, reason, via=appeals.VIA)


def _path(poll: Poll) -> str:
    return f"/polls/{poll.id}"


appeals.register(appeals.Appealable(
    SUBJECT, _l("시민 투표"), Poll, removed=lambda poll: poll.state in (S.rejected, S.hidden), restore=_restore,
    title=lambda poll: poll.title, path=_path))
moderation_log.register(moderation_log.LoggedSubject(
    SUBJECT, "polls", _l("시민 투표"), Poll, title=lambda poll: poll.title,
    public_states=frozenset(queries.PUBLIC_STATES), path=_path))


@LIFECYCLE.guard(S.scheduled)
def _opens_later(poll: Poll, step) -> None:
    if poll.opens_at is None or poll.opens_at <= step.at:
        raise ValidationError({"opens_at": _l("예약하려면 시작 시각이 미래여야 합니다.")})


@LIFECYCLE.guard(S.open)
def _closes_later(poll: Poll, step) -> None:
    # The system opens a scheduled poll even if its window has passed (a worker was down); the same deadline
    # run then closes it. A person must extend the close time first.
    if not step.by_system and poll.closes_at <= step.at:
        raise ValidationError({"closes_at": _l("마감 시각이 이미 지났습니다. 마감을 미룬 뒤 여세요.")})


@LIFECYCLE.on_enter(S.open)
def _opened(poll: Poll, step) -> None:
    if poll.opens_at is None or poll.opens_at > step.at:
        poll.opens_at = step.at
    eligibility = bool(poll.eligible_districts or poll.eligible_age_bands)
    if eligibility and get_setting("IDENTITY_FOR_ELIGIBILITY_POLLS"):
        poll.verification = identity.IDENTITY


@LIFECYCLE.on_enter(S.closed)
def _closed(poll: Poll, step) -> None:
    """Voting ends now (an early close moves the close time too); the final tally follows (once: a restored poll
    keeps its own)."""
    if step.source == S.hidden:
        return
    poll.closed_at = step.at
    if poll.closes_at > step.at:
        poll.closes_at = step.at
    jobs.schedule("recount:poll", poll.id)


@LIFECYCLE.on_enter(S.hidden)
def _hidden(poll: Poll, step) -> None:
    resolve_reports(step.actor, SUBJECT, poll.id, upheld=True)


@LIFECYCLE.on_enter(S.scheduled, S.open)
def _needs_its_key(poll: Poll, step) -> None:
    if poll.public_key is None:
        request_key(poll.id)  # asked for at creation; again in case Redis lost that job


def request_key(poll_id: int) -> None:
    """After commit, a worker makes the poll's key pair (tasks.make_poll_key; the web never holds the key)."""
    jobs.schedule("tally-key:poll", poll_id)


# Tags that only staff polls carry: indicators count the participants of polls tagged so.
OFFICIAL_TAGS = frozenset({"top10_news", "top10_policy"})


def create_poll(actor, *, title, options, closes_at, description="", max_choices=1, opens_at=None, tags=(),
                results_visibility=ResultsVisibility.live, eligible_districts=(), eligible_age_bands=(),
                option_descriptions=(), verification=identity.EMAIL) -> Poll:
    """A staff member's poll starts as a draft; a citizen's waits for moderation (pending)."""
    require_user(actor)
    by_staff = actor.has_role(Role.staff)
    if not by_staff:
        require_verified(actor)
    fields = check_poll_fields(title=title, description=description, options=options,
                               option_descriptions=option_descriptions, max_choices=max_choices,
                               opens_at=opens_at, closes_at=closes_at, tags=tags,
                               results_visibility=results_visibility, eligible_districts=eligible_districts,
                               eligible_age_bands=eligible_age_bands)
    if not by_staff and OFFICIAL_TAGS & set(fields["tags"]):
        # The city's own votes (올해의 10대 뉴스·정책) feed indicator 2.4.d: a citizen's poll cannot pass for one.
        raise ValidationError({"tags": _l("공식 태그(%(tags)s)는 서울시 직원만 붙일 수 있습니다.",
                                          tags=", ".join(sorted(OFFICIAL_TAGS)))})
    labels, notes = fields.pop("options"), fields.pop("option_descriptions")
    poll = Poll(**{name: value for name, value in fields.items() if name != "tags"},
                state=PollState.draft if by_staff else PollState.pending, author_id=actor.id, by_staff=by_staff,
                verification=identity.check_level(verification))
    poll.options = [PollOption(position=number, label=label, description=note)
                    for number, (label, note) in enumerate(zip(labels, notes, strict=True), start=1)]
    poll.tag_rows = [PollTag(tag=tag) for tag in fields["tags"]]
    db.session.add(poll)
    db.session.flush()
    audit(actor, SUBJECT, poll.id, f"created:{poll.state}")
    request_key(poll.id)
    return poll


def check_poll_fields(*, title, description, options, option_descriptions, max_choices, opens_at, closes_at, tags,
                      results_visibility, eligible_districts, eligible_age_bands) -> dict:
    """Validate every field of a new poll; raise one ValidationError naming each bad field."""
    errors: dict = {}
    title = clean_text(title, "title", TITLE_MAX, errors=errors, missing=_l("제목을 입력해 주세요."))
    description = clean_text(description, "description", DESCRIPTION_MAX, required=False, errors=errors)
    labels, notes = _clean_options(options, option_descriptions, errors)
    if isinstance(max_choices, bool) or not isinstance(max_choices, int) or max_choices < 1:
        errors["max_choices"] = _l("고를 수 있는 개수는 1 이상이어야 합니다.")
    elif labels and max_choices > len(labels):
        errors["max_choices"] = _l("고를 수 있는 개수가 선택지 수보다 많습니다.")
    opens_at = clean_moment(opens_at, "opens_at", errors=errors)
    closes_at = clean_moment(closes_at, "closes_at", errors=errors)
    _check_window(opens_at, closes_at, errors)
    tags = _clean_tags(tags, errors)
    if results_visibility not in set(ResultsVisibility):
        errors["results_visibility"] = _l("결과 공개 방식은 live 또는 after_close입니다.")
    districts = clean_choices(eligible_districts, "eligible_districts", DISTRICTS, errors=errors,
                              message=_l("서울시 25개 자치구 이름이어야 합니다."))
    bands = clean_choices(eligible_age_bands, "eligible_age_bands", AGE_BANDS, errors=errors,
                          message=_l("알 수 없는 연령대입니다."))
    if errors:
        raise ValidationError(errors)
    return {"title": title, "description": description, "options": labels, "option_descriptions": notes,
            "max_choices": max_choices, "opens_at": opens_at, "closes_at": closes_at, "tags": tags,
            "results_visibility": ResultsVisibility(results_visibility), "eligible_districts": districts,
            "eligible_age_bands": bands}


def _clean_options(options, option_descriptions, errors: dict) -> tuple[list[str], list[str]]:
    """The options' labels and their descriptions (one each, or none at all)."""
    labels = [label.strip() if isinstance(label, str) else "" for label in options] \
        if isinstance(options, list | tuple) else []
    if not all(labels):
        errors["options"] = _l("빈 선택지가 있습니다.")
    elif not OPTIONS_MIN <= len(labels) <= OPTIONS_MAX:
        errors["options"] = _l("선택지는 %(min)d개에서 %(max)d개까지입니다.", min=OPTIONS_MIN, max=OPTIONS_MAX)
    elif any(len(label) > OPTION_LABEL_MAX for label in labels):
        errors["options"] = _l("선택지는 %(max)d자 이내로 입력해 주세요.", max=OPTION_LABEL_MAX)
    elif len(set(labels)) != len(labels):
        errors["options"] = _l("같은 선택지가 두 번 있습니다.")
    notes = [note.strip() if isinstance(note, str) else None for note in option_descriptions] \
        if isinstance(option_descriptions, list | tuple) else [None]
    if not notes:
        notes = [""] * len(labels)
    elif None in notes or len(notes) != len(labels) or any(len(note) > OPTION_DESCRIPTION_MAX for note in notes):
        errors["option_descriptions"] = _l("선택지 설명은 선택지마다 하나씩, %(max)d자 이내로 적어 주세요.",
                                           max=OPTION_DESCRIPTION_MAX)
    return labels, notes


def _check_window(opens_at, closes_at, errors: dict) -> None:
    """A close time in the future, after the opening time if there is one."""
    if "closes_at" in errors:
        return
    if closes_at is None:
        errors["closes_at"] = _l("마감 시각을 입력해 주세요.")
    elif closes_at <= utcnow():
        errors["closes_at"] = _l("마감 시각은 미래여야 합니다.")
    elif opens_at is not None and "opens_at" not in errors and opens_at >= closes_at:
        errors["opens_at"] = _l("시작 시각은 마감 시각보다 앞서야 합니다.")


def _clean_tags(tags, errors: dict) -> list[str]:
    tags = sorted({tag.strip() for tag in tags if isinstance(tag, str)}) if isinstance(tags, list | tuple) else None
    if tags is None or len(tags) > TAGS_MAX or not all(TAG_PATTERN.match(tag) for tag in tags):
        errors["tags"] = _l("태그는 영문 소문자, 숫자, 밑줄로 %(max)d개까지입니다.", max=TAGS_MAX)
    return tags or []


def extend(poll: Poll, closes_at: datetime, actor, reason: str) -> Poll:
    """Move the close time of a scheduled or open poll later (staff, with a reason)."""
    require_role(actor, Role.staff)
    if poll.state not in (PollState.draft, PollState.scheduled, PollState.open, PollState.pending):
        raise Conflict(_l("마감된 투표의 마감 시각은 바꿀 수 없습니다."), code="poll_not_open")
    errors: dict = {}
    reason = clean_text(reason, "reason", REASON_MAX, errors=errors, missing=_l("사유를 적어 주세요."))
    if not isinstance(closes_at, datetime) or closes_at.tzinfo is None:
        errors["closes_at"] = _l("시간대가 있는 ISO 8601 시각이어야 합니다.")
    elif closes_at <= max(poll.closes_at, utcnow()):
        errors["closes_at"] = _l("새 마감 시각은 지금의 마감 시각보다 늦어야 합니다.")
    if errors:
        raise ValidationError(errors)
    audit(actor, SUBJECT, poll.id, "extended", f"{poll.closes_at.isoformat()} -> {closes_at.isoformat()}: {reason}")
    poll.closes_at = closes_at
    db.session.flush()
    return poll


def report(poll: Poll, actor, reason: str, category: str | None = None):
    """A citizen reports an abusive citizen poll (신고); moderators see it in their queue."""
    if poll.by_staff or poll.state not in (PollState.open, PollState.closed, PollState.tallied):
        raise Conflict(_l("이 투표는 신고할 수 없습니다."), code="not_reportable")
    return file_report(actor, SUBJECT, poll.id, reason, category, author_id=poll.author_id)


def is_open_for_voting(poll: Poll, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (poll.state == PollState.open and now < poll.closes_at
            and (poll.opens_at is None or poll.opens_at <= now))


def require_may_vote(poll: Poll, user) -> None:
    """The poll is open now (its close time counts, whether or not the close job has run) and the person
    is eligible."""
    if not is_open_for_voting(poll):
        raise Conflict(_l("지금은 투표할 수 없습니다 (투표 기간이 아닙니다)."), code="poll_not_open")
    problem = eligibility_problem(poll, user)
    if problem:
        raise Forbidden(problem, code="not_eligible")


def check_choices(poll: Poll, choices) -> list[int]:
    """Option ids of this poll, none repeated, at least one and at most max_choices."""
    if not isinstance(choices, list | tuple) or not all(
            isinstance(choice, int) and not isinstance(choice, bool) for choice in choices):
        raise ValidationError({"choices": _l("선택지 번호의 목록이어야 합니다.")})
    if not choices:
        raise ValidationError({"choices": _l("하나 이상 골라 주세요.")}, _l("하나 이상 골라 주세요."))
    if len(set(choices)) != len(choices):
        raise ValidationError({"choices": _l("같은 선택지를 두 번 고를 수 없습니다.")})
    if len(choices) > poll.max_choices:
        message = _l("최대 %(max)d개까지 고를 수 있습니다.", max=poll.max_choices)
        raise ValidationError({"choices": message}, message)
    known = {option.id for option in poll.options}
    if not set(choices) <= known:
        raise ValidationError({"choices": _l("이 투표에 없는 선택지입니다.")})
    return list(choices)


def cast_ballot(poll: Poll, actor, choices) -> str:
    """Record that the actor voted and the ballot sealed to the poll's public key; return the receipt code
    (shown once).

    Two rows in one transaction, both or neither: the participation row (the KST day, no time) and the sealed
    ballot (a random id and ciphertext: the choices and the receipt's hash, padded to max_choices). What was
    chosen is written only by the tally worker, when it opens a batch (core/ballot_box.py). Nothing here logs
    anything. A second ballot is refused by the unique constraint on (poll, user), not by a look-up first
    (`inserted_once`).
    """
    require_participation_open()
    require_verified(actor)
    require_may_vote(poll, actor)
    identity.require_level(actor, poll.verification)
    chosen = check_choices(poll, choices)
    if poll.public_key is None:
        # The worker makes the poll's key pair when the poll is created (tasks.make_poll_key): seconds.
        raise Conflict(_l("투표함을 준비하고 있습니다. 잠시 후 다시 투표해 주세요."), code="ballot_box_not_ready")
    district, birth_year = voter_values(poll, actor)
    if not inserted_once(Participation, ("poll_id", "user_id"), poll_id=poll.id, user_id=actor.id,
                         created_at=start_of_kst_day(utcnow()), district=district,
                         age_band=age_band(birth_year, opening_day(poll))):
        raise Conflict(_l("이미 투표하셨습니다."), code="already_voted")
    # Sealed once the person's one ballot is known to be this one: a refused second vote seals nothing.
    receipt = new_receipt()
    POLL_BOX.cast(poll.id, POLL_BOX.seal(poll, receipt_hash(receipt), chosen))
    trending.participated("polls", poll.id)
    jobs.schedule("recount:poll", poll.id)
    return receipt


# --- the tally ------------------------------------------------------------------------------------------------

def write_tally(poll_id: int, recount: bool = False) -> None:
    """The tally itself (flushes; the caller commits). `recount`: count even if no batch was opened (the
    reconciliation, which puts right whatever drifted)."""
    poll = db.session.execute(select(Poll.state, Poll.max_choices, Poll.tally_digest, Poll.tally_digest_count,
                                     Poll.bulletin_batch).where(Poll.id == poll_id)).one_or_none()
    if poll is None or poll.state not in (PollState.open, PollState.closed):
        # A tallied poll is frozen; drafts and cancelled polls have nothing to count.
        return
    live = poll.state == PollState.open
    try:
        batch = ballot_box.open_batch(POLL_BOX, poll_id, final=not live)
    except TallyKeyError as problem:
        ballot_box.report_key_problem(POLL_BOX, poll_id, problem)
        return
    if live and batch is None and not recount:
        return
    as_of = utcnow()
    votes, total = counts.count_ballots(poll_id, count_each_ballot=not live or poll.max_choices > 1)
    if live:
        if counts.write_counts(poll_id, PollState.open, votes, total_ballots=total, tally_as_of=as_of) \
                and (batch is not None or total != poll.tally_digest_count):
            jobs.schedule("bulletin:poll", poll_id)
        return
    # The final tally: no ballot is taken any more and none waits sealed, so counts, digest and turnout
    # describe the same ballots.
    batches = db.session.scalar(select(Poll.mixed_batches).where(Poll.id == poll_id))
    digest, digest_count = counts.current_digest(poll_id, poll.tally_digest, poll.tally_digest_count,
                                          poll.bulletin_batch, batches)
    turnout = counts.count_turnout(poll_id)
    if counts.write_counts(poll_id, PollState.closed, votes, total_ballots=total, tally_as_of=as_of,
                    tally_digest=digest, tally_digest_count=digest_count, bulletin_batch=batches,
                    bulletin_as_of=as_of):
        counts.replace_turnout(poll_id, turnout)
        check_ballots_against_voters(poll_id, total, turnout)
        transition(db.session.get(Poll, poll_id, populate_existing=True), PollState.tallied, None)


def check_ballots_against_voters(poll_id: int, total: int, turnout: list[dict]) -> None:
    """More ballots (counted or set aside) than people who voted means ballots were added behind the
    platform's back (only someone who can write the database could): staff are told."""
    voters = sum(cell["participants"] for cell in turnout if cell["dimension"] == "district")
    invalid = db.session.scalar(select(Poll.invalid_ballots).where(Poll.id == poll_id)) or 0
    if total + invalid > voters:
        ballot_box.alert_staff(POLL_BOX, poll_id, "more_ballots_than_voters",
                               f"{total} counted + {invalid} invalid > {voters} voters")
