"""forums

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa
import participation.core.models


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('forum',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('background', sa.Text(), nullable=False),
    sa.Column('key_facts', sa.Text(), nullable=False),
    sa.Column('links', sa.Text(), nullable=False),
    sa.Column('departments', sa.String(length=300), nullable=False),
    sa.Column('discussion_days', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('opened_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closes_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closing_poll_id', sa.Integer(), nullable=True),
    sa.Column('comment_count', sa.Integer(), nullable=False),
    sa.Column('participant_count', sa.Integer(), nullable=False),
    sa.Column('stance_summary', sa.JSON(), nullable=True),
    sa.Column('opinion_map', sa.JSON(), nullable=True),
    sa.Column('count_as_of', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state != 'answered' OR answer IS NOT NULL", name=op.f('ck_forum_answered_has_answer')),
    sa.CheckConstraint("state IN ('draft', 'open', 'closed', 'answered')", name=op.f('ck_forum_state')),
    sa.CheckConstraint('discussion_days BETWEEN 1 AND 365', name=op.f('ck_forum_discussion_days')),
    sa.ForeignKeyConstraint(['closing_poll_id'], ['poll.id'], name=op.f('fk_forum_closing_poll_id_poll'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_forum_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum')),
    sa.UniqueConstraint('closing_poll_id', name=op.f('uq_forum_closing_poll_id'))
    )
    with op.batch_alter_table('forum', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forum_closes_at'), ['closes_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_forum_opened_at'), ['opened_at'], unique=False)

    op.create_table('forum_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('stance', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('like_count', sa.Integer(), nullable=False),
    sa.Column('created_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("stance IN ('pro', 'con', 'other')", name=op.f('ck_forum_comment_stance')),
    sa.CheckConstraint("state IN ('visible', 'auto_hidden', 'hidden')", name=op.f('ck_forum_comment_state')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_forum_comment_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['forum_id'], ['forum.id'], name=op.f('fk_forum_comment_forum_id_forum'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id', 'forum_id'], ['forum_comment.id', 'forum_comment.forum_id'], name='fk_forum_comment_parent_same_forum', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_comment')),
    sa.UniqueConstraint('id', 'forum_id', name='uq_forum_comment_id_forum_id')
    )
    with op.batch_alter_table('forum_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forum_comment_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_forum_comment_forum_id_parent_id', ['forum_id', 'parent_id', 'id'], unique=False)
        batch_op.create_index('ix_forum_comment_state', ['state'], unique=False)

    op.create_table('forum_statement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.String(length=140), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('pending', 'approved', 'rejected')", name=op.f('ck_forum_statement_state')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_forum_statement_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['forum_id'], ['forum.id'], name=op.f('fk_forum_statement_forum_id_forum'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_statement'))
    )
    with op.batch_alter_table('forum_statement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forum_statement_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_forum_statement_forum_id_state', ['forum_id', 'state', 'id'], unique=False)

    op.create_table('forum_comment_like',
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['forum_comment.id'], name=op.f('fk_forum_comment_like_comment_id_forum_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_forum_comment_like_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('comment_id', 'user_id', name=op.f('pk_forum_comment_like'))
    )
    with op.batch_alter_table('forum_comment_like', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forum_comment_like_user_id'), ['user_id'], unique=False)

    op.create_table('forum_reaction',
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=20), nullable=False),
    sa.Column('reacted_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("value IN ('agree', 'disagree', 'pass')", name=op.f('ck_forum_reaction_value')),
    sa.ForeignKeyConstraint(['statement_id'], ['forum_statement.id'], name=op.f('fk_forum_reaction_statement_id_forum_statement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_forum_reaction_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('statement_id', 'user_id', name=op.f('pk_forum_reaction'))
    )
    with op.batch_alter_table('forum_reaction', schema=None) as batch_op:
        batch_op.create_index('ix_forum_reaction_user_id', ['user_id'], unique=False)


def downgrade():
    for table in ("forum_reaction", "forum_comment_like", "forum_statement", "forum_comment", "forum"):
        op.drop_table(table)
