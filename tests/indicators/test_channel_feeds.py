"""The refresh against the channels' own rows and counting functions (no fakes): what each automatic
measure counts, by KST calendar year — an act at 2025-12-31 23:30 KST counts for 2025."""

from datetime import datetime

from sqlalchemy import select

from participation.core.time import KST
from participation.extensions import db
from participation.indicators import tasks
from participation.indicators.models import Indicator, IndicatorValue
from participation.polls.models import Participation
from tests import factories

LAST_EVENING_2025 = datetime(2025, 12, 31, 23, 30, tzinfo=KST)  # 14:30 UTC
NEW_YEAR_2026 = datetime(2026, 1, 1, 0, 10, tzinfo=KST)  # still 31 December in UTC


def values(year: int) -> dict[str, int]:
    return dict(db.session.execute(select(Indicator.code, IndicatorValue.value).join(IndicatorValue.indicator)
                                   .where(IndicatorValue.year == year, IndicatorValue.source == "auto")).all())


def test_every_channel_feeds_its_measures_by_kst_year(catalogue):
    for when in (LAST_EVENING_2025, NEW_YEAR_2026):
        factories.PetitionFactory(kind="general", submitted_at=when)
        factories.PetitionFactory(kind="resident_audit", submitted_at=when)
        factories.PetitionFactory(kind="debate_request", submitted_at=when)
        factories.ProposalFactory(source="web", submitted_at=when)
        factories.ProposalFactory(source="national_portal", submitted_at=when)
        factories.ProposalFactory(source="youth_committee", submitted_at=when)
        factories.ForumFactory(opened_at=when)
        survey = factories.survey(factories.staff(), [{"type": "likert", "text": "따릉이에 만족하십니까?"}])
        survey.opened_at = when
        # 3.2.b: a budgeting process whose voting ended at that moment (its budget, in 원)
        factories.BudgetProcessFactory(state="tallied", budget=5_000_000_000 if when.year == 2025 else 700_000_000,
                                       closed_at=when)
    # Not counted: a process still voting, a cancelled one, and a Pabulib file imported for comparison.
    factories.BudgetProcessFactory(state="voting", closed_at=None)
    factories.BudgetProcessFactory(state="cancelled", closed_at=LAST_EVENING_2025)
    factories.BudgetProcessFactory(state="tallied", source="pabulib", closed_at=LAST_EVENING_2025)
    factories.PetitionFactory(kind="general", submitted_at=None, state="draft")  # a draft is not received
    news = factories.PollFactory(tags=["top10_news"])
    other = factories.PollFactory()
    for poll, count in ((news, 3), (other, 2)):
        for _ in range(count):
            db.session.add(Participation(poll_id=poll.id, user_id=factories.UserFactory().id,
                                         created_at=LAST_EVENING_2025))
    db.session.add(Participation(poll_id=news.id, user_id=factories.UserFactory().id, created_at=NEW_YEAR_2026))
    db.session.flush()

    tasks.refresh_year(2025)
    tasks.refresh_year(2026)

    assert values(2025) == {"2.1.a": 1, "2.2.a": 3, "2.2.b": 1, "2.2.c": 1, "2.4.d": 3, "3.1.c": 1, "3.1.d": 5,
                            "3.1.e": 1, "3.1.f": 1, "3.2.b": 5_000_000_000, "3.3.b": 1}
    assert values(2026) == {"2.1.a": 1, "2.2.a": 3, "2.2.b": 1, "2.2.c": 1, "2.4.d": 1, "3.1.c": 1, "3.1.d": 1,
                            "3.1.e": 1, "3.1.f": 1, "3.2.b": 700_000_000, "3.3.b": 1}
