"""indicators

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa
import participation.core.models


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('indicator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('strategy', sa.String(length=120), nullable=False),
    sa.Column('strategy_ko', sa.String(length=120), nullable=False),
    sa.Column('task', sa.String(length=120), nullable=False),
    sa.Column('task_ko', sa.String(length=120), nullable=False),
    sa.Column('name_ko', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('unit_ko', sa.String(length=20), nullable=False),
    sa.Column('unit_en', sa.String(length=40), nullable=False),
    sa.Column('scale', sa.BigInteger(), nullable=False),
    sa.Column('baseline_2024', sa.BigInteger(), nullable=False),
    sa.Column('target_2027', sa.BigInteger(), nullable=False),
    sa.Column('total_4yr', sa.BigInteger(), nullable=False),
    sa.Column('feed', sa.String(length=60), nullable=False),
    sa.Column('stock_or_flow', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint("feed = 'manual' OR feed LIKE 'auto:%'", name=op.f('ck_indicator_feed')),
    sa.CheckConstraint("stock_or_flow IN ('stock', 'flow')", name=op.f('ck_indicator_stock_or_flow')),
    sa.CheckConstraint('scale > 0', name=op.f('ck_indicator_scale_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator')),
    sa.UniqueConstraint('code', name=op.f('uq_indicator_code'))
    )
    op.create_table('indicator_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('computed_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint("source IN ('auto', 'manual')", name=op.f('ck_indicator_value_source')),
    sa.CheckConstraint('value >= 0', name=op.f('ck_indicator_value_value_not_negative')),
    sa.CheckConstraint('year BETWEEN 2024 AND 2027', name=op.f('ck_indicator_value_year_in_plan')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user.id'], name=op.f('fk_indicator_value_entered_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], name=op.f('fk_indicator_value_indicator_id_indicator'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_value')),
    sa.UniqueConstraint('indicator_id', 'year', name=op.f('uq_indicator_value_indicator_id_year'))
    )
    op.create_table('indicator_value_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('old_value', sa.BigInteger(), nullable=True),
    sa.Column('new_value', sa.BigInteger(), nullable=True),
    sa.Column('old_source', sa.String(length=20), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('changed_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint("source IN ('auto', 'manual')", name=op.f('ck_indicator_value_change_source')),
    sa.CheckConstraint('year BETWEEN 2024 AND 2027', name=op.f('ck_indicator_value_change_year_in_plan')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user.id'], name=op.f('fk_indicator_value_change_changed_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], name=op.f('fk_indicator_value_change_indicator_id_indicator'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_value_change'))
    )
    with op.batch_alter_table('indicator_value_change', schema=None) as batch_op:
        batch_op.create_index('ix_indicator_value_change_indicator_year', ['indicator_id', 'year', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('indicator_value_change', schema=None) as batch_op:
        batch_op.drop_index('ix_indicator_value_change_indicator_year')

    op.drop_table('indicator_value_change')
    op.drop_table('indicator_value')
    op.drop_table('indicator')
