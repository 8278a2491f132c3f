"""Pictures of poll options (e.g. a photo for each of the 10대 뉴스), checked and re-encoded by core.images and
kept in the shared storage under polls/<random name>. Staff add, replace or remove them while the poll is a draft
or scheduled; once voting starts the ballot paper is fixed. A replaced or removed picture goes when the change
commits (a rollback keeps the row, and so the picture)."""

from flask_babel import lazy_gettext as _l

from participation.core import storage
from participation.core.audit import audit
from participation.core.errors import Conflict, NotFound
from participation.core.images import check_images, store
from participation.core.permissions import Role, require_role
from participation.extensions import db
from participation.polls.models import Poll, PollOption, PollState

PART = "polls"
EDITABLE_STATES = (PollState.draft, PollState.scheduled)
SUBJECT = "poll"


def image_key(option: PollOption) -> str:
    return f"{PART}/{option.image_name}"


def get_option(poll: Poll, option_id: int) -> PollOption:
    option = next((option for option in poll.options if option.id == option_id), None)
    if option is None:
        raise NotFound()
    return option


def require_editable(poll: Poll, actor) -> None:
    require_role(actor, Role.staff)
    if not poll.by_staff or poll.state not in EDITABLE_STATES:
        raise Conflict(_l("선택지 이미지는 투표가 준비 중이거나 예약된 동안에만 바꿀 수 있습니다."),
                       code="poll_not_editable")


def set_image(option: PollOption, raw: bytes, actor) -> None:
    """Give the option a picture (replacing any). Flushes."""
    require_editable(option.poll, actor)
    (checked,) = check_images([raw], field="image")
    require_editable(option.poll, actor)  # read again after the picture was decoded outside the write lock
    if option.image_name:
        storage.delete(image_key(option))
    option.image_name, option.image_content_type = store(PART, checked), checked.content_type
    audit(actor, SUBJECT, option.poll_id, "option_image_set", f"option {option.id}")
    db.session.flush()


def remove_image(option: PollOption, actor) -> None:
    """Take the option's picture away. Flushes."""
    require_editable(option.poll, actor)
    if option.image_name is None:
        return
    storage.delete(image_key(option))
    option.image_name = option.image_content_type = None
    audit(actor, SUBJECT, option.poll_id, "option_image_removed", f"option {option.id}")
    db.session.flush()
