"""This channel's part of the Korean demo: petitions in every state, a moderation queue of 100,
signatures from the demo citizens, an answered petition, and two appeals (one waiting for a moderator, one
decided). Departments named here are examples."""

from datetime import timedelta

from participation.core import appeals
from participation.core.reports import file_report
from participation.core.seoul import DISTRICTS
from participation.core.settings import set_setting
from participation.core.time import kst_today, utcnow
from participation.extensions import db
from participation.petitions import services
from participation.petitions.counts import recount
from participation.petitions.models import PetitionState, Signature

# (category, title with {district}, body) for the moderation queue.
QUEUE_TEMPLATES = (
    ("transport", "{district} 마을버스 배차 간격을 줄여 주세요",
     "출퇴근 시간에 마을버스를 20분 넘게 기다립니다. 배차 간격을 10분 이내로 줄여 주세요."),
    ("safety", "{district} 어린이 보호구역에 과속 단속 카메라를 설치해 주세요",
     "초등학교 앞 도로에서 차량이 빠르게 지나가 아이들이 위험합니다."),
    ("environment", "{district} 공원에 그늘막과 음수대를 늘려 주세요",
     "여름철 공원을 찾는 어르신과 아이들이 쉴 곳이 부족합니다."),
    ("welfare", "{district} 경로당 냉난방비 지원을 늘려 주세요",
     "전기요금이 올라 경로당이 한여름에도 에어컨을 켜지 못합니다."),
    ("housing", "{district} 노후 공공임대주택 승강기를 교체해 주세요",
     "30년 된 승강기가 자주 멈춰 주민들이 계단을 오르내립니다."),
    ("economy", "{district} 전통시장 공영주차장을 만들어 주세요",
     "주차할 곳이 없어 손님이 대형마트로 갑니다."),
    ("culture", "{district} 구립도서관 주말 운영 시간을 늘려 주세요",
     "평일에 일하는 시민은 주말 저녁에만 도서관을 쓸 수 있습니다."),
    ("education", "{district} 청소년 방과후 공간을 마련해 주세요",
     "학교가 끝난 뒤 청소년이 안전하게 머물 곳이 없습니다."),
    ("health", "{district} 야간·휴일 소아과 진료를 늘려 주세요",
     "밤에 아이가 아프면 멀리 있는 응급실까지 가야 합니다."),
    ("administration", "{district} 주민센터 무인민원발급기를 늘려 주세요",
     "점심시간에 줄이 길어 서류 한 장 떼는 데 30분이 걸립니다."),
    ("transport", "{district} 지하철역 엘리베이터를 설치해 주세요",
     "휠체어 이용자와 유모차를 끄는 시민이 역을 이용하기 어렵습니다."),
    ("environment", "{district} 골목길 분리수거함을 설치해 주세요",
     "쓰레기가 골목에 쌓여 악취가 심합니다."),
)

# title, body, kind, category, state, days since opening, share of citizens signing
FEATURED = (
    ("심야버스(올빼미버스) 노선을 늘려 주세요",
     "밤 12시가 넘어 퇴근하는 시민이 많습니다.\n\n- 강서·양천 방면 노선 신설\n- 배차 간격 20분 이내",
     "general", "transport", PetitionState.open, 3, 0.62),
    ("한강공원 반려견 놀이터를 만들어 주세요",
     "반려견과 함께 쉴 수 있는 **울타리 있는 놀이터**가 한강공원에 한 곳도 없습니다.",
     "general", "environment", PetitionState.open, 12, 0.31),
    ("OO구 보조금 집행 내역에 대한 주민감사를 청구합니다",
     "구가 2024년 민간단체에 지급한 보조금의 정산 자료가 공개되지 않았습니다. 집행이 적정했는지 감사를 청구합니다.",
     "resident_audit", "administration", PetitionState.open, 20, 0.22),
    ("서울시 공공자전거 요금 체계에 대한 시민참여 토론회를 열어 주세요",
     "따릉이 요금 인상안에 대해 이용자와 함께 토론하는 자리를 요청합니다.",
     "debate_request", "transport", PetitionState.open, 8, 0.8),
    ("경로당에 어르신 디지털 교육을 열어 주세요",
     "키오스크와 모바일 예약이 늘어 어르신들이 불편을 겪습니다.",
     "general", "welfare", PetitionState.open, 27, 0.12),
    ("초등학교 주변 통학로에 보도를 설치해 주세요",
     "보도가 없는 이면도로로 아이들이 등교합니다.",
     "general", "safety", PetitionState.open, 1, 0.04),
    ("지하철 2호선 출근 시간 혼잡을 줄여 주세요",
     "신도림역과 강남역 구간은 출근 시간에 열차를 두세 대 보내야 탈 수 있습니다.",
     "general", "transport", PetitionState.closed, 31, 0.7),
    ("전통시장 온누리상품권 가맹점을 늘려 주세요",
     "상품권을 받는 가게가 적어 쓰기가 어렵습니다.",
     "general", "economy", PetitionState.closed, 31, 0.55),
    ("공공 와이파이를 모든 버스정류장에 설치해 주세요",
     "정류장에서 도착 정보를 확인하려면 데이터가 필요합니다.",
     "general", "administration", PetitionState.answered, 31, 0.6),
    ("청년 월세 지원 대상을 넓혀 주세요",
     "소득 기준이 낮아 실제로 월세가 부담되는 청년이 지원을 받지 못합니다.",
     "general", "housing", PetitionState.closed, 31, 0.2),
)


