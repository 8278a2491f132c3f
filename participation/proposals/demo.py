"""This channel's part of the Korean demo: proposals in every state and from every source, supports from
the demo citizens, one that crossed 50 and got its answer, two that crossed 100 and opened a public forum
(one of them far enough for the mayor's answer). Departments here are examples, labelled so."""

from datetime import timedelta

from participation.core.csv import csv_chunks
from participation.core.settings import set_setting
from participation.core.time import kst_today, utcnow
from participation.forums import counts as forum_counts
from participation.forums import services as forums
from participation.proposals import discussion, importer, moderation, services

EXAMPLE_DEPARTMENTS = ("예시) 도시교통실", "예시) 기후환경본부", "예시) 복지정책실", "예시) 문화본부")

# title, problem, idea, effect, category, district
PROPOSALS = (
    ("버스 정류장에 온열 의자를 놓아 주세요", "겨울 아침 버스를 기다리는 어르신들이 추위에 떱니다.",
     "유동 인구가 많은 정류장부터 **온열 의자**와 바람막이를 설치해 주세요.", "겨울철 대중교통 이용이 편해집니다.",
     "transport", None),
    ("한강공원에 그늘막과 음수대를 늘려 주세요", "여름 한낮에 쉴 그늘이 부족합니다.",
     "산책로 500m마다 그늘막과 음수대를 두면 좋겠습니다.", "폭염 속 온열 질환을 줄입니다.", "environment", "영등포구"),
    ("경로당 어르신 디지털 배움터", "키오스크 주문과 모바일 예약이 어려운 어르신이 많습니다.",
     "경로당에서 주 1회 스마트폰 교실을 열어 주세요.", "디지털 격차가 줄어듭니다.", "welfare", "노원구"),
    ("골목길 보안등을 LED로 바꿔 주세요", "밤에 골목이 어두워 귀갓길이 무섭습니다.",
     "오래된 보안등을 밝은 LED 등으로 교체해 주세요.", "범죄 예방과 전기요금 절감.", "safety", "관악구"),
    ("구립도서관 주말 야간 운영", "평일에 일하는 시민은 도서관을 쓰기 어렵습니다.",
     "토요일에는 밤 10시까지 열어 주세요.", "직장인의 독서와 학습 기회가 늘어납니다.", "culture", "마포구"),
    ("공영주차장 야간 주민 개방", "주택가 주차난이 심합니다.", "밤에 비어 있는 공영주차장을 주민에게 개방해 주세요.",
     "불법 주차가 줄어듭니다.", "transport", "은평구"),
    ("지하철역 유모차 대여 서비스", "계단이 많은 역에서 아이와 이동하기 힘듭니다.",
     "주요 환승역에 유모차 대여소를 만들어 주세요.", "아이 키우는 가족의 외출이 쉬워집니다.", "welfare", None),
    ("동네 공원 반려견 놀이터", "반려견과 함께 쉴 수 있는 공간이 없습니다.",
     "울타리가 있는 작은 놀이터를 만들어 주세요.", "반려인과 비반려인의 갈등이 줄어듭니다.", "environment", "송파구"),
    ("전통시장 장바구니 대여", "일회용 비닐봉투가 너무 많이 쓰입니다.",
     "시장 입구에서 장바구니를 빌려주고 돌려받게 해 주세요.", "일회용품 사용이 줄어듭니다.", "economy", "동대문구"),
    ("청년 1인 가구 안심 택배함", "혼자 사는 청년들이 택배 분실을 걱정합니다.",
     "주민센터와 지하철역에 무인 택배함을 늘려 주세요.", "택배 분실과 범죄가 줄어듭니다.", "housing", "관악구"),
    ("한강 자전거도로 야간 조명", "밤에 자전거도로가 어두워 사고가 납니다.", "자전거도로에 바닥 조명을 설치해 주세요.",
     "야간 자전거 사고가 줄어듭니다.", "safety", None),
    ("주민센터 점심시간 민원 창구 운영", "점심시간에만 민원을 볼 수 있는 직장인이 많습니다.",
     "점심시간에도 창구 한 곳은 열어 주세요.", "민원 대기가 줄어듭니다.", "administration", "강남구"),
)
COMMITTEE = (
    ("학교 앞 안심 통학로 만들기", "통학로에 보도가 없어 위험합니다.",
     "초등학교 주변 통학로에 보도와 펜스를 설치해 주세요.", "등하굣길 사고 예방.", "safety", "강서구"),
    ("청소년 자치 공간 확대", "방과 후 청소년이 머물 공간이 부족합니다.",
     "구마다 청소년이 스스로 운영하는 공간을 만들어 주세요.", "청소년 참여와 자치 역량이 자랍니다.", "education", None),
)
PORTAL_EXPORT = (
    ("1AA-2404-0001123", "시내버스 정류장 도착 알림 음성 안내",
     "시각장애인을 위해 정류장 안내기에 음성 안내를 추가해 주세요.", "교통", "2024-04-03 10:12", ""),
    ("1AA-2405-0002231", "공공와이파이 속도 개선",
     "지하철역 공공와이파이가 자주 끊깁니다. 장비를 교체해 주세요.", "행정", "2024-05-17 14:40", ""),
    ("1AA-2406-0003310", "어린이공원 모래 소독 주기 단축",
     "놀이터 모래 소독을 한 달에 한 번으로 늘려 주세요.", "보건·의료", "2024-06-21 09:05", "양천구"),
)


