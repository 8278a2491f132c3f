"""Domain errors. Services raise them; one handler turns them into the API's JSON error shape or a
flashed message on the web (participation/main/errors.py)."""

from collections.abc import Iterable, Mapping

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    status = 400
    code = "bad_request"
    default_message = _l("요청을 처리할 수 없습니다.")

    def __init__(self, message=None, *, code: str | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        super().__init__(str(self.message))

    def summary(self) -> str:
        """The error in one line, for a flashed message: every field's messages, or else the message."""
        fields = getattr(self, "fields", None)
        return " ".join(message for messages in fields.values() for message in messages) if fields \
            else str(self.message)


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _l("찾을 수 없습니다.")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_message = _l("권한이 없습니다.")


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    default_message = _l("로그인이 필요합니다.")


class Conflict(DomainError):
    """A second signature, vote or response; an item in the wrong state."""

    status = 409
    code = "conflict"
    default_message = _l("이미 처리되었거나 지금 상태에서는 할 수 없습니다.")


class ValidationError(DomainError):
    """Invalid fields: `fields` maps each field name to its messages."""

    status = 422
    code = "invalid"
    default_message = _l("입력값을 확인해 주세요.")

    def __init__(self, fields: Mapping[str, object], message=None):
        # A field's problems: one message (a str or a lazy string) or a list of them.
        self.fields = {name: [str(item) for item in problems] if isinstance(problems, list | tuple)
                       else [str(problems)] for name, problems in fields.items()}
        super().__init__(message)


class Paused(DomainError):
    """The platform-wide pause switch is on (e.g. during an election period)."""

    status = 503
    code = "paused"
    default_message = _l("지금은 서명·투표·응답 접수가 일시 중지되어 있습니다.")


class InvalidTransition(Conflict):
    code = "invalid_transition"

    def __init__(self, current, to, allowed: Iterable):
        self.current, self.to = str(current), str(to)
        self.allowed = sorted(str(state) for state in allowed)
        allowed_text = ", ".join(self.allowed) or "-"
        super().__init__(_l("'%(current)s' 상태에서 '%(to)s'(으)로 바꿀 수 없습니다. 가능한 상태: %(allowed)s",
                            current=self.current, to=self.to, allowed=allowed_text))
