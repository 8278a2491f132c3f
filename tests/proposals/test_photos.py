"""Removing a photo: the author while the proposal can still be edited, a moderator from any proposal
(with a reason, audited). The file leaves the storage once the removal is committed."""

from sqlalchemy import func, select

from participation.core import storage
from participation.core.audit import history
from participation.extensions import db
from participation.proposals import images, services
from participation.proposals.models import Proposal, ProposalImage
from tests import factories
from tests.conftest import csrf_token, login, stored_names
from tests.factories import UserFactory
from tests.proposals.test_pages import picture, proposal_form


def logout(client) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def propose_with_photos(client, author, photos: int = 2) -> tuple[int, list[ProposalImage]]:
    login(client, author)
    uploads = [(picture(), f"정류장{number}.png") for number in range(photos)]
    response = client.post("/proposals/new", data={**proposal_form(client), "images": uploads},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    proposal_id = db.session.scalar(select(Proposal.id).order_by(Proposal.id.desc()))
    return proposal_id, list(db.session.scalars(select(ProposalImage).where(ProposalImage.proposal_id == proposal_id)
                                                .order_by(ProposalImage.id)))


def image_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ProposalImage))


def test_the_author_removes_a_photo_before_publication(client):
    author = UserFactory(display_name="김제안")
    proposal_id, (first, second) = propose_with_photos(client, author)
    first_id, first_key = first.id, images.image_key(first)
    assert storage.exists(first_key)
    page = client.get(f"/proposals/{proposal_id}").get_data(as_text=True)
    assert f'action="/proposals/{proposal_id}/images/{first_id}/remove"' in page and "사진 1 지우기" in page
    edit_page = client.get(f"/proposals/{proposal_id}/edit").get_data(as_text=True)
    assert f'href="/proposals/{proposal_id}#photos"' in edit_page

    response = client.post(f"/proposals/{proposal_id}/images/{first_id}/remove")
    assert response.status_code == 400  # no CSRF token
    assert image_count() == 2 and storage.exists(first_key)

    response = client.post(f"/proposals/{proposal_id}/images/{first_id}/remove",
                           data={"csrf_token": csrf_token(client, f"/proposals/{proposal_id}")})
    assert response.status_code == 303
    assert image_count() == 1 and not storage.exists(first_key) and storage.exists(images.image_key(second))
    assert history("proposal", proposal_id)[-1].action == f"image_removed:{first_id}"
    assert client.get(f"/proposals/images/{first_id}").status_code == 404


def test_another_citizen_cannot_remove_a_photo_and_nothing_changes(client):
    proposal_id, (photo, _second) = propose_with_photos(client, UserFactory())
    photo_id, key = photo.id, images.image_key(photo)
    logout(client)
    stranger = UserFactory()
    login(client, stranger)
    token = csrf_token(client, "/proposals/new")
    assert client.post(f"/proposals/{proposal_id}/images/{photo_id}/remove",
                       data={"csrf_token": token}).status_code == 404
    # Their own proposal's id with someone else's photo id: still not theirs.
    own = factories.ProposalFactory(author=stranger)
    db.session.commit()
    assert client.post(f"/proposals/{own.id}/images/{photo_id}/remove",
                       data={"csrf_token": token}).status_code == 404
    assert image_count() == 2 and storage.exists(key)

    # Published, a stranger still gets a 404 rather than a hint.
    services.transition(db.session.get(Proposal, proposal_id), "open", factories.moderator())
    db.session.commit()
    assert client.post(f"/proposals/{proposal_id}/images/{photo_id}/remove",
                       data={"csrf_token": token}).status_code == 404
    assert image_count() == 2 and storage.exists(key)


def test_after_publication_only_a_moderator_removes_a_photo_with_a_reason(client):
    author = UserFactory()
    proposal_id, (photo, _second) = propose_with_photos(client, author)
    photo_id, key = photo.id, images.image_key(photo)
    services.transition(db.session.get(Proposal, proposal_id), "open", factories.moderator())
    moderator = factories.moderator()
    db.session.commit()

    token = csrf_token(client, f"/proposals/{proposal_id}")
    assert client.post(f"/proposals/{proposal_id}/images/{photo_id}/remove",
                       data={"csrf_token": token}).status_code == 409
    assert image_count() == 2 and storage.exists(key)
    logout(client)

    login(client, moderator)
    page = client.get(f"/proposals/{proposal_id}").get_data(as_text=True)
    assert f'<label for="remove-image-{photo_id}">' in page
    token = csrf_token(client, f"/proposals/{proposal_id}")
    response = client.post(f"/proposals/{proposal_id}/images/{photo_id}/remove", data={"csrf_token": token})
    assert response.status_code == 422
    assert image_count() == 2 and storage.exists(key)
    response = client.post(f"/proposals/{proposal_id}/images/{photo_id}/remove",
                           data={"csrf_token": token, "reason": "다른 사람의 얼굴이 나온 사진"})
    assert response.status_code == 303
    assert image_count() == 1 and not storage.exists(key)
    entry = history("proposal", proposal_id)[-1]
    assert (entry.action, entry.reason, entry.actor_id) == (f"image_removed:{photo_id}", "다른 사람의 얼굴이 나온 사진",
                                                            moderator.id)
    assert "사진 삭제" in client.get(f"/proposals/{proposal_id}").get_data(as_text=True)


def test_photos_of_a_submission_that_is_rolled_back_leave_no_file(db_session):
    proposal = factories.open_proposal()
    db_session.commit()
    before = stored_names("proposals")
    images.attach_images(proposal, images.check_uploads([picture().getvalue(), picture("JPEG").getvalue()]))
    assert len(stored_names("proposals") - before) == 2
    db_session.rollback()
    assert stored_names("proposals") == before
