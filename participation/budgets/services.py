"""Budgeting writes: processes and their life cycle, projects (propose, support, assess, merge), the secret
ballot and the implementation status of funded projects. Flush, never commit.

The life cycle is one declared table for the shared engine (`core.lifecycle`): each edge with the role that may
take it, whether it needs a reason and whether the platform takes it when the process's date comes; guards for
what must hold before a move (voting opens only when every project is assessed), and enter-hooks for what
arriving sets off (closing schedules the allocation).
"""

import functools
import itertools
from collections import Counter

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload, load_only, selectinload

from participation.accounts import identity, profile
from participation.budgets import allocation, counts, queries
from participation.budgets.box import BUDGET_BOX
from participation.budgets.models import (
    AMOUNT_MAX,
    DESCRIPTION_MAX,
    NOTES_MAX,
    PLACE_MAX,
    TITLE_MAX,
    BallotKind,
    BudgetParticipation,
    BudgetProcess,
    BudgetProject,
    Implementation,
    ProcessSource,
    ProcessState,
    ProjectStatus,
    ProjectSupport,
    Rule,
)
from participation.core import ballot_box, jobs, trending
from participation.core.audit import audit
from participation.core.database import insert_once, inserted_once
from participation.core.errors import Conflict, Forbidden, NotFound, ValidationError
from participation.core.input import clean_choices, clean_moment, clean_text
from participation.core.lifecycle import REASON_MAX, Edge, Lifecycle
from participation.core.permissions import Role, require_role, require_user, require_verified
from participation.core.receipts import new_receipt, receipt_hash
from participation.core.seoul import AGE_BANDS, CATEGORIES, DISTRICTS, age_band
from participation.core.settings import get_setting, require_participation_open
from participation.core.tally_keys import TallyKeyError
from participation.core.time import start_of_kst_day, to_kst, utcnow
from participation.extensions import db

SUBJECT = "budget"

# Jobs this channel schedules (core/jobs.py); the worker runs the functions of tasks.py named here.
jobs.register("recount:budget-supports", "participation.budgets.tasks.recount_supports")
# A batch of sealed ballots opened once MIX_BATCH wait (core/ballot_box.py), and the voters recounted with it.
jobs.register("recount:budget-ballots", "participation.budgets.tasks.open_budget_ballots")
jobs.register("tally-key:budget", "participation.budgets.tasks.make_budget_key", debounce=False)  # the worker's key
# Equal Shares runs once per 1% raise of the shares: measured 3 s a run for 20,000 voters and 20 projects, and
# a real Warsaw file needed 127 raises. A city-wide vote may take far longer than RQ's default 180 s.
jobs.register("allocate:budget", "participation.budgets.tasks.tally_budget", debounce=False, timeout=6 * 3600)
PROJECT_SUBJECT = "budget_project"
MAX_PROJECTS_LIMIT = 100


S = ProcessState
LIFECYCLE = Lifecycle(SUBJECT, S, [
    Edge(S.draft, S.proposing, Role.staff),
    Edge(S.draft, S.cancelled, Role.staff, reason=True),
    Edge(S.proposing, S.reviewing, Role.staff, system=True),     # … or the job, when proposals close
    Edge(S.proposing, S.cancelled, Role.staff, reason=True),
    Edge(S.reviewing, S.voting, Role.staff, system=True),        # … or the job, when voting opens
    Edge(S.reviewing, S.cancelled, Role.staff, reason=True),
    # Closing before the planned date needs a reason; the job closes at voting_closes_at.
    Edge(S.voting, S.closed, Role.staff, reason=True, system=True),
    Edge(S.voting, S.cancelled, Role.staff, reason=True),
    # Only the allocation job tallies.
    Edge(S.closed, S.tallied, None, system=True),
])
transition = LIFECYCLE.move


def allowed_from(state) -> list[ProcessState]:
    return LIFECYCLE.allowed(state)


