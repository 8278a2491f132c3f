"""poll option images; proposal discussion forums and mayor's answers

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa

import participation.core.models
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('poll_option', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_name', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('image_content_type', sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_poll_option_image_name'), ['image_name'])

    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discussion_forum_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('mayor_threshold', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('mayor_answer_requested_at', participation.core.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('mayor_answer', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('mayor_answered_at', participation.core.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_proposal_discussion_forum_id'), ['discussion_forum_id'])
        batch_op.create_foreign_key(batch_op.f('fk_proposal_discussion_forum_id_forum'), 'forum',
                                    ['discussion_forum_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_proposal_discussion_forum_id_forum'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_proposal_discussion_forum_id'), type_='unique')
        batch_op.drop_column('mayor_answered_at')
        batch_op.drop_column('mayor_answer')
        batch_op.drop_column('mayor_answer_requested_at')
        batch_op.drop_column('mayor_threshold')
        batch_op.drop_column('discussion_forum_id')

    with op.batch_alter_table('poll_option', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_poll_option_image_name'), type_='unique')
        batch_op.drop_column('image_content_type')
        batch_op.drop_column('image_name')
