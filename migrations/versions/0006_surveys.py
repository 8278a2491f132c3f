"""surveys

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa
import participation.core.models


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('survey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('intro', sa.Text(), nullable=False),
    sa.Column('thanks', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('target_district', sa.String(length=10), nullable=True),
    sa.Column('target_age_band', sa.String(length=10), nullable=True),
    sa.Column('opens_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closes_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('opened_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('duplicated_from_id', sa.Integer(), nullable=True),
    sa.Column('response_count', sa.Integer(), nullable=False),
    sa.Column('results', sa.JSON(), nullable=True),
    sa.Column('results_as_of', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state in ('draft', 'open', 'closed')", name=op.f('ck_survey_state')),
    sa.CheckConstraint('closes_at is null or opens_at is null or closes_at > opens_at', name=op.f('ck_survey_window')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_survey_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['duplicated_from_id'], ['survey.id'], name=op.f('fk_survey_duplicated_from_id_survey'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey'))
    )
    op.create_index(op.f('ix_survey_opened_at'), 'survey', ['opened_at'], unique=False)
    op.create_index('ix_survey_state_opened_at', 'survey', ['state', 'opened_at'], unique=False)
    op.create_table('survey_population_frame',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('is_example', sa.Boolean(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_survey_population_frame_uploaded_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_population_frame'))
    )
    op.create_table('survey_population_cell',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('frame_id', sa.Integer(), nullable=False),
    sa.Column('district', sa.String(length=10), nullable=False),
    sa.Column('age_band', sa.String(length=10), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.CheckConstraint('count >= 0', name=op.f('ck_survey_population_cell_count')),
    sa.ForeignKeyConstraint(['frame_id'], ['survey_population_frame.id'], name=op.f('fk_survey_population_cell_frame_id_survey_population_frame'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_population_cell')),
    sa.UniqueConstraint('frame_id', 'district', 'age_band', name=op.f('uq_survey_population_cell_frame_id_district_age_band'))
    )
    op.create_table('survey_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('district', sa.String(length=10), nullable=True),
    sa.Column('age_band', sa.String(length=10), nullable=True),
    sa.Column('started_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', participation.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', participation.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resume_position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_response_survey_id_survey'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_survey_response_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_response')),
    sa.UniqueConstraint('survey_id', 'user_id', name=op.f('uq_survey_response_survey_id_user_id'))
    )
    op.create_index('ix_survey_response_survey_submitted', 'survey_response', ['survey_id', 'submitted_at'], unique=False)
    op.create_index(op.f('ix_survey_response_user_id'), 'survey_response', ['user_id'], unique=False)
    op.create_table('survey_section',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_section_survey_id_survey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_section')),
    sa.UniqueConstraint('survey_id', 'position', name=op.f('uq_survey_section_survey_id_position'))
    )
    op.create_table('survey_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('max_choices', sa.Integer(), nullable=True),
    sa.Column('min_value', sa.Float(), nullable=True),
    sa.Column('max_value', sa.Float(), nullable=True),
    sa.Column('low_label', sa.String(length=60), nullable=True),
    sa.Column('high_label', sa.String(length=60), nullable=True),
    sa.Column('shuffle_options', sa.Boolean(), nullable=False),
    sa.CheckConstraint("type in ('single', 'multiple', 'likert', 'number', 'text')", name=op.f('ck_survey_question_type')),
    sa.CheckConstraint('max_choices is null or max_choices >= 1', name=op.f('ck_survey_question_max_choices')),
    sa.CheckConstraint('min_value is null or max_value is null or min_value <= max_value', name=op.f('ck_survey_question_bounds')),
    sa.ForeignKeyConstraint(['section_id'], ['survey_section.id'], name=op.f('fk_survey_question_section_id_survey_section'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_question_survey_id_survey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_question')),
    sa.UniqueConstraint('survey_id', 'position', name=op.f('uq_survey_question_survey_id_position'))
    )
    op.create_index(op.f('ix_survey_question_section_id'), 'survey_question', ['section_id'], unique=False)
    op.create_table('survey_option',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('skip_to_section_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['question_id'], ['survey_question.id'], name=op.f('fk_survey_option_question_id_survey_question'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skip_to_section_id'], ['survey_section.id'], name=op.f('fk_survey_option_skip_to_section_id_survey_section'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_option')),
    sa.UniqueConstraint('question_id', 'position', name=op.f('uq_survey_option_question_id_position'))
    )
    op.create_table('survey_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=True),
    sa.Column('number_value', sa.Float(), nullable=True),
    sa.Column('text_value', sa.Text(), nullable=True),
    sa.CheckConstraint('option_id is not null or number_value is not null or text_value is not null', name=op.f('ck_survey_answer_has_value')),
    sa.ForeignKeyConstraint(['option_id'], ['survey_option.id'], name=op.f('fk_survey_answer_option_id_survey_option'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['survey_question.id'], name=op.f('fk_survey_answer_question_id_survey_question'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['survey_response.id'], name=op.f('fk_survey_answer_response_id_survey_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answer')),
    sa.UniqueConstraint('response_id', 'question_id', 'option_id', name=op.f('uq_survey_answer_response_id_question_id_option_id'))
    )
    op.create_index('ix_survey_answer_question_option', 'survey_answer', ['question_id', 'option_id'], unique=False)


def downgrade():
    op.drop_index('ix_survey_answer_question_option', table_name='survey_answer')
    op.drop_table('survey_answer')
    op.drop_table('survey_option')
    op.drop_index(op.f('ix_survey_question_section_id'), table_name='survey_question')
    op.drop_table('survey_question')
    op.drop_table('survey_section')
    op.drop_index(op.f('ix_survey_response_user_id'), table_name='survey_response')
    op.drop_index('ix_survey_response_survey_submitted', table_name='survey_response')
    op.drop_table('survey_response')
    op.drop_table('survey_population_cell')
    op.drop_table('survey_population_frame')
    op.drop_index('ix_survey_state_opened_at', table_name='survey')
    op.drop_index(op.f('ix_survey_opened_at'), table_name='survey')
    op.drop_table('survey')
