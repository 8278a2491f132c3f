"""The public lists' keyword search (core/search.py), the same on SQLite (FTS5 trigram tables kept by triggers) and
PostgreSQL (pg_trgm indexes): a Korean word anywhere in the title or body, every word of a petition search, a
proposal's whole phrase, two-letter words, LIKE's and FTS5's special characters as plain text, and the index
following every insert, edit and deletion."""

import pytest
import sqlalchemy as sa

from participation.extensions import db
from participation.petitions import queries as petition_queries
from participation.proposals import queries as proposal_queries
from tests.factories import open_petition, open_proposal


def petition_ids(client, q: str) -> set[int]:
    answer = client.get("/api/v1/petitions", query_string={"q": q, "per_page": 100}).json
    assert answer["total"] == len(answer["items"])
    return {item["id"] for item in answer["items"]}


def proposal_ids(client, q: str) -> set[int]:
    answer = client.get("/api/v1/proposals", query_string={"q": q, "per_page": 100}).json
    assert answer["total"] == len(answer["items"])
    return {item["id"] for item in answer["items"]}


def test_a_petition_search_finds_every_word_in_the_title_or_the_body(client, db_session):
    bike = open_petition(title="공공자전거따릉이 대여소를 늘려 주세요", body="한강공원에 대여소가 부족합니다")
    night = open_petition(title="심야버스 노선", body="밤에 따릉이를 반납할 곳이 없습니다")
    open_petition(title="놀이터 그늘막", body="여름에 햇볕이 뜨겁습니다")
    db_session.commit()
    assert petition_ids(client, "따릉이") == {bike.id, night.id}
    assert petition_ids(client, "따릉이 대여소") == {bike.id}  # both words, one in the title, one in the body
    assert petition_ids(client, "  반납할   따릉이 ") == {night.id}
    assert petition_ids(client, "밤에 따릉이") == {night.id}  # a two-letter word with a longer one
    assert petition_ids(client, "햇볕") == set(petition_ids(client, "그늘막"))
    assert petition_ids(client, "지하철") == set()


def test_a_proposal_search_finds_the_whole_phrase(client, db_session):
    park = open_proposal(title="반려견 놀이터를 만들어 주세요", body="서울숲에 반려견 놀이터가 필요합니다")
    open_proposal(title="놀이터 보수", body="반려견 출입을 막아 주세요")
    db_session.commit()
    assert proposal_ids(client, "반려견 놀이터") == {park.id}
    assert proposal_ids(client, "서울숲") == {park.id}
    assert len(proposal_ids(client, "놀이터")) == 2


def test_special_characters_are_plain_text(client, db_session):
    percent = open_petition(title="주차요금 50% 인하", body="\"따릉이\" 정기권_할인 AND 요금 OR 무료*")
    open_petition(title="주차요금 500원 인하", body="따릉이 정기권 할인")
    db_session.commit()
    assert petition_ids(client, "50%") == {percent.id}
    assert petition_ids(client, "%") == {percent.id}
    assert petition_ids(client, '"따릉이"') == {percent.id}
    assert petition_ids(client, "정기권_할인") == {percent.id}
    assert petition_ids(client, "AND") == {percent.id}
    assert petition_ids(client, "무료*") == {percent.id}
    assert petition_ids(client, "NEAR(") == set()
    assert proposal_ids(client, '"') == set()


def test_letters_keep_their_case_on_both_databases(client, db_session):
    cctv = open_petition(title="골목길 CCTV 설치", body="어두운 골목길")
    db_session.commit()
    assert petition_ids(client, "CCTV") == {cctv.id}
    assert petition_ids(client, "cctv") == set()  # as PostgreSQL's LIKE: case as typed


def test_the_index_follows_edits_and_deletions(client, db_session):
    petition = open_petition(title="따릉이 대여소 확충", body="자전거 도로가 필요합니다")
    proposal = open_proposal(title="따릉이 헬멧 대여", body="안전모를 빌려 주세요")
    db_session.commit()
    assert petition_ids(client, "대여소") == {petition.id}
    petition.title, petition.body = "심야버스 증편", "막차가 너무 이릅니다"
    proposal.body = "헬멧 대신 안전모 대여소"
    db_session.commit()
    assert petition_ids(client, "대여소") == set() and petition_ids(client, "막차가") == {petition.id}
    assert proposal_ids(client, "안전모 대여소") == {proposal.id}
    db_session.delete(proposal)
    db_session.commit()
    assert proposal_ids(client, "안전모") == set()


def test_one_search_function_for_both_lists(db_session):
    """The lists ask core.search; on SQLite a word of three letters or more is looked up in the FTS5 table, not
    by reading every row."""
    open_petition(title="따릉이", body="따릉이")
    db_session.commit()
    for statement in (petition_queries.public_list(q="따릉이"), proposal_queries.public_list(q="따릉이")):
        sql = str(statement.compile(db_session.get_bind(), compile_kwargs={"literal_binds": True}))
        if db_session.get_bind().dialect.name == "sqlite":
            plan = " ".join(str(row[-1]) for row in db_session.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}")))
            assert "VIRTUAL TABLE INDEX" in plan, plan
        else:
            assert "LIKE" in sql


@pytest.mark.parametrize("q", ["서울", "따릉이", "따릉이 대여소", "50%"])
def test_the_petition_search_agrees_with_a_scan(db_session, q):
    """Whatever index answers, the rows are those a scan of every title and body finds."""
    for title, body in [("서울 따릉이 대여소", "본문"), ("주차요금 50% 인하", "서울시"),
                        ("그늘막", "따릉이 대여소 부족"), ("여의도", "한강")]:
        open_petition(title=title, body=body)
    db_session.commit()
    found = set(db.session.scalars(petition_queries.public_list(q=q).with_only_columns(
        petition_queries.Petition.id)))
    every = db.session.execute(sa.select(petition_queries.Petition.id, petition_queries.Petition.title,
                                         petition_queries.Petition.body)).all()
    assert found == {row.id for row in every if all(word in row.title or word in row.body for word in q.split())}
