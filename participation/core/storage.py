"""Shared storage for every uploaded or staged file — proposal photos, poll option images, forum attachments and
the national-portal import's staged export — so that any web process or worker, on any machine, reads what
another one wrote. Nothing is kept on a local disk.

Two backends, chosen by STORAGE_URL:

- **the database** (default): one `stored_file` row per file (PostgreSQL `bytea`, SQLite BLOB), written in the
  request's own transaction, so a rollback takes the file with it and a database backup holds everything.
  Read back in chunks of CHUNK bytes (`substr`), so a 20 MB attachment is never one read.
- **S3-compatible object storage** (`s3://bucket/prefix`, through boto3). Credentials, region and a non-AWS
  endpoint come from boto3's own environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
  `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL_S3`). An object is written at once; when the transaction that
  names it rolls back, it is deleted, and an object whose row is removed is deleted only once that removal
  has committed.

A file is named by a key `<part>/<random name>` (`proposals/3f…9a.jpg`); the item's row keeps the random name.
"""

import hashlib
import logging
import mimetypes
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from flask import Response, current_app, request, stream_with_context
from sqlalchemy import LargeBinary, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from participation.core.database import after_commit, after_rollback
from participation.core.errors import NotFound
from participation.core.models import Base
from participation.core.time import utcnow
from participation.extensions import db

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024


class StoredFile(Base):
    """A file in the database backend. The bytes are read through `substr`, never with the row."""

    __tablename__ = "stored_file"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    etag: Mapped[str] = mapped_column(String(64))  # SHA-256 of the bytes
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


@dataclass
class Opened:
    """A stored file ready to be sent: its facts and its bytes as an iterator of chunks."""

    size: int
    content_type: str
    etag: str
    modified: datetime
    chunks: Iterator[bytes]
    close: Callable[[], None] = lambda: None

    def read(self) -> bytes:
        return b"".join(self.chunks)


class DatabaseStorage:
    name = "database"

    def save(self, key: str, data: bytes, content_type: str) -> None:
        db.session.add(StoredFile(key=key, content_type=content_type, size=len(data),
                                  etag=hashlib.sha256(data).hexdigest(), data=data))
        db.session.flush()

    def delete(self, key: str) -> None:
        db.session.execute(sa.delete(StoredFile).where(StoredFile.key == key))

    def open(self, key: str) -> Opened | None:
        # The facts and the first chunk in one statement: a photo is one round trip.
        row = db.session.execute(
            select(StoredFile.size, StoredFile.content_type, StoredFile.etag, StoredFile.created_at,
                   func.substr(StoredFile.data, 1, CHUNK)).where(StoredFile.key == key)).one_or_none()
        if row is None:
            return None
        size, content_type, etag, created_at, first = row

        def chunks():
            yield bytes(first)
            for start in range(CHUNK, size, CHUNK):
                yield bytes(db.session.scalar(select(func.substr(StoredFile.data, start + 1, CHUNK))
                                              .where(StoredFile.key == key)))

        return Opened(size, content_type, etag, created_at, chunks())

    def exists(self, key: str) -> bool:
        return db.session.scalar(select(StoredFile.key).where(StoredFile.key == key)) is not None

    def remove_older_than(self, prefix: str, age: timedelta) -> int:
        result = db.session.execute(sa.delete(StoredFile).where(StoredFile.key.startswith(prefix, autoescape=True),
                                                             StoredFile.created_at < utcnow() - age))
        return result.rowcount


