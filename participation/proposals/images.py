"""Images attached to proposals. Every upload is opened with Pillow, must be a JPEG, PNG or WebP picture
within the limits, and is re-encoded (metadata and anything smuggled after the pixels are dropped).
Files live under instance/uploads/proposals/ — outside the code tree, never served as anything but an image."""

import secrets
import warnings
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from participation.core.errors import ValidationError
from participation.extensions import db
from participation.proposals.models import Proposal, ProposalImage

MAX_BYTES = 5 * 1024 * 1024
MAX_IMAGES = 5
# Below the request limit (MAX_CONTENT_LENGTH, 12 MB), so that the form comes back with a message.
MAX_TOTAL_BYTES = 10 * 1024 * 1024
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


def upload_dir() -> Path:
    path = Path(current_app.instance_path) / "uploads" / "proposals"
    path.mkdir(parents=True, exist_ok=True)
    return path


def check_image(raw: bytes) -> CheckedImage:
    """Open, verify and re-encode one image; raise ValidationError({"images": ...}) when it is not one."""
    if len(raw) > MAX_BYTES:
        raise ValidationError({"images": _l("이미지는 한 장에 %(mb)dMB 이하여야 합니다.", mb=MAX_BYTES // 2**20)})
    not_an_image = ValidationError({"images": _l("JPEG, PNG, WebP 이미지만 올릴 수 있습니다.")})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(raw))
            if image.format not in ACCEPTED_FORMATS:
                raise not_an_image
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError({"images": _l("이미지의 가로×세로 크기가 너무 큽니다.")})
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


def attach_images(proposal: Proposal, uploads: list[bytes]) -> list[ProposalImage]:
    """Check every upload first (nothing is stored if one is bad), then store them all."""
    uploads = [raw for raw in uploads if raw]
    if len(proposal.images) + len(uploads) > MAX_IMAGES:
        raise ValidationError({"images": _l("이미지는 %(max)d장까지 올릴 수 있습니다.", max=MAX_IMAGES)})
    if sum(len(raw) for raw in uploads) > MAX_TOTAL_BYTES:
        raise ValidationError({"images": _l("이미지는 모두 합쳐 %(mb)dMB 이하여야 합니다.",
                                            mb=MAX_TOTAL_BYTES // 2**20)})
    checked = [check_image(raw) for raw in uploads]
    directory = upload_dir()
    rows = []
    for item in checked:
        name = f"{secrets.token_hex(16)}.{item.extension}"
        (directory / name).write_bytes(item.data)
        row = ProposalImage(stored_name=name, content_type=item.content_type, width=item.width,
                            height=item.height, size=len(item.data))
        proposal.images.append(row)
        rows.append(row)
    db.session.flush()
    return rows


def image_path(image: ProposalImage) -> Path:
    return upload_dir() / image.stored_name
