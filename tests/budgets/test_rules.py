"""The rules of participatory budgeting, through the services: life cycle, proposals, assessment, merging,
the knapsack ballot and its refusals (nothing written), one ballot per person, the allocation job."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from participation.budgets import queries, services
from participation.budgets.counts import write_support_counts
from participation.budgets.models import (
    BudgetParticipation,
    BudgetProject,
    BudgetSealedBallot,
    ProcessState,
    ProjectStatus,
)
from participation.budgets.services import write_allocation
from participation.core.audit import history
from participation.core.errors import Conflict, Forbidden, InvalidTransition, ValidationError
from participation.core.time import utcnow
from participation.extensions import db
from tests.factories import (
    BudgetProcessFactory,
    BudgetProjectFactory,
    UserFactory,
    budget_with_projects,
    staff,
)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def ballot_rows() -> tuple[int, int]:
    """Who voted, and the sealed ballots (what was voted is written only when the worker opens them)."""
    return count(BudgetParticipation), count(BudgetSealedBallot)


def test_staff_open_a_draft_and_bad_fields_are_named(db_session):
    process = services.create_process(staff(), title="2026 마포구 주민참여예산", budget=500_000_000, district="마포구",
                                      categories=["safety", "environment"], rule="equal_shares")
    assert process.state == ProcessState.draft and process.rule == "equal_shares"
    with pytest.raises(ValidationError) as caught:
        services.create_process(staff(), title=" ", budget=0, district="부산진구", categories=["우주"],
                                ballot="approval", max_projects=0, rule="lottery", eligible_age_bands=["10-13"])
    assert set(caught.value.fields) == {"title", "budget", "district", "categories", "max_projects", "rule",
                                        "eligible_age_bands"}
    with pytest.raises(ValidationError) as caught:
        services.create_process(staff(), title="예산", budget=-5)
    assert set(caught.value.fields) == {"budget"}


def test_citizens_cannot_open_a_process(db_session):
    with pytest.raises(Forbidden):
        services.create_process(UserFactory(), title="내 예산", budget=1_000)


def test_life_cycle_follows_the_table_and_is_audited(db_session):
    officer = staff()
    now = utcnow()
    process = services.create_process(officer, title="2026 마포구 주민참여예산", budget=300_000_000, district="마포구",
                                      proposing_closes_at=now + timedelta(days=10),
                                      voting_opens_at=now + timedelta(days=20),
                                      voting_closes_at=now + timedelta(days=30))
    with pytest.raises(InvalidTransition) as caught:
        services.transition(process, "voting", officer)
    assert caught.value.allowed == ["cancelled", "proposing"]
    services.transition(process, "proposing", officer)
    project = services.propose_project(process, UserFactory(), title="망원동 골목 보안등", cost=80_000_000)
    services.transition(process, "reviewing", officer)
    with pytest.raises(Conflict) as caught:  # an unassessed project blocks voting
        services.transition(process, "voting", officer)
    assert caught.value.code == "projects_not_assessed"
    services.assess_project(project, officer, feasible=True, cost=75_000_000, notes="구청 시설과 검토 완료")
    services.transition(process, "voting", officer)
    assert process.state == ProcessState.voting and process.voting_opened_at is not None
    with pytest.raises(ValidationError):  # closing early needs a reason
        services.transition(process, "closed", officer)
    services.transition(process, "closed", officer, "예산 편성 일정이 당겨져 조기 마감")
    assert process.closed_at is not None
    with pytest.raises(Forbidden):  # only the allocation job tallies: no person may
        services.transition(process, "tallied", officer)
    assert [entry.action for entry in history(services.SUBJECT, process.id)] == [
        "created:draft", "draft->proposing", "proposing->reviewing", "reviewing->voting", "voting->closed"]


def test_the_system_takes_only_its_own_edges(db_session):
    process = BudgetProcessFactory(state="draft")
    with pytest.raises(InvalidTransition):
        services.transition(process, "proposing", None)
    with pytest.raises(InvalidTransition):
        services.transition(process, "nowhere", staff())


def test_project_costs_must_be_positive_and_within_the_budget(db_session):
    process = BudgetProcessFactory(state="proposing", budget=100_000_000)
    citizen = UserFactory()
    for cost, message in ((0, "0보다"), (-1_000, "0보다"), (100_000_001, "전체 예산"), ("5억", "정수"), (True, "정수")):
        with pytest.raises(ValidationError) as caught:
            services.propose_project(process, citizen, title="어린이 놀이터 그늘막", cost=cost)
        assert set(caught.value.fields) == {"cost"} and message in caught.value.fields["cost"][0]
    assert count(BudgetProject) == 0
    project = services.propose_project(process, citizen, title="어린이 놀이터 그늘막", cost=100_000_000,
                                       category="environment", place="망원 한강공원")
    assert project.status == ProjectStatus.proposed and project.district == "마포구"


def test_a_district_process_takes_only_its_district(db_session):
    process = BudgetProcessFactory(state="proposing", district="마포구")
    with pytest.raises(ValidationError) as caught:
        services.propose_project(process, UserFactory(), title="강남대로 자전거길", cost=1_000_000, district="강남구")
    assert set(caught.value.fields) == {"district"}


def test_proposing_outside_the_phase_is_refused(db_session):
    process = BudgetProcessFactory(state="voting")
    with pytest.raises(Conflict) as caught:
        services.propose_project(process, UserFactory(), title="버스 정류장 온열 의자", cost=10_000_000)
    assert caught.value.code == "not_proposing"


def test_supports_once_per_person_and_merged_supporters_count_for_the_target(db_session):
    process = BudgetProcessFactory(state="proposing")
    bench = BudgetProjectFactory(process=process, status="proposed", title="공원 벤치 교체")
    seats = BudgetProjectFactory(process=process, status="proposed", title="공원 의자 늘리기")
    first, second = UserFactory(), UserFactory()
    services.support_project(bench, first)
    services.support_project(seats, second)
    services.support_project(seats, first)
    with pytest.raises(Conflict) as caught:
        services.support_project(bench, first)
    assert caught.value.code == "already_supported"
    services.merge_projects(bench, seats, staff(), "같은 공원의 같은 제안")
    write_support_counts(process.id)
    db.session.refresh(seats)
    db.session.refresh(bench)
    assert bench.status == ProjectStatus.merged and bench.merged_into_id == seats.id
    assert (seats.support_count, bench.support_count) == (2, 1)


def test_an_infeasible_project_needs_a_public_reason(db_session):
    process = BudgetProcessFactory(state="reviewing")
    project = BudgetProjectFactory(process=process, status="proposed")
    with pytest.raises(ValidationError) as caught:
        services.assess_project(project, staff(), feasible=False)
    assert set(caught.value.fields) == {"notes"}
    services.assess_project(project, staff(), feasible=False, notes="사유지라 설치할 수 없습니다")
    assert project.status == ProjectStatus.infeasible and project.assessment == "사유지라 설치할 수 없습니다"
    with pytest.raises(ValidationError) as caught:
        services.assess_project(project, staff(), feasible=True, cost=0)
    assert set(caught.value.fields) == {"cost"}


def test_a_knapsack_ballot_within_the_budget_is_recorded_without_its_voter(db_session):
    process = budget_with_projects((100_000_000, 200_000_000, 300_000_000))
    _small, middle, large = process.projects
    receipt = services.cast_ballot(process, UserFactory(), [middle.id, large.id])
    assert len(receipt) == 24 and ballot_rows() == (1, 1)
    ballot = db.session.scalars(select(BudgetSealedBallot)).one()
    assert not hasattr(ballot, "user_id") and services.receipt_hash(receipt).encode() not in ballot.ciphertext


@pytest.mark.parametrize("choose, code_word", [
    (lambda p, other: [p[0].id, p[1].id, p[2].id], "넘습니다"),       # 6억 > 5억
    (lambda p, other: [p[0].id, other.id], "없는"),                  # a project of another process
    (lambda p, other: [p[0].id, p[0].id], "두 번"),
    (lambda p, other: [], "하나 이상"),
    (lambda p, other: ["1"], "목록"),
    (lambda p, other: [p[3].id], "투표 대상이 아닌"),                # infeasible
])
def test_bad_ballots_are_refused_and_nothing_is_written(db_session, choose, code_word):
    process = budget_with_projects((100_000_000, 200_000_000, 300_000_000))
    BudgetProjectFactory(process=process, status="infeasible", assessment="법적으로 불가")
    other = BudgetProjectFactory(process=BudgetProcessFactory())
    with pytest.raises(ValidationError) as caught:
        services.cast_ballot(process, UserFactory(), choose(process.projects, other))
    assert code_word in caught.value.fields["projects"][0]
    assert ballot_rows() == (0, 0)


def test_approval_ballot_allows_up_to_its_maximum(db_session):
    process = budget_with_projects((10, 20, 30), ballot_kind="approval", max_projects=2, budget=60)
    with pytest.raises(ValidationError) as caught:
        services.cast_ballot(process, UserFactory(), [project.id for project in process.projects])
    assert "최대 2개" in caught.value.fields["projects"][0]
    services.cast_ballot(process, UserFactory(), [process.projects[0].id, process.projects[2].id])
    assert ballot_rows() == (1, 1)


def test_a_second_ballot_and_a_vote_outside_voting_are_conflicts(db_session):
    process = budget_with_projects()
    voter = UserFactory()
    services.cast_ballot(process, voter, [process.projects[0].id])
    with pytest.raises(Conflict) as caught:
        services.cast_ballot(process, voter, [process.projects[1].id])
    assert caught.value.code == "already_voted"
    reviewing = budget_with_projects(state="reviewing")
    with pytest.raises(Conflict) as caught:
        services.cast_ballot(reviewing, UserFactory(), [reviewing.projects[0].id])
    assert caught.value.code == "not_voting"
    past = budget_with_projects(voting_closes_at=utcnow() - timedelta(minutes=1))
    with pytest.raises(Conflict):
        services.cast_ballot(past, UserFactory(), [past.projects[0].id])
    assert ballot_rows() == (1, 1)


def test_only_residents_of_the_district_vote(db_session):
    process = budget_with_projects(district="마포구")
    with pytest.raises(Forbidden) as caught:
        services.cast_ballot(process, UserFactory(district="강남구"), [process.projects[0].id])
    assert caught.value.code == "not_eligible" and "마포구" in str(caught.value.message)
    assert ballot_rows() == (0, 0)


def test_the_allocation_job_funds_by_votes_and_explains_the_rest(db_session):
    # 5억: A (3억) gets 3 votes, B (3억) 2, C (1억) 1 → A funded, B too dear for the 2억 left, C fits.
    process = budget_with_projects((300_000_000, 300_000_000, 100_000_000))
    a, b, c = process.projects
    for choice in ([a.id], [a.id, c.id], [a.id], [b.id], [b.id]):
        services.cast_ballot(process, UserFactory(), choice)
    services.transition(process, "closed", staff(), "시험 마감")
    assert write_allocation(process.id)
    assert process.state == ProcessState.tallied and process.total_ballots == 5
    assert (a.votes, b.votes, c.votes) == (3, 2, 1)
    assert (a.funded, b.funded, c.funded) == (True, False, True)
    assert b.outcome_reason == "exceeds_remaining" and b.outcome["remaining"] == 200_000_000
    assert process.spent == 400_000_000
    assert a.implementation == "planned" and a.implementation_percent == 0
    result = queries.results(process)
    assert [row["title"] for row in result["projects"]][:2] == [a.title, c.title]
    assert result["projects"][2]["reason_label"] == "남은 예산보다 큼"
    assert not write_allocation(process.id)  # tallied is frozen


def test_implementation_status_only_for_funded_projects(db_session):
    process = budget_with_projects((300_000_000, 300_000_000))
    funded, other = process.projects
    services.cast_ballot(process, UserFactory(), [funded.id])
    services.transition(process, "closed", staff(), "시험 마감")
    write_allocation(process.id)
    with pytest.raises(Conflict):
        services.set_implementation(other, staff(), status="in_progress", percent=10)
    with pytest.raises(ValidationError) as caught:
        services.set_implementation(funded, staff(), status="done", percent=80)
    assert set(caught.value.fields) == {"percent"}
    services.set_implementation(funded, staff(), status="in_progress", percent=40, note="설계 완료, 공사 착수")
    assert (funded.implementation, funded.implementation_percent) == ("in_progress", 40)


def test_closing_asks_a_worker_for_the_allocation_once(db_session, redis, run_jobs):
    from participation.budgets.tasks import apply_budget_deadlines
    from participation.core import jobs

    process = budget_with_projects((300_000_000, 300_000_000))
    for choice in ([process.projects[0].id], [process.projects[0].id], [process.projects[1].id]):
        services.cast_ballot(process, UserFactory(), choice)
    services.transition(process, "closed", staff(), "시험 마감")
    db.session.commit()
    budget_id = process.id
    assert jobs.is_pending("allocate:budget", budget_id)
    apply_budget_deadlines()  # the periodic job does not ask twice while the first one waits
    run_jobs()
    process = db.session.get(type(process), budget_id, populate_existing=True)
    assert process.state == ProcessState.tallied and process.total_ballots == 3
    assert [project.funded for project in process.projects] == [True, False]
    assert process.participants == 3  # the participants' recount ran too
