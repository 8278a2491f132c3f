"""keyword search indexes (SQLite): FTS5 trigram tables over petition and proposal titles and bodies

Revision ID: 0033
Revises: 0032
"""
from alembic import op

from participation.core.database import SEARCHED_TABLES

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

# What migration 0011's pg_trgm indexes are on PostgreSQL: an index of every three-character substring of the
# title and body, so that the public lists' keyword search (core/search.py) reads the rows that contain a word
# instead of every row. External content (the text stays in the table only), case as typed (LIKE is case-sensitive
# on PostgreSQL). Triggers keep it in step with every insert, delete and change of title or body; a later
# migration that rebuilds one of these tables (batch mode on SQLite) drops its triggers and must create them
# again (the Korean search tests of both lists fail on SQLite if it does not).


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in SEARCHED_TABLES:
        index = f"{table}_search"
        op.execute(f"CREATE VIRTUAL TABLE {index} USING fts5(title, body, content='{table}', content_rowid='id', "
                   "tokenize='trigram case_sensitive 1')")
        op.execute(f"CREATE TRIGGER {index}_insert AFTER INSERT ON {table} BEGIN "
                   f"INSERT INTO {index} (rowid, title, body) VALUES (new.id, new.title, new.body); END")
        op.execute(f"CREATE TRIGGER {index}_delete AFTER DELETE ON {table} BEGIN "
                   f"INSERT INTO {index} ({index}, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); "
                   "END")
        op.execute(f"CREATE TRIGGER {index}_update AFTER UPDATE OF title, body ON {table} BEGIN "
                   f"INSERT INTO {index} ({index}, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); "
                   f"INSERT INTO {index} (rowid, title, body) VALUES (new.id, new.title, new.body); END")
        op.execute(f"INSERT INTO {index} ({index}) VALUES ('rebuild')")


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in SEARCHED_TABLES:
        index = f"{table}_search"
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {index}_{trigger}")
        op.execute(f"DROP TABLE IF EXISTS {index}")