@LIFECYCLE.guard(S.proposing)
def proposals_close_ahead(process: BudgetProcess, step) -> None:
    if process.proposing_closes_at is not None and process.proposing_closes_at <= step.at:
        raise ValidationError({"proposing_closes_at": _l(
            "제안 마감 시각이 이미 지났습니다. 날짜를 고친 뒤 시작하세요.")})


@LIFECYCLE.on_enter(S.proposing)
def proposals_open(process: BudgetProcess, step) -> None:
    """The process opens to the public: it takes the verification its supporters and voters need from the
    setting in force now (IDENTITY_FOR_BUDGETS), or keeps what staff asked for."""
    if get_setting("IDENTITY_FOR_BUDGETS"):
        process.verification = identity.IDENTITY


@LIFECYCLE.guard(S.voting)
def ready_to_vote(process: BudgetProcess, step) -> None:
    check_ready_to_vote(process, step.at)


def check_ready_to_vote(process: BudgetProcess, now) -> None:
    """Every project assessed, one of them feasible, and a close date ahead (else the domain error)."""
    waiting = [project for project in process.projects if project.status == ProjectStatus.proposed]
    if waiting:
        raise Conflict(_l("검토가 끝나지 않은 사업이 %(count)d건 있습니다. 모두 검토한 뒤 투표를 시작하세요.",
                          count=len(waiting)), code="projects_not_assessed")
    if not any(project.status == ProjectStatus.feasible for project in process.projects):
        raise Conflict(_l("투표에 올릴 (실행 가능한) 사업이 없습니다."), code="no_feasible_projects")
    if process.voting_closes_at is None or process.voting_closes_at <= now:
        raise ValidationError({"voting_closes_at": _l("투표 마감 시각이 미래여야 합니다.")})


@LIFECYCLE.on_enter(S.voting)
def voting_opens(process: BudgetProcess, step) -> None:
    process.voting_opened_at = step.at
    if process.public_key is None:
        request_key(process.id)  # asked for at creation; again in case Redis lost that job


def request_key(budget_id: int) -> None:
    """After commit, a worker makes the process's key pair (tasks.make_budget_key; the web never holds the key)."""
    jobs.schedule("tally-key:budget", budget_id)


@LIFECYCLE.on_enter(S.closed)
def voting_ends(process: BudgetProcess, step) -> None:
    """Voting has ended (indicator 3.2.b counts the process in this KST year); the worker allocates."""
    process.closed_at = step.at
    if process.voting_closes_at is None or process.voting_closes_at > step.at:
        process.voting_closes_at = step.at
    schedule_allocation(process.id)


# --- who sees what ---------------------------------------------------------------------------------------


def can_see(process: BudgetProcess, user) -> bool:
    if process.state in queries.PUBLIC_STATES:
        return True
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.has_role(Role.staff))


def get_visible(budget_id: int, user, *, for_vote: bool = False) -> BudgetProcess:
    """The process with its projects if this person may see it; otherwise NotFound (drafts are not revealed).

    `for_vote` reads the row FOR KEY SHARE (PostgreSQL), so that closing the process (FOR UPDATE in
    `services.transition`) waits for ballots in flight: each is committed before the close or sees it closed."""
    process = db.session.scalars(_process_with_projects(for_vote), {"budget_id": budget_id}).unique().one_or_none()
    if process is None or not can_see(process, user):
        raise NotFound()
    return process


