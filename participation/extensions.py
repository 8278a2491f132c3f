"""The Flask extensions, created once and bound to the app in create_app()."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from participation.api.schemas import ErrorSchema
from participation.core.models import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


class ParticipationApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        # participation/main/errors.py registers the one handler for pages and the API alike.
        pass


api = ParticipationApi()
