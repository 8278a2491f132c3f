"""Uploaded pictures (proposal photos, poll option images). Every upload is opened with Pillow, must be a
JPEG, PNG or WebP picture within the limits, and is re-encoded: metadata and anything smuggled after the
pixels are dropped. Files live under instance/uploads/<part>/ — outside the code tree, named at random, and
served only with the content type recorded when they were stored."""

import secrets
import warnings
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session

from participation.core.errors import ValidationError
from participation.extensions import db

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
LONGEST_SIDE = 2000
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
# The session's files written for rows not yet committed (Session.info key).
UNCOMMITTED = "participation_uncommitted_images"


@dataclass
class CheckedImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def upload_dir(part: str) -> Path:
    path = Path(current_app.instance_path) / "uploads" / part
    path.mkdir(parents=True, exist_ok=True)
    return path


def check_image(raw: bytes, field: str = "images") -> CheckedImage:
    """Open, verify and re-encode one image; raise ValidationError({field: ...}) when it is not one."""
    if len(raw) > MAX_BYTES:
        raise ValidationError({field: _l("이미지는 한 장에 %(mb)dMB 이하여야 합니다.", mb=MAX_BYTES // 2**20)})
    not_an_image = ValidationError({field: _l("JPEG, PNG, WebP 이미지만 올릴 수 있습니다.")})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(raw))
            if image.format not in ACCEPTED_FORMATS:
                raise not_an_image
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError({field: _l("이미지의 가로×세로 크기가 너무 큽니다.")})
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise not_an_image from None
    keep_png = image.format == "PNG"
    image = ImageOps.exif_transpose(image)
    image.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    output = BytesIO()
    if keep_png:
        image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
        image.save(output, "PNG", optimize=True)
        content_type, extension = "image/png", "png"
    else:
        image.convert("RGB").save(output, "JPEG", quality=85, optimize=True)
        content_type, extension = "image/jpeg", "jpg"
    return CheckedImage(output.getvalue(), content_type, extension, image.width, image.height)


def store(part: str, image: CheckedImage) -> str:
    """Write a checked image under a random name in the part's upload folder; return the name. The file is
    written before the row that names it is committed; if that transaction rolls back instead (a refused
    flush, a failed commit), the file is deleted with it."""
    name = f"{secrets.token_hex(16)}.{image.extension}"
    path = upload_dir(part) / name
    path.write_bytes(image.data)
    db.session.info.setdefault(UNCOMMITTED, []).append(path)
    return name


@event.listens_for(Session, "after_commit")
def _keep_committed_files(session) -> None:
    session.info.pop(UNCOMMITTED, None)


@event.listens_for(Session, "after_soft_rollback")
def _delete_rolled_back_files(session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint inside it
        for path in session.info.pop(UNCOMMITTED, ()):
            path.unlink(missing_ok=True)
