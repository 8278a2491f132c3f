"""This channel's part of the Korean demo: an open forum on the 따릉이 fare with comments, ~20 statements and
reactions from the demo citizens (three planted camps, so that the map shows groups and a consensus), and an
answered forum. The numbers are made up for the demo."""

import random

from participation.extensions import db
from participation.forums import counts, services
from participation.forums.models import Comment, CommentLike, Reaction, Statement, StatementState

BACKGROUND = """\
서울시 공공자전거 **따릉이**는 2015년 운영을 시작한 뒤 이용 요금을 거의 바꾸지 않았습니다.
그사이 자전거 정비비와 인건비가 올라 운영 적자가 커졌고, 서울시는 요금 조정을 검토하고 있습니다.

## 검토 중인 선택지

1. **현행 유지** — 1시간권 1,000원, 정기권 가격을 그대로 둡니다. 적자는 시 예산으로 메웁니다.
2. **일괄 인상** — 1시간권을 1,500원 안팎으로 올리고, 늘어난 수입을 새 자전거와 정비에 씁니다.
3. **시간대별 요금** — 출퇴근 시간은 지금 요금을 유지하고, 주말·심야 여가 이용 요금만 조정합니다.

어느 쪽이든 청소년·저소득층 할인은 계속 검토 대상입니다. 여러분의 생각을 들려주세요.
"""
KEY_FACTS = """\
- 현재 요금: 1시간권 1,000원, 2시간권 2,000원 (예시 자료)
- 운영 자전거: 약 4만 대, 대여소 약 2,700곳 (예시 자료)
- 연간 운영 적자: 약 100억 원 규모 (예시 자료)
"""
LINKS = """\
- [서울시 공공자전거 따릉이](https://www.bikeseoul.com/)
- [서울 열린데이터광장](https://data.seoul.go.kr/)
"""

# (text, camp that agrees): "all" is the consensus, "raise"/"keep"/"time" the three planted camps.
STATEMENTS = (
    ("고장 난 자전거를 지금보다 빨리 고쳐야 한다", "all"),
    ("청소년과 저소득층 할인은 꼭 유지해야 한다", "all"),
    ("요금을 바꾼다면 최소 3개월 전에 알려야 한다", "all"),
    ("지하철역 가까이에 대여소를 더 늘려야 한다", "all"),
    ("9년 동안 같은 요금이었으니 올릴 때가 됐다", "raise"),
    ("운영 적자를 세금으로만 메우는 것은 공정하지 않다", "raise"),
    ("1시간권을 1,500원으로 올려도 괜찮다", "raise"),
    ("요금을 올린 만큼 새 자전거를 늘린다면 찬성한다", "raise"),
    ("자주 타는 사람이 비용을 조금 더 부담하는 것이 맞다", "raise"),
    ("따릉이는 공공 교통이므로 요금을 올리면 안 된다", "keep"),
    ("요금이 오르면 짧은 거리도 택시나 자가용을 탈 것이다", "keep"),
    ("적자는 광고나 기업 후원으로 메워야 한다", "keep"),
    ("요금 인상보다 운영 효율화가 먼저다", "keep"),
    ("지하철·버스 환승 할인을 따릉이에도 적용해야 한다", "keep"),
    ("출퇴근 시간과 주말 요금을 다르게 정해야 한다", "time"),
    ("정기권 가격은 두고 1회권만 조정하자", "time"),
    ("30분 단위 요금제를 새로 만들자", "time"),
    ("심야 시간에는 안전을 위해 요금을 더 받아도 된다", "time"),
    ("전기 따릉이를 도입한다면 요금을 더 내겠다", None),
    ("관광객 요금은 시민 요금과 따로 정해야 한다", None),
)
# Citizens' suggestions waiting in the moderators' queue.
PENDING_STATEMENTS = ((3, "따릉이 헬멧도 함께 빌려주면 좋겠다"), (8, "외국인 관광객 전용 이용권이 필요하다"))
CAMPS = (("raise", 0.42), ("keep", 0.38), ("time", 0.20))
COMMENTS = {
    "pro": ("정비 상태가 좋아진다면 500원 정도 더 내는 건 괜찮습니다.",
            "9년 동안 요금이 그대로였다는 게 오히려 놀랍네요. 현실에 맞게 조정해야죠.",
            "적자를 계속 세금으로 메우는 건 타지 않는 시민에게 불공평하다고 생각합니다.",
            "인상분을 **새 자전거와 대여소 확충**에 쓴다고 약속하면 찬성합니다.",
            "커피 한 잔 값보다 싼데 1,500원도 충분히 합리적인 요금이라고 봅니다.",
            "요금을 올리되 인상분 사용 내역을 매년 공개했으면 합니다.",
            "다른 도시 공공자전거와 비교해도 지금 요금은 낮은 편입니다."),
    "con": ("출퇴근에 매일 타는데 요금이 오르면 부담이 큽니다.",
            "따릉이는 친환경 교통수단이라 오히려 더 싸게 만들어야 합니다.",
            "요금보다 고장 난 자전거부터 고쳐 주세요. 절반은 브레이크가 이상합니다.",
            "광고 수익이나 기업 후원으로 먼저 메워 보고 그래도 안 되면 그때 이야기합시다.",
            "학생들은 요금이 조금만 올라도 타지 않게 됩니다. 지금 요금을 지켜 주세요.",
            "자동차 이용을 줄이려는 정책과 요금 인상은 방향이 맞지 않습니다.",
            "적자 원인이 무엇인지부터 자세히 공개해 주셨으면 합니다."),
    "other": ("출퇴근 시간은 그대로 두고 주말 여가 이용만 조정하면 어떨까요?",
              "정기권 가격은 유지하고 1회권만 올리는 방안도 검토해 주세요.",
              "요금 이야기 전에 대여소 위치부터 다시 봐야 합니다. 우리 동네는 너무 멀어요.",
              "30분 단위 요금이 생기면 짧게 타는 사람에게 더 공평할 것 같아요.",
              "심야에는 안전 문제가 있으니 요금보다 이용 시간 제한을 먼저 논의했으면 합니다."),
}
REPLIES = ("좋은 의견입니다. 저도 같은 생각이에요.", "그 부분은 자료를 더 보고 싶네요.",
           "정비 문제는 정말 공감합니다.")


