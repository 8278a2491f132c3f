"""poll bulletin as of (the receipts digest and the turnout leave the live tally)

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

import participation.core.models

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    # When the bulletin job (polls.tasks.publish_bulletin) or the final tally last computed the receipts
    # digest and the turnout cells; the live tally no longer does.
    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bulletin_as_of', participation.core.models.UTCDateTime(timezone=True),
                                      nullable=True))
    # Until now the tally computed both, so a digest on file is as of the last tally.
    op.execute("UPDATE poll SET bulletin_as_of = tally_as_of WHERE tally_digest IS NOT NULL")


def downgrade():
    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.drop_column('bulletin_as_of')
