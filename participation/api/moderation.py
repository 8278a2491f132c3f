"""The reason category of a moderation act, in the API as in the web workspace's form (kept apart from
api.schemas, which the extensions import: core.forms reaches them)."""

import marshmallow as ma

from participation.core.forms import MODERATION_REASONS


def reason_code_field() -> ma.fields.String:
    """A moderator's reason category when rejecting or hiding, as the web form's list offers them: the public
    moderation log shows it (core/moderation_log.py); without one the log says no category was given."""
    return ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.OneOf(list(MODERATION_REASONS)),
                            metadata={"enum": list(MODERATION_REASONS),
                                      "description": "for `rejected` and `hidden`: the reason's category, shown in "
                                                     "the public moderation log"})
