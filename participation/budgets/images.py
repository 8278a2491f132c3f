"""Photos of budget projects (optional, with the proposal), checked and re-encoded by core.images exactly as
proposal photos are, and kept in the shared storage (core/storage.py) under budgets/<random name>.

The proposer attaches them when proposing (and may remove one while the project waits for its assessment);
staff remove any (an abusive or wrong picture), with a reason that is audited."""

from flask_babel import lazy_gettext as _l

from participation.budgets.models import BudgetProject, BudgetProjectImage, ProcessState, ProjectStatus
from participation.budgets.services import PROJECT_SUBJECT
from participation.core import storage
from participation.core.audit import audit
from participation.core.errors import Conflict, NotFound, ValidationError
from participation.core.images import CheckedImage, attach, check_uploads
from participation.core.input import clean_text
from participation.core.lifecycle import REASON_MAX
from participation.core.permissions import Role, require_user
from participation.extensions import db

PART = "budgets"


def check_project_uploads(uploads: list[bytes], project: BudgetProject | None = None) -> list[CheckedImage]:
    """Check every upload before the request writes anything; `project`: one that has photos already."""
    return check_uploads(uploads, already=len(project.images) if project else 0)


def attach_images(project: BudgetProject, checked: list[CheckedImage]) -> list[BudgetProjectImage]:
    """Store checked pictures and attach them to the project (flushes)."""
    return attach(project.images, BudgetProjectImage, PART, checked)


def image_key(image: BudgetProjectImage) -> str:
    return f"{PART}/{image.stored_name}"


def editable_by_author(project: BudgetProject) -> bool:
    """The proposer may still take a photo off while the project waits for its assessment."""
    return project.status == ProjectStatus.proposed and project.process.state in (
        ProcessState.draft, ProcessState.proposing, ProcessState.reviewing)


def remove_image(image: BudgetProjectImage, actor, reason: str | None = None) -> None:
    """The proposer removes a photo of a project not yet assessed; staff remove any, with a reason. Audited; the
    file goes when the removal commits."""
    require_user(actor)
    project = image.project
    reason = clean_text(reason, "reason", REASON_MAX, required=False) or None
    is_author, is_staff = project.author_id == actor.id, actor.has_role(Role.staff)
    if not is_author and not is_staff:
        raise NotFound(_l("사진을 찾을 수 없습니다."))
    if not (is_author and editable_by_author(project)):
        if not is_staff:
            raise Conflict(_l("검토가 끝난 사업의 사진은 지울 수 없습니다."), code="not_editable")
        if not reason:
            raise ValidationError({"reason": _l("사진을 지우는 사유를 적어 주세요.")})
    audit(actor, PROJECT_SUBJECT, project.id, f"image_removed:{image.id}", reason)
    storage.delete(image_key(image))
    project.images.remove(image)
    db.session.flush()
