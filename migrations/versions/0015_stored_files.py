"""stored files: uploads and staged imports in the database instead of a local disk (core/storage.py)

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

import participation.core.models

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    # Files that were on disk under instance/uploads/ are moved with `flask --app wsgi storage move-from-disk`.
    op.create_table('stored_file',
                    sa.Column('key', sa.String(length=200), nullable=False),
                    sa.Column('content_type', sa.String(length=100), nullable=False),
                    sa.Column('size', sa.Integer(), nullable=False),
                    sa.Column('etag', sa.String(length=64), nullable=False),
                    sa.Column('created_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
                    sa.Column('data', sa.LargeBinary(), nullable=False),
                    sa.PrimaryKeyConstraint('key', name=op.f('pk_stored_file')))
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_file_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_file_created_at'))
    op.drop_table('stored_file')
