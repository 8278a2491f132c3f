"""Where each automatic measure's yearly value comes from: one table, metric → channel query.

Every channel query counts its own rows in [start, end) (timezone-aware UTC); a year is the KST calendar
year (`core.time.kst_year_bounds`). What "received" means for each metric is stated next to it. The
channel modules are imported when a count is asked for, so this package works before a channel exists;
a missing channel query raises `FeedUnavailable`, which the refresh job logs and skips.
"""

import importlib
from dataclasses import dataclass, field
from datetime import datetime

from participation.core.time import kst_year_bounds


class FeedUnavailable(LookupError):
    """The channel function behind a metric does not exist (yet)."""


@dataclass(frozen=True)
class Feed:
    module: str
    function: str
    kwargs: dict = field(default_factory=dict)
    meaning: str = ""

    def __call__(self, start: datetime, end: datetime) -> int:
        try:
            module = importlib.import_module(self.module)
        except ModuleNotFoundError as error:
            # Only the channel module (or its package) missing means "not there yet"; anything else is a bug.
            if error.name is None or not (self.module + ".").startswith(error.name + "."):
                raise
            raise FeedUnavailable(f"{self.module} does not exist yet") from None
        function = getattr(module, self.function, None)
        if function is None:
            raise FeedUnavailable(f"{self.module}.{self.function} does not exist yet")
        return int(function(start, end, **self.kwargs) or 0)


PETITIONS = "participation.petitions.queries"
PROPOSALS = "participation.proposals.queries"
POLLS = "participation.polls.queries"

FEEDS: dict[str, Feed] = {
    # 2.1.a 주민감사 청구: petitions of kind resident_audit submitted (left draft) in the year
    "resident_audit_requests": Feed(PETITIONS, "count_submitted", {"kind": "resident_audit"},
                                    "resident-audit petitions submitted in the year"),
    # 2.2.a 온라인 청원 접수: petitions of every kind submitted in the year
    "petitions_received": Feed(PETITIONS, "count_submitted", {}, "petitions of every kind submitted in the year"),
    # 3.1.c 시민참여 토론회 청구: petitions of kind debate_request submitted in the year
    "debate_requests": Feed(PETITIONS, "count_submitted", {"kind": "debate_request"},
                            "debate-request petitions submitted in the year"),
    # 2.2.c 상상대로 서울: proposals citizens submitted on the web in the year
    "citizen_proposals": Feed(PROPOSALS, "count_submitted", {"source": "web"},
                              "proposals submitted by citizens on the web in the year"),
    # 2.2.b 국민제안 신문고: proposals imported from the national portal, by their receipt time
    "national_portal_proposals": Feed(PROPOSALS, "count_submitted", {"source": "national_portal"},
                                      "proposals imported from the national portal, received in the year"),
    # 3.3.b 청소년 참여위원회: proposals staff entered for the youth committee in the year
    "youth_committee_proposals": Feed(PROPOSALS, "count_submitted", {"source": "youth_committee"},
                                      "youth-committee proposals entered in the year"),
    # 3.1.d 엠보팅 참여자: people taking part in any poll in the year (one per person per poll)
    "poll_participants": Feed(POLLS, "count_participants", {}, "poll participations in the year"),
    # 2.4.d 10대 뉴스 투표: participants of polls tagged top10_news in the year
    "top10_news_participants": Feed(POLLS, "count_participants", {"tag": "top10_news"},
                                    "participations in polls tagged top10_news in the year"),
    # 3.1.e 온라인 여론조사: surveys opened in the year
    "surveys_opened": Feed("participation.surveys.queries", "count_opened", {}, "surveys opened in the year"),
    # 3.1.f 공론장: deliberation forums opened in the year
    "forums_opened": Feed("participation.forums.queries", "count_opened", {}, "forums opened in the year"),
    # 3.2.b 시민참여예산제 심의 예산: the budget (원) of the city's processes whose voting ended in the year
    "participatory_budget": Feed("participation.budgets.queries", "budget_reviewed", {},
                                 "budget (won) of participatory-budgeting processes whose voting ended in the year"),
}


def count(metric: str, start: datetime, end: datetime) -> int:
    """The metric's count for [start, end). Raises KeyError for a metric not in FEEDS."""
    return FEEDS[metric](start, end)


def count_year(metric: str, year: int) -> int:
    """The metric's count for a KST calendar year."""
    return count(metric, *kst_year_bounds(year))