@functools.cache
def _process_with_projects(for_vote: bool):
    # Built once per process (construction and cache key were a large part of a vote's read). A ballot needs the
    # columns that `cast_ballot` checks, not the texts, the JSON of the results or the projects' photos: reading
    # every column of twelve projects in a second statement was a third of a vote's time. Another column, if used,
    # loads when read.
    statement = select(BudgetProcess).where(BudgetProcess.id == bindparam("budget_id"))
    if not for_vote:
        return statement.options(selectinload(BudgetProcess.projects).selectinload(BudgetProject.images))
    process, project = BudgetProcess, BudgetProject
    return (statement.options(
        load_only(process.state, process.district, process.eligible_age_bands, process.budget, process.ballot_kind,
                  process.max_projects, process.verification, process.voting_opens_at, process.voting_closes_at,
                  process.voting_opened_at, process.public_key),
        joinedload(process.projects).load_only(project.budget_id, project.title, project.cost, project.status))
        .with_for_update(read=True, key_share=True, of=process).execution_options(populate_existing=True))


# --- processes ------------------------------------------------------------------------------------------


def amount_field(errors: dict, name: str, value, maximum: int | None = None) -> int | None:
    """A whole amount in 원, above zero and at most `maximum` (the budget, for a cost)."""
    if isinstance(value, bool) or not isinstance(value, int):
        errors[name] = _l("원 단위의 정수로 입력해 주세요.")
        return None
    if value <= 0:
        errors[name] = _l("0보다 커야 합니다.")
        return None
    if value > AMOUNT_MAX:
        errors[name] = _l("금액이 너무 큽니다.")
        return None
    if maximum is not None and value > maximum:
        errors[name] = _l("전체 예산(%(budget)s원)보다 클 수 없습니다.", budget=format(maximum, ","))
        return None
    return value


def check_process_fields(*, title, description, budget, district, categories, ballot, max_projects, rule,
                         eligible_age_bands, proposing_closes_at, voting_opens_at, voting_closes_at) -> dict:
    errors: dict = {}
    fields = {"title": clean_text(title, "title", TITLE_MAX, errors=errors),
              "description": clean_text(description, "description", DESCRIPTION_MAX, required=False, errors=errors),
              "budget": amount_field(errors, "budget", budget)}
    if district is not None and district not in DISTRICTS:
        errors["district"] = _l("서울시 25개 자치구 이름이어야 합니다 (시 전체는 비워 두세요).")
    categories = clean_choices(categories, "categories", CATEGORIES, errors=errors,
                               message=_l("알 수 없는 분야입니다."))
    max_projects = _check_ballot(ballot, max_projects, errors)
    if rule not in set(Rule):
        errors["rule"] = _l("배분 방식은 greedy 또는 equal_shares입니다.")
    bands = clean_choices(eligible_age_bands, "eligible_age_bands", AGE_BANDS, errors=errors,
                          message=_l("알 수 없는 연령대입니다."))
    moments = {name: clean_moment(moment, name, errors=errors) for name, moment in (
        ("proposing_closes_at", proposing_closes_at), ("voting_opens_at", voting_opens_at),
        ("voting_closes_at", voting_closes_at))}
    ordered = [(name, moment) for name, moment in moments.items() if moment is not None]
    for (_first, earlier), (name, later) in itertools.pairwise(ordered):
        if later <= earlier:
            errors[name] = _l("단계의 날짜는 제안 마감 → 투표 시작 → 투표 마감 순서여야 합니다.")
    if errors:
        raise ValidationError(errors)
    return {**fields, "district": district, "categories": categories, "ballot_kind": BallotKind(ballot),
            "max_projects": max_projects, "rule": Rule(rule), "eligible_age_bands": bands, **moments}


def _check_ballot(ballot, max_projects, errors: dict) -> int | None:
    """The ballot's kind; an approval ballot's number of projects one may choose (None for a knapsack)."""
    if ballot not in set(BallotKind):
        errors["ballot"] = _l("투표 방식은 knapsack 또는 approval입니다.")
    elif ballot == BallotKind.approval:
        if isinstance(max_projects, bool) or not isinstance(max_projects, int) \
                or not 1 <= max_projects <= MAX_PROJECTS_LIMIT:
            errors["max_projects"] = _l("고를 수 있는 사업 수는 1에서 %(max)d 사이여야 합니다.", max=MAX_PROJECTS_LIMIT)
        return max_projects
    return None


