"""Pictures of poll options: staff add, replace and remove them while a poll is a draft or scheduled; they are
served with their stored type to whoever may see the poll, shown on the vote page and the results, and named
in the API."""

from io import BytesIO

from PIL import Image

from participation.core import storage
from participation.extensions import db
from participation.polls import services
from tests.conftest import csrf_token, login, stored_names
from tests.factories import PollFactory, UserFactory, staff


def picture(color: str = "red", kind: str = "PNG") -> bytes:
    output = BytesIO()
    Image.new("RGB", (64, 48), color).save(output, kind)
    return output.getvalue()


def stored_files() -> set[str]:
    return stored_names("polls")


def upload(client, poll, option, data: bytes, filename: str = "따릉이.png"):
    return client.post(f"/polls/{poll.id}/options/{option.id}/image", content_type="multipart/form-data",
                       data={"image": (BytesIO(data), filename),
                             "csrf_token": csrf_token(client, f"/polls/{poll.id}/manage")})


def test_staff_gives_an_option_a_picture_which_visitors_see_once_the_poll_opens(app, client, db_session):
    officer = staff()
    poll = PollFactory(state="draft", opens_at=None, title="올해의 10대 뉴스", labels=["따릉이 확대", "한강 버스"])
    bike, boat = poll.options
    login(client, officer)

    response = upload(client, poll, bike, picture())
    assert response.status_code == 303
    assert bike.image_name in stored_files() and bike.image_content_type == "image/png"
    image_url = f"/polls/options/{bike.id}/image"
    assert client.get(image_url).headers["Cache-Control"] == "private, no-cache"

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    with app.test_client() as visitor:
        assert visitor.get(image_url).status_code == 404  # a draft is not revealed
        services.transition(poll, "open", officer)
        db_session.commit()
        response = visitor.get(image_url)
        assert response.status_code == 200
        assert response.mimetype == "image/png"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "public" in response.headers["Cache-Control"] and "max-age=3600" in response.headers["Cache-Control"]
        assert Image.open(BytesIO(response.data)).size == (64, 48)

        page = visitor.get(f"/polls/{poll.id}").get_data(as_text=True)
        # The picture sits next to the option's label: its alt is empty, so that readers do not hear it twice.
        assert 'alt="" loading="lazy">따릉이 확대' in page and page.count('class="option-image"') == 1
        options = visitor.get(f"/api/v1/polls/{poll.id}").json["options"]
        assert options[0]["image_url"].startswith(f"http://localhost/polls/options/{bike.id}/image?v=")
        assert options[1]["image_url"] is None
        results = visitor.get(f"/api/v1/polls/{poll.id}/results").json["options"]
        assert [option["image_url"] for option in results] == [options[0]["image_url"], None]
        assert 'alt="" loading="lazy">따릉이 확대' in visitor.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    assert boat.image_name is None


def test_replacing_and_removing_a_picture_deletes_the_old_file(client, db_session):
    poll = PollFactory(state="draft", opens_at=None)
    option = poll.options[0]
    login(client, staff())
    upload(client, poll, option, picture("red"))
    first = option.image_name
    upload(client, poll, option, picture("blue", "JPEG"), "바다.jpg")
    second = option.image_name
    assert second != first and option.image_content_type == "image/jpeg"
    assert second in stored_files() and first not in stored_files()

    response = client.post(f"/polls/{poll.id}/options/{option.id}/image/delete",
                           data={"csrf_token": csrf_token(client, f"/polls/{poll.id}/manage")})
    assert response.status_code == 303
    assert option.image_name is None and option.image_content_type is None
    assert second not in stored_files()
    assert client.get(f"/polls/options/{option.id}/image").status_code == 404


def test_a_file_that_is_not_a_picture_is_refused_and_nothing_is_stored(client, db_session):
    poll = PollFactory(state="draft", opens_at=None)
    option = poll.options[0]
    login(client, staff())
    before = stored_files()
    response = upload(client, poll, option, b"<svg onload=alert(1)>", "그림.png")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "JPEG, PNG, WebP 이미지만 올릴 수 있습니다." in page
    response = client.post(f"/polls/{poll.id}/options/{option.id}/image", content_type="multipart/form-data",
                           data={"csrf_token": csrf_token(client, f"/polls/{poll.id}/manage")})
    assert "이미지 파일을 골라 주세요." in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.refresh(option)
    assert option.image_name is None and stored_files() == before


def test_pictures_are_fixed_once_voting_starts_and_only_staff_change_them(client, db_session):
    poll = PollFactory()  # open
    option = poll.options[0]
    login(client, UserFactory())
    response = client.post(f"/polls/{poll.id}/options/{option.id}/image", content_type="multipart/form-data",
                           data={"image": (BytesIO(picture()), "a.png"), "csrf_token": csrf_token(client, "/polls")})
    assert response.status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, staff())
    response = upload(client, poll, option, picture())
    assert "선택지 이미지는 투표가 준비 중이거나 예약된 동안에만 바꿀 수 있습니다." in client.get(
        response.headers["Location"]).get_data(as_text=True)
    db.session.refresh(option)
    assert option.image_name is None


def test_a_pending_citizen_polls_picture_is_not_shown_to_visitors(client, db_session):
    author = UserFactory()
    poll = PollFactory(state="pending", by_staff=False, author_id=author.id, opens_at=None)
    option = poll.options[0]
    option.image_name, option.image_content_type = "0123456789abcdef0123456789abcdef.png", "image/png"
    storage.save(f"polls/{option.image_name}", picture(), "image/png")
    db_session.commit()
    assert client.get(f"/polls/options/{option.id}/image").status_code == 404
    login(client, author)
    assert client.get(f"/polls/options/{option.id}/image").status_code == 200
    assert client.get("/polls/options/99999999999/image").status_code == 404


def test_a_picture_whose_change_is_rolled_back_leaves_no_file(db_session):
    """The commit after the upload can still fail (the database went away): the new file must not stay behind."""
    from participation.polls import images

    poll = PollFactory(state="draft", opens_at=None)
    officer = staff()
    db_session.commit()
    before = stored_files()
    images.set_image(poll.options[0], picture("green"), officer)
    assert len(stored_files() - before) == 1
    db_session.rollback()
    assert stored_files() == before
