"""The shared storage of uploaded and staged files (core/storage.py), on both backends: the database and S3
(moto's standalone server). Every test runs once per backend: a file is there for every process once its
transaction commits, gone with a rollback, removed only when the removal commits, served like a file on disk
(ETag, 304, ranges, cache headers), and moved in from the old instance/uploads/ folder by the CLI."""

import hashlib
import os
from datetime import timedelta

import pytest

from participation.core import storage
from participation.core.errors import NotFound
from participation.proposals import importer
from tests import factories
from tests.conftest import login
from tests.proposals.test_pages import picture, proposal_form

# Larger than one chunk: the database backend reads it in three statements, S3 streams it.
BIG = bytes(range(256)) * (storage.CHUNK * 5 // 2 // 256)


def test_a_file_is_there_once_committed_and_gone_with_a_rollback(db_session, storage_backend):
    storage.save("proposals/a.png", b"\x89PNG first", "image/png")
    db_session.commit()
    assert storage.read("proposals/a.png") == b"\x89PNG first" and storage.exists("proposals/a.png")

    storage.save("proposals/b.png", b"\x89PNG second", "image/png")
    assert storage.exists("proposals/b.png")
    db_session.rollback()
    assert not storage.exists("proposals/b.png") and storage.read("proposals/b.png") is None
    assert storage.read("proposals/a.png") == b"\x89PNG first"


def test_a_removal_takes_effect_when_it_commits_and_not_on_a_rollback(db_session, storage_backend):
    storage.save("forums/회의록.pdf", b"%PDF-1.7 minutes", "application/pdf")
    db_session.commit()
    storage.delete("forums/회의록.pdf")
    db_session.rollback()
    assert storage.read("forums/회의록.pdf") == b"%PDF-1.7 minutes"

    storage.delete("forums/회의록.pdf")
    db_session.commit()
    assert not storage.exists("forums/회의록.pdf")


def test_a_file_is_served_like_one_on_disk(app, db_session, storage_backend):
    storage.save("forums/big.pdf", BIG, "application/pdf")
    db_session.commit()
    with app.test_request_context("/"):
        response = storage.send("forums/big.pdf", "application/pdf", private=True, download_name="서울 자료.pdf")
        body = b"".join(response.response)
        response.close()
    assert body == BIG and response.status_code == 200
    assert response.headers["Content-Length"] == str(len(BIG))
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\" .pdf\"; filename*=UTF-8''%EC%84%9C%EC%9A%B8%20%EC%9E%90%EB%A3%8C.pdf")
    etag = response.headers["ETag"]

    with app.test_request_context("/", headers={"If-None-Match": etag}):
        assert storage.send("forums/big.pdf", "application/pdf").status_code == 304
    with app.test_request_context("/", headers={"Range": "bytes=100-199"}):
        partial = storage.send("forums/big.pdf", "application/pdf")
        assert partial.status_code == 206 and b"".join(partial.response) == BIG[100:200]
        partial.close()


def test_a_photo_is_public_for_an_hour_and_a_missing_file_is_a_404(app, db_session, storage_backend):
    storage.save("polls/꽃.png", b"\x89PNG pixels", "image/png")
    db_session.commit()
    with app.test_request_context("/"):
        response = storage.send("polls/꽃.png", "image/png", max_age=3600)
        assert b"".join(response.response) == b"\x89PNG pixels"
        with pytest.raises(NotFound):
            storage.send("polls/없는.png", "image/png")
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert response.headers["Content-Disposition"] == "inline" and response.mimetype == "image/png"
    if storage_backend is None:
        digest = hashlib.sha256(b"\x89PNG pixels").hexdigest()
        assert response.headers["ETag"] == f'"{digest}"'


def test_staged_imports_older_than_a_day_are_removed_and_nothing_else(db_session, storage_backend, time_machine):
    staged = importer.stage("제안번호,제목\n1,따릉이\n".encode(), "csv")
    storage.save("proposals/kept.png", b"\x89PNG", "image/png")
    db_session.commit()
    assert importer.remove_stale_uploads() == 0
    time_machine.move_to(storage.utcnow() + importer.STALE_AFTER + timedelta(minutes=5))
    assert importer.remove_stale_uploads() == 1
    db_session.commit()
    assert importer.staged(staged) is None and storage.exists("proposals/kept.png")


def test_a_proposal_photo_goes_through_the_pages(client, storage_backend):
    citizen = factories.UserFactory()
    login(client, citizen)
    response = client.post("/proposals/new", data={**proposal_form(client), "images": [(picture(), "정류장.png")]},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    image_url = page.split('src="/proposals/images/', 1)[1].split('"', 1)[0]
    served = client.get(f"/proposals/images/{image_url}")
    assert served.status_code == 200 and served.mimetype == "image/png" and served.data.startswith(b"\x89PNG")


def test_move_from_disk_stores_every_file_and_empties_the_folder(app, db_session, storage_backend, tmp_path):
    uploads = tmp_path / "uploads"
    (uploads / "proposals").mkdir(parents=True)
    (uploads / "forums").mkdir()
    (uploads / "proposals" / "a1.jpg").write_bytes(b"\xff\xd8\xff photo")
    (uploads / "forums" / "b2.pdf").write_bytes(b"%PDF-1.7 minutes")
    storage.save("forums/c3.pdf", b"%PDF stored by an interrupted run", "application/pdf")
    db_session.commit()
    (uploads / "forums" / "c3.pdf").write_bytes(b"%PDF stored by an interrupted run")

    result = app.test_cli_runner().invoke(args=["storage", "move-from-disk", "--folder", str(uploads)])
    assert result.exit_code == 0, result.output
    assert "moved 2 files" in result.output and "1 were stored already" in result.output
    assert storage.read("proposals/a1.jpg") == b"\xff\xd8\xff photo"
    assert storage.read("forums/b2.pdf") == b"%PDF-1.7 minutes"
    assert [path for path in uploads.rglob("*") if path.is_file()] == []
    assert app.test_cli_runner().invoke(args=["storage", "move-from-disk", "--folder", str(uploads)]).exit_code == 0


def test_files_are_kept_in_the_database_or_under_the_bucket_prefix(db_session, storage_backend, app):
    storage.save("imports/x.csv", b"a,b\n", "text/csv")
    db_session.commit()
    if storage_backend is None:
        row = db_session.get(storage.StoredFile, "imports/x.csv")
        assert (row.size, row.content_type, row.data) == (4, "text/csv", b"a,b\n")
        return
    import boto3

    bucket = storage_backend.removeprefix("s3://").split("/", 1)[0]
    names = [item["Key"] for item in boto3.client("s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert names == ["uploads/imports/x.csv"]
    assert os.environ["AWS_ENDPOINT_URL_S3"].startswith("http://127.0.0.1:")
    assert db_session.get(storage.StoredFile, "imports/x.csv") is None
