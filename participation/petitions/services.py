"""Petition writes: filing, the life cycle, signatures, answers. Flush, never commit."""

from datetime import timedelta
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.orm import lazyload

from participation.accounts import identity
from participation.accounts.models import User
from participation.core import appeals, jobs, moderation_log, networks, trending
from participation.core.audit import audit
from participation.core.database import inserted_once
from participation.core.errors import Conflict, NotFound, ValidationError
from participation.core.forms import MODERATION_REASONS
from participation.core.input import clean_text
from participation.core.lifecycle import Edge, Lifecycle
from participation.core.notifications import notify
from participation.core.permissions import Role, require_role, require_user, require_verified
from participation.core.reports import resolve_reports
from participation.core.seoul import CATEGORIES
from participation.core.settings import get_setting, require_participation_open
from participation.core.time import end_of_kst_day, kst_today, to_kst, utcnow
from participation.extensions import db
from participation.petitions.counts import recount
from participation.petitions.models import (
    ANSWER_SUBJECT,
    BODY_MAX,
    DEPARTMENT_MAX,
    LINKS_MAX,
    PUBLIC_STATES,
    REASON_MAX,
    SUBJECT,
    TITLE_MAX,
    Petition,
    PetitionAnswer,
    PetitionKind,
    PetitionState,
    Signature,
    petition_path,
)

# Jobs this channel schedules (core/jobs.py); the worker runs the functions of tasks.py named here.
jobs.register("recount:petition", "participation.petitions.tasks.recount_petition")  # after signatures

State = PetitionState
# Binding acts of Seoul's real channels: signing them requires a verified person (setting
# IDENTITY_FOR_BINDING_PETITIONS).
BINDING_KINDS = (PetitionKind.resident_audit, PetitionKind.debate_request)
# A petition's life cycle (core/lifecycle.py): draft → pending → open → closed → answered, with pending → rejected
# and open|closed → hidden. The enter-hooks below are what each arrival sets off.
LIFECYCLE = Lifecycle(SUBJECT, State, [
    Edge(State.draft, State.pending, Role.citizen),  # the author submits (a guard: their own draft only)
    Edge(State.pending, State.open, Role.moderator),
    Edge(State.pending, State.rejected, Role.moderator, reason=True),
    Edge(State.open, State.closed, Role.moderator, system=True),  # the deadline job, or a moderator early
    Edge(State.open, State.hidden, Role.moderator, reason=True),
    Edge(State.closed, State.answered, Role.staff),  # through answer(), which writes the answer first
    Edge(State.closed, State.hidden, Role.moderator, reason=True),
    # An upheld appeal (core/appeals.py): a rejected petition is published, a hidden one goes back where it was.
    Edge(State.rejected, State.open, Role.moderator, reason=True, via=appeals.VIA),
    Edge(State.hidden, State.open, Role.moderator, reason=True, via=appeals.VIA),
    Edge(State.hidden, State.closed, Role.moderator, reason=True, via=appeals.VIA),
])
# The one way a petition changes state; `actor` None is the system (the deadline job).
transition = LIFECYCLE.move

# Reasons a moderator picks when rejecting (core.forms.MODERATION_REASONS, worded for petitions); the free text is
# added after the label.
REJECTION_REASONS = {**MODERATION_REASONS, "duplicate": _l("같은 내용의 청원이 이미 진행 중입니다")}


def _restore(petition: Petition, moderator, reason: str) -> None:
    decision = appeals.decision_of(SUBJECT, petition.id)
    transition(petition, appeals.restore_target(decision, State.open), moderator, reason, via=appeals.VIA)


appeals.register(appeals.Appealable(
    SUBJECT, _l("청원"), Petition, removed=lambda petition: petition.state in (State.rejected, State.hidden),
    restore=_restore, title=lambda petition: petition.title, path=lambda petition: petition_path(petition.id)))
moderation_log.register(moderation_log.LoggedSubject(
    SUBJECT, "petitions", _l("청원"), Petition, title=lambda petition: petition.title,
    public_states=frozenset(PUBLIC_STATES), path=lambda petition: petition_path(petition.id)))
moderation_log.register(moderation_log.LoggedSubject(
    ANSWER_SUBJECT, "petitions", _l("청원 답변"), PetitionAnswer,
    title=lambda answer: db.session.get(Petition, answer.petition_id).title,
    path=lambda answer: petition_path(answer.petition_id)))


