"""Photos attached to proposals, checked and re-encoded by core.images and kept in the shared storage under
proposals/<random name>."""

from flask_babel import lazy_gettext as _l

from participation.core import storage
from participation.core.audit import audit
from participation.core.errors import Conflict, NotFound, ValidationError
from participation.core.images import CheckedImage, attach
from participation.core.images import check_uploads as check_photos
from participation.core.input import clean_text
from participation.core.lifecycle import REASON_MAX
from participation.core.permissions import Role, require_user
from participation.extensions import db
from participation.proposals.models import Proposal, ProposalImage, ProposalState
from participation.proposals.services import SUBJECT

PART = "proposals"


def check_uploads(uploads: list[bytes], proposal: Proposal | None = None) -> list[CheckedImage]:
    """Check every upload before the request writes anything (core.images.check_uploads). `proposal`: the one
    being edited, whose photos count too."""
    return check_photos(uploads, already=len(proposal.images) if proposal else 0)


def attach_images(proposal: Proposal, checked: list[CheckedImage]) -> list[ProposalImage]:
    """Store checked pictures and attach them (the count is checked again: the proposal was read anew)."""
    return attach(proposal.images, ProposalImage, PART, checked)


def image_key(image: ProposalImage) -> str:
    return f"{PART}/{image.stored_name}"


def remove_image(image: ProposalImage, actor, reason: str | None = None) -> None:
    """The author removes a photo while the proposal can still be edited (pending); a moderator removes one
    from any proposal (an abusive picture), with a reason. Audited either way; the file goes when the removal
    commits."""
    require_user(actor)
    proposal = image.proposal
    reason = clean_text(reason, "reason", REASON_MAX, required=False) or None
    is_author, is_moderator = proposal.author_id == actor.id, actor.has_role(Role.moderator)
    if not is_author and not is_moderator:
        raise NotFound(_l("사진을 찾을 수 없습니다."))
    if not (is_author and proposal.state == ProposalState.pending):
        if not is_moderator:
            raise Conflict(_l("공개된 제안의 사진은 지울 수 없습니다."), code="not_editable")
        if not reason:
            raise ValidationError({"reason": _l("사진을 지우는 사유를 적어 주세요.")})
    audit(actor, SUBJECT, proposal.id, f"image_removed:{image.id}", reason)
    storage.delete(image_key(image))
    proposal.images.remove(image)
    db.session.flush()
