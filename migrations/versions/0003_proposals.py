"""proposals

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa
import participation.core.models


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('proposal_department',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('is_example', sa.Boolean(), nullable=False),
    sa.Column('created_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_department')),
    sa.UniqueConstraint('name', name=op.f('uq_proposal_department_name'))
    )
    op.create_table('proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('portal_id', sa.String(length=40), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('expected_effect', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('district', sa.String(length=10), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closes_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_threshold', sa.Integer(), nullable=True),
    sa.Column('discussion_threshold', sa.Integer(), nullable=True),
    sa.Column('answer_days', sa.Integer(), nullable=True),
    sa.Column('review_started_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('forwarded', sa.Boolean(), nullable=False),
    sa.Column('answer_due_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('discussion_flagged_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('support_count', sa.Integer(), nullable=False),
    sa.Column('count_as_of', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('interim_answer', sa.Text(), nullable=True),
    sa.Column('answer_outcome', sa.String(length=20), nullable=True),
    sa.Column('answer_body', sa.Text(), nullable=True),
    sa.Column('follow_up', sa.Text(), nullable=True),
    sa.Column('answered_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("answer_outcome IS NULL OR answer_outcome IN ('adopted', 'partly', 'not_adopted')", name=op.f('ck_proposal_answer_outcome')),
    sa.CheckConstraint("portal_id IS NULL OR source = 'national_portal'", name=op.f('ck_proposal_portal_id_source')),
    sa.CheckConstraint("source IN ('web', 'national_portal', 'youth_committee')", name=op.f('ck_proposal_source')),
    sa.CheckConstraint("state IN ('pending', 'open', 'closed', 'under_review', 'answered', 'rejected', 'hidden', 'merged')", name=op.f('ck_proposal_state')),
    sa.CheckConstraint('merged_into_id IS NULL OR merged_into_id <> id', name=op.f('ck_proposal_not_merged_into_itself')),
    sa.CheckConstraint('support_count >= 0', name=op.f('ck_proposal_support_count')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user.id'], name=op.f('fk_proposal_answered_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_proposal_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['department_id'], ['proposal_department.id'], name=op.f('fk_proposal_department_id_proposal_department'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user.id'], name=op.f('fk_proposal_entered_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['proposal.id'], name=op.f('fk_proposal_merged_into_id_proposal'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal')),
    sa.UniqueConstraint('portal_id', name=op.f('uq_proposal_portal_id'))
    )
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_district'), ['district'], unique=False)
        batch_op.create_index('ix_proposal_source_submitted', ['source', 'submitted_at'], unique=False)
        batch_op.create_index('ix_proposal_state_due', ['state', 'answer_due_at'], unique=False)
        batch_op.create_index('ix_proposal_state_published', ['state', 'published_at'], unique=False)

    op.create_table('proposal_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('hidden_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('parent_id IS NULL OR parent_id <> id', name=op.f('ck_proposal_comment_not_own_parent')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_proposal_comment_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_id'], ['proposal_comment.id'], name=op.f('fk_proposal_comment_parent_id_proposal_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_proposal_comment_proposal_id_proposal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_comment'))
    )
    with op.batch_alter_table('proposal_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_comment_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_proposal_comment_proposal', ['proposal_id', 'id'], unique=False)

    op.create_table('proposal_follow',
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_proposal_follow_proposal_id_proposal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_proposal_follow_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('proposal_id', 'user_id', name=op.f('pk_proposal_follow'))
    )
    with op.batch_alter_table('proposal_follow', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_follow_user_id'), ['user_id'], unique=False)

    op.create_table('proposal_image',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_proposal_image_proposal_id_proposal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_image')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_proposal_image_stored_name'))
    )
    with op.batch_alter_table('proposal_image', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_image_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('proposal_support',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_proposal_support_proposal_id_proposal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_proposal_support_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_support')),
    sa.UniqueConstraint('proposal_id', 'user_id', name=op.f('uq_proposal_support_proposal_id_user_id'))
    )
    with op.batch_alter_table('proposal_support', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_support_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('proposal_support', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_support_user_id'))

    op.drop_table('proposal_support')
    with op.batch_alter_table('proposal_image', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_image_proposal_id'))

    op.drop_table('proposal_image')
    with op.batch_alter_table('proposal_follow', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_follow_user_id'))

    op.drop_table('proposal_follow')
    with op.batch_alter_table('proposal_comment', schema=None) as batch_op:
        batch_op.drop_index('ix_proposal_comment_proposal')
        batch_op.drop_index(batch_op.f('ix_proposal_comment_parent_id'))

    op.drop_table('proposal_comment')
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_index('ix_proposal_state_published')
        batch_op.drop_index('ix_proposal_state_due')
        batch_op.drop_index('ix_proposal_source_submitted')
        batch_op.drop_index(batch_op.f('ix_proposal_district'))
        batch_op.drop_index(batch_op.f('ix_proposal_department_id'))
        batch_op.drop_index(batch_op.f('ix_proposal_category'))
        batch_op.drop_index(batch_op.f('ix_proposal_author_id'))

    op.drop_table('proposal')
    op.drop_table('proposal_department')
