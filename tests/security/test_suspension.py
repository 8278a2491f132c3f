"""Staff act on abuse: suspending an account (issue #18, item 8). Before, a moderator could do nothing about a spam
account: no suspension existed, on the console or in the API."""

from sqlalchemy import func, select

from participation.core.audit import AuditEntry
from participation.extensions import db
from participation.petitions.models import Signature
from tests import factories
from tests.conftest import api_token, csrf_token, login
from tests.factories import PASSWORD

REASON = "같은 광고 댓글을 여러 공론장에 반복 게시"


def audit_rows(user_id):
    return [(row.action, row.reason) for row in db.session.scalars(
        select(AuditEntry).where(AuditEntry.subject_type == "user", AuditEntry.subject_id == user_id,
                                 AuditEntry.action.in_(["suspended", "unsuspended"])).order_by(AuditEntry.id))]


def test_a_moderator_suspends_a_spam_account_from_the_console(app, client, db_session):
    spammer = factories.UserFactory(display_name="광고계정")
    petition = factories.open_petition()
    spam_client = app.test_client()
    headers = api_token(spam_client, spammer)
    assert spam_client.post(f"/api/v1/petitions/{petition.id}/signatures", json={}, headers=headers).status_code == 201
    login(spam_client, spammer)
    moderator = factories.moderator()
    db_session.commit()

    login(client, moderator)
    page = client.get("/moderation/users?q=광고계정")
    assert page.status_code == 200 and "광고계정" in page.get_data(as_text=True)
    response = client.post(f"/moderation/users/{spammer.id}/suspension",
                           data={"reason": REASON, "csrf_token": csrf_token(client, "/moderation/users")})
    assert response.status_code == 303
    assert "정지됨" in client.get("/moderation/users").get_data(as_text=True)
    assert audit_rows(spammer.id) == [("suspended", REASON)]

    # Signed out everywhere, tokens revoked, no new sign-in; the signature still counts.
    assert spam_client.get("/account").status_code == 302
    assert spam_client.get("/api/v1/me", headers=headers).status_code == 401
    refused = spam_client.post("/api/v1/auth/token", json={"email": spammer.email, "password": PASSWORD})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "account_suspended"
    page_login = spam_client.post("/login", data={"email": spammer.email, "password": PASSWORD,
                                                  "csrf_token": csrf_token(spam_client, "/login")})
    assert page_login.status_code == 403 and "정지되었습니다" in page_login.get_data(as_text=True)
    assert spam_client.get("/account").status_code == 302
    wrong = spam_client.post("/api/v1/auth/token", json={"email": spammer.email, "password": "틀린 비밀번호"})
    assert wrong.status_code == 401  # the suspension is told only to whoever knows the password
    assert db_session.scalar(select(func.count()).select_from(Signature)
                             .where(Signature.petition_id == petition.id)) == 1

    # Reversible.
    lifted = client.post(f"/moderation/users/{spammer.id}/suspension/lift",
                         data={"reason": "", "csrf_token": csrf_token(client, "/moderation/users")})
    assert lifted.status_code == 303
    assert audit_rows(spammer.id) == [("suspended", REASON), ("unsuspended", None)]
    assert spam_client.post("/api/v1/auth/token", json={"email": spammer.email, "password": PASSWORD}
                            ).status_code == 200


def test_suspension_through_the_api_and_its_refusals(client, db_session):
    moderator, admin = factories.moderator(), factories.admin()
    spammer, other_admin = factories.UserFactory(), factories.admin()
    as_moderator, as_admin = api_token(client, moderator), api_token(client, admin)

    def suspend(user_id, headers, body=None):
        return client.post(f"/api/v1/users/{user_id}/suspension", json={"reason": REASON} if body is None else body,
                           headers=headers)

    assert suspend(spammer.id, api_token(client, factories.UserFactory())).status_code == 403
    missing = suspend(spammer.id, as_moderator, {})
    assert missing.status_code == 422 and "reason" in missing.json["error"]["fields"]
    done = suspend(spammer.id, as_moderator)
    assert done.status_code == 200
    assert done.json["suspended"] is True and done.json["suspension_reason"] == REASON
    again = suspend(spammer.id, as_moderator)
    assert again.status_code == 409 and again.json["error"]["code"] == "already_suspended"
    assert suspend(2_000_000, as_moderator).status_code == 404

    refused = suspend(other_admin.id, as_moderator)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "cannot_suspend_admin"
    own = suspend(moderator.id, as_moderator)
    assert own.status_code == 409 and own.json["error"]["code"] == "own_account"
    assert suspend(moderator.id, as_admin).status_code == 200  # an admin may suspend a moderator
    assert client.get("/api/v1/me", headers=as_moderator).status_code == 401  # its token is revoked

    lift = client.delete(f"/api/v1/users/{spammer.id}/suspension", json={"reason": "소명 확인"}, headers=as_admin)
    assert lift.status_code == 200 and lift.json["suspended"] is False
    twice = client.delete(f"/api/v1/users/{spammer.id}/suspension", json={}, headers=as_admin)
    assert twice.status_code == 409 and twice.json["error"]["code"] == "not_suspended"
    assert audit_rows(spammer.id) == [("suspended", REASON), ("unsuspended", "소명 확인")]
