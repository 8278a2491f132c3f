"""poll ballots rewritten at (the periodic job asks again for a rewrite Redis could not take)

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

import participation.core.models

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    # PostgreSQL: when polls.tasks.rewrite_ballots_in_id_order last wrote a settled poll's ballots again. Polls
    # settled before this column existed stay NULL: their ballots are written again once (the job is idempotent).
    op.add_column('poll', sa.Column('ballots_rewritten_at', participation.core.models.UTCDateTime(timezone=True),
                                    nullable=True))


def downgrade():
    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.drop_column('ballots_rewritten_at')
