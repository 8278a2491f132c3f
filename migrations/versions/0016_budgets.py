"""budgets: participatory budgeting (시민참여예산) processes, projects, supports, participations and ballots

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa
import participation.core.models


revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('budget_process',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('district', sa.String(length=10), nullable=True),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('eligible_age_bands', sa.JSON(), nullable=False),
    sa.Column('budget', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('decimals', sa.SmallInteger(), nullable=False),
    sa.Column('ballot_kind', sa.String(length=20), nullable=False),
    sa.Column('max_projects', sa.Integer(), nullable=True),
    sa.Column('rule', sa.String(length=20), nullable=False),
    sa.Column('created_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('proposing_closes_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('voting_opens_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('voting_closes_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('voting_opened_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('pabulib_meta', sa.JSON(), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=False),
    sa.Column('participants_as_of', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('total_ballots', sa.Integer(), nullable=False),
    sa.Column('spent', sa.BigInteger(), nullable=True),
    sa.Column('tally_as_of', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('tally_digest', sa.String(length=64), nullable=True),
    sa.Column('allocation', sa.JSON(), nullable=False),
    sa.CheckConstraint("ballot_kind = 'knapsack' OR max_projects >= 1", name=op.f('ck_budget_process_approval_has_maximum')),
    sa.CheckConstraint("ballot_kind IN ('knapsack', 'approval')", name=op.f('ck_budget_process_ballot_kind_known')),
    sa.CheckConstraint("rule IN ('greedy', 'equal_shares')", name=op.f('ck_budget_process_rule_known')),
    sa.CheckConstraint('budget > 0', name=op.f('ck_budget_process_budget_positive')),
    sa.CheckConstraint('decimals BETWEEN 0 AND 4', name=op.f('ck_budget_process_decimals_range')),
    sa.CheckConstraint('total_ballots >= 0', name=op.f('ck_budget_process_total_not_negative')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_budget_process_author_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_process'))
    )
    with op.batch_alter_table('budget_process', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_process_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_budget_process_closed_at', ['closed_at'], unique=False)
        batch_op.create_index('ix_budget_process_state', ['state', 'id'], unique=False)

    op.create_table('budget_ballot',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('budget_id', sa.Integer(), nullable=False),
    sa.Column('receipt_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['budget_id'], ['budget_process.id'], name=op.f('fk_budget_ballot_budget_id_budget_process'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_ballot')),
    sa.UniqueConstraint('receipt_hash', name=op.f('uq_budget_ballot_receipt_hash')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('budget_ballot', schema=None) as batch_op:
        batch_op.create_index('ix_budget_ballot_budget_id_receipt_hash', ['budget_id', 'receipt_hash'], unique=False)

    op.create_table('budget_participation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('budget_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('district', sa.String(length=10), nullable=True),
    sa.Column('age_band', sa.String(length=10), nullable=True),
    sa.ForeignKeyConstraint(['budget_id'], ['budget_process.id'], name=op.f('fk_budget_participation_budget_id_budget_process'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_budget_participation_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_participation')),
    sa.UniqueConstraint('budget_id', 'user_id', name=op.f('uq_budget_participation_budget_id_user_id'))
    )
    with op.batch_alter_table('budget_participation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_participation_user_id'), ['user_id'], unique=False)

    op.create_table('budget_project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('budget_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('district', sa.String(length=10), nullable=True),
    sa.Column('category', sa.String(length=40), nullable=True),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('estimated_cost', sa.BigInteger(), nullable=False),
    sa.Column('cost', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('assessment', sa.Text(), nullable=False),
    sa.Column('assessed_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('pabulib_fields', sa.JSON(), nullable=False),
    sa.Column('support_count', sa.Integer(), nullable=False),
    sa.Column('votes', sa.Integer(), nullable=False),
    sa.Column('funded', sa.Boolean(), nullable=True),
    sa.Column('outcome_reason', sa.String(length=30), nullable=True),
    sa.Column('outcome', sa.JSON(), nullable=False),
    sa.Column('implementation', sa.String(length=20), nullable=True),
    sa.Column('implementation_percent', sa.SmallInteger(), nullable=True),
    sa.Column('implementation_note', sa.Text(), nullable=False),
    sa.Column('implementation_updated_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status != 'merged' OR merged_into_id IS NOT NULL", name=op.f('ck_budget_project_merged_has_target')),
    sa.CheckConstraint("status IN ('proposed', 'feasible', 'infeasible', 'merged')", name=op.f('ck_budget_project_status_known')),
    sa.CheckConstraint('cost > 0', name=op.f('ck_budget_project_cost_positive')),
    sa.CheckConstraint('estimated_cost > 0', name=op.f('ck_budget_project_estimated_cost_positive')),
    sa.CheckConstraint('implementation_percent IS NULL OR implementation_percent BETWEEN 0 AND 100', name=op.f('ck_budget_project_implementation_percent_range')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_budget_project_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['budget_id'], ['budget_process.id'], name=op.f('fk_budget_project_budget_id_budget_process'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['budget_project.id'], name=op.f('fk_budget_project_merged_into_id_budget_project'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_project')),
    sa.UniqueConstraint('budget_id', 'code', name=op.f('uq_budget_project_budget_id_code'))
    )
    with op.batch_alter_table('budget_project', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_project_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_budget_project_budget_status', ['budget_id', 'status'], unique=False)

    op.create_table('budget_ballot_project',
    sa.Column('ballot_id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('budget_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['budget_ballot.id'], name=op.f('fk_budget_ballot_project_ballot_id_budget_ballot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['budget_id'], ['budget_process.id'], name=op.f('fk_budget_ballot_project_budget_id_budget_process'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['budget_project.id'], name=op.f('fk_budget_ballot_project_project_id_budget_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ballot_id', 'project_id', name=op.f('pk_budget_ballot_project')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('budget_ballot_project', schema=None) as batch_op:
        batch_op.create_index('ix_budget_ballot_project_budget_id_project_id', ['budget_id', 'project_id'], unique=False)

    op.create_table('budget_project_support',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['budget_project.id'], name=op.f('fk_budget_project_support_project_id_budget_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_budget_project_support_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_project_support')),
    sa.UniqueConstraint('project_id', 'user_id', name=op.f('uq_budget_project_support_project_id_user_id'))
    )
    with op.batch_alter_table('budget_project_support', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_project_support_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('budget_project_support', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_project_support_user_id'))

    op.drop_table('budget_project_support')
    with op.batch_alter_table('budget_ballot_project', schema=None) as batch_op:
        batch_op.drop_index('ix_budget_ballot_project_budget_id_project_id')

    op.drop_table('budget_ballot_project')
    with op.batch_alter_table('budget_project', schema=None) as batch_op:
        batch_op.drop_index('ix_budget_project_budget_status')
        batch_op.drop_index(batch_op.f('ix_budget_project_author_id'))

    op.drop_table('budget_project')
    with op.batch_alter_table('budget_participation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_participation_user_id'))

    op.drop_table('budget_participation')
    with op.batch_alter_table('budget_ballot', schema=None) as batch_op:
        batch_op.drop_index('ix_budget_ballot_budget_id_receipt_hash')

    op.drop_table('budget_ballot')
    with op.batch_alter_table('budget_process', schema=None) as batch_op:
        batch_op.drop_index('ix_budget_process_state')
        batch_op.drop_index('ix_budget_process_closed_at')
        batch_op.drop_index(batch_op.f('ix_budget_process_author_id'))

    op.drop_table('budget_process')
