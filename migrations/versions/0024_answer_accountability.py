"""answer accountability: petitions' interim answers and debate threshold, proposals' extensions

Revision ID: 0024
Revises: 0023
"""
import sqlalchemy as sa
from alembic import op

import participation.core.models

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def _time(name):
    return sa.Column(name, participation.core.models.UTCDateTime(timezone=True), nullable=True)


def upgrade():
    # Petitions get interim answers like proposals, and the moment the debate threshold was crossed (set once,
    # by a conditional UPDATE, so that the audit entry and the notifications happen once).
    op.add_column('petition', sa.Column('interim_answer', sa.Text(), nullable=True))
    op.add_column('petition', _time('interim_answered_at'))
    op.add_column('petition', _time('debate_reached_at'))
    # Debate requests already past their threshold crossed it before this was recorded: no late notifications.
    op.execute("UPDATE petition SET debate_reached_at = COALESCE(closed_at, published_at) "
               "WHERE kind = 'debate_request' AND debate_threshold IS NOT NULL "
               "AND signature_count >= debate_threshold AND state IN ('open', 'closed', 'answered', 'hidden')")
    # Proposals get an answer-deadline extension with its reason, like petitions.
    op.add_column('proposal', sa.Column('extension_reason', sa.Text(), nullable=True))
    op.add_column('proposal', _time('interim_answered_at'))


def downgrade():
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_column('interim_answered_at')
        batch_op.drop_column('extension_reason')
    with op.batch_alter_table('petition', schema=None) as batch_op:
        batch_op.drop_column('debate_reached_at')
        batch_op.drop_column('interim_answered_at')
        batch_op.drop_column('interim_answer')
