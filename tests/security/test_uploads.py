"""Uploaded pictures as an attacker would send them (issue #23, items 5 and 6): every file is checked before
anything is written, the pixel cap is 16 Mpx, only the accepted formats' decoders ever see a file, editing a
proposal costs a filing like proposing one, and photos of items that are not public never get a public cache
header."""

from io import BytesIO

import pytest
from PIL import Image, TiffImagePlugin
from sqlalchemy import event, select

from participation.core import images as core_images
from participation.core.errors import ValidationError
from participation.extensions import db
from participation.proposals import images
from participation.proposals.models import ProposalImage
from tests import factories
from tests.conftest import login
from tests.proposals.test_pages import picture, proposal_form
from tests.security.conftest import snapshot


def image_bytes(size, kind: str = "PNG", color=(20, 120, 200)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, color).save(buffer, kind)
    return buffer.getvalue()


def post_edit(client, proposal_id: int, uploads: list, **fields):
    return client.post(f"/proposals/{proposal_id}/edit", content_type="multipart/form-data",
                       data={**proposal_form(client, **fields), "images": uploads})


# --- item 5: limits before decoding -----------------------------------------------------------------------

def test_the_pixel_cap_is_16_megapixels():
    assert core_images.check_image(image_bytes((4000, 4000))).width == core_images.LONGEST_SIDE
    with pytest.raises(ValidationError) as refused:
        core_images.check_image(image_bytes((4001, 4000)))
    assert "가로×세로" in str(refused.value.fields["images"])
    # A 40 Mpx picture (what the old cap let through) is refused before its pixels are decoded.
    with pytest.raises(ValidationError):
        core_images.check_image(image_bytes((8000, 5000)))


def test_only_the_accepted_formats_decoders_open_a_file(monkeypatch):
    """A TIFF (Pillow reads it, the platform does not accept it) never reaches the TIFF decoder: the formats are
    restricted when the file is opened, not checked after Pillow has parsed it."""
    opened = []
    original = TiffImagePlugin.TiffImageFile._open

    def spy(self):
        opened.append("tiff")
        return original(self)

    monkeypatch.setattr(TiffImagePlugin.TiffImageFile, "_open", spy)
    with pytest.raises(ValidationError) as refused:
        core_images.check_image(image_bytes((10, 10), "TIFF"))
    assert "JPEG, PNG, WebP" in str(refused.value.fields["images"])
    assert opened == []


def test_editing_a_proposal_costs_a_filing(app, client, db_session):
    proposal = factories.ProposalFactory(author=factories.UserFactory())
    login(client, proposal.author)
    saved = app.config["FILING_LIMITS"]
    app.config["FILING_LIMITS"] = "2 per hour"
    try:
        statuses = [post_edit(client, proposal.id, [], title=f"버스 정류장 온열 의자 {number}").status_code
                    for number in range(3)]
    finally:
        app.config["FILING_LIMITS"] = saved
    assert statuses == [303, 303, 429]


def test_every_file_is_checked_before_any_database_write(app, client, db_session, monkeypatch):
    """The edit with one good and one bad photo: the bad one is found before a single INSERT/UPDATE runs (the old
    order saved the edited text and its audit row first, then decoded the pictures), and nothing stays."""
    proposal = factories.ProposalFactory(author=factories.UserFactory(), title="원래 제목")
    login(client, proposal.author)
    writes, seen_at_check = [], []

    def record(_connection, _cursor, statement, *_args):
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(statement.split("\n", 1)[0][:60])

    original = core_images.check_image

    def checking(raw, field="images"):
        seen_at_check.append(list(writes))
        return original(raw, field)

    monkeypatch.setattr(core_images, "check_image", checking)
    db_session.commit()
    before = snapshot()
    engine = db.session.get_bind().engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        uploads = [(picture(), "좋은.png"), (BytesIO(b"GIF89a" + b"\0" * 64), "나쁜.png")]
        response = post_edit(client, proposal.id, uploads, title="바뀐 제목")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 422
    assert seen_at_check and all(seen == [] for seen in seen_at_check), seen_at_check
    db_session.remove()
    assert snapshot() == before


def test_too_many_photos_are_refused_before_any_is_decoded(app, client, db_session, monkeypatch):
    proposal = factories.ProposalFactory(author=factories.UserFactory())
    login(client, proposal.author)
    decoded = []
    monkeypatch.setattr(core_images, "check_image", lambda raw, field="images": decoded.append(raw))
    response = post_edit(client, proposal.id,
                         [(picture(), f"{number}.png") for number in range(core_images.MAX_IMAGES + 1)])
    assert response.status_code == 422 and "5장까지" in response.get_data(as_text=True)
    assert decoded == []


# --- item 6: cache headers of photos ------------------------------------------------------------------------

def photo_of(proposal) -> int:
    from participation.core import storage

    row = ProposalImage(proposal_id=proposal.id, stored_name=f"cache-{proposal.id}.png", content_type="image/png",
                        width=1, height=1, size=1)
    db.session.add(row)
    db.session.flush()
    storage.save(images.image_key(row), image_bytes((1, 1)), "image/png")
    return row.id


@pytest.mark.parametrize("state", ["pending", "hidden", "rejected"])
def test_photos_of_items_that_are_not_public_are_never_publicly_cacheable(app, db_session, redis, state):
    from tests.security.conftest import web_client

    author, moderator = factories.UserFactory(), factories.moderator()
    proposal = factories.ProposalFactory(author=author, state=state)
    image_id = photo_of(proposal)
    viewers = [moderator.id] + ([author.id] if state == "pending" else [])
    db_session.commit()
    for viewer in viewers:
        response = web_client(app, viewer).get(f"/proposals/images/{image_id}")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "private, no-cache", (viewer, response.headers)
    assert app.test_client().get(f"/proposals/images/{image_id}").status_code == 404


def test_photos_of_public_items_are_cacheable_for_a_short_time(app, db_session, redis):
    proposal = factories.open_proposal(author=factories.UserFactory())
    image_id = photo_of(proposal)
    db_session.commit()
    response = app.test_client().get(f"/proposals/images/{image_id}")
    assert response.status_code == 200
    # A photo a moderator removes, or of a proposal hidden later, leaves shared caches within a minute.
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["Content-Disposition"] == "inline"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert db.session.scalar(select(ProposalImage.id).where(ProposalImage.id == image_id)) == image_id
