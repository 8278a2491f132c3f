"""Photos of budget projects: attached with the proposal through the shared storage, checked as proposal photos are
(JPEG, PNG, WebP only, re-encoded, at most five and 10 MB together: a bad file refuses the whole form and writes
nothing), served with the content type they were stored with, removed by the proposer before the assessment or
by staff with an audited reason."""

from io import BytesIO

from PIL import Image
from sqlalchemy import func, select

from participation.budgets import images
from participation.budgets.models import BudgetProject, BudgetProjectImage
from participation.core import storage
from participation.core.audit import history
from participation.core.images import MAX_IMAGES
from participation.extensions import db
from tests.conftest import csrf_token, login, stored_names
from tests.factories import BudgetProcessFactory, UserFactory, staff
from tests.proposals.test_pages import picture


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def propose(client, process, photos) -> object:
    return client.post(f"/budgets/{process.id}/propose", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, f"/budgets/{process.id}/propose"), "title": "망원동 골목길 LED 보안등",
        "description": "어두운 골목 40곳에 보안등을 설치합니다.", "cost": "80000000", "category": "",
        "district": "마포구", "place": "망원1동", "images": photos})


def test_a_citizen_proposes_a_project_with_photos_that_everyone_sees(client, storage_backend):
    process = BudgetProcessFactory(state="proposing")
    login(client, UserFactory(district="마포구"))
    response = propose(client, process, [(picture(), "골목.png"), (picture("JPEG", (3000, 2000)), "밤.jpg")])
    assert response.status_code == 303
    project = db.session.scalars(select(BudgetProject)).one()
    first, second = project.images
    assert (first.content_type, second.content_type) == ("image/png", "image/jpeg")
    assert (second.width, second.height) == (2000, 1333)  # re-encoded within 2000 px
    assert storage.exists(images.image_key(first)) and storage.exists(images.image_key(second))
    page = client.get(f"/budgets/{process.id}/projects/{project.id}").get_data(as_text=True)
    assert f'src="/budgets/images/{first.id}"' in page and "망원동 골목길 LED 보안등 사진 2" in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    served = client.get(f"/budgets/images/{second.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert Image.open(BytesIO(served.data)).size == (2000, 1333)
    listed = client.get(f"/api/v1/budgets/{process.id}/projects/{project.id}").json
    assert [url.rsplit("/", 1)[1] for url in listed["images"]] == [str(first.id), str(second.id)]


def test_a_bad_file_refuses_the_whole_proposal_and_writes_nothing(client):
    process = BudgetProcessFactory(state="proposing")
    login(client, UserFactory(district="마포구"))
    for photos, message in (
            ([(picture(), "a.png"), (BytesIO(b"%PDF-1.4 not a picture"), "b.png")], "JPEG, PNG, WebP 이미지만"),
            ([(picture(), f"{number}.png") for number in range(MAX_IMAGES + 1)], "5장까지"),
            ([(picture("TIFF"), "c.tiff")], "JPEG, PNG, WebP 이미지만")):
        response = propose(client, process, photos)
        assert response.status_code == 422 and message in response.get_data(as_text=True)
        assert (count(BudgetProject), count(BudgetProjectImage), stored_names("budgets")) == (0, 0, set())


def test_the_proposer_removes_a_photo_before_the_assessment_and_staff_with_a_reason(client):
    process = BudgetProcessFactory(state="proposing")
    author = UserFactory(district="마포구")
    login(client, author)
    assert propose(client, process, [(picture(), "1.png"), (picture(), "2.png")]).status_code == 303
    project = db.session.scalars(select(BudgetProject)).one()
    first, second = project.images
    first_id, first_key = first.id, images.image_key(first)
    page_url = f"/budgets/{process.id}/projects/{project.id}"
    remove = f"{page_url}/images/{first_id}/remove"
    assert client.post(remove).status_code == 400  # no CSRF token
    assert client.post(remove, data={"csrf_token": csrf_token(client, page_url)}).status_code == 303
    assert count(BudgetProjectImage) == 1 and not storage.exists(first_key)
    assert history("budget_project", project.id)[-1].action == f"image_removed:{first_id}"
    assert client.get(f"/budgets/images/{first_id}").status_code == 404

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, UserFactory(district="마포구"))  # another citizen: not theirs
    second_remove = f"{page_url}/images/{second.id}/remove"
    assert client.post(second_remove, data={"csrf_token": csrf_token(client, page_url)}).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, staff())
    refused = client.post(second_remove, data={"csrf_token": csrf_token(client, page_url)}, follow_redirects=True)
    assert refused.status_code == 422 and count(BudgetProjectImage) == 1
    done = client.post(second_remove, data={"csrf_token": csrf_token(client, page_url),
                                            "reason": "개인 정보가 보이는 사진"})
    assert done.status_code == 303 and count(BudgetProjectImage) == 0
    assert history("budget_project", project.id)[-1].reason == "개인 정보가 보이는 사진"


def test_a_drafts_photos_are_not_public(client):
    process = BudgetProcessFactory(state="draft")
    project_owner = staff()
    login(client, project_owner)
    assert propose(client, process, [(picture(), "1.png")]).status_code == 303
    image_id = db.session.scalar(select(BudgetProjectImage.id))
    response = client.get(f"/budgets/images/{image_id}")
    assert response.status_code == 200 and "private" in response.headers["Cache-Control"]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get(f"/budgets/images/{image_id}").status_code == 404
