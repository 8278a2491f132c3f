"""Uploaded pictures (proposal photos, poll option images). Every upload is opened with Pillow, must be a
JPEG, PNG or WebP picture within the limits, and is re-encoded: metadata and anything smuggled after the
pixels are dropped. Files live in the shared storage (core/storage.py) under `<part>/<random name>`, and are
served only with the content type recorded when they were stored."""

import secrets
import warnings
from dataclasses import dataclass
from io import BytesIO

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from participation.core import storage
from participation.core.errors import ValidationError

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
LONGEST_SIDE = 2000
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}


@dataclass
class CheckedImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


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
    """Store a checked image under a random name in the part's folder of the shared storage; return the name.
    It is stored in the transaction of the row that names it: if that rolls back, the image goes with it."""
    name = f"{secrets.token_hex(16)}.{image.extension}"
    storage.save(f"{part}/{name}", image.data, image.content_type)
    return name