def _enter(author, number: int):
    title, problem, body, effect, category, district = PROPOSALS[number]
    return services.submit(author, {"title": title, "problem": problem, "body": body, "expected_effect": effect,
                                    "category": category, "district": district})


# Forum comments (stance, text) on the two proposals that open a forum.
FORUM_COMMENTS = {
    "버스 정류장에 온열 의자를 놓아 주세요": (
        ("pro", "새벽 첫차를 타는데 정류장 의자가 너무 차갑습니다. 꼭 필요해요."),
        ("pro", "어르신이 많이 타는 정류장부터 설치하면 좋겠습니다."),
        ("con", "전기요금이 걱정됩니다. 태양광 패널과 함께 설치하면 어떨까요?"),
        ("other", "온열 의자보다 바람막이 부스가 먼저일 수도 있습니다."),
    ),
    "한강공원에 그늘막과 음수대를 늘려 주세요": (
        ("pro", "여름 낮에 아이들과 갈 곳이 없습니다. 그늘막이 정말 필요해요."),
        ("other", "음수대는 겨울에 얼지 않게 관리 계획도 함께 세워 주세요."),
        ("con", "그늘막보다 나무를 심는 편이 오래갑니다."),
    ),
}
MAYOR_ANSWER = """\
공론장에 참여해 주신 시민 여러분께 감사드립니다.

온열 의자는 **태양광 패널과 함께** 설치해 전기요금 부담을 줄이고, 바람막이 부스가 필요한 정류장은 자치구와 함께
따로 조사하겠습니다. 설치 현황은 매 분기 이 제안에 알려 드리겠습니다.
"""


def _take_part(proposal, citizens) -> None:
    """Demo citizens comment in the proposal's forum; the forum's recount sets its participant count."""
    forum = proposal.discussion_forum
    comments = FORUM_COMMENTS[proposal.title]
    for number, citizen in enumerate(citizens):
        stance, body = comments[number % len(comments)]
        forums.add_comment(forum, citizen, stance, body)
    forum_counts.refresh_forum(forum.id)


def _support(proposal, citizens) -> None:
    for citizen in citizens:
        services.support(proposal, citizen)
    discussion.refresh_count(proposal.id)


