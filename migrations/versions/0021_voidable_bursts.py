"""voidable bursts: a keyed network hash beside signatures and supports, and the bursts staff void

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

import participation.core.models

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

ROW_TABLES = ("petition_signature", "proposal_support")


def upgrade():
    op.create_table('participation_burst',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('network', sa.String(length=50), nullable=False),
    sa.Column('window_start', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('window_end', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('matched', sa.Integer(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('voided_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('voided_count', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['opened_by_id'], ['user.id'], name=op.f('fk_participation_burst_opened_by_id_user'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_burst'))
    )
    with op.batch_alter_table('participation_burst', schema=None) as batch_op:
        batch_op.create_index('ix_participation_burst_item', ['channel', 'item_id', 'voided_at'], unique=False)
    for table in ROW_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('network_hash', sa.String(length=64), nullable=True))
            batch_op.add_column(sa.Column('void_id', sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_void_id'), ['void_id'], unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_void_id_participation_burst'),
                                        'participation_burst', ['void_id'], ['id'], ondelete='SET NULL')


def downgrade():
    for table in ROW_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_void_id_participation_burst'), type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_void_id'))
            batch_op.drop_column('void_id')
            batch_op.drop_column('network_hash')
    with op.batch_alter_table('participation_burst', schema=None) as batch_op:
        batch_op.drop_index('ix_participation_burst_item')
    op.drop_table('participation_burst')
