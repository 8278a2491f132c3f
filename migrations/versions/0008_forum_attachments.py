"""forum attachments

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa
import participation.core.models


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('forum_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('size > 0', name=op.f('ck_forum_attachment_size_positive')),
    sa.ForeignKeyConstraint(['forum_id'], ['forum.id'], name=op.f('fk_forum_attachment_forum_id_forum'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_forum_attachment_uploaded_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_attachment')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_forum_attachment_stored_name'))
    )
    with op.batch_alter_table('forum_attachment', schema=None) as batch_op:
        batch_op.create_index('ix_forum_attachment_forum_id', ['forum_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_forum_attachment_uploaded_by_id'), ['uploaded_by_id'], unique=False)


def downgrade():
    with op.batch_alter_table('forum_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forum_attachment_uploaded_by_id'))
        batch_op.drop_index('ix_forum_attachment_forum_id')

    op.drop_table('forum_attachment')