def seed(people) -> None:
    """Add demo items; `people` maps a role name to demo accounts."""
    citizens, reviewer = people["citizen"], people["moderator"][0]
    clerk, boss = people["staff"][0], people["admin"][0]
    # 200 demo citizens cannot reach 1,000 signatures: the demo runs with smaller thresholds, kept in
    # the settings history like any other change.
    set_setting("PETITION_ANSWER_THRESHOLD", 100, boss, "데모: 시민 200명 규모에 맞춘 기준 (기본 1,000명)")
    set_setting("PETITION_DEBATE_THRESHOLD", 150, boss, "데모: 시민 200명 규모에 맞춘 기준 (기본 5,000명)")
    now = utcnow()

    for number in range(100):
        category, title, body = QUEUE_TEMPLATES[number % len(QUEUE_TEMPLATES)]
        author = citizens[1 + number % (len(citizens) - 1)]
        petition = services.file_petition(author, title.format(district=DISTRICTS[number % len(DISTRICTS)]),
                                          body, "general", category)
        # Spread over the last eight days, so that some are past the five-day review target.
        petition.submitted_at = now - timedelta(hours=2 + number * 1.9)

    featured = []
    for index, (title, body, kind, category, state, days, share) in enumerate(FEATURED):
        author = citizens[index * 7 % len(citizens)]
        petition = services.file_petition(author, title, body, kind, category)
        featured.append(petition)
        petition.submitted_at = now - timedelta(days=days + 2)
        services.transition(petition, PetitionState.open, reviewer)
        petition.published_at = now - timedelta(days=days)
        petition.closes_at -= timedelta(days=days)
        signers = citizens[: int(len(citizens) * share)]
        db.session.add_all(Signature(petition_id=petition.id, user_id=signer.id, district=signer.district,
                                     age_band=signer.age_band_on(kst_today()),
                                     created_at=petition.published_at + timedelta(minutes=7 * position))
                           for position, signer in enumerate(signers))
        db.session.flush()
        recount(petition.id)
        if state in (PetitionState.closed, PetitionState.answered):
            petition.closes_at = now - timedelta(minutes=5)
            services.transition(petition, PetitionState.closed, None)
        if state == PetitionState.answered:
            services.answer(petition, clerk, "디지털정책과 (예시 부서)",
                            "시는 2025년까지 시내 버스정류장 전체에 공공 와이파이를 설치하겠습니다.\n\n"
                            "설치 일정은 아래 자료에서 확인할 수 있습니다.", "https://data.seoul.go.kr/")
    # One answer past its due date, for the staff list.
    overdue = featured[7]
    overdue.closed_at, overdue.answer_due_at = now - timedelta(days=95), now - timedelta(days=5)
    overdue.answer_overdue_at = now

    mine = citizens[0]
    services.file_petition(mine, "동네 놀이터 바닥을 안전한 소재로 바꿔 주세요",
                           "모래 놀이터에 유리 조각이 섞여 있습니다.", "general", "safety", submit=False)
    rejected = services.file_petition(mine, "옆집 소음 문제를 해결해 주세요", "옆집이 밤마다 시끄럽습니다.",
                                      "general", "other")
    services.transition(rejected, PetitionState.rejected, reviewer,
                        f"{services.REJECTION_REASONS['not_city']}: 이웃 간 소음은 환경부 층간소음 이웃사이센터에 "
                        "상담을 신청해 주세요.")
    hidden = services.file_petition(citizens[3], "특정 공무원을 처벌해 주세요", "실명과 연락처를 공개합니다.",
                                    "general", "administration")
    services.transition(hidden, PetitionState.open, reviewer)
    services.transition(hidden, PetitionState.hidden, reviewer, "특정인의 실명과 연락처 공개 (개인정보 침해)")
    # The author of the rejected petition appeals (waiting for a second moderator); the hidden one's author
    # appealed too, and another moderator than the one who hid it dismissed the appeal.
    appeals.file_appeal(mine, services.SUBJECT, rejected.id,
                        "층간소음이 아니라 구청이 관리하는 공공시설에서 나는 소음입니다. 다시 검토해 주세요.")
    dismissed = appeals.file_appeal(citizens[3], services.SUBJECT, hidden.id,
                                    "공무원의 잘못을 알리려는 것이지 개인정보를 공개하려는 뜻은 없었습니다.")
    appeals.decide(dismissed, boss, appeals.AppealStatus.dismissed,
                   "청원에 특정인의 연락처가 그대로 남아 있습니다. 개인정보를 빼고 새로 청원해 주세요.")
    # Reporting needs an account older than REPORT_MIN_ACCOUNT_HOURS: this one joined a month ago.
    citizens[5].created_at = now - timedelta(days=30)
    file_report(citizens[5], services.SUBJECT, featured[1].id, "같은 내용의 청원이 이미 있습니다",
                author_id=featured[1].author_id)
