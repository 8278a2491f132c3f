"""Where each automatic measure's yearly value comes from: one table, metric → channel query.

Every channel query counts its own rows in [start, end) (timezone-aware UTC); a year is the KST calendar
year (`core.time.kst_year_bounds`). What "received" means for each metric is stated next to it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from participation.budgets import queries as budgets
from participation.forums import queries as forums
from participation.petitions import queries as petitions
from participation.polls import queries as polls
from participation.proposals import queries as proposals
from participation.surveys import queries as surveys


@dataclass(frozen=True)
class Feed:
    query: Callable[..., int]
    kwargs: dict = field(default_factory=dict)
    meaning: str = ""

    def __call__(self, start: datetime, end: datetime) -> int:
        return int(self.query(start, end, **self.kwargs) or 0)


FEEDS: dict[str, Feed] = {
    # 2.1.a 주민감사 청구: petitions of kind resident_audit submitted (left draft) in the year
    "resident_audit_requests": Feed(petitions.count_submitted, {"kind": "resident_audit"},
                                    "resident-audit petitions submitted in the year"),
    # 2.2.a 온라인 청원 접수: petitions of every kind submitted in the year
    "petitions_received": Feed(petitions.count_submitted, {}, "petitions of every kind submitted in the year"),
    # 3.1.c 시민참여 토론회 청구: petitions of kind debate_request submitted in the year
    "debate_requests": Feed(petitions.count_submitted, {"kind": "debate_request"},
                            "debate-request petitions submitted in the year"),
    # 2.2.c 상상대로 서울: proposals citizens submitted on the web in the year
    "citizen_proposals": Feed(proposals.count_submitted, {"source": "web"},
                              "proposals submitted by citizens on the web in the year"),
    # 2.2.b 국민제안 신문고: proposals imported from the national portal, by their receipt time
    "national_portal_proposals": Feed(proposals.count_submitted, {"source": "national_portal"},
                                      "proposals imported from the national portal, received in the year"),
    # 3.3.b 청소년 참여위원회: proposals staff entered for the youth committee in the year
    "youth_committee_proposals": Feed(proposals.count_submitted, {"source": "youth_committee"},
                                      "youth-committee proposals entered in the year"),
    # 3.1.d 엠보팅 참여자: people taking part in any poll in the year (one per person per poll)
    "poll_participants": Feed(polls.count_participants, {}, "poll participations in the year"),
    # 2.4.d 10대 뉴스 투표: participants of polls tagged top10_news in the year
    "top10_news_participants": Feed(polls.count_participants, {"tag": "top10_news"},
                                    "participations in polls tagged top10_news in the year"),
    # 3.1.e 온라인 여론조사: surveys opened in the year
    "surveys_opened": Feed(surveys.count_opened, {}, "surveys opened in the year"),
    # 3.1.f 공론장: deliberation forums opened in the year
    "forums_opened": Feed(forums.count_opened, {}, "forums opened in the year"),
    # 3.2.b 시민참여예산제 심의 예산: the budget (원) of the city's processes whose voting ended in the year
    "participatory_budget": Feed(budgets.budget_reviewed, {},
                                 "budget (won) of participatory-budgeting processes whose voting ended in the year"),
}


def count(metric: str, start: datetime, end: datetime) -> int:
    """The metric's count for [start, end). Raises KeyError for a metric not in FEEDS."""
    return FEEDS[metric](start, end)
