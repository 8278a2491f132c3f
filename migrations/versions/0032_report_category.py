"""reports: the reason category a citizen picks (issue 25: reports grouped by reason); earlier ones are "other"

Revision ID: 0032
Revises: 0031
"""
import sqlalchemy as sa

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', sa.String(length=20), server_default='other', nullable=False))


def downgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_column('category')
