import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from participation.core.database import include_in_comparison
from participation.extensions import db


def test_migrations_match_the_models(app):
    """`alembic check`: the schema the migrations build is the schema the models describe."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "include_object": include_in_comparison})
        assert compare_metadata(context, db.metadata) == []


def test_schema_has_the_foundation_tables(app):
    with app.app_context():
        names = set(sa.inspect(db.engine).get_table_names())
    assert {"user", "user_role", "api_token", "audit_entry", "setting_change", "outbox_mail", "notification",
            "report", "alembic_version"} <= names
