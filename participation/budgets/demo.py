"""This channel's part of the Korean demo (every project and figure is made up for the demo, and says so):

- this year's 마포구 주민참여예산 (5억원, knapsack ballot, Equal Shares) in its voting phase, with twelve
  projects and ballots from demo residents of 마포구; citizen@example.com (a 마포구 resident) is left free to
  vote, and staff can close it to see the results page. Ballots are sealed as in real use (core/ballot_box.py):
  the demo makes the process's key pair in the tally key directory (the seed runs where the worker runs) and
  opens its ballots in batches, leaving MIX_BATCH - 1 sealed, so that the next ballot completes a batch;
- last year's 마포구 process, tallied (greedy by votes), its funded projects carrying an implementation status;
- next year's city-wide process taking proposals, with a few proposals and supports.
"""

import random
from datetime import datetime, timedelta

from flask import current_app

from participation.accounts.services import create_user, password_hasher
from participation.budgets import services
from participation.budgets.box import BUDGET_BOX
from participation.budgets.counts import write_support_counts
from participation.budgets.models import ProcessState
from participation.budgets.services import write_allocation
from participation.core import ballot_box
from participation.core.time import KST, kst_today, utcnow
from participation.demo_accounts import DEMO_PASSWORD, GIVEN, SURNAMES, verified
from participation.extensions import db

DEMO_NOTE = "\n\n(데모용 예시 사업입니다. 실제 서울시·마포구 사업이 아닙니다.)"
RESIDENTS = 80
# (title, cost in 원, category, place, description)
THIS_YEAR = (
    ("망원동 골목길 LED 보안등 설치", 80_000_000, "safety", "망원1동 주택가 골목",
     "밤길이 어두운 골목 40곳에 LED 보안등을 설치합니다."),
    ("성미산 등산로 데크 보수", 150_000_000, "environment", "성미산 마을숲",
     "낡아 미끄러운 나무 데크 600m를 교체하고 난간을 보강합니다."),
    ("홍대 앞 보행자 안전 펜스", 60_000_000, "transport", "홍익로 일대",
     "차도와 보도가 붙은 구간에 보행자 보호 펜스를 설치합니다."),
    ("경로당 냉난방기 교체 (12곳)", 96_000_000, "welfare", "마포구 경로당 12곳",
     "10년 넘은 냉난방기를 고효율 제품으로 바꿉니다."),
    ("어린이공원 그늘막과 바닥분수", 200_000_000, "environment", "도화어린이공원",
     "여름에 쓸 수 있는 그늘막과 바닥분수를 만듭니다."),
    ("공덕동 작은도서관 야간 개방", 45_000_000, "education", "공덕동 작은도서관",
     "평일 밤 10시까지 문을 열도록 운영 인력을 지원합니다."),
    ("경의선숲길 분리수거함 설치", 30_000_000, "environment", "연남동 경의선숲길",
     "산책로에 재활용 분리수거함 20개를 설치합니다."),
    ("상암동 반려견 놀이터 조성", 250_000_000, "environment", "상암동 근린공원",
     "울타리와 음수대를 갖춘 반려견 놀이터를 만듭니다."),
    ("청소년 진로 체험 프로그램", 50_000_000, "education", "마포구 청소년센터",
     "중·고등학생 200명이 지역 일터에서 진로를 체험합니다."),
    ("합정역 자전거 거치대 확충", 40_000_000, "transport", "합정역 1·8번 출구",
     "자전거 거치대 120대분을 추가합니다."),
    ("1인 가구 안부 확인 서비스", 70_000_000, "welfare", "마포구 전역",
     "홀로 사는 어르신 300가구에 안부 확인 센서와 방문 상담을 지원합니다."),
    ("망원한강공원 무장애 산책로", 180_000_000, "welfare", "망원한강공원 진입로",
     "휠체어와 유모차가 다닐 수 있게 경사로와 점자블록을 정비합니다."),
)
# How much the demo residents like each project (a weight per project, in the order above).
POPULARITY = (9, 5, 6, 7, 8, 4, 5, 3, 4, 5, 6, 4)
LAST_YEAR = (
    ("초등학교 앞 옐로카펫 설치", 40_000_000, "safety", 10, "done", 100, "12개 학교 앞에 설치를 마쳤습니다."),
    ("마을버스 정류장 온열 의자", 60_000_000, "transport", 8, "done", 100, "정류장 30곳에 설치했습니다."),
    ("불광천 산책로 조명 개선", 120_000_000, "environment", 7, "in_progress", 60,
     "설계를 마치고 1구간 공사 중입니다."),
    ("공유 텃밭 조성", 90_000_000, "environment", 5, "planned", 0, "부지 협의 중입니다."),
    ("어르신 스마트폰 교실", 25_000_000, "education", 6, "in_progress", 40, "상반기 과정을 운영했습니다."),
    ("동네 체육관 바닥 교체", 210_000_000, "culture", 4, None, None, None),
    ("주택가 CCTV 추가", 150_000_000, "safety", 6, None, None, None),
    ("전통시장 공용 카트 보관소", 35_000_000, "economy", 2, None, None, None),
)
NEXT_YEAR = (
    ("한강 다리 위 전망 쉼터", 900_000_000, "culture", "한강 교량 보도"),
    ("지하철역 엘리베이터 안내 음성 개선", 300_000_000, "welfare", "서울 지하철 역사"),
    ("공공 와이파이 사각지대 해소", 450_000_000, "administration", "서울시 전역"),
)


