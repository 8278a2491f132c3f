"""sealed budget ballots: per-process public keys, sealed ballots, receipts apart from ballots, the day of a vote

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    dialect = op.get_bind().dialect.name
    op.add_column('budget_process', sa.Column('public_key', sa.LargeBinary(length=32), nullable=True))
    op.add_column('budget_process', sa.Column('mixed_batches', sa.Integer(), server_default='0', nullable=False))
    op.add_column('budget_process', sa.Column('invalid_ballots', sa.Integer(), server_default='0', nullable=False))
    op.add_column('budget_process', sa.Column('key_problem', sa.String(length=20), nullable=True))

    op.create_table('budget_sealed_ballot',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('ciphertext', sa.LargeBinary(), nullable=False),
    sa.Column('problem', sa.String(length=20), nullable=True),
    sa.Column('budget_process_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['budget_process_id'], ['budget_process.id'],
                            name=op.f('fk_budget_sealed_ballot_budget_process_id_budget_process'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_sealed_ballot')),
    sqlite_with_rowid=False
    )
    op.create_index(op.f('ix_budget_sealed_ballot_budget_process_id'), 'budget_sealed_ballot', ['budget_process_id'],
                    unique=False)

    op.create_table('budget_receipt',
    sa.Column('receipt_hash', sa.String(length=64), nullable=False),
    sa.Column('batch', sa.Integer(), nullable=False),
    sa.Column('budget_process_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['budget_process_id'], ['budget_process.id'],
                            name=op.f('fk_budget_receipt_budget_process_id_budget_process'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('receipt_hash', 'budget_process_id', name=op.f('pk_budget_receipt')),
    sqlite_with_rowid=False
    )

    # Ballots cast before this revision were stored in the clear, each with its receipt: their receipts become the
    # process's batch 1, in hash order, and leave the ballot table (no receipt-to-choice link any more); the
    # ballots themselves are the opened ballots of batch 1. Both ballot tables are written again below, in the
    # order of their random ids and in this migration's transaction, so that neither a transaction id nor the
    # storage order still pairs an old ballot with its voter's participation row.
    op.execute("INSERT INTO budget_receipt (receipt_hash, batch, budget_process_id) "
               "SELECT receipt_hash, 1, budget_id FROM budget_ballot WHERE receipt_hash IS NOT NULL "
               "ORDER BY receipt_hash")
    op.execute("UPDATE budget_process SET mixed_batches = 1 WHERE id IN (SELECT budget_id FROM budget_ballot)")
    if dialect == "postgresql":
        op.execute("ALTER TABLE budget_ballot DROP COLUMN receipt_hash")  # its unique key and index go with it
        op.create_index('ix_budget_ballot_budget_id', 'budget_ballot', ['budget_id'], unique=False)
        op.execute("UPDATE budget_participation SET created_at = "
                   "date_trunc('day', created_at AT TIME ZONE 'Asia/Seoul') AT TIME ZONE 'Asia/Seoul'")
    else:
        # Stored as naive UTC text: 00:00 KST (UTC+9, no summer time) of the same KST day.
        op.execute("UPDATE budget_participation SET created_at = "
                   "strftime('%Y-%m-%d %H:%M:%S', date(created_at, '+9 hours'), '-9 hours') || '.000000'")
    rebuild_ballot_tables(dialect, with_receipt=False)


def rebuild_ballot_tables(dialect: str, with_receipt: bool):
    """Both ballot tables written again in the order of their random ids. SQLite cannot drop a column that a
    UNIQUE constraint names, so there the tables are built again (the choices first, so that dropping the ballots
    cascades to nothing), WITHOUT ROWID as before; PostgreSQL keeps its tables and rewrites their rows."""
    columns = "id, budget_id" + (", receipt_hash" if with_receipt else "")
    op.execute(f"CREATE TEMPORARY TABLE old_ballot AS SELECT {columns} FROM budget_ballot")
    op.execute("CREATE TEMPORARY TABLE old_ballot_project AS "
               "SELECT ballot_id, project_id, budget_id FROM budget_ballot_project")
    if dialect == "postgresql":
        op.execute("DELETE FROM budget_ballot_project")
        op.execute("DELETE FROM budget_ballot")
    else:
        op.drop_index('ix_budget_ballot_project_budget_id_project_id', table_name='budget_ballot_project')
        op.drop_table('budget_ballot_project')
        op.drop_index('ix_budget_ballot_budget_id_receipt_hash' if not with_receipt else 'ix_budget_ballot_budget_id',
                      table_name='budget_ballot')
        op.drop_table('budget_ballot')
        create_ballot_tables(with_receipt)
    op.execute(f"INSERT INTO budget_ballot ({columns}) SELECT {columns} FROM old_ballot ORDER BY id")
    op.execute("INSERT INTO budget_ballot_project (ballot_id, project_id, budget_id) "
               "SELECT ballot_id, project_id, budget_id FROM old_ballot_project ORDER BY ballot_id, project_id")
    op.execute("DROP TABLE old_ballot")
    op.execute("DROP TABLE old_ballot_project")


def create_ballot_tables(with_receipt: bool):
    columns = [sa.Column('id', sa.String(length=32), nullable=False),
               sa.Column('budget_id', sa.Integer(), nullable=False)]
    if with_receipt:
        columns.append(sa.Column('receipt_hash', sa.String(length=64), nullable=True))
    op.create_table('budget_ballot', *columns,
    sa.ForeignKeyConstraint(['budget_id'], ['budget_process.id'], name=op.f('fk_budget_ballot_budget_id_budget_process'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_ballot')),
    *([sa.UniqueConstraint('receipt_hash', name=op.f('uq_budget_ballot_receipt_hash'))] if with_receipt else []),
    sqlite_with_rowid=False
    )
    if with_receipt:
        op.create_index('ix_budget_ballot_budget_id_receipt_hash', 'budget_ballot', ['budget_id', 'receipt_hash'],
                        unique=False)
    else:
        op.create_index('ix_budget_ballot_budget_id', 'budget_ballot', ['budget_id'], unique=False)
    op.create_table('budget_ballot_project',
    sa.Column('ballot_id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('budget_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['budget_ballot.id'],
                            name=op.f('fk_budget_ballot_project_ballot_id_budget_ballot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['budget_id'], ['budget_process.id'],
                            name=op.f('fk_budget_ballot_project_budget_id_budget_process'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['budget_project.id'],
                            name=op.f('fk_budget_ballot_project_project_id_budget_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ballot_id', 'project_id', name=op.f('pk_budget_ballot_project')),
    sqlite_with_rowid=False
    )
    op.create_index('ix_budget_ballot_project_budget_id_project_id', 'budget_ballot_project',
                    ['budget_id', 'project_id'], unique=False)


def downgrade():
    # Sealed ballots that were never opened cannot go back into the clear tables: they are lost on downgrade, and
    # receipts no longer belong to ballots (the old column is left empty: imported ballots had none either).
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.drop_index('ix_budget_ballot_budget_id', table_name='budget_ballot')
        op.add_column('budget_ballot', sa.Column('receipt_hash', sa.String(length=64), nullable=True))
        op.create_unique_constraint(op.f('uq_budget_ballot_receipt_hash'), 'budget_ballot', ['receipt_hash'])
        op.create_index('ix_budget_ballot_budget_id_receipt_hash', 'budget_ballot', ['budget_id', 'receipt_hash'],
                        unique=False)
    else:
        op.execute("CREATE TEMPORARY TABLE old_ballot AS SELECT id, budget_id FROM budget_ballot")
        op.execute("CREATE TEMPORARY TABLE old_ballot_project AS "
                   "SELECT ballot_id, project_id, budget_id FROM budget_ballot_project")
        op.drop_index('ix_budget_ballot_project_budget_id_project_id', table_name='budget_ballot_project')
        op.drop_table('budget_ballot_project')
        op.drop_index('ix_budget_ballot_budget_id', table_name='budget_ballot')
        op.drop_table('budget_ballot')
        create_ballot_tables(with_receipt=True)
        op.execute("INSERT INTO budget_ballot (id, budget_id) SELECT id, budget_id FROM old_ballot")
        op.execute("INSERT INTO budget_ballot_project (ballot_id, project_id, budget_id) "
                   "SELECT ballot_id, project_id, budget_id FROM old_ballot_project")
        op.execute("DROP TABLE old_ballot")
        op.execute("DROP TABLE old_ballot_project")
    op.drop_table('budget_receipt')
    op.drop_index(op.f('ix_budget_sealed_ballot_budget_process_id'), table_name='budget_sealed_ballot')
    op.drop_table('budget_sealed_ballot')
    for column in ('key_problem', 'invalid_ballots', 'mixed_batches', 'public_key'):
        op.execute(f"ALTER TABLE budget_process DROP COLUMN {column}")