def can_moderate(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.has_role(Role.moderator))


def is_author(petition: Petition, user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and petition.author_id == user.id)


def can_see(petition: Petition, user) -> bool:
    """Drafts are the author's; pending and rejected petitions also the moderators'. Hidden ones show
    a notice to everyone."""
    if petition.state == State.draft:
        return is_author(petition, user)
    if petition.state in (State.pending, State.rejected):
        return is_author(petition, user) or can_moderate(user)
    return True


# What signing needs of a petition: its own row, not its author (with their roles) and answer, which pages show.
ROW_ONLY = (lazyload(Petition.author), lazyload(Petition.answer))


def get_visible(petition_id: int, user, *, row_only: bool = False) -> Petition:
    petition = db.session.get(Petition, petition_id, options=ROW_ONLY if row_only else ())
    if petition is None or not can_see(petition, user):
        raise NotFound(_l("청원을 찾을 수 없습니다."))
    return petition


def check_fields(title, body, kind, category) -> dict:
    errors: dict = {}
    title = clean_text(title, "title", TITLE_MAX, errors=errors, missing=_l("제목을 입력해 주세요."))
    body = clean_text(body, "body", BODY_MAX, errors=errors)
    if kind not in set(PetitionKind):
        errors["kind"] = _l("청원 종류를 골라 주세요.")
    if category not in CATEGORIES:
        errors["category"] = _l("분야를 골라 주세요.")
    if errors:
        raise ValidationError(errors)
    return {"title": title, "body": body, "kind": PetitionKind(kind), "category": category}


def file_petition(author, title, body, kind, category, *, submit: bool = True) -> Petition:
    """Write a petition; submitted for review at once unless kept as a draft."""
    require_verified(author)
    petition = Petition(author_id=author.id, state=State.draft, **check_fields(title, body, kind, category))
    db.session.add(petition)
    db.session.flush()
    audit(author, SUBJECT, petition.id, "created")
    if submit:
        transition(petition, State.pending, author)
    return petition


def update_draft(petition: Petition, actor, title, body, kind, category) -> None:
    if not is_author(petition, actor) or petition.state != State.draft:
        raise NotFound(_l("청원을 찾을 수 없습니다."))
    for name, value in check_fields(title, body, kind, category).items():
        setattr(petition, name, value)
    audit(actor, SUBJECT, petition.id, "edited")


@LIFECYCLE.guard(State.pending)
def _only_the_author_submits(petition: Petition, step) -> None:
    if not is_author(petition, step.actor):
        raise NotFound(_l("청원을 찾을 수 없습니다."))


@LIFECYCLE.guard(State.answered)
def _answer_written(petition: Petition, _step) -> None:
    if petition.answer is None:
        raise Conflict(_l("답변을 먼저 작성해 주세요."), code="answer_missing")


@LIFECYCLE.on_enter(State.pending)
def _submitted(petition: Petition, step) -> None:
    petition.submitted_at = step.at


@LIFECYCLE.on_enter(State.open)
def _open(petition: Petition, step) -> None:
    """Publish with the rules in force today; they stay with the petition (a restored one keeps its own)."""
    if step.source == State.hidden:
        return
    petition.published_at = step.at
    petition.signature_days = get_setting("PETITION_SIGNATURE_DAYS")
    petition.answer_threshold = get_setting("PETITION_ANSWER_THRESHOLD")
    petition.debate_threshold = get_setting("PETITION_DEBATE_THRESHOLD")
    petition.answer_days = get_setting("PETITION_ANSWER_DAYS")
    binding = petition.kind in BINDING_KINDS and get_setting("IDENTITY_FOR_BINDING_PETITIONS")
    petition.verification = identity.IDENTITY if binding else identity.EMAIL
    petition.closes_at = end_of_kst_day(to_kst(step.at).date() + timedelta(days=petition.signature_days))
    petition.count_as_of = step.at


@LIFECYCLE.on_enter(State.rejected)
def _rejected(petition: Petition, step) -> None:
    petition.rejection_reason = step.reason