def create_process(actor, *, title, budget, description="", district=None, categories=(), ballot="knapsack",
                   max_projects=None, rule="greedy", eligible_age_bands=(), proposing_closes_at=None,
                   voting_opens_at=None, voting_closes_at=None, verification=identity.EMAIL) -> BudgetProcess:
    """Staff open a process as a draft; its rules (ballot, allocation rule, budget) are fixed from voting on.
    `verification` asks identity of supporters and voters even where the setting does not (proposals_open)."""
    require_role(actor, Role.staff)
    fields = check_process_fields(
        title=title, description=description, budget=budget, district=district, categories=list(categories or ()),
        ballot=ballot, max_projects=max_projects, rule=rule, eligible_age_bands=list(eligible_age_bands or ()),
        proposing_closes_at=proposing_closes_at, voting_opens_at=voting_opens_at, voting_closes_at=voting_closes_at)
    process = BudgetProcess(**fields, state=ProcessState.draft, author_id=actor.id,
                            verification=identity.check_level(verification))
    db.session.add(process)
    db.session.flush()
    audit(actor, SUBJECT, process.id, "created:draft")
    request_key(process.id)
    return process


# --- projects -------------------------------------------------------------------------------------------

PROPOSING_STATES = (ProcessState.proposing,)
# Staff may add projects (a department's own) until voting opens.
STAFF_PROPOSING_STATES = (ProcessState.draft, ProcessState.proposing, ProcessState.reviewing)
ASSESSING_STATES = (ProcessState.proposing, ProcessState.reviewing)


def propose_project(process: BudgetProcess, actor, *, title, cost, description="", district=None, category=None,
                    place="") -> BudgetProject:
    """A citizen proposes a project while the process takes proposals; staff may also add one before voting."""
    require_user(actor)
    is_staff = actor.has_role(Role.staff)
    if process.state not in (STAFF_PROPOSING_STATES if is_staff else PROPOSING_STATES):
        raise Conflict(_l("지금은 사업을 제안할 수 없습니다 (제안 기간이 아닙니다)."), code="not_proposing")
    if not is_staff:
        require_participation_open()
        require_verified(actor)
    errors: dict = {}
    fields = {"title": clean_text(title, "title", TITLE_MAX, errors=errors),
              "description": clean_text(description, "description", DESCRIPTION_MAX, required=False, errors=errors),
              "place": clean_text(place, "place", PLACE_MAX, required=False, errors=errors),
              "estimated_cost": amount_field(errors, "cost", cost, maximum=process.budget)}
    if process.district is not None:
        if district not in (None, "", process.district):
            errors["district"] = _l("이 사업은 %(district)s 사업만 받습니다.", district=process.district)
        district = process.district
    elif district in ("", None):
        district = None
    elif district not in DISTRICTS:
        errors["district"] = _l("서울시 25개 자치구 이름이어야 합니다.")
    allowed = process.categories or list(CATEGORIES)
    if category in ("", None):
        category = None
    elif category not in allowed:
        errors["category"] = _l("이 사업의 분야가 아닙니다.")
    if errors:
        raise ValidationError(errors)
    project = BudgetProject(budget_id=process.id, **fields, cost=fields["estimated_cost"], district=district,
                            category=category, author_id=actor.id, status=ProjectStatus.proposed)
    db.session.add(project)
    db.session.flush()
    audit(actor, PROJECT_SUBJECT, project.id, "proposed")
    return project


def support_project(project: BudgetProject, actor) -> ProjectSupport:
    """A citizen's support (공감) while the process takes proposals; once per person per project."""
    require_participation_open()
    require_verified(actor)
    if project.process.state != ProcessState.proposing or project.status in (
            ProjectStatus.infeasible, ProjectStatus.merged):
        raise Conflict(_l("지금은 공감할 수 없습니다."), code="not_proposing")
    identity.require_level(actor, project.process.verification)
    support = insert_once(ProjectSupport, ("project_id", "user_id"), project_id=project.id, user_id=actor.id,
                          created_at=utcnow())
    if support is None:
        raise Conflict(_l("이미 공감하셨습니다."), code="already_supported")
    schedule_support_recount(project.budget_id)
    return support


