"""forum answer told at: participants are told of an answer by a job

Revision ID: 0026
Revises: 0025
"""
import sqlalchemy as sa
from alembic import op

import participation.core.models

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('forum', sa.Column('answer_told_at', participation.core.models.UTCDateTime(timezone=True),
                                     nullable=True))
    # Answers given before this column existed were told in the request that saved them.
    op.execute("UPDATE forum SET answer_told_at = answered_at WHERE answered_at IS NOT NULL")


def downgrade():
    with op.batch_alter_table('forum', schema=None) as batch_op:
        batch_op.drop_column('answer_told_at')