@LIFECYCLE.on_enter(State.closed)
def _close(petition: Petition, step) -> None:
    """The final count decides whether an answer is owed (once: a restored petition keeps its own)."""
    if step.source == State.hidden:
        return
    petition.closed_at = step.at
    recount(petition.id)
    db.session.expire(petition, ["signature_count", "district_counts", "count_as_of"])  # written by recount
    if petition.signature_count >= petition.answer_threshold:
        petition.answer_due_at = end_of_kst_day(to_kst(step.at).date() + timedelta(days=petition.answer_days))


@LIFECYCLE.on_enter(State.hidden)
def _hidden(petition: Petition, step) -> None:
    """Hiding upholds the reports against the petition: they leave the moderation queue, however it was hidden."""
    resolve_reports(step.actor, SUBJECT, petition.id, upheld=True)


@LIFECYCLE.on_enter(State.open, State.rejected, State.hidden, State.answered)
def _tell_author(petition: Petition, step) -> None:
    messages = {
        State.open: _l("청원 '%(title)s'이(가) 공개되었습니다."),
        State.rejected: _l("청원 '%(title)s'이(가) 반려되었습니다. 사유를 확인해 주세요."),
        State.hidden: _l("청원 '%(title)s'이(가) 운영 원칙에 따라 숨김 처리되었습니다."),
        State.answered: _l("청원 '%(title)s'에 서울시 답변이 등록되었습니다."),
    }
    if petition.author is not None:
        message = str(messages[step.target]) % {"title": petition.title[:60]}
        notify([petition.author], message[:300], petition_path(petition.id))


def is_collecting(petition: Petition) -> bool:
    return petition.state == State.open and petition.closes_at is not None and petition.closes_at > utcnow()


def sign(petition_id: int, user) -> Signature:
    """One signature per person; a second one, concurrent or not, is a 409."""
    require_user(user)
    petition = get_visible(petition_id, user, row_only=True)
    require_participation_open()
    require_verified(user)
    if not is_collecting(petition):
        raise Conflict(_l("서명을 받고 있는 청원이 아닙니다."), code="not_open")
    identity.require_level(user, petition.verification)
    values = {"petition_id": petition.id, "user_id": user.id, "district": user.district,
              "age_band": user.age_band_on(kst_today()), "created_at": utcnow(),
              "network_hash": networks.network_hash()}
    inserted = inserted_once(Signature, ("petition_id", "user_id"), **values)
    if inserted is None:
        raise Conflict(_l("이미 서명하셨습니다."), code="already_signed")
    trending.participated("petitions", petition.id)
    _schedule_recount(petition.id)
    # The row as inserted, outside the session: the ORM loading it back from the insert cost as much as the insert.
    return Signature(id=inserted.id, **values)


def withdraw(petition_id: int, user) -> None:
    """Take back one's own signature while the petition collects signatures."""
    require_user(user)
    petition = get_visible(petition_id, user)
    require_participation_open()
    if not is_collecting(petition):
        raise Conflict(_l("서명 기간이 끝나 철회할 수 없습니다."), code="not_open")
    removed = db.session.execute(delete(Signature).where(
        Signature.petition_id == petition.id, Signature.user_id == user.id)).rowcount
    if not removed:
        raise NotFound(_l("이 청원에 서명한 기록이 없습니다."))
    _schedule_recount(petition.id)


