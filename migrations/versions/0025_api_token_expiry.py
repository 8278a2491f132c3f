"""api tokens expire

Revision ID: 0025
Revises: 0024
"""
import sqlalchemy as sa
from alembic import op

import participation.core.models

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('api_token', sa.Column('expires_at', participation.core.models.UTCDateTime(timezone=True),
                                         nullable=True))
    # Tokens issued before expiry existed keep the default lifetime from their issue (90 days): the older ones
    # stop working at once, which is the point.
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("UPDATE api_token SET expires_at = created_at + INTERVAL '90 days'")
    else:
        op.execute("UPDATE api_token SET expires_at = datetime(created_at, '+90 days')")


def downgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
