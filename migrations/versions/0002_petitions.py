"""petitions

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import participation.core.models


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('petition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closes_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('answer_threshold', sa.Integer(), nullable=True),
    sa.Column('debate_threshold', sa.Integer(), nullable=True),
    sa.Column('signature_days', sa.Integer(), nullable=True),
    sa.Column('answer_days', sa.Integer(), nullable=True),
    sa.Column('answer_due_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('extension_reason', sa.Text(), nullable=True),
    sa.Column('answer_overdue_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('signature_count', sa.Integer(), nullable=False),
    sa.Column('count_as_of', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('district_counts', sa.JSON(), nullable=True),
    sa.CheckConstraint("category IN ('transport', 'safety', 'environment', 'welfare', 'housing', 'economy', 'culture', 'education', 'health', 'administration', 'other')", name=op.f('ck_petition_category')),
    sa.CheckConstraint("kind IN ('general', 'resident_audit', 'debate_request')", name=op.f('ck_petition_kind')),
    sa.CheckConstraint("state IN ('draft', 'pending', 'open', 'closed', 'answered', 'rejected', 'hidden')", name=op.f('ck_petition_state')),
    sa.CheckConstraint("state IN ('draft', 'pending', 'rejected') OR (closes_at IS NOT NULL AND answer_threshold IS NOT NULL AND debate_threshold IS NOT NULL AND answer_days IS NOT NULL)", name=op.f('ck_petition_rules_copied')),
    sa.CheckConstraint('signature_count >= 0', name=op.f('ck_petition_signature_count')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_petition_author_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petition'))
    )
    with op.batch_alter_table('petition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_petition_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_petition_kind_submitted_at', ['kind', 'submitted_at'], unique=False)
        batch_op.create_index('ix_petition_state_closes_at', ['state', 'closes_at'], unique=False)
        batch_op.create_index('ix_petition_state_signature_count', ['state', 'signature_count'], unique=False)
        batch_op.create_index(batch_op.f('ix_petition_submitted_at'), ['submitted_at'], unique=False)

    op.create_table('petition_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('petition_id', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=100), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('links', sa.Text(), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user.id'], name=op.f('fk_petition_answer_answered_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['petition_id'], ['petition.id'], name=op.f('fk_petition_answer_petition_id_petition'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petition_answer')),
    sa.UniqueConstraint('petition_id', name=op.f('uq_petition_answer_petition_id'))
    )

    op.create_table('petition_signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('petition_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('district', sa.String(length=10), nullable=True),
    sa.Column('age_band', sa.String(length=10), nullable=True),
    sa.Column('created_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['petition_id'], ['petition.id'], name=op.f('fk_petition_signature_petition_id_petition'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_petition_signature_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petition_signature')),
    sa.UniqueConstraint('petition_id', 'user_id', name=op.f('uq_petition_signature_petition_id_user_id'))
    )
    with op.batch_alter_table('petition_signature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_petition_signature_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('petition_signature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_petition_signature_user_id'))

    op.drop_table('petition_signature')
    op.drop_table('petition_answer')
    with op.batch_alter_table('petition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_petition_submitted_at'))
        batch_op.drop_index('ix_petition_state_signature_count')
        batch_op.drop_index('ix_petition_state_closes_at')
        batch_op.drop_index('ix_petition_kind_submitted_at')
        batch_op.drop_index(batch_op.f('ix_petition_author_id'))

    op.drop_table('petition')