def schedule_support_recount(budget_id: int) -> None:
    jobs.schedule("recount:budget-supports", budget_id)


def assess_project(project: BudgetProject, actor, *, feasible, cost=None, notes="") -> BudgetProject:
    """A department's assessment (staff): feasible, with the revised cost (or the estimate) and notes; or not
    feasible, with the reason shown publicly. It can be revised until voting opens."""
    require_role(actor, Role.staff)
    process = project.process
    if process.state not in ASSESSING_STATES:
        raise Conflict(_l("투표가 시작된 뒤에는 검토 결과를 바꿀 수 없습니다."), code="not_reviewing")
    if project.status == ProjectStatus.merged:
        raise Conflict(_l("다른 사업에 합쳐진 사업입니다."), code="merged")
    errors: dict = {}
    if not isinstance(feasible, bool):
        errors["feasible"] = _l("참 또는 거짓이어야 합니다.")
    notes = clean_text(notes, "notes", NOTES_MAX, required=False, errors=errors)
    if feasible is False and not notes and "notes" not in errors:
        errors["notes"] = _l("실행할 수 없는 이유를 적어 주세요 (공개됩니다).")
    revised = project.cost if cost is None else amount_field(errors, "cost", cost, maximum=process.budget)
    if errors:
        raise ValidationError(errors)
    project.status = ProjectStatus.feasible if feasible else ProjectStatus.infeasible
    project.cost = revised if feasible else project.cost
    project.assessment = notes
    project.assessed_at = utcnow()
    audit(actor, PROJECT_SUBJECT, project.id, f"assessed:{project.status}",
          f"{project.cost}: {notes}" if feasible else notes)
    db.session.flush()
    return project


def merge_projects(project: BudgetProject, into: BudgetProject, actor, reason: str) -> BudgetProject:
    """Fold a project into a similar one of the same process (staff, before voting): its supporters support
    the other one too; it stays visible, marked as merged, with a link."""
    require_role(actor, Role.staff)
    if project.budget_id != into.budget_id or project.id == into.id:
        raise ValidationError({"into": _l("같은 사업의 다른 제안과만 합칠 수 있습니다.")})
    if project.process.state not in ASSESSING_STATES:
        raise Conflict(_l("투표가 시작된 뒤에는 합칠 수 없습니다."), code="not_reviewing")
    if ProjectStatus.merged in (project.status, into.status):
        raise Conflict(_l("이미 합쳐진 제안입니다."), code="merged")
    reason = clean_text(reason, "reason", REASON_MAX, missing=_l("사유를 적어 주세요."))
    supporters = db.session.scalars(db.select(ProjectSupport.user_id).where(ProjectSupport.project_id == project.id))
    for user_id in supporters.all():
        insert_once(ProjectSupport, ("project_id", "user_id"), project_id=into.id, user_id=user_id,
                    created_at=utcnow())
    project.status, project.merged_into_id = ProjectStatus.merged, into.id
    audit(actor, PROJECT_SUBJECT, project.id, f"merged:{into.id}", reason[:REASON_MAX])
    schedule_support_recount(project.budget_id)
    db.session.flush()
    return project


# --- voting ---------------------------------------------------------------------------------------------


def opening_day(process: BudgetProcess):
    """The KST day voting opened (or opens): ages for eligibility are counted on this day."""
    return to_kst(process.voting_opened_at or process.voting_opens_at or utcnow()).date()


def voter_values(process: BudgetProcess, user) -> tuple[str | None, int | None]:
    """The person's (district, birth year) in force when voting opened, for a process with a district or age
    bands (its voters are counted by them too); the current ones for the others (no look-up)."""
    if not (process.district or process.eligible_age_bands):
        return user.district, user.birth_year
    return profile.values_on(user, process.voting_opened_at)


