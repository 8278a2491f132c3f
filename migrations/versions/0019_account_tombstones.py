"""account tombstones: keyed hashes of a deleted account's address and person

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

import participation.core.models

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_tombstone',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email_hash', sa.String(length=64), nullable=False),
    sa.Column('person_hash', sa.String(length=64), nullable=True),
    sa.Column('deleted_on', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_account_tombstone_user_id_user'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_account_tombstone'))
    )
    with op.batch_alter_table('account_tombstone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_tombstone_email_hash'), ['email_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_tombstone_person_hash'), ['person_hash'], unique=False)


def downgrade():
    with op.batch_alter_table('account_tombstone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_tombstone_person_hash'))
        batch_op.drop_index(batch_op.f('ix_account_tombstone_email_hash'))
    op.drop_table('account_tombstone')
