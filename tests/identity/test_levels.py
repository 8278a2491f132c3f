"""Which acts need 본인인증: copied onto the item when it opens, like its thresholds; 403 identity_required with
where to verify; said on each item and in /api/v1/me."""

from datetime import timedelta

import pytest

from participation.core.settings import set_setting
from participation.core.time import utcnow
from participation.petitions import services as petitions
from participation.polls import services as polls
from tests import factories
from tests.conftest import api_token, login
from tests.factories import verified_person
from tests.identity.conftest import page_text, person, verify


def opened_petition(kind: str):
    petition = factories.PetitionFactory(kind=kind)
    petitions.transition(petition, "open", factories.moderator())
    return petition


def opened_poll(**fields):
    officer = factories.staff()
    poll = polls.create_poll(officer, title="우리 구 공원 이름 정하기", options=["하늘공원", "노을공원"],
                             closes_at=utcnow() + timedelta(days=7), **fields)
    factories.give_key(poll)
    polls.transition(poll, "open", officer)
    return poll


@pytest.mark.parametrize(("kind", "level"), [("resident_audit", "identity"), ("debate_request", "identity"),
                                             ("general", "email")])
def test_binding_petitions_require_identity_from_their_opening(client, db_session, provider, kind, level):
    petition = opened_petition(kind)
    assert client.get(f"/api/v1/petitions/{petition.id}").json["verification"] == level
    citizen = factories.UserFactory()
    answer = client.post(f"/api/v1/petitions/{petition.id}/signatures", headers=api_token(client, citizen))
    if level == "email":
        assert answer.status_code == 201
        return
    assert answer.status_code == 403 and answer.json["error"]["code"] == "identity_required"
    assert "http://localhost/account/identity" in answer.json["error"]["message"]
    verified_person(citizen, f"CI-{kind}")
    answer = client.post(f"/api/v1/petitions/{petition.id}/signatures", headers=api_token(client, citizen))
    assert answer.status_code == 201


def test_the_rule_in_force_at_the_opening_stays_with_the_petition(client, db_session):
    earlier = opened_petition("resident_audit")
    set_setting("IDENTITY_FOR_BINDING_PETITIONS", "false", factories.admin(), "시범 운영")
    later = opened_petition("resident_audit")
    assert (earlier.verification, later.verification) == ("identity", "email")


def test_district_and_age_polls_require_identity_and_staff_may_ask_it_of_any_poll(client, db_session, provider):
    assert opened_poll().verification == "email"
    assert opened_poll(eligible_districts=["마포구"]).verification == "identity"
    assert opened_poll(eligible_age_bands=["20-29"]).verification == "identity"
    asked = opened_poll(verification="identity")
    assert client.get(f"/api/v1/polls/{asked.id}").json["verification"] == "identity"
    citizen = factories.UserFactory()
    answer = client.post(f"/api/v1/polls/{asked.id}/ballots", json={"choices": [asked.options[0].id]},
                         headers=api_token(client, citizen))
    assert answer.status_code == 403 and answer.json["error"]["code"] == "identity_required"


def test_a_citizen_verifies_from_a_district_poll_and_votes(client, db_session, provider):
    poll = opened_poll(eligible_districts=["마포구"])
    citizen = factories.UserFactory(district="마포구", birth_year=1988)
    login(client, citizen)
    page = page_text(client.get(f"/polls/{poll.id}"))
    assert "이 참여에는 본인인증이 필요합니다." in page and f"/account/identity?next=/polls/{poll.id}" in page
    assert 'name="choice"' not in page
    answer = verify(client, person(provider, ci="CI-마포-0100", birthdate="1988-05-17", district="마포구"),
                    next_url=f"/polls/{poll.id}")
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/polls/{poll.id}")
    assert 'name="choice"' in page_text(client.get(f"/polls/{poll.id}"))
    vote = client.post(f"/api/v1/polls/{poll.id}/ballots", json={"choices": [poll.options[0].id]},
                       headers=api_token(client, citizen))
    assert vote.status_code == 201, vote.json


def test_without_a_provider_identity_items_say_verification_is_unavailable(app, client, db_session):
    assert not app.config.get("IDENTITY_ISSUER")
    poll = opened_poll(eligible_districts=["마포구"])
    citizen = factories.UserFactory(district="마포구")
    answer = client.post(f"/api/v1/polls/{poll.id}/ballots", json={"choices": [poll.options[0].id]},
                         headers=api_token(client, citizen))
    assert answer.status_code == 403 and answer.json["error"]["code"] == "identity_unavailable"
    login(client, citizen)
    assert "지금은 본인인증을 이용할 수 없습니다" in page_text(client.get(f"/polls/{poll.id}"))


def test_staff_may_require_identity_of_a_survey(client, db_session, provider):
    survey = factories.survey(questions=[{"type": "likert", "text": "만족하십니까?", "required": True}],
                              verification="identity")
    assert client.get(f"/api/v1/surveys/{survey.id}").json["verification"] == "identity"
    question = survey.questions[0].id
    citizen = factories.UserFactory()
    answer = client.post(f"/api/v1/surveys/{survey.id}/responses", json={"answers": {str(question): 4}},
                         headers=api_token(client, citizen))
    assert answer.status_code == 403 and answer.json["error"]["code"] == "identity_required"
    verified_person(citizen, "CI-설문-0200")
    answer = client.post(f"/api/v1/surveys/{survey.id}/responses", json={"answers": {str(question): 4}},
                         headers=api_token(client, citizen))
    assert answer.status_code == 201, answer.json


def test_staff_may_require_identity_of_a_forum(client, db_session, provider):
    officer = factories.staff()
    forum = factories.ForumFactory(verification="identity")
    assert client.get(f"/api/v1/forums/{forum.id}").json["verification"] == "identity"
    citizen = factories.UserFactory()
    comment = {"stance": "pro", "body": "요금 인상에 찬성합니다."}
    answer = client.post(f"/api/v1/forums/{forum.id}/comments", json=comment, headers=api_token(client, citizen))
    assert answer.status_code == 403 and answer.json["error"]["code"] == "identity_required"
    verified_person(citizen, "CI-공론-0300")
    answer = client.post(f"/api/v1/forums/{forum.id}/comments", json=comment, headers=api_token(client, citizen))
    assert answer.status_code == 201, answer.json
    created = client.post("/api/v1/forums", headers=api_token(client, officer),
                          json={"title": "한강 다리 조명", "background": "배경", "verification": "identity"})
    assert created.status_code == 201 and created.json["verification"] == "identity"