def eligibility_problem(process: BudgetProcess, user) -> str | None:
    """Why this person may not vote in this process (a message), or None. District and birth year are the ones in
    force when voting opened (accounts/profile.py), as for polls: moving afterwards changes nothing."""
    if not (process.district or process.eligible_age_bands):
        return None
    district, birth_year = voter_values(process, user)
    if process.district and district != process.district:
        if user.district == process.district:
            return _l("이 사업은 투표가 시작된 때 %(district)s에 살던 주민만 투표할 수 있습니다. 그 뒤에 바꾼 자치구는 "
                      "자격에 들어가지 않습니다.", district=process.district)
        return _l("이 사업은 %(district)s 주민만 투표할 수 있습니다.", district=process.district)
    if process.eligible_age_bands and age_band(birth_year, opening_day(process)) not in process.eligible_age_bands:
        return _l("이 사업에 투표할 수 있는 연령대가 아닙니다.")
    return None


def is_open_for_voting(process: BudgetProcess, now=None) -> bool:
    now = now or utcnow()
    return process.state == ProcessState.voting and (
        process.voting_closes_at is None or now < process.voting_closes_at)


def require_may_vote(process: BudgetProcess, user) -> None:
    if not is_open_for_voting(process):
        raise Conflict(_l("지금은 투표할 수 없습니다 (투표 기간이 아닙니다)."), code="not_voting")
    problem = eligibility_problem(process, user)
    if problem:
        raise Forbidden(problem, code="not_eligible")
    identity.require_level(user, process.verification)


def ballot_projects(process: BudgetProcess) -> list[BudgetProject]:
    """The projects on the ballot: the feasible ones."""
    return [project for project in process.projects if project.status == ProjectStatus.feasible]


def check_ballot(process: BudgetProcess, project_ids) -> list[BudgetProject]:
    """The chosen projects: ids of feasible projects of this process, none twice, at least one, and within
    the budget (knapsack) or at most max_projects (approval)."""
    if not isinstance(project_ids, list | tuple) or not all(
            isinstance(value, int) and not isinstance(value, bool) for value in project_ids):
        raise ValidationError({"projects": _l("사업 번호의 목록이어야 합니다.")})
    if not project_ids:
        message = _l("사업을 하나 이상 골라 주세요.")
        raise ValidationError({"projects": message}, message)
    if len(set(project_ids)) != len(project_ids):
        raise ValidationError({"projects": _l("같은 사업을 두 번 고를 수 없습니다.")})
    by_id = {project.id: project for project in process.projects}
    unknown = [value for value in project_ids if value not in by_id]
    if unknown:
        message = _l("이 사업에 없는 제안입니다: %(ids)s", ids=", ".join(map(str, unknown[:5])))
        raise ValidationError({"projects": message}, message)
    off_ballot = [by_id[value] for value in project_ids if by_id[value].status != ProjectStatus.feasible]
    if off_ballot:
        message = _l("투표 대상이 아닌 제안입니다 (검토 결과 실행 불가이거나 합쳐짐): %(titles)s",
                     titles=", ".join(project.title for project in off_ballot[:3]))
        raise ValidationError({"projects": message}, message)
    chosen = [by_id[value] for value in project_ids]
    if process.ballot_kind == BallotKind.knapsack:
        total = sum(project.cost for project in chosen)
        if total > process.budget:
            message = _l("고른 사업의 합계 %(total)s원이 예산 %(budget)s원을 %(over)s원 넘습니다.",
                         total=format(total, ","), budget=format(process.budget, ","),
                         over=format(total - process.budget, ","))
            raise ValidationError({"projects": message}, message)
    elif len(chosen) > process.max_projects:
        message = _l("최대 %(max)d개까지 고를 수 있습니다.", max=process.max_projects)
        raise ValidationError({"projects": message}, message)
    return chosen