def seed(people) -> None:
    staff = people["staff"][0]
    citizens = people["citizen"]
    rng = random.Random(2024)
    forum = services.create_forum(
        staff, title="따릉이 요금, 어떻게 조정할까요?", background=BACKGROUND, key_facts=KEY_FACTS, links=LINKS,
        departments="자전거정책과, 교통정책과 (예시)", discussion_days=30)
    services.transition(forum, "open", staff)
    statements = [Statement(forum_id=forum.id, author_id=staff.id, text=text, state=StatementState.approved)
                  for text, _ in STATEMENTS]
    statements += [Statement(forum_id=forum.id, author_id=citizens[number].id, text=text)
                   for number, text in PENDING_STATEMENTS]
    db.session.add_all(statements)
    db.session.flush()

    camp_of = {}
    for user in citizens[1:]:
        draw, total = rng.random(), 0.0
        for camp, share in CAMPS:
            total += share
            if draw <= total:
                camp_of[user.id] = camp
                break
        else:
            camp_of[user.id] = CAMPS[-1][0]
    reactions = []
    for user in citizens[1:]:
        camp = camp_of[user.id]
        # Most people react to 8–20 statements; a few stop early and are not placed on the map.
        seen = rng.sample(range(len(STATEMENTS)), rng.choice((4, 8, 12, 16, 20, 20)))
        for index in seen:
            value = _reaction(rng, camp, STATEMENTS[index][1])
            reactions.append(Reaction(statement_id=statements[index].id, user_id=user.id, value=value))
    db.session.add_all(reactions)

    stance_of_camp = {"raise": "pro", "keep": "con", "time": "other"}
    comments = []
    for user in rng.sample(citizens[1:], 60):
        stance = stance_of_camp[camp_of[user.id]] if rng.random() < 0.85 else rng.choice(("pro", "con", "other"))
        comments.append(Comment(forum_id=forum.id, author_id=user.id, stance=stance,
                                body=rng.choice(COMMENTS[stance])))
    db.session.add_all(comments)
    db.session.flush()
    for parent in comments[:6]:
        replier = rng.choice(citizens)
        db.session.add(Comment(forum_id=forum.id, parent_id=parent.id, author_id=replier.id, stance="other",
                               body=rng.choice(REPLIES)))
    for comment in comments:
        for user in rng.sample(citizens, rng.randint(0, 12)):
            db.session.add(CommentLike(comment_id=comment.id, user_id=user.id))
    db.session.flush()
    counts.refresh_forum(forum.id)

    _answered_forum(staff, citizens, rng)


def _reaction(rng: random.Random, camp: str, leaning: str | None) -> str:
    """A citizen of a camp mostly agrees with the camp's statements and the consensus, mostly disagrees with
    the other fare camp's, and the time-of-day camp mostly passes on the fare question itself."""
    draw = rng.random()
    if leaning == "all" or leaning == camp:
        return "agree" if draw < 0.85 else ("pass" if draw < 0.95 else "disagree")
    if camp == "time":
        return "pass" if draw < 0.6 else ("agree" if draw < 0.8 else "disagree")
    if leaning == "time":
        return "disagree" if draw < 0.65 else ("pass" if draw < 0.85 else "agree")
    if leaning is None:
        return "agree" if draw < 0.35 else ("pass" if draw < 0.65 else "disagree")
    return "disagree" if draw < 0.8 else ("pass" if draw < 0.9 else "agree")


def _answered_forum(staff, citizens, rng: random.Random) -> None:
    forum = services.create_forum(
        staff, title="한강공원 금연구역, 어디까지 넓힐까요?",
        background="한강공원 전체를 금연구역으로 할지, 흡연 구역을 따로 둘지 시민 의견을 물었습니다.",
        departments="미래한강본부 (예시)", discussion_days=30)
    services.transition(forum, "open", staff)
    for user in rng.sample(citizens, 25):
        stance = rng.choice(("pro", "pro", "con", "other"))
        db.session.add(Comment(forum_id=forum.id, author_id=user.id, stance=stance, body={
            "pro": "아이들과 자주 가는데 전면 금연이면 좋겠습니다.",
            "con": "흡연 구역을 분명히 정해 주는 편이 더 잘 지켜질 것 같아요.",
            "other": "단속 인력부터 늘려야 어떤 안이든 효과가 있습니다."}[stance]))
    db.session.flush()
    services.transition(forum, "closed", staff)
    services.transition(forum, "answered", staff, answer=(
        "참여해 주신 시민 여러분께 감사드립니다.\n\n"
        "서울시는 **한강공원 전 구역을 금연구역으로 지정**하고, 공원 밖 출입구 근처에 흡연 부스를 두겠습니다. "
        "단속 인력은 주말 저녁 시간대에 집중 배치합니다."))
    counts.refresh_forum(forum.id)
