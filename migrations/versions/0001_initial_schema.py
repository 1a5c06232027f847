"""initial schema

Revision ID: 0001
Revises: 

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('department',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department')),
    sa.UniqueConstraint('name', name=op.f('uq_department_name'))
    )
    op.create_table('partner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('segment', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Enum('small', 'medium', 'large', name='partner_size', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('key_account', sa.Boolean(), nullable=False),
    sa.Column('key_account_reason', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner')),
    sa.UniqueConstraint('name', name=op.f('uq_partner_name'))
    )
    op.create_table('programme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('roi', sa.Float(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme')),
    sa.UniqueConstraint('name', name=op.f('uq_programme_name'))
    )
    op.create_table('pilot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'active', 'paused', 'concluded', 'scaled', 'abandoned', name='pilot_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('pilot_share', sa.Float(), nullable=True),
    sa.Column('source_digest', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_pilot_partner_id_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pilot')),
    sa.UniqueConstraint('slug', name=op.f('uq_pilot_slug'))
    )
    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('innovation', 'department_head', 'finance', 'admin', name='role', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_user_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('email', name=op.f('uq_user_email'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_api_token_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('pilot_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilot.id'], name=op.f('fk_audit_event_pilot_id_pilot'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_audit_event_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_at'), ['at'], unique=False)

    op.create_table('cost_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=200), nullable=False),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('recurring', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilot.id'], name=op.f('fk_cost_item_pilot_id_pilot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cost_item'))
    )
    op.create_table('finance_plan',
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('discount_rate', sa.Float(), nullable=False),
    sa.Column('horizon_years', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilot.id'], name=op.f('fk_finance_plan_pilot_id_pilot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pilot_id', name=op.f('pk_finance_plan'))
    )
    op.create_table('import_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('origin', sa.Enum('file', 'upload', 'api', name='batch_origin', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilot.id'], name=op.f('fk_import_batch_pilot_id_pilot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_import_batch_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batch'))
    )
    op.create_table('iteration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilot.id'], name=op.f('fk_iteration_pilot_id_pilot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iteration')),
    sa.UniqueConstraint('pilot_id', 'number', name=op.f('uq_iteration_pilot_id'))
    )
    op.create_table('metric',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('mean', 'proportion', 'ratio', name='metric_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('direction', sa.Enum('increase', 'decrease', name='metric_direction', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('unit', sa.String(length=80), nullable=False),
    sa.Column('indicator', sa.Enum('leading', 'lagging', name='indicator', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('perspective', sa.Enum('financial', 'customer', 'internal', 'learning', name='perspective', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('scale_min', sa.Integer(), nullable=True),
    sa.Column('scale_max', sa.Integer(), nullable=True),
    sa.Column('shift_value', sa.Float(), nullable=True),
    sa.Column('shift_denominator', sa.Float(), nullable=True),
    sa.Column('shift_covariate', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilot.id'], name=op.f('fk_metric_pilot_id_pilot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metric')),
    sa.UniqueConstraint('pilot_id', 'key', name=op.f('uq_metric_pilot_id'))
    )
    op.create_table('pilot_department',
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_pilot_department_department_id_department')),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilot.id'], name=op.f('fk_pilot_department_pilot_id_pilot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pilot_id', 'department_id', name=op.f('pk_pilot_department'))
    )
    op.create_table('aggregate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('metric_id', sa.Integer(), nullable=False),
    sa.Column('group', sa.Enum('baseline', 'pilot', name='aggregate_group', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('period', sa.Enum('pre', 'post', name='aggregate_period', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('iteration', sa.Integer(), nullable=True),
    sa.Column('day', sa.Date(), nullable=True),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.Column('sum', sa.Float(), nullable=False),
    sa.Column('sum_sq', sa.Float(), nullable=False),
    sa.Column('d_sum', sa.Float(), nullable=False),
    sa.Column('d_sum_sq', sa.Float(), nullable=False),
    sa.Column('xd_sum', sa.Float(), nullable=False),
    sa.Column('c_n', sa.BigInteger(), nullable=False),
    sa.Column('c_sum', sa.Float(), nullable=False),
    sa.Column('c_sum_sq', sa.Float(), nullable=False),
    sa.Column('xc_sum', sa.Float(), nullable=False),
    sa.Column('c_x_sum', sa.Float(), nullable=False),
    sa.Column('c_x_sum_sq', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_aggregate_batch_id_import_batch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['metric_id'], ['metric.id'], name=op.f('fk_aggregate_metric_id_metric'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aggregate'))
    )
    with op.batch_alter_table('aggregate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aggregate_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_aggregate_metric_group', ['metric_id', 'group', 'period'], unique=False)

    op.create_table('benefit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('metric_id', sa.Integer(), nullable=False),
    sa.Column('value_per_unit', sa.Float(), nullable=False),
    sa.Column('volume_per_year', sa.Float(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['metric_id'], ['metric.id'], name=op.f('fk_benefit_metric_id_metric'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilot.id'], name=op.f('fk_benefit_pilot_id_pilot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_benefit'))
    )
    op.create_table('hypothesis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('metric_id', sa.Integer(), nullable=False),
    sa.Column('predictor_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.Enum('primary', 'secondary', 'guardrail', name='hypothesis_role', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('design', sa.Enum('concurrent', 'pre_post', 'did', 'its', 'threshold', name='design', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('method', sa.Enum('fixed', 'sequential', 'bayesian', name='method', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('alpha', sa.Float(), nullable=False),
    sa.Column('minimum_effect', sa.Float(), nullable=True),
    sa.Column('planned_sample_size', sa.Integer(), nullable=True),
    sa.Column('quantiles', sa.JSON(), nullable=True),
    sa.Column('locked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['metric_id'], ['metric.id'], name=op.f('fk_hypothesis_metric_id_metric')),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilot.id'], name=op.f('fk_hypothesis_pilot_id_pilot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['predictor_id'], ['metric.id'], name=op.f('fk_hypothesis_predictor_id_metric')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hypothesis')),
    sa.UniqueConstraint('pilot_id', 'key', name=op.f('uq_hypothesis_pilot_id'))
    )
    op.create_table('observation',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('metric_id', sa.Integer(), nullable=False),
    sa.Column('group', sa.Enum('baseline', 'pilot', name='observation_group', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('period', sa.Enum('pre', 'post', name='observation_period', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('iteration', sa.Integer(), nullable=True),
    sa.Column('unit', sa.String(length=120), nullable=True),
    sa.Column('day', sa.Date(), nullable=True),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('denominator', sa.Float(), nullable=True),
    sa.Column('covariate', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_observation_batch_id_import_batch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['metric_id'], ['metric.id'], name=op.f('fk_observation_metric_id_metric'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observation'))
    )
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_observation_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_observation_metric_group', ['metric_id', 'group', 'period'], unique=False)

    op.create_table('suggestion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=120), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('new', 'under_review', 'accepted', 'incorporated', 'declined', name='suggestion_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('iteration_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('proposed_on', sa.Date(), nullable=True),
    sa.Column('from_file', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_suggestion_author_id_user')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_suggestion_department_id_department')),
    sa.ForeignKeyConstraint(['iteration_id'], ['iteration.id'], name=op.f('fk_suggestion_iteration_id_iteration'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilot.id'], name=op.f('fk_suggestion_pilot_id_pilot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion'))
    )
    op.create_table('value_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('metric_id', sa.Integer(), nullable=False),
    sa.Column('group', sa.Enum('baseline', 'pilot', name='value_count_group', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('period', sa.Enum('pre', 'post', name='value_count_period', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('iteration', sa.Integer(), nullable=True),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_value_count_batch_id_import_batch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['metric_id'], ['metric.id'], name=op.f('fk_value_count_metric_id_metric'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_value_count'))
    )
    with op.batch_alter_table('value_count', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_value_count_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_value_count_metric_group', ['metric_id', 'group', 'period'], unique=False)

    op.create_table('hypothesis_amendment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hypothesis_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['hypothesis_id'], ['hypothesis.id'], name=op.f('fk_hypothesis_amendment_hypothesis_id_hypothesis'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_hypothesis_amendment_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hypothesis_amendment'))
    )
    with op.batch_alter_table('hypothesis_amendment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hypothesis_amendment_hypothesis_id'), ['hypothesis_id'], unique=False)

    op.create_table('suggestion_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('suggestion_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestion.id'], name=op.f('fk_suggestion_comment_suggestion_id_suggestion'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_suggestion_comment_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion_comment'))
    )
    with op.batch_alter_table('suggestion_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suggestion_comment_suggestion_id'), ['suggestion_id'], unique=False)

    op.create_table('suggestion_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('suggestion_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.Enum('new', 'under_review', 'accepted', 'incorporated', 'declined', name='suggestion_step_from', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('status', sa.Enum('new', 'under_review', 'accepted', 'incorporated', 'declined', name='suggestion_step_to', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('iteration_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['iteration_id'], ['iteration.id'], name=op.f('fk_suggestion_step_iteration_id_iteration'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestion.id'], name=op.f('fk_suggestion_step_suggestion_id_suggestion'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_suggestion_step_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion_step'))
    )
    with op.batch_alter_table('suggestion_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suggestion_step_suggestion_id'), ['suggestion_id'], unique=False)

    op.create_table('suggestion_vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('suggestion_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestion.id'], name=op.f('fk_suggestion_vote_suggestion_id_suggestion'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_suggestion_vote_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion_vote')),
    sa.UniqueConstraint('suggestion_id', 'user_id', name=op.f('uq_suggestion_vote_suggestion_id'))
    )


def downgrade():
    op.drop_table('suggestion_vote')
    with op.batch_alter_table('suggestion_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suggestion_step_suggestion_id'))

    op.drop_table('suggestion_step')
    with op.batch_alter_table('suggestion_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suggestion_comment_suggestion_id'))

    op.drop_table('suggestion_comment')
    with op.batch_alter_table('hypothesis_amendment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hypothesis_amendment_hypothesis_id'))

    op.drop_table('hypothesis_amendment')
    with op.batch_alter_table('value_count', schema=None) as batch_op:
        batch_op.drop_index('ix_value_count_metric_group')
        batch_op.drop_index(batch_op.f('ix_value_count_batch_id'))

    op.drop_table('value_count')
    op.drop_table('suggestion')
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.drop_index('ix_observation_metric_group')
        batch_op.drop_index(batch_op.f('ix_observation_batch_id'))

    op.drop_table('observation')
    op.drop_table('hypothesis')
    op.drop_table('benefit')
    with op.batch_alter_table('aggregate', schema=None) as batch_op:
        batch_op.drop_index('ix_aggregate_metric_group')
        batch_op.drop_index(batch_op.f('ix_aggregate_batch_id'))

    op.drop_table('aggregate')
    op.drop_table('pilot_department')
    op.drop_table('metric')
    op.drop_table('iteration')
    op.drop_table('import_batch')
    op.drop_table('finance_plan')
    op.drop_table('cost_item')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_at'))

    op.drop_table('audit_event')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    op.drop_table('user')
    op.drop_table('pilot')
    op.drop_table('programme')
    op.drop_table('partner')
    op.drop_table('department')
