"""서울시 시민참여 플랫폼 — the online participation platform of the Seoul Citizen Participation Basic
Plan 2024–2027."""

import os
from functools import partial
from inspect import iscoroutinefunction
from types import FunctionType

from flask import Flask

from participation.api import ApiAwareRequest
from participation.config import REPOSITORY_ROOT, load_config
from participation.core.routing import IdConverter

CHANNELS = ("petitions", "proposals", "polls", "forums", "surveys", "indicators")


class Participation(Flask):
    """Flask, remembering which functions need no async wrapper. Flask asks `ensure_sync` about every hook, view
    and teardown function on every request (thirteen times for a bare API request here), and each answer costs an
    `inspect` call; a plain function's answer never changes. Bound methods and partials (the extensions' hooks)
    are remembered by their function, so that a method of a new object each request adds nothing to the set."""

    request_class = ApiAwareRequest
    _synchronous: set = set()

    def ensure_sync(self, func):
        plain = func.func if type(func) is partial else getattr(func, "__func__", func)
        if plain in self._synchronous:
            return func
        if type(plain) is FunctionType and not iscoroutinefunction(plain):
            self._synchronous.add(plain)
            return func
        return super().ensure_sync(func)


def create_app(config: dict | None = None) -> Flask:
    app = Participation(__name__, template_folder=str(REPOSITORY_ROOT / "templates"),
                static_folder=str(REPOSITORY_ROOT / "static"),
                instance_path=(config or {}).get("INSTANCE_PATH") or os.environ.get("PARTICIPATION_INSTANCE_PATH")
                or str(REPOSITORY_ROOT / "instance"))
    load_config(app, config)
    # Ids in URLs stay within the database's integer range: /petitions/99999999999999999999 is a 404.
    app.url_map.converters["int"] = IdConverter

    from participation import wiring
    from participation.core import metrics, static
    from participation.core.database import configure_sqlite
    from participation.extensions import api, babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(REPOSITORY_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    wiring.init_babel(app, babel)
    wiring.init_login(app, login_manager)
    wiring.init_limiter(app, limiter)
    api.init_app(app, spec_kwargs={"components": {"securitySchemes": {
        "bearerAuth": {"type": "http", "scheme": "bearer"}}}})
    wiring.register_blueprints(app, api)
    wiring.register_hooks(app)
    static.register(app)
    metrics.register(app)

    from participation.cli import register_commands

    register_commands(app)
    return app
