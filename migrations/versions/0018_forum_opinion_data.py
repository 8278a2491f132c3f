"""forum open data: anonymous participant numbers, imported conversations, longer imported statements

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    # Each person's anonymous number in a forum's Pol.is-format export, given once (forums/tasks.py).
    op.create_table('forum_participant',
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.CheckConstraint('number >= 0', name=op.f('ck_forum_participant_number_not_negative')),
    sa.ForeignKeyConstraint(['forum_id'], ['forum.id'], name=op.f('fk_forum_participant_forum_id_forum'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_forum_participant_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('forum_id', 'user_id', name=op.f('pk_forum_participant')),
    sa.UniqueConstraint('forum_id', 'number', name='uq_forum_participant_forum_id_number')
    )
    with op.batch_alter_table('forum_participant', schema=None) as batch_op:
        batch_op.create_index('ix_forum_participant_user_id', ['user_id'], unique=False)

    with op.batch_alter_table('forum', schema=None) as batch_op:
        batch_op.add_column(sa.Column('imported_from', sa.String(length=500), nullable=True))

    # Statements imported from Pol.is keep their full text (the form still takes 140 characters).
    with op.batch_alter_table('forum_statement', schema=None) as batch_op:
        batch_op.alter_column('text', existing_type=sa.VARCHAR(length=140), type_=sa.String(length=1000),
                              existing_nullable=False)


def downgrade():
    with op.batch_alter_table('forum_statement', schema=None) as batch_op:
        batch_op.alter_column('text', existing_type=sa.String(length=1000), type_=sa.VARCHAR(length=140),
                              existing_nullable=False)

    with op.batch_alter_table('forum', schema=None) as batch_op:
        batch_op.drop_column('imported_from')

    with op.batch_alter_table('forum_participant', schema=None) as batch_op:
        batch_op.drop_index('ix_forum_participant_user_id')

    op.drop_table('forum_participant')
