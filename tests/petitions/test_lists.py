"""Long public lists: a deep page holds the same petitions as the plain OFFSET would give, and a long list's
total is counted once every few seconds rather than on every request."""

from datetime import timedelta

from participation.core import pagination
from participation.core.time import utcnow
from participation.petitions import queries
from tests.factories import open_petition


def test_every_page_holds_the_petitions_of_one_long_page_in_the_same_order(client, db_session):
    now = utcnow()
    for n in range(23):  # ties on the sort key too: the id breaks them
        open_petition(title=f"따릉이 대여소 {n}", published_at=now - timedelta(minutes=n // 2),
                      signature_count=n % 5)
    for sort in ("newest", "signatures", "closing"):
        whole = [item["id"] for item in client.get(f"/api/v1/petitions?sort={sort}&per_page=100").json["items"]]
        paged = []
        for page in range(1, 8):
            answer = client.get(f"/api/v1/petitions?sort={sort}&per_page=4&page={page}").json
            assert (answer["page"], answer["per_page"], answer["total"]) == (page, 4, 23)
            paged += [item["id"] for item in answer["items"]]
        assert len(whole) == 23 and paged == whole


def test_a_long_lists_total_is_kept_for_a_few_seconds_and_a_short_ones_is_exact(db_session, monkeypatch):
    monkeypatch.setattr(pagination, "_totals", {})
    for _ in range(3):
        open_petition()
    assert pagination.paginate(queries.public_list(), 1, 20).total == 3
    open_petition()
    assert pagination.paginate(queries.public_list(), 1, 20).total == 4  # below LARGE_TOTAL: counted every time

    monkeypatch.setattr(pagination, "LARGE_TOTAL", 4)
    assert pagination.paginate(queries.public_list(), 1, 20).total == 4
    open_petition()
    assert pagination.paginate(queries.public_list(), 2, 2).total == 4  # kept
    assert pagination.paginate(queries.public_list(status="open"), 1, 20).total == 5  # another filter, counted
    monkeypatch.setattr(pagination, "TOTAL_SECONDS", 0.0)
    assert pagination.paginate(queries.public_list(), 1, 20).total == 5


def test_search_finds_a_korean_word_inside_a_longer_one(client, db_session):
    bike = open_petition(title="공공자전거따릉이 대여소를 늘려 주세요")
    open_petition(title="심야버스 노선", body="밤에 따릉이를 반납할 곳이 없습니다")
    open_petition(title="놀이터 그늘막")
    found = client.get("/api/v1/petitions?q=따릉이").json
    assert found["total"] == 2 and bike.id in {item["id"] for item in found["items"]}
    assert client.get("/api/v1/petitions?q=따릉이 대여소").json["total"] == 1


def test_on_postgresql_the_keyword_search_has_its_trigram_indexes(db_session):
    import pytest
    import sqlalchemy as sa

    from participation.core.database import POSTGRESQL_ONLY_INDEXES

    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite's trigram index is its FTS5 table (tests/foundation/test_search.py)")
    indexes = {index["name"]: index["column_names"] for table in ("petition", "proposal")
               for index in sa.inspect(db_session.connection()).get_indexes(table)}
    assert {name: indexes.get(name) for name in POSTGRESQL_ONLY_INDEXES} == {
        name: [column] for name, (_table, column) in POSTGRESQL_ONLY_INDEXES.items()}
