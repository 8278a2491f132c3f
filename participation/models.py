"""Every table, imported in one place so that Alembic sees the whole schema."""

from participation.accounts.models import ApiToken, ProfileValue, User, UserRole, VerifiedIdentity  # noqa: F401
from participation.budgets import models as budgets  # noqa: F401
from participation.core.appeals import Appeal  # noqa: F401
from participation.core.audit import AuditEntry  # noqa: F401
from participation.core.mail import OutboxMail  # noqa: F401
from participation.core.networks import Burst  # noqa: F401
from participation.core.notifications import Notification  # noqa: F401
from participation.core.reports import Report  # noqa: F401
from participation.core.settings import SettingChange  # noqa: F401
from participation.core.storage import StoredFile  # noqa: F401
from participation.forums import models as forums  # noqa: F401
from participation.indicators import models as indicators  # noqa: F401
from participation.petitions import models as petitions  # noqa: F401
from participation.polls import models as polls  # noqa: F401
from participation.proposals import models as proposals  # noqa: F401
from participation.surveys import models as surveys  # noqa: F401
