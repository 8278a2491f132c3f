"""keyword search indexes (PostgreSQL)

Revision ID: 0011
Revises: 0010
"""
from alembic import op

from participation.core.database import POSTGRESQL_ONLY_INDEXES

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    # The public lists' keyword search (`LIKE '%word%'` on title and body) reads trigram indexes instead of every
    # row. SQLite has no such index and keeps scanning, so these are not in the models (see core/database.py).
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")  # a trusted extension: the database owner may create it
    for name, (table, column) in sorted(POSTGRESQL_ONLY_INDEXES.items()):
        op.create_index(name, table, [column], postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, (table, _column) in sorted(POSTGRESQL_ONLY_INDEXES.items()):
        op.drop_index(name, table_name=table)