class S3Storage:
    name = "s3"

    def __init__(self, url: str):
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not bucket:
            raise ValueError(f"STORAGE_URL names no bucket: {url!r} (expected s3://bucket/prefix)")
        self.bucket, self.prefix = bucket, prefix.strip("/") + "/" if prefix.strip("/") else ""

    @cached_property
    def client(self):
        import boto3
        from botocore.config import Config

        # One client per process (boto3 clients are thread-safe), with a pool for gunicorn's threads.
        config = Config(max_pool_connections=20, retries={"mode": "standard"})
        return boto3.session.Session().client("s3", config=config)

    def _name(self, key: str) -> str:
        return self.prefix + key

    def save(self, key: str, data: bytes, content_type: str) -> None:
        if db.session().get_transaction() is None:  # so that a rollback, even before any statement, removes the object
            db.session.begin()
        self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data, ContentType=content_type)
        after_rollback(self.delete_now, [key])  # the row that names it will never exist

    def delete(self, key: str) -> None:
        after_commit(self.delete_now, [key])  # only once the row that named it is gone for good

    def delete_now(self, keys: list[str]) -> None:
        """Delete these objects now. A failure is logged, not raised: the rows that named them are gone
        already (or were never committed), so an object left behind costs space, not correctness."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            for start in range(0, len(keys), 1000):
                self.client.delete_objects(Bucket=self.bucket, Delete={
                    "Objects": [{"Key": self._name(key)} for key in keys[start:start + 1000]], "Quiet": True})
        except (BotoCoreError, ClientError) as error:
            log.warning("could not delete %d stored objects: %s", len(keys), error.__class__.__name__)

    def open(self, key: str) -> Opened | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except self.client.exceptions.NoSuchKey:
            return None
        body = answer["Body"]
        return Opened(answer["ContentLength"], answer.get("ContentType", "application/octet-stream"),
                      answer["ETag"].strip('"'), answer["LastModified"], body.iter_chunks(CHUNK), body.close)

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def remove_older_than(self, prefix: str, age: timedelta) -> int:
        cutoff = utcnow() - age
        stale = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                          Prefix=self._name(prefix)):
            stale += [item["Key"][len(self.prefix):] for item in page.get("Contents", ())
                      if item["LastModified"] < cutoff]
        self.delete_now(stale)
        return len(stale)


def storage() -> DatabaseStorage | S3Storage:
    """The app's storage backend (one per app and process)."""
    app = current_app._get_current_object()
    backend = app.extensions.get("participation_storage")
    if backend is None:
        url = app.config.get("STORAGE_URL")
        backend = S3Storage(url) if url else DatabaseStorage()
        app.extensions["participation_storage"] = backend
    return backend


def save(key: str, data: bytes, content_type: str) -> None:
    """Store a file under `key` as part of the current transaction (a rollback removes it)."""
    storage().save(key, data, content_type)


def delete(key: str) -> None:
    """Remove the file once the current transaction commits (with it, on the database backend)."""
    storage().delete(key)


def read(key: str) -> bytes | None:
    opened = storage().open(key)
    return None if opened is None else opened.read()


def exists(key: str) -> bool:
    return storage().exists(key)


def remove_older_than(prefix: str, age: timedelta) -> int:
    """Delete the files under `prefix` stored more than `age` ago; how many. The caller commits."""
    return storage().remove_older_than(prefix, age)


def send(key: str, content_type: str, *, max_age: int = 0, private: bool = False,
         download_name: str | None = None) -> Response:
    """The stored file as a response, as Flask's `send_file(..., conditional=True)` answers for a file on disk:
    ETag and Last-Modified (a match is a 304), byte ranges, the content type recorded in the caller's row
    (never guessed), `Cache-Control` public for `max_age` seconds or, with `private`, private and no-cache;
    `attachment` under `download_name` (RFC 5987 for a Korean name), else `inline`. Missing: a 404."""
    opened = storage().open(key)
    if opened is None:
        raise NotFound()
    # A small file is one chunk, read now; a large one streams, the request's context (and session) kept for it.
    body = stream_with_context(opened.chunks) if opened.size > CHUNK else [next(opened.chunks, b"")]
    response = Response(body, mimetype=content_type, direct_passthrough=True)
    response.call_on_close(opened.close)
    response.content_length = opened.size
    response.set_etag(opened.etag)
    response.last_modified = opened.modified
    if private:
        response.cache_control.private = True
        response.cache_control.no_cache = True
    else:
        response.cache_control.public = True
        response.cache_control.max_age = max_age
        response.expires = utcnow() + timedelta(seconds=max_age)
    disposition, names = "inline", {}
    if download_name is not None:
        disposition = "attachment"
        try:
            download_name.encode("ascii")
            names = {"filename": download_name}
        except UnicodeEncodeError:
            simple = unicodedata.normalize("NFKD", download_name).encode("ascii", "ignore").decode("ascii")
            names = {"filename": simple, "filename*": f"UTF-8''{quote(download_name, safe='!#$&+-.^_`|~')}"}
    response.headers.set("Content-Disposition", disposition, **names)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request, accept_ranges=True, complete_length=opened.size)


def move_from_disk(folder: Path) -> tuple[int, int]:
    """Store every file of `folder/<part>/` under the key `<part>/<name>`, committing each before it leaves the
    disk. (files moved, files found stored already and removed from the disk)."""
    moved = already = 0
    parts = sorted(path for path in folder.iterdir() if path.is_dir()) if folder.is_dir() else []
    for part in parts:
        for path in sorted(part.iterdir()):
            if not path.is_file():
                continue
            key = f"{part.name}/{path.name}"
            if exists(key):  # names are random: the same name is the same file, stored by an interrupted run
                already += 1
            else:
                save(key, path.read_bytes(), mimetypes.guess_type(path.name)[0] or "application/octet-stream")
                db.session.commit()
                moved += 1
            path.unlink()
    return moved, already
