import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

import participation.models  # noqa: F401  (every table)
from participation.core.database import include_in_comparison
from participation.extensions import db

config = context.config
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def run_migrations_offline():
    context.configure(url=current_app.config["SQLALCHEMY_DATABASE_URI"], target_metadata=db.metadata,
                      literal_binds=True, render_as_batch=True, compare_type=True,
                      include_object=include_in_comparison)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    with db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=db.metadata, render_as_batch=True,
                          compare_type=True, include_object=include_in_comparison)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
