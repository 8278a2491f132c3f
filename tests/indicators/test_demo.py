from sqlalchemy import func, select

from participation.extensions import db
from participation.indicators import demo
from participation.indicators.models import Indicator, IndicatorValue
from tests import factories


def test_the_demo_loads_the_catalogue_and_labels_its_values_as_examples(db_session, monkeypatch):
    monkeypatch.setattr(demo.counts, "years_so_far", lambda: [])
    demo.seed({"staff": [factories.staff()], "citizen": [], "moderator": [], "admin": []})
    assert db.session.scalar(select(func.count()).select_from(Indicator)) == 40
    rows = db.session.execute(select(IndicatorValue.year, IndicatorValue.source, IndicatorValue.note)).all()
    assert len(rows) == 6
    assert {(year, source, note) for year, source, note in rows} == {
        (2024, "manual", "데모 예시 값입니다. 실제 서울시 통계가 아닙니다.")}
