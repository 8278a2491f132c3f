"""Deleting an account never frees a second voice (issue #18, item 4). Deleting the account at /account/delete and
signing up again with the same mailbox used to let one person sign, support, vote and answer twice. Now a
tombstone (keyed hashes only) refuses the address while anything the deleted account took part in still counts."""

from sqlalchemy import func, select

from participation import privacy
from participation.accounts.models import Tombstone, User
from participation.budgets.models import BudgetParticipation
from participation.extensions import db
from participation.petitions.models import Signature
from participation.polls.models import Participation
from participation.proposals.models import Support
from participation.surveys.models import Response
from tests import factories
from tests.conftest import api_token, csrf_token, login
from tests.factories import PASSWORD

NEW_PASSWORD = "다시-가입하는-비밀번호-2026"


def registration(email):
    return {"email": email, "password": NEW_PASSWORD, "display_name": "돌아온 시민", "district": "마포구",
            "birth_year": 1985, "privacy_consent": True}


def count(model, **where):
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def take_part_everywhere(client, citizen):
    petition, proposal = factories.open_petition(), factories.open_proposal()
    poll = factories.PollFactory()
    survey = factories.survey(questions=[{"type": "single", "text": "주로 타는 교통수단은?",
                                          "options": ["지하철", "버스"]}])
    budget = factories.budget_with_projects()
    headers = api_token(client, citizen)
    question = survey.questions[0]
    calls = [(f"/api/v1/petitions/{petition.id}/signatures", {}),
             (f"/api/v1/proposals/{proposal.id}/supports", {}),
             (f"/api/v1/polls/{poll.id}/ballots", {"choices": [poll.options[0].id]}),
             (f"/api/v1/surveys/{survey.id}/responses", {"answers": {str(question.id): question.options[0].id}}),
             (f"/api/v1/budgets/{budget.id}/ballots", {"projects": [budget.projects[0].id]})]
    for url, body in calls:
        assert client.post(url, json=body, headers=headers).status_code == 201, url
    return {"petition": petition, "proposal": proposal, "poll": poll, "survey": survey, "budget": budget}


def delete_account(client, citizen):
    login(client, citizen)
    response = client.post("/account/delete", data={"password": PASSWORD,
                                                    "csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 303
    client.get("/")  # the flash


def one_each(items):
    return [count(Signature, petition_id=items["petition"].id), count(Support, proposal_id=items["proposal"].id),
            count(Participation, poll_id=items["poll"].id), count(Response, survey_id=items["survey"].id),
            count(BudgetParticipation, budget_id=items["budget"].id)]


def test_the_same_mailbox_cannot_come_back_while_its_participations_count(client, db_session):
    citizen = factories.UserFactory(email="kim.seoul@gmail.com", district="마포구")
    items = take_part_everywhere(client, citizen)
    delete_account(client, citizen)

    for spelling in ("kim.seoul@gmail.com", "KimSeoul+again@gmail.com", "kim.seoul@ｇmail.com"):
        refused = client.post("/api/v1/auth/register", json=registration(spelling))
        assert refused.status_code == 409, spelling
        assert refused.json["error"]["code"] == "deleted_account_still_counted"
    page = client.post("/register", data={**registration("kimseoul@googlemail.com"),
                                          "csrf_token": csrf_token(client, "/register")})
    assert page.status_code == 422 and "탈퇴한 계정이 참여한" in page.get_data(as_text=True)
    assert count(User, email_canonical="kimseoul@gmail.com") == 0
    assert one_each(items) == [1, 1, 1, 1, 1]

    # The tombstone holds keyed hashes only.
    tombstone = db_session.scalars(select(Tombstone).where(Tombstone.user_id == citizen.id)).one()
    assert len(tombstone.email_hash) == 64 and "seoul" not in tombstone.email_hash
    assert tombstone.person_hash is None  # never identity-verified

    # Once everything it took part in has closed, the tombstone goes and the address signs up afresh; the closed
    # items cannot count the new account.
    for name, state in (("petition", "closed"), ("proposal", "closed"), ("poll", "closed"), ("survey", "closed"),
                        ("budget", "closed")):
        items[name].state = state
    db_session.flush()
    assert privacy.purge_tombstones() == 1
    again = client.post("/api/v1/auth/register", json=registration("kim.seoul@gmail.com"))
    assert again.status_code == 201
    returned = db_session.scalar(select(User).where(User.email == "kim.seoul@gmail.com"))  # the answer has no id
    returned.email_verified_at = returned.created_at
    db_session.flush()
    headers = api_token(client, returned, NEW_PASSWORD)
    assert client.post(f"/api/v1/petitions/{items['petition'].id}/signatures", json={},
                       headers=headers).status_code == 409
    assert one_each(items) == [1, 1, 1, 1, 1]


def test_one_open_item_is_enough_to_refuse(client, db_session):
    citizen = factories.UserFactory(email="leaving@example.com")
    petition = factories.open_petition()
    assert client.post(f"/api/v1/petitions/{petition.id}/signatures", json={},
                       headers=api_token(client, citizen)).status_code == 201
    delete_account(client, citizen)
    assert client.post("/api/v1/auth/register", json=registration("LEAVING@example.com")).status_code == 409
    assert privacy.purge_tombstones() == 0  # still counting: the tombstone stays
    petition.state = "hidden"  # an upheld appeal could reopen it
    db_session.flush()
    assert client.post("/api/v1/auth/register", json=registration("leaving@example.com")).status_code == 409


def test_an_account_that_took_part_in_nothing_open_may_come_back_at_once(client, db_session):
    citizen = factories.UserFactory(email="quiet@example.com")
    delete_account(client, citizen)
    assert client.post("/api/v1/auth/register", json=registration("quiet@example.com")).status_code == 201
