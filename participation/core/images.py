"""Uploaded pictures (proposal photos, poll option images). Every upload is opened with Pillow's JPEG, PNG and
WebP decoders only (no other decoder ever parses an upload), must be within the limits before its pixels are
decoded, and is re-encoded: metadata and anything smuggled after the pixels are dropped. Decoding runs outside
SQLite's write lock and before the request writes anything (`check_images`). Files live in the shared storage
(core/storage.py) under `<part>/<random name>`, and are served only with the content type recorded when they
were stored, cacheable by shared caches only while the item they belong to is public."""

import secrets
import warnings
from dataclasses import dataclass
from io import BytesIO

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from participation.core import storage
from participation.core.database import without_write_lock
from participation.core.errors import ValidationError
from participation.extensions import db

MAX_BYTES = 5 * 1024 * 1024
# Photos of one item (a proposal, a budget project), and all of one request's together: below the request limit
# (MAX_CONTENT_LENGTH, 12 MB), so that the form comes back with a message.
MAX_IMAGES = 5
MAX_TOTAL_BYTES = 10 * 1024 * 1024
# 16 Mpx: a phone's photo (4000 × 4000, 4608 × 3456); decoding one costs 48 MB of RGB and tens of milliseconds.
MAX_PIXELS = 16_000_000
LONGEST_SIDE = 2000
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
# Seconds a shared cache may keep a picture of a public item: a photo a moderator removes, or of an item hidden
# later, is gone from caches within this time (then revalidated: 304 while unchanged).
PUBLIC_MAX_AGE = 60


@dataclass
class CheckedImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def check_uploads(uploads: list[bytes], already: int = 0) -> list[CheckedImage]:
    """Check an item's photo uploads — how many (with the `already` attached), how large, then each picture —
    before the request writes anything (a bad file refuses the whole form, and nothing was saved meanwhile). The
    counts come first: nothing is decoded from a request that is refused anyway."""
    uploads = [raw for raw in uploads if raw]
    check_count(already + len(uploads))
    if sum(len(raw) for raw in uploads) > MAX_TOTAL_BYTES:
        raise ValidationError({"images": _l("이미지는 모두 합쳐 %(mb)dMB 이하여야 합니다.",
                                            mb=MAX_TOTAL_BYTES // 2**20)})
    return check_images(uploads)


def check_count(count: int) -> None:
    """At most MAX_IMAGES photos on one item (checked again when they are attached: the item was read anew)."""
    if count > MAX_IMAGES:
        raise ValidationError({"images": _l("이미지는 %(max)d장까지 올릴 수 있습니다.", max=MAX_IMAGES)})


def check_images(uploads: list[bytes], field: str = "images") -> list[CheckedImage]:
    """Check every upload (all of them, before anything is stored or written), outside SQLite's write lock: call
    it before the request's first write."""
    for raw in uploads:
        if len(raw) > MAX_BYTES:
            raise ValidationError({field: _l("이미지는 한 장에 %(mb)dMB 이하여야 합니다.", mb=MAX_BYTES // 2**20)})
    if not uploads:
        return []
    return without_write_lock(lambda: [check_image(raw, field) for raw in uploads])


def check_image(raw: bytes, field: str = "images") -> CheckedImage:
    """Open, verify and re-encode one image; raise ValidationError({field: ...}) when it is not one."""
    if len(raw) > MAX_BYTES:
        raise ValidationError({field: _l("이미지는 한 장에 %(mb)dMB 이하여야 합니다.", mb=MAX_BYTES // 2**20)})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Only these decoders look at the bytes: Pillow would otherwise try every format it knows.
            image = Image.open(BytesIO(raw), formats=ACCEPTED_FORMATS)
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError({field: _l("이미지의 가로×세로 크기가 너무 큽니다.")})
            # A JPEG is decoded straight at the scale it is kept at (DCT scaling), not at full size.
            image.draft("RGB", (LONGEST_SIDE, LONGEST_SIDE))
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        # Made only when raised: a message reads the reader's language, which may load the signed-in user again
        # (a database read) — not while pictures are decoded outside the write lock.
        raise ValidationError({field: _l("JPEG, PNG, WebP 이미지만 올릴 수 있습니다.")}) from None
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


def attach(images: list, model, part: str, checked: list[CheckedImage]) -> list:
    """Store checked pictures and append them as `model` rows to an item's `images` (the count is checked again:
    the item was read anew); flushes. Proposals and budget projects keep their photos this way."""
    check_count(len(images) + len(checked))
    rows = []
    for item in checked:
        row = model(stored_name=store(part, item), content_type=item.content_type, width=item.width,
                    height=item.height, size=len(item.data))
        images.append(row)
        rows.append(row)
    db.session.flush()
    return rows


def store(part: str, image: CheckedImage) -> str:
    """Store a checked image under a random name in the part's folder of the shared storage; return the name.
    It is stored in the transaction of the row that names it: if that rolls back, the image goes with it."""
    name = f"{secrets.token_hex(16)}.{image.extension}"
    storage.save(f"{part}/{name}", image.data, image.content_type)
    return name