def seed(people) -> None:
    """Add demo items; `people` maps a role name to demo accounts."""
    citizens, moderator, staff, boss = people["citizen"], people["moderator"][0], people["staff"][0], people["admin"][0]
    # 200 demo citizens cannot bring 1,000 people into a forum: the demo runs with a smaller mayor threshold,
    # kept in the settings history like any other change (50 and 100 supports stay as in Seoul's rule).
    set_setting("PROPOSAL_MAYOR_THRESHOLD", 40, boss, "데모: 시민 200명 규모에 맞춘 기준 (기본 1,000명)")
    departments = [services.add_department(staff, name, is_example=True) for name in EXAMPLE_DEPARTMENTS]
    created = [_enter(citizens[number * 7 % len(citizens)], number) for number in range(len(PROPOSALS))]
    # The last three stay in the moderation queue.
    for proposal in created[:-3]:
        services.transition(proposal, "open", moderator)

    answered, discussed, *opened = created[:6]
    # 114 supports: past 50 (the department) and 100 (a forum), where 46 people take part: the mayor answers.
    _support(answered, citizens[1:115])
    services.assign_department(answered, departments[0].id, staff)
    services.answer(answered, staff, "adopted", "좋은 제안 감사합니다. 올겨울 유동 인구가 많은 정류장 100곳에 "
                    "온열 의자를 먼저 설치하고, 효과를 보고 늘리겠습니다.",
                    "- 2025년 12월: 정류장 100곳 설치\n- 2026년 3월: 이용 만족도 조사 후 확대 검토")
    _take_part(answered, citizens[120:166])
    discussion.request_mayor_answers()
    discussion.answer_as_mayor(answered, staff, MAYOR_ANSWER)
    # 122 supports: a forum is open and 15 people have taken part so far, short of the mayor's 40.
    _support(discussed, citizens[10:132])
    services.assign_department(discussed, departments[1].id, staff)
    services.write_interim_answer(discussed, staff, "현장 조사를 마쳤고, 설치 위치를 정하는 중입니다.")
    _take_part(discussed, citizens[140:155])
    for proposal, share in zip(opened, (43, 27, 12, 5), strict=True):
        _support(proposal, citizens[-share:])

    closed = created[6]
    _support(closed, citizens[50:58])
    closed.closes_at = utcnow() - timedelta(hours=1)
    discussion.close_expired()
    services.transition(created[7], "under_review", moderator, "어린이 안전과 관련되어 공감 기준 전에 부서로 보냅니다.")
    duplicate = created[8]
    _support(duplicate, citizens[55:70])
    moderation.merge(duplicate, created[2].id, moderator, "같은 내용의 제안")
    for proposal in (duplicate, created[2]):
        discussion.refresh_count(proposal.id)

    rejected = services.submit(citizens[3], {"title": "옆집 소음을 막아 주세요", "body": "옆집이 시끄럽습니다.",
                                             "category": "other"})
    services.transition(rejected, "rejected", moderator, "개인 간 분쟁은 시민제안이 아닌 민원으로 접수해 주세요.")

    first = moderation.add_comment(answered, citizens[20], "정류장마다 꼭 필요합니다. 어르신들이 좋아하실 거예요.")
    moderation.add_comment(answered, citizens[21], "저희 동네 정류장도 포함되면 좋겠습니다.", first.id)
    moderation.add_comment(opened[0], citizens[30], "주말 저녁에 도서관을 쓰고 싶은 직장인입니다. 찬성합니다.")

    for title, problem, body, effect, category, district in COMMITTEE:
        services.enter_for_committee(staff, {"title": title, "problem": problem, "body": body,
                                             "expected_effect": effect, "category": category, "district": district},
                                     kst_today() - timedelta(days=20))
    # The national portal's export is in CP949, without a byte-order mark.
    export = "".join(csv_chunks(["제안번호", "제목", "제안내용", "분야", "접수일", "자치구"], PORTAL_EXPORT, bom=False))
    importer.run_import(staff, export.encode("cp949"), "국민제안_내보내기_예시.csv", confirm=True)
