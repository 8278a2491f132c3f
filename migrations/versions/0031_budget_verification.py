"""the verification that supporting a budget project and voting in a budget process require

Revision ID: 0031
Revises: 0030
"""
import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade():
    # Processes already open keep the rule they opened under (none): "email".
    with op.batch_alter_table('budget_process', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verification', sa.String(length=10), server_default='email', nullable=False))


def downgrade():
    with op.batch_alter_table('budget_process', schema=None) as batch_op:
        batch_op.drop_column('verification')
