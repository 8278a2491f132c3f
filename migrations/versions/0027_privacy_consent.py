"""user: when the person agreed to the collection and use of their personal data (개인정보 수집·이용 동의)

Revision ID: 0027
Revises: 0026
"""
import sqlalchemy as sa
from alembic import op

from participation.core.models import UTCDateTime

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("privacy_consent_at", UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("privacy_consent_at")
