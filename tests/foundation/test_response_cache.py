"""The one-second cache of public answers for anonymous readers (core/response_cache.py)."""

import pytest

from participation.core import response_cache
from tests import factories
from tests.conftest import api_token


@pytest.fixture
def cache_on(app):
    app.config["PUBLIC_CACHE_SECONDS"] = 60
    response_cache.clear()
    yield
    app.config["PUBLIC_CACHE_SECONDS"] = 0
    response_cache.clear()


def test_anonymous_readers_share_one_answer_for_the_cache_time(client, db_session, cache_on):
    poll = factories.PollFactory(labels=("광화문", "서울숲"))
    db_session.commit()
    first = client.get(f"/api/v1/polls/{poll.id}/results")
    assert first.status_code == 200 and first.json["total_ballots"] == 0
    poll.total_ballots, poll.options[0].votes = 5, 5
    db_session.commit()
    again = client.get(f"/api/v1/polls/{poll.id}/results")
    assert again.json == first.json and again.headers["Content-Type"] == "application/json"
    assert again.headers["X-Content-Type-Options"] == "nosniff"  # the app's headers on every copy
    # A reader with a token is answered from the database.
    fresh = client.get(f"/api/v1/polls/{poll.id}/results", headers=api_token(client, factories.UserFactory()))
    assert fresh.json["total_ballots"] == 5
    response_cache.clear()
    assert client.get(f"/api/v1/polls/{poll.id}/results").json["total_ballots"] == 5


def test_refusals_are_never_kept(client, db_session, cache_on):
    poll = factories.PollFactory(results_visibility="after_close")
    draft = factories.PetitionFactory(state="draft")
    db_session.commit()
    assert client.get(f"/api/v1/polls/{poll.id}/results").status_code == 403
    assert client.get(f"/api/v1/petitions/{draft.id}").status_code == 404
    poll.results_visibility = "live"
    draft.state = "pending"
    db_session.commit()
    assert client.get(f"/api/v1/polls/{poll.id}/results").status_code == 200
    author = api_token(client, draft.author)
    assert client.get(f"/api/v1/petitions/{draft.id}", headers=author).status_code == 200


def test_anonymous_pages_are_shared_and_signed_in_pages_are_not(app, client, db_session, cache_on):
    from tests.conftest import login

    petition = factories.open_petition(signature_count=7)
    db_session.commit()
    first = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert "7" in first
    petition.signature_count = 1234
    db_session.commit()
    assert app.test_client().get(f"/petitions/{petition.id}").get_data(as_text=True) == first
    citizen = app.test_client()
    login(citizen, factories.UserFactory())
    assert "1,234" in citizen.get(f"/petitions/{petition.id}").get_data(as_text=True)


def test_a_body_with_this_visitors_csrf_token_is_not_shareable(app):
    from flask_wtf.csrf import generate_csrf

    with app.test_request_context("/petitions/1"):
        token = generate_csrf()
        assert not response_cache._shareable(app.response_class(f'<input name="csrf_token" value="{token}">'))
        assert response_cache._shareable(app.response_class("<p>서명 7명</p>"))
    with app.test_request_context("/petitions/1"):
        from flask import flash

        flash("서명했습니다.")
        assert not response_cache._shareable(app.response_class("<p>서명 7명</p>"))


def test_a_copy_made_for_another_host_name_is_not_served(app, client, db_session, cache_on, monkeypatch):
    """Pages and answers carry absolute links built from the Host header (the petition's share address, an
    option's image_url): a visitor sending a forged Host must not plant its links in everyone's copy."""
    monkeypatch.setitem(app.config, "SERVER_NAME", None)  # as deployed: the host comes from the request
    petition = factories.open_petition()
    db_session.commit()
    forged = client.get(f"/petitions/{petition.id}", base_url="http://evil.example").get_data(as_text=True)
    assert "http://evil.example/petitions/" in forged
    page = app.test_client().get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert "evil.example" not in page and f"http://localhost/petitions/{petition.id}" in page


def test_list_pages_are_shared_with_anonymous_readers_only(app, client, db_session, cache_on):
    from tests.conftest import login

    factories.open_petition(title="따릉이 정류장을 늘려 주세요")
    db_session.commit()
    first = client.get("/api/v1/petitions?q=따릉이").json
    factories.open_petition(title="따릉이 요금을 낮춰 주세요")
    db_session.commit()
    assert app.test_client().get("/api/v1/petitions?q=따릉이").json == first
    citizen = app.test_client()
    login(citizen, factories.UserFactory())
    assert citizen.get("/petitions?q=따릉이").get_data(as_text=True).count("따릉이 요금을 낮춰 주세요") == 1


def test_a_copy_is_served_before_the_app_and_without_the_answers_cookies(app, client, db_session, cache_on):
    petition = factories.open_petition(signature_count=7)
    db_session.commit()
    url = f"/api/v1/petitions/{petition.id}"
    first = client.get(url)
    reached = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: reached.append(1))
    try:
        copy = app.test_client().get(url)
        assert copy.json == first.json and reached == []  # no hook, no view: the middleware answered
        assert "Set-Cookie" not in copy.headers and copy.headers["Content-Security-Policy"]
        # A reader with a session cookie, a POST or a HEAD reaches the app.
        with_session = app.test_client()
        with_session.set_cookie(app.config["SESSION_COOKIE_NAME"], "x")
        with_session.get(url)
        app.test_client().head(url)
        assert len(reached) == 2
    finally:
        app.before_request_funcs[None].pop(0)


def test_the_language_is_part_of_the_key(app, db_session, cache_on):
    petition = factories.open_petition(title="청계천 산책로를 넓혀 주세요")
    db_session.commit()
    korean = app.test_client().get(f"/petitions/{petition.id}").get_data(as_text=True)
    english_reader = app.test_client()
    english_reader.set_cookie("lang", "en")
    english = english_reader.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert 'lang="ko"' in korean and 'lang="en"' in english


def test_the_home_page_is_shared_with_anonymous_readers(app, db_session, cache_on):
    factories.open_petition(title="한강 공원에 그늘막을 늘려 주세요")
    db_session.commit()
    first = app.test_client().get("/").get_data(as_text=True)
    assert "한강 공원에 그늘막을 늘려 주세요" in first
    factories.open_petition(title="북한산 둘레길 안내판을 고쳐 주세요")
    db_session.commit()
    assert app.test_client().get("/").get_data(as_text=True) == first


def test_the_poll_lists_are_shared_with_anonymous_readers(app, db_session, cache_on):
    factories.PollFactory(title="올해의 10대 뉴스")
    db_session.commit()
    page, api = app.test_client().get("/polls").get_data(as_text=True), app.test_client().get("/api/v1/polls").json
    assert "올해의 10대 뉴스" in page and api["total"] == 1
    factories.PollFactory(title="올해의 10대 정책")
    db_session.commit()
    assert app.test_client().get("/polls").get_data(as_text=True) == page
    assert app.test_client().get("/api/v1/polls").json == api