def cast_ballot(process: BudgetProcess, actor, project_ids) -> str:
    """Record that the actor voted and the ballot sealed to the process's public key; return the receipt code
    (shown once).

    Two rows in one transaction, both or neither: the participation row (the KST day, no time) and the sealed
    ballot (a random id and ciphertext: the project ids and the receipt's hash, padded to the number of projects
    on the ballot). What was chosen is written only by the tally worker, when it opens a batch
    (core/ballot_box.py). Nothing here logs anything. A second ballot is refused by the unique constraint on
    (process, user), not by a look-up first (`inserted_once`)."""
    require_participation_open()
    require_verified(actor)
    require_may_vote(process, actor)
    chosen = check_ballot(process, project_ids)
    if process.public_key is None:
        # The worker makes the process's key pair when it is created (tasks.make_budget_key): seconds.
        raise Conflict(_l("투표함을 준비하고 있습니다. 잠시 후 다시 투표해 주세요."), code="ballot_box_not_ready")
    district, birth_year = voter_values(process, actor)
    if not inserted_once(BudgetParticipation, ("budget_id", "user_id"), budget_id=process.id, user_id=actor.id,
                         created_at=start_of_kst_day(utcnow()), district=district,
                         age_band=age_band(birth_year, opening_day(process))):
        raise Conflict(_l("이미 투표하셨습니다."), code="already_voted")
    # Sealed once the person's one ballot is known to be this one: a refused second vote seals nothing.
    receipt = new_receipt()
    BUDGET_BOX.cast(process.id, BUDGET_BOX.seal(process, receipt_hash(receipt), [project.id for project in chosen]))
    trending.participated("budgets", process.id)
    jobs.schedule("recount:budget-ballots", process.id)
    return receipt


def open_ballots(budget_id: int) -> bool:
    """While voting runs: open a batch of sealed ballots if MIX_BATCH of them wait, and recount the voters with
    it, so that what pages show moves batch by batch, never by one ballot (flushes; the caller commits). True if
    a batch was opened. A process whose key is missing says so and waits."""
    state = db.session.scalar(select(BudgetProcess.state).where(BudgetProcess.id == budget_id))
    if state != ProcessState.voting:
        return False
    try:
        batch = ballot_box.open_batch(BUDGET_BOX, budget_id, final=False)
    except TallyKeyError as problem:
        ballot_box.report_key_problem(BUDGET_BOX, budget_id, problem)
        return False
    if batch is None:
        return False
    counts.recount_participants(budget_id)
    return True


# --- after the vote -------------------------------------------------------------------------------------

IMPLEMENTATION_ORDER = (Implementation.planned, Implementation.in_progress, Implementation.done)


def set_implementation(project: BudgetProject, actor, *, status, percent, note="") -> BudgetProject:
    """Staff record how a funded project is carried out: planned → in progress → done, with % and notes."""
    require_role(actor, Role.staff)
    if project.process.state != ProcessState.tallied or not project.funded:
        raise Conflict(_l("선정된 사업만 추진 현황을 적을 수 있습니다."), code="not_funded")
    errors: dict = {}
    if status not in set(Implementation):
        errors["status"] = _l("planned, in_progress, done 중 하나여야 합니다.")
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        errors["percent"] = _l("0에서 100 사이의 정수여야 합니다.")
    elif status == Implementation.done and percent != 100:
        errors["percent"] = _l("완료된 사업의 진행률은 100이어야 합니다.")
    elif status == Implementation.planned and percent != 0:
        errors["percent"] = _l("계획 단계의 진행률은 0이어야 합니다.")
    note = clean_text(note, "note", NOTES_MAX, required=False, errors=errors)
    if errors:
        raise ValidationError(errors)
    project.implementation = Implementation(status)
    project.implementation_percent = percent
    project.implementation_note = note
    project.implementation_updated_at = utcnow()
    audit(actor, PROJECT_SUBJECT, project.id, f"implementation:{status}:{percent}", note or None)
    db.session.flush()
    return project


