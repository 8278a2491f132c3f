"""budget project photos

Revision ID: 0023
Revises: 0022
"""
import sqlalchemy as sa
import participation.core.models
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('budget_project_image',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['budget_project.id'],
                            name=op.f('fk_budget_project_image_project_id_budget_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_project_image')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_budget_project_image_stored_name'))
    )
    op.create_index(op.f('ix_budget_project_image_project_id'), 'budget_project_image', ['project_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_budget_project_image_project_id'), table_name='budget_project_image')
    op.drop_table('budget_project_image')
