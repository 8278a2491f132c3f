"""sealed ballots: per-poll public keys, sealed ballots, receipts apart from ballots, the day of a vote only

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    dialect = op.get_bind().dialect.name
    op.add_column('poll', sa.Column('public_key', sa.LargeBinary(length=32), nullable=True))
    op.add_column('poll', sa.Column('mixed_batches', sa.Integer(), server_default='0', nullable=False))
    op.add_column('poll', sa.Column('invalid_ballots', sa.Integer(), server_default='0', nullable=False))
    op.add_column('poll', sa.Column('key_problem', sa.String(length=20), nullable=True))
    op.add_column('poll', sa.Column('bulletin_batch', sa.Integer(), server_default='0', nullable=False))
    # Natively, not by batch mode: rebuilding `poll` on SQLite would drop it, and with foreign keys on that
    # deletes every row that refers to it. (The ballots are written by the worker now: nothing to rewrite.)
    op.execute("ALTER TABLE poll DROP COLUMN ballots_rewritten_at")

    op.create_table('poll_sealed_ballot',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('ciphertext', sa.LargeBinary(), nullable=False),
    sa.Column('problem', sa.String(length=20), nullable=True),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_poll_sealed_ballot_poll_id_poll'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_sealed_ballot')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('poll_sealed_ballot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_sealed_ballot_poll_id'), ['poll_id'], unique=False)

    op.create_table('poll_receipt',
    sa.Column('receipt_hash', sa.String(length=64), nullable=False),
    sa.Column('batch', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_poll_receipt_poll_id_poll'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('receipt_hash', 'poll_id', name=op.f('pk_poll_receipt')),
    sqlite_with_rowid=False
    )

    # Ballots cast before this revision were stored in the clear: their receipts become the poll's batch 1,
    # in hash order, and leave the ballot table (no receipt-to-choice link any more).
    op.execute("INSERT INTO poll_receipt (receipt_hash, batch, poll_id) "
               "SELECT receipt_hash, 1, poll_id FROM poll_ballot ORDER BY receipt_hash")
    op.execute("UPDATE poll SET mixed_batches = 1, bulletin_batch = 1 WHERE id IN (SELECT poll_id FROM poll_ballot)")
    # An open poll's digest may cover fewer receipts than it has: the next bulletin computes it again.
    op.execute("UPDATE poll SET tally_digest = NULL, tally_digest_count = NULL WHERE state = 'open'")
    if dialect == "postgresql":
        op.execute("ALTER TABLE poll_ballot DROP COLUMN receipt_hash")  # its unique key and index go with it
        op.create_index('ix_poll_ballot_poll_id', 'poll_ballot', ['poll_id'], unique=False)
        op.execute("UPDATE poll_participation SET created_at = "
                   "date_trunc('day', created_at AT TIME ZONE 'Asia/Seoul') AT TIME ZONE 'Asia/Seoul'")
    else:
        rebuild_sqlite_ballot_tables()
        # Stored as naive UTC text: 00:00 KST (UTC+9, no summer time) of the same KST day.
        op.execute("UPDATE poll_participation SET created_at = "
                   "strftime('%Y-%m-%d %H:%M:%S', date(created_at, '+9 hours'), '-9 hours') || '.000000'")


def rebuild_sqlite_ballot_tables():
    """SQLite cannot drop a column that a UNIQUE constraint names: build both ballot tables again (the choices
    first, so that dropping the ballots cascades to nothing), WITHOUT ROWID as before."""
    op.execute("CREATE TEMPORARY TABLE old_ballot AS SELECT id, poll_id FROM poll_ballot")
    op.execute("CREATE TEMPORARY TABLE old_ballot_choice AS SELECT ballot_id, option_id, poll_id FROM poll_ballot_choice")
    op.drop_index('ix_poll_ballot_choice_poll_id_option_id', table_name='poll_ballot_choice')
    op.drop_table('poll_ballot_choice')
    op.drop_index('ix_poll_ballot_poll_id_receipt_hash', table_name='poll_ballot')
    op.drop_table('poll_ballot')
    create_ballot_tables(with_receipt=False)
    op.execute("INSERT INTO poll_ballot (id, poll_id) SELECT id, poll_id FROM old_ballot ORDER BY id")
    op.execute("INSERT INTO poll_ballot_choice (ballot_id, option_id, poll_id) "
               "SELECT ballot_id, option_id, poll_id FROM old_ballot_choice ORDER BY ballot_id, option_id")
    op.execute("DROP TABLE old_ballot")
    op.execute("DROP TABLE old_ballot_choice")


def create_ballot_tables(with_receipt: bool):
    columns = [sa.Column('id', sa.String(length=32), nullable=False),
               sa.Column('poll_id', sa.Integer(), nullable=False)]
    if with_receipt:
        columns.append(sa.Column('receipt_hash', sa.String(length=64), nullable=False))
    op.create_table('poll_ballot', *columns,
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_poll_ballot_poll_id_poll'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_ballot')),
    *([sa.UniqueConstraint('receipt_hash', name=op.f('uq_poll_ballot_receipt_hash'))] if with_receipt else []),
    sqlite_with_rowid=False
    )
    if with_receipt:
        op.create_index('ix_poll_ballot_poll_id_receipt_hash', 'poll_ballot', ['poll_id', 'receipt_hash'], unique=False)
    else:
        op.create_index('ix_poll_ballot_poll_id', 'poll_ballot', ['poll_id'], unique=False)
    op.create_table('poll_ballot_choice',
    sa.Column('ballot_id', sa.String(length=32), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['poll_ballot.id'], name=op.f('fk_poll_ballot_choice_ballot_id_poll_ballot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['option_id'], ['poll_option.id'], name=op.f('fk_poll_ballot_choice_option_id_poll_option'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_poll_ballot_choice_poll_id_poll'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ballot_id', 'option_id', name=op.f('pk_poll_ballot_choice')),
    sqlite_with_rowid=False
    )
    op.create_index('ix_poll_ballot_choice_poll_id_option_id', 'poll_ballot_choice', ['poll_id', 'option_id'],
                    unique=False)


def downgrade():
    # Sealed ballots that were never opened cannot go back into the clear tables: they are lost on downgrade.
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.drop_index('ix_poll_ballot_poll_id', table_name='poll_ballot')
        op.add_column('poll_ballot', sa.Column('receipt_hash', sa.String(length=64), nullable=True))
        op.execute("UPDATE poll_ballot SET receipt_hash = md5(id) || md5(id || 'r')")
        op.alter_column('poll_ballot', 'receipt_hash', nullable=False)
        op.create_unique_constraint(op.f('uq_poll_ballot_receipt_hash'), 'poll_ballot', ['receipt_hash'])
        op.create_index('ix_poll_ballot_poll_id_receipt_hash', 'poll_ballot', ['poll_id', 'receipt_hash'], unique=False)
    else:
        op.execute("CREATE TEMPORARY TABLE old_ballot AS SELECT id, poll_id FROM poll_ballot")
        op.execute("CREATE TEMPORARY TABLE old_ballot_choice AS "
                   "SELECT ballot_id, option_id, poll_id FROM poll_ballot_choice")
        op.drop_index('ix_poll_ballot_choice_poll_id_option_id', table_name='poll_ballot_choice')
        op.drop_table('poll_ballot_choice')
        op.drop_index('ix_poll_ballot_poll_id', table_name='poll_ballot')
        op.drop_table('poll_ballot')
        create_ballot_tables(with_receipt=True)
        # Receipts no longer belong to ballots: each ballot gets a stand-in (its id, twice) so that it stays unique.
        op.execute("INSERT INTO poll_ballot (id, poll_id, receipt_hash) SELECT id, poll_id, id || id FROM old_ballot")
        op.execute("INSERT INTO poll_ballot_choice (ballot_id, option_id, poll_id) "
                   "SELECT ballot_id, option_id, poll_id FROM old_ballot_choice")
        op.execute("DROP TABLE old_ballot")
        op.execute("DROP TABLE old_ballot_choice")
    op.drop_table('poll_receipt')
    with op.batch_alter_table('poll_sealed_ballot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_sealed_ballot_poll_id'))
    op.drop_table('poll_sealed_ballot')
    op.add_column('poll', sa.Column('ballots_rewritten_at', sa.DateTime(timezone=True), nullable=True))
    for column in ('bulletin_batch', 'key_problem', 'invalid_ballots', 'mixed_batches', 'public_key'):
        op.execute(f"ALTER TABLE poll DROP COLUMN {column}")
