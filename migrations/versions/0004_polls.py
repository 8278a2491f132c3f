"""polls

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
import participation.core.models


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('poll',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('by_staff', sa.Boolean(), nullable=False),
    sa.Column('max_choices', sa.Integer(), nullable=False),
    sa.Column('results_visibility', sa.String(length=20), nullable=False),
    sa.Column('eligible_districts', sa.JSON(), nullable=False),
    sa.Column('eligible_age_bands', sa.JSON(), nullable=False),
    sa.Column('created_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('opens_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closes_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('total_ballots', sa.Integer(), nullable=False),
    sa.Column('tally_digest', sa.String(length=64), nullable=True),
    sa.Column('tally_as_of', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("results_visibility IN ('live', 'after_close')", name=op.f('ck_poll_results_visibility_known')),
    sa.CheckConstraint('max_choices >= 1', name=op.f('ck_poll_max_choices_positive')),
    sa.CheckConstraint('opens_at IS NULL OR opens_at < closes_at', name=op.f('ck_poll_opens_before_closing')),
    sa.CheckConstraint('total_ballots >= 0', name=op.f('ck_poll_total_not_negative')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_poll_author_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll'))
    )
    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_poll_state_closes_at', ['state', 'closes_at'], unique=False)

    op.create_table('poll_ballot',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('receipt_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_poll_ballot_poll_id_poll'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_ballot')),
    sa.UniqueConstraint('receipt_hash', name=op.f('uq_poll_ballot_receipt_hash')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('poll_ballot', schema=None) as batch_op:
        batch_op.create_index('ix_poll_ballot_poll_id_receipt_hash', ['poll_id', 'receipt_hash'], unique=False)

    op.create_table('poll_option',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('votes', sa.Integer(), nullable=False),
    sa.CheckConstraint('votes >= 0', name=op.f('ck_poll_option_votes_not_negative')),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_poll_option_poll_id_poll'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_option')),
    sa.UniqueConstraint('poll_id', 'position', name=op.f('uq_poll_option_poll_id_position'))
    )
    op.create_table('poll_participation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('district', sa.String(length=10), nullable=True),
    sa.Column('age_band', sa.String(length=10), nullable=True),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_poll_participation_poll_id_poll'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_poll_participation_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_participation')),
    sa.UniqueConstraint('poll_id', 'user_id', name=op.f('uq_poll_participation_poll_id_user_id'))
    )
    with op.batch_alter_table('poll_participation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_participation_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_poll_participation_user_id'), ['user_id'], unique=False)

    op.create_table('poll_tag',
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_poll_tag_poll_id_poll'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('poll_id', 'tag', name=op.f('pk_poll_tag'))
    )
    with op.batch_alter_table('poll_tag', schema=None) as batch_op:
        batch_op.create_index('ix_poll_tag_tag', ['tag', 'poll_id'], unique=False)

    op.create_table('poll_turnout',
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=20), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_poll_turnout_poll_id_poll'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('poll_id', 'dimension', 'value', name=op.f('pk_poll_turnout'))
    )
    op.create_table('poll_ballot_choice',
    sa.Column('ballot_id', sa.String(length=32), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['poll_ballot.id'], name=op.f('fk_poll_ballot_choice_ballot_id_poll_ballot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['option_id'], ['poll_option.id'], name=op.f('fk_poll_ballot_choice_option_id_poll_option'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_poll_ballot_choice_poll_id_poll'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ballot_id', 'option_id', name=op.f('pk_poll_ballot_choice')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('poll_ballot_choice', schema=None) as batch_op:
        batch_op.create_index('ix_poll_ballot_choice_poll_id_option_id', ['poll_id', 'option_id'], unique=False)


def downgrade():
    with op.batch_alter_table('poll_ballot_choice', schema=None) as batch_op:
        batch_op.drop_index('ix_poll_ballot_choice_poll_id_option_id')
    op.drop_table('poll_ballot_choice')
    op.drop_table('poll_turnout')
    with op.batch_alter_table('poll_tag', schema=None) as batch_op:
        batch_op.drop_index('ix_poll_tag_tag')
    op.drop_table('poll_tag')
    with op.batch_alter_table('poll_participation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_participation_user_id'))
        batch_op.drop_index(batch_op.f('ix_poll_participation_created_at'))
    op.drop_table('poll_participation')
    op.drop_table('poll_option')
    with op.batch_alter_table('poll_ballot', schema=None) as batch_op:
        batch_op.drop_index('ix_poll_ballot_poll_id_receipt_hash')
    op.drop_table('poll_ballot')
    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.drop_index('ix_poll_state_closes_at')
        batch_op.drop_index(batch_op.f('ix_poll_author_id'))
    op.drop_table('poll')