def demo_residents(count: int) -> list:
    """Demo residents of 마포구 for the budgeting demo (one password hash for all of them)."""
    password_hash = password_hasher.hash(DEMO_PASSWORD)
    return [create_user(f"mapo{number:03d}@example.com", DEMO_PASSWORD, (), district="마포구",
                        display_name=f"{SURNAMES[(number * 7) % len(SURNAMES)]}{GIVEN[number % len(GIVEN)]}{number}",
                        birth_year=1950 + (number * 3) % 56, password_hash=password_hash)
            for number in range(count)]


def vote_randomly(process, voters, chooser: random.Random, weights) -> None:
    """Each voter picks projects by their weights, skipping any that no longer fit in the budget."""
    on_ballot = services.ballot_projects(process)
    for voter in voters:
        wanted = chooser.randint(2, 6)
        picked, total = [], 0
        pool = list(zip(on_ballot, weights, strict=True))
        while pool and len(picked) < wanted:
            project, _ = chooser.choices(pool, weights=[weight for _, weight in pool])[0]
            pool = [(item, weight) for item, weight in pool if item is not project]
            if total + project.cost <= process.budget:
                picked.append(project.id)
                total += project.cost
        services.cast_ballot(process, voter, picked)


def with_key(process):
    """The process's key pair, as the worker's job makes it when a process is created."""
    process.public_key = ballot_box.prepare_key(BUDGET_BOX, process.id)
    return process


def vote_in_batches(process, voters, chooser: random.Random, weights) -> None:
    """The voters vote a batch and a few at a time, the worker opening each batch; the last MIX_BATCH - 1 ballots
    stay sealed (the next one completes a batch)."""
    batch = current_app.config["MIX_BATCH"]
    waiting = voters[len(voters) - (batch - 1):] if len(voters) >= batch else voters
    opened = voters[:len(voters) - len(waiting)]
    start = 0
    while start < len(opened):
        size = batch + chooser.randint(0, 5)
        if len(opened) - (start + size) < batch:
            size = len(opened) - start
        vote_randomly(process, opened[start:start + size], chooser, weights)
        services.open_ballots(process.id)
        start += size
    vote_randomly(process, waiting, chooser, weights)