def has_signed(petition: Petition, user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(select(Signature.id).where(
        Signature.petition_id == petition.id, Signature.user_id == user.id)) is not None


def _schedule_recount(petition_id: int) -> None:
    jobs.schedule("recount:petition", petition_id)


def check_links(raw) -> str:
    lines = [line.strip() for line in (raw or "").splitlines() if line.strip()]
    if len(lines) > LINKS_MAX:
        raise ValidationError({"links": _l("첨부 링크는 %(max)d개까지입니다.", max=LINKS_MAX)})
    for line in lines:
        parts = urlsplit(line)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(line) > 500:
            raise ValidationError({"links": _l("http:// 또는 https://로 시작하는 주소를 한 줄에 하나씩 적어 주세요.")})
    return "\n".join(lines)


def answer(petition: Petition, actor, department, body, links="") -> PetitionAnswer:
    """The official answer; the petition becomes answered."""
    require_role(actor, Role.staff)
    LIFECYCLE.check(petition, State.answered, actor)
    errors: dict = {}
    department = clean_text(department, "department", DEPARTMENT_MAX, errors=errors,
                            missing=_l("담당 부서를 입력해 주세요."))
    body = clean_text(body, "body", BODY_MAX, errors=errors, missing=_l("답변 내용을 입력해 주세요."))
    try:
        links = check_links(links)
    except ValidationError as error:
        errors.update(error.fields)
    if errors:
        raise ValidationError(errors)
    petition.answer = PetitionAnswer(department=department, body=body, links=links, answered_by_id=actor.id)
    db.session.flush()
    audit(actor, ANSWER_SUBJECT, petition.answer.id, "answered")
    transition(petition, State.answered, actor)
    _tell_signers(petition, _("서명한 청원 '%(title)s'에 서울시 답변이 등록되었습니다.",
                              title=petition.title[:60])[:300])
    return petition.answer


def extend_answer_deadline(petition: Petition, actor, reason) -> None:
    """Once, by the configured number of days, with a reason."""
    require_role(actor, Role.staff)
    if not petition.needs_answer:
        raise Conflict(_l("답변 기한이 있는 청원이 아닙니다."), code="no_answer_due")
    if petition.extension_reason:
        raise Conflict(_l("답변 기한은 한 번만 연장할 수 있습니다."), code="already_extended")
    reason = clean_text(reason, "reason", REASON_MAX, missing=_l("연장 사유를 적어 주세요."))
    days = get_setting("PETITION_EXTENSION_DAYS")
    petition.answer_due_at = end_of_kst_day(to_kst(petition.answer_due_at).date() + timedelta(days=days))
    petition.extension_reason = reason
    if petition.answer_due_at > utcnow():
        petition.answer_overdue_at = None
    audit(actor, SUBJECT, petition.id, "answer_extended", reason)


def write_interim_answer(petition: Petition, actor, text) -> None:
    """A progress note (중간 답변) while the answer is owed, shown in public with its date, like proposals'."""
    require_role(actor, Role.staff)
    if not petition.needs_answer:
        raise Conflict(_l("답변 기한이 있는 청원이 아닙니다."), code="no_answer_due")
    petition.interim_answer = clean_text(text, "interim_answer", BODY_MAX, missing=_l("중간 답변을 적어 주세요."))
    petition.interim_answered_at = utcnow()
    audit(actor, SUBJECT, petition.id, "interim_answer")
    db.session.flush()


def reach_debate_threshold(petition_id: int) -> bool:
    """A debate request (시민참여 토론회 청구) whose counted signatures reached its debate threshold becomes an
    agenda item once: one conditional UPDATE decides between concurrent recounts, then the crossing is audited
    and the author (in the site and by mail) and the signers (in the site) are told. Called by the recount job
    and the reconciliation, never in a signer's request; returns whether this call crossed it."""
    now = utcnow()
    crossed = db.session.execute(
        update(Petition).where(
            Petition.id == petition_id, Petition.kind == PetitionKind.debate_request,
            Petition.state.in_([State.open, State.closed, State.answered]), Petition.debate_reached_at.is_(None),
            Petition.debate_threshold.is_not(None), Petition.signature_count >= Petition.debate_threshold)
        .values(debate_reached_at=now).execution_options(synchronize_session=False)).rowcount == 1
    if not crossed:
        return False
    petition = db.session.get(Petition, petition_id, populate_existing=True)
    audit(None, SUBJECT, petition.id, "debate_threshold_reached",
          _("서명 %(count)d명 (기준 %(threshold)d명)", count=petition.signature_count,
            threshold=petition.debate_threshold))
    message = _("청원 '%(title)s'이(가) 서명 %(count)d명으로 시민참여 토론회 안건이 되었습니다.",
                title=petition.title[:60], count=petition.debate_threshold)[:300]
    if petition.author is not None:
        notify([petition.author], message, petition_path(petition.id))
    _tell_signers(petition, message)
    return True


def _tell_signers(petition: Petition, message: str) -> None:
    """Signers other than the author, in the site only (a mail to thousands is not what they signed up for)."""
    signers = select(Signature.user_id).where(Signature.petition_id == petition.id,
                                              Signature.user_id.is_not(None), Signature.user_id != petition.author_id)
    users = db.session.scalars(select(User).where(User.id.in_(signers)).order_by(User.id)).all()
    notify(users, message, petition_path(petition.id), mail=False)
