"""identity verification: verified persons (keyed hash only), the history of district and birth year, the
verification that signing a petition or voting in a poll requires

Revision ID: 0029
Revises: 0028
"""
import sqlalchemy as sa
from alembic import op

import participation.core.models

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('profile_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('district', sa.String(length=10), nullable=True),
    sa.Column('birth_year', sa.Integer(), nullable=True),
    sa.Column('verified', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('valid_from', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_profile_value_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_profile_value'))
    )
    with op.batch_alter_table('profile_value', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_profile_value_user_id'), ['user_id'], unique=False)
    # Every existing account's values are in force since it signed up (the earliest that is known).
    op.execute('INSERT INTO profile_value (user_id, district, birth_year, verified, valid_from) '
               'SELECT id, district, birth_year, false, created_at FROM "user" WHERE deleted_at IS NULL')

    op.create_table('verified_identity',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('person_hash', sa.String(length=64), nullable=False),
    sa.Column('issuer', sa.String(length=200), nullable=False),
    sa.Column('birth_year', sa.Integer(), nullable=True),
    sa.Column('district', sa.String(length=10), nullable=True),
    sa.Column('verified_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_verified_identity_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_verified_identity')),
    sa.UniqueConstraint('person_hash', name=op.f('uq_verified_identity_person_hash'))
    )
    for table in ('petition', 'poll', 'survey', 'forum'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('verification', sa.String(length=10), server_default='email',
                                          nullable=False))


def downgrade():
    for table in ('petition', 'poll', 'survey', 'forum'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('verification')
    op.drop_table('verified_identity')
    with op.batch_alter_table('profile_value', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_profile_value_user_id'))
    op.drop_table('profile_value')
