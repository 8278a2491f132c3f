"""This channel's part of the Korean demo: the yearly "올해의 10대 뉴스" vote (30 items, choose up to 5)
with votes from the demo citizens, a closed and tallied poll, a poll whose results stay hidden until
it closes, and a citizen's poll waiting for moderation. The news items are examples written for the demo;
the options of the rest-space poll have plain pictures drawn here (no photos are shipped).

Ballots are sealed as in real use: the demo makes each poll's key pair in the tally key directory (the seed
runs where the worker runs) and opens the news poll's ballots in batches, leaving MIX_BATCH - 1 sealed, so
that the next ballot a visitor casts completes a batch and the results move by a whole batch at once."""

import random
from datetime import timedelta
from io import BytesIO

from flask import current_app
from PIL import Image, ImageDraw

from participation.core import ballot_box
from participation.core.time import utcnow
from participation.demo_accounts import verified
from participation.extensions import db
from participation.polls import images, services
from participation.polls.box import POLL_BOX
from participation.polls.counts import read_bulletin, write_bulletin
from participation.polls.models import PollState

NEWS_ITEMS = (
    "기후동행카드 출시와 이용자 증가", "한강 리버버스 운항 준비", "서울국제정원박람회 개최", "손목닥터 9988 참여 확대",
    "서울형 키즈카페 확대", "자율주행 심야버스 운행", "청년 월세 지원 확대", "노후 공공임대주택 재정비",
    "지하철 혼잡 완화 대책", "서울런 학습 지원 확대", "한강 수영장·물놀이장 개장", "어르신 일자리 확대",
    "서울 도심 녹지 축 조성", "따릉이 새 자전거 도입", "전세사기 피해자 지원", "서울 야간관광 프로그램",
    "광화문광장 행사 다양화", "1인 가구 안심 서비스", "외로움 없는 서울 정책", "서울 책보고·도서관 확대",
    "기후위기 대응 빗물 대책", "반려동물 동반 공원 확대", "장애인 이동권 개선", "서울 청년 취업 사관학교",
    "재활용 분리배출 개선", "서울 달리기 축제", "지하 차도 침수 대비 시설", "출산·양육 지원 확대",
    "서울 야외도서관 운영", "소상공인 디지털 전환 지원",
)
REST_OPTIONS = ("공원 벤치와 그늘막", "실내 쉼터·카페형 공간", "야외 운동 시설", "어린이 놀이 공간")
REST_COLORS = ("#3a7d44", "#8c5e3c", "#2d6a9f", "#d98c1f")
YOUTH_OPTIONS = ("청년 주거 지원", "일자리·창업 지원", "문화·여가 바우처", "마음 건강 상담", "교통비 지원")


def demo_picture(color: str, number: int) -> bytes:
    """A plain 4:3 picture: a coloured tile with `number` white discs."""
    picture = Image.new("RGB", (640, 480), color)
    draw = ImageDraw.Draw(picture)
    for index in range(number):
        left = 80 + index * 130
        draw.ellipse((left, 180, left + 100, 280), fill="white")
    output = BytesIO()
    picture.save(output, "PNG")
    return output.getvalue()


def with_key(poll):
    """The poll's key pair, as the worker's job makes it when a poll is created."""
    poll.public_key = ballot_box.prepare_key(POLL_BOX, poll.id)
    return poll


def seed(people) -> None:
    """Add demo polls; `people` maps a role name to demo accounts."""
    officer = people["staff"][0]
    # The first demo citizen (citizen@example.com) is left free to try voting.
    voters = people["citizen"][1:]
    chooser = random.Random(2024)

    news = services.create_poll(
        officer, title="올해의 10대 뉴스", max_choices=5, tags=["top10_news"], options=list(NEWS_ITEMS),
        description="올 한 해 서울시의 소식 가운데 가장 중요했다고 생각하는 뉴스를 **최대 5개**까지 골라 주세요.\n\n"
                    "(데모용 예시 항목입니다.)",
        closes_at=utcnow() + timedelta(days=14))
    services.transition(with_key(news), PollState.open, officer)
    batch = current_app.config["MIX_BATCH"]
    # Six batches opened one after another (the results moved six times), then one ballot short of the next.
    sizes = [batch + chooser.randint(0, 5) for _ in range(6)] + [batch - 1]
    start = 0
    for size in sizes:
        for voter in voters[start:start + size]:
            services.cast_ballot(news, voter, [option.id for option in chooser.sample(news.options,
                                                                                       chooser.randint(1, 5))])
        start += size
        services.write_tally(news.id)
    write_bulletin(news.id, read_bulletin(news.id))

    rest = services.create_poll(
        officer, title="도심 속 휴식 공간, 무엇이 더 필요할까요?", options=list(REST_OPTIONS),
        description="내년 공원 정비 계획에 참고합니다. 하나만 골라 주세요.", closes_at=utcnow() + timedelta(days=1))
    with_key(rest)
    for number, (option, color) in enumerate(zip(rest.options, REST_COLORS, strict=True), start=1):
        images.set_image(option, demo_picture(color, number), officer)
    services.transition(rest, PollState.open, officer)
    for voter in voters[:120]:
        services.cast_ballot(rest, voter, [chooser.choice(rest.options).id])
    # The voting window is over: the system closes the poll and the final tally freezes it.
    rest.closes_at = utcnow()
    services.transition(rest, PollState.closed, None)
    services.write_tally(rest.id)

    youth = services.create_poll(
        officer, title="청년 정책, 무엇을 먼저 해야 할까요?", options=list(YOUTH_OPTIONS), max_choices=2,
        tags=["top10_policy"], results_visibility="after_close", eligible_age_bands=["14-19", "20-29", "30-39"],
        description="14~39세 시민이 참여할 수 있습니다. 결과는 마감 후에 공개됩니다.",
        closes_at=utcnow() + timedelta(days=10))
    services.transition(with_key(youth), PollState.open, officer)
    # An age-band poll requires identity verification: the demo's voters are verified persons.
    verified(voters)
    for voter in voters:
        if services.eligibility_problem(youth, voter) is None:
            services.cast_ballot(youth, voter, [option.id for option in chooser.sample(youth.options, 2)])
    services.write_tally(youth.id)

    # A district poll: 마포구 residents only, so identity verification (본인인증) is required. The demo citizen
    # (citizen@example.com, 마포구) verifies as 김시민 at the development provider in two clicks, then votes.
    district = services.create_poll(
        officer, title="망원한강공원 주차장 부지, 어떻게 쓸까요?", eligible_districts=["마포구"],
        options=["주차장으로 유지", "생활체육 시설", "잔디 광장"],
        description="마포구 주민만 참여할 수 있고, 본인인증이 필요합니다.\n\n(데모: 본인인증 화면에서 개발용 제공자의 "
                    "'김시민 (마포구, 1988)'을 고르세요.)",
        closes_at=utcnow() + timedelta(days=14))
    services.transition(with_key(district), PollState.open, officer)

    services.create_poll(
        people["citizen"][0], title="우리 동네 도서관, 밤 10시까지 열면 이용하시겠어요?",
        options=["자주 이용하겠다", "가끔 이용하겠다", "이용하지 않겠다"],
        description="마포구 주민 의견을 모아 구청에 전달하려고 합니다.", closes_at=utcnow() + timedelta(days=7))
    db.session.flush()
