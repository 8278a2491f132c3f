"""list indexes

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    # The public lists of petitions and proposals (their queries.public_list) read these in order.
    with op.batch_alter_table('petition', schema=None) as batch_op:
        batch_op.create_index('ix_petition_closes_at_id', ['closes_at', 'id'], unique=False)
        batch_op.create_index('ix_petition_published_at_id_state', ['published_at', 'id', 'state'], unique=False)
        batch_op.create_index('ix_petition_signature_count_id', ['signature_count', 'id'], unique=False)
        batch_op.create_index('ix_petition_state_published_at_id', ['state', 'published_at', 'id'], unique=False)

    # How many receipts the poll's tally_digest covers (the tally skips the digest while it is unchanged).
    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tally_digest_count', sa.Integer(), nullable=True))

    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.create_index('ix_proposal_submitted_at_id_state', ['submitted_at', 'id', 'state'], unique=False)
        batch_op.create_index('ix_proposal_support_count_id', ['support_count', 'id'], unique=False)
        batch_op.create_index('ix_proposal_state_submitted_at_id', ['state', 'submitted_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_index('ix_proposal_state_submitted_at_id')
        batch_op.drop_index('ix_proposal_support_count_id')
        batch_op.drop_index('ix_proposal_submitted_at_id_state')

    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.drop_column('tally_digest_count')

    with op.batch_alter_table('petition', schema=None) as batch_op:
        batch_op.drop_index('ix_petition_state_published_at_id')
        batch_op.drop_index('ix_petition_signature_count_id')
        batch_op.drop_index('ix_petition_published_at_id_state')
        batch_op.drop_index('ix_petition_closes_at_id')