def seed(people) -> None:
    """Add the demo processes; `people` maps a role name to demo accounts."""
    officer = people["staff"][0]
    chooser = random.Random(2026)
    residents = demo_residents(RESIDENTS)
    # Supporting and voting in a budget process require identity verification (IDENTITY_FOR_BUDGETS): the demo's
    # residents are verified persons. The demo citizen (citizen@example.com, 마포구) is not: they verify at the
    # development provider, then vote in this year's 마포구 process.
    verified(residents)
    year = kst_today().year
    now = utcnow()

    current = services.create_process(
        officer, title=f"{year} 마포구 주민참여예산", budget=500_000_000, district="마포구", rule="equal_shares",
        categories=["safety", "environment", "transport", "welfare", "education"],
        description="마포구 주민이 제안하고 부서 검토를 거친 사업 가운데, **5억원** 안에서 우리 동네에 필요한 "
                    "사업을 골라 주세요. 14세 이상 마포구 주민이면 누구나 투표할 수 있습니다." + DEMO_NOTE,
        proposing_closes_at=now + timedelta(days=1), voting_opens_at=now + timedelta(days=2),
        voting_closes_at=now + timedelta(days=12))
    services.transition(current, ProcessState.proposing, officer)
    proposers = [people["citizen"][0], *residents[:6]]
    for number, (title, cost, category, place, description) in enumerate(THIS_YEAR):
        project = services.propose_project(current, proposers[number % len(proposers)], title=title, cost=cost,
                                           category=category, place=place, description=description + DEMO_NOTE)
        for supporter in residents[number:number + POPULARITY[number] * 2]:
            services.support_project(project, supporter)
    write_support_counts(current.id)
    # The department reviewed them (the demo moves the dates so that voting is open now).
    current.proposing_closes_at, current.voting_opens_at = now - timedelta(days=10), now - timedelta(days=3)
    services.transition(current, ProcessState.reviewing, officer)
    for project in current.projects:
        services.assess_project(project, officer, feasible=True, notes="담당 부서 검토 결과 추진할 수 있습니다. (데모)")
    services.transition(with_key(current), ProcessState.voting, officer)
    vote_in_batches(current, residents, chooser, POPULARITY)

    last = services.create_process(
        officer, title=f"{year - 1} 마포구 주민참여예산", budget=500_000_000, district="마포구", rule="greedy",
        description="지난해 주민이 고른 사업과 그 추진 현황입니다." + DEMO_NOTE,
        voting_closes_at=now + timedelta(days=1))
    services.transition(last, ProcessState.proposing, officer)
    for title, cost, category, *_rest in LAST_YEAR:
        services.propose_project(last, officer, title=title, cost=cost, category=category,
                                 description="지난해 주민 제안 사업입니다." + DEMO_NOTE)
    services.transition(last, ProcessState.reviewing, officer)
    for project in last.projects:
        services.assess_project(project, officer, feasible=True, notes="추진 가능 (데모)")
    services.transition(with_key(last), ProcessState.voting, officer)
    vote_randomly(last, residents[:60], chooser, [row[3] for row in LAST_YEAR])
    last.voting_closes_at = utcnow()
    services.transition(last, ProcessState.closed, None)
    # Voting ended last October (KST): indicator 3.2.b counts this budget in last year.
    ended = datetime(year - 1, 10, 31, 18, 0, tzinfo=KST)
    last.voting_opened_at, last.closed_at, last.voting_closes_at = ended - timedelta(days=14), ended, ended
    write_allocation(last.id)
    for project, (*_head, status, percent, note) in zip(last.projects, LAST_YEAR, strict=True):
        if project.funded and status:
            services.set_implementation(project, officer, status=status, percent=percent, note=note + " (데모)")

    upcoming = services.create_process(
        officer, title=f"{year + 1} 서울시 시민참여예산 (제안 접수)", budget=3_000_000_000,
        description="서울시 전체를 위한 사업을 제안해 주세요. 제안은 부서 검토를 거쳐 투표에 오릅니다." + DEMO_NOTE,
        proposing_closes_at=now + timedelta(days=30), voting_opens_at=now + timedelta(days=60),
        voting_closes_at=now + timedelta(days=75))
    services.transition(upcoming, ProcessState.proposing, officer)
    verified(people["citizen"][10:10 + 5 * (len(NEXT_YEAR) + 1)])  # its supporters
    for number, (title, cost, category, place) in enumerate(NEXT_YEAR):
        project = services.propose_project(upcoming, people["citizen"][1 + number], title=title, cost=cost,
                                           category=category, place=place, description=title + DEMO_NOTE)
        for supporter in people["citizen"][10:10 + 5 * (number + 2)]:
            services.support_project(project, supporter)
    write_support_counts(upcoming.id)
    db.session.flush()
