"""Photos attached to proposals, checked and re-encoded by core.images and stored under
instance/uploads/proposals/."""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from participation.core.errors import ValidationError
from participation.core.images import check_image, store, upload_dir
from participation.extensions import db
from participation.proposals.models import Proposal, ProposalImage

PART = "proposals"
MAX_IMAGES = 5
# Below the request limit (MAX_CONTENT_LENGTH, 12 MB), so that the form comes back with a message.
MAX_TOTAL_BYTES = 10 * 1024 * 1024


def attach_images(proposal: Proposal, uploads: list[bytes]) -> list[ProposalImage]:
    """Check every upload first (nothing is stored if one is bad), then store them all."""
    uploads = [raw for raw in uploads if raw]
    if len(proposal.images) + len(uploads) > MAX_IMAGES:
        raise ValidationError({"images": _l("이미지는 %(max)d장까지 올릴 수 있습니다.", max=MAX_IMAGES)})
    if sum(len(raw) for raw in uploads) > MAX_TOTAL_BYTES:
        raise ValidationError({"images": _l("이미지는 모두 합쳐 %(mb)dMB 이하여야 합니다.",
                                            mb=MAX_TOTAL_BYTES // 2**20)})
    checked = [check_image(raw) for raw in uploads]
    rows = []
    for item in checked:
        row = ProposalImage(stored_name=store(PART, item), content_type=item.content_type, width=item.width,
                            height=item.height, size=len(item.data))
        proposal.images.append(row)
        rows.append(row)
    db.session.flush()
    return rows


def image_path(image: ProposalImage) -> Path:
    return upload_dir(PART) / image.stored_name