# --- the allocation -------------------------------------------------------------------------------------


def schedule_allocation(budget_id: int) -> None:
    """After this transaction commits, allocate the process on a worker (unless that job already waits or runs)."""
    if not jobs.is_pending("allocate:budget", budget_id):
        jobs.schedule("allocate:budget", budget_id)


def write_allocation(budget_id: int) -> bool:
    """Open the sealed ballots still waiting (however few), allocate the closed process from the opened ones and
    move it to tallied (flushes; the caller commits). True if it did. A process whose key is missing is not
    tallied: it says so (`key_problem`), staff are told, and the next run after the key is back tallies it."""
    process = db.session.scalars(select(BudgetProcess).where(BudgetProcess.id == budget_id)
                                 .with_for_update()).one_or_none()
    if process is None or process.state != ProcessState.closed:
        return False
    try:
        ballot_box.open_batch(BUDGET_BOX, budget_id, final=True)
    except TallyKeyError as problem:
        ballot_box.report_key_problem(BUDGET_BOX, budget_id, problem)
        return False
    db.session.expire(process, ["mixed_batches", "invalid_ballots", "key_problem"])  # written around the session
    on_ballot = [project for project in process.projects if project.status == ProjectStatus.feasible]
    by_name = {project.pabulib_id: project for project in on_ballot}
    names = {project.id: project.pabulib_id for project in on_ballot}
    ballots = Counter({frozenset(names[project_id] for project_id in key): count
                       for key, count in counts.ballots_of(budget_id).items()})
    total = sum(ballots.values())
    costs = {name: project.cost for name, project in by_name.items()}
    outcome = allocation.allocate(process.rule, process.budget, costs, ballots) if total else None
    for name, project in by_name.items():
        result = outcome.projects[name] if outcome else None
        project.votes = result.votes if result else 0
        project.funded = bool(result and result.funded)
        project.outcome_reason = result.reason if result else allocation.NO_BALLOTS
        project.outcome = {} if result is None else {
            "how": result.how, "remaining": counts.as_int(result.remaining), "payers": result.payers,
            "largest_payment": counts.as_int(result.largest_payment),
            "supporters_money_left": counts.as_int(result.supporters_money_left),
            "rank": outcome.selected.index(name) + 1 if name in outcome.selected else None}
        if project.funded and project.implementation is None:
            project.implementation, project.implementation_percent = "planned", 0
    process.total_ballots = total
    process.spent = outcome.spent if outcome else 0
    process.allocation = {} if outcome is None else {
        "voters": outcome.voters, "share_per_voter": counts.as_int(outcome.share_per_voter), "raises": outcome.raises,
        "by_shares": sum(project.cost for project in on_ballot
                         if project.funded and project.outcome.get("how") == allocation.BY_SHARES)}
    process.tally_as_of = utcnow()
    process.tally_digest = counts.receipts_digest(budget_id, process.mixed_batches)
    counts.recount_participants(budget_id)
    check_ballots_against_voters(process)
    transition(process, ProcessState.tallied, None)
    return True


def check_ballots_against_voters(process: BudgetProcess) -> None:
    """More ballots (counted or set aside) than people who voted means ballots were added behind the platform's
    back (only someone who can write the database could): staff are told. Imported processes have no voters."""
    if process.source != ProcessSource.platform:
        return
    voters = db.session.scalar(select(func.count()).select_from(BudgetParticipation).where(
        BudgetParticipation.budget_id == process.id)) or 0
    if process.total_ballots + process.invalid_ballots > voters:
        ballot_box.alert_staff(BUDGET_BOX, process.id, "more_ballots_than_voters",
                               f"{process.total_ballots} counted + {process.invalid_ballots} invalid > {voters} voters")
