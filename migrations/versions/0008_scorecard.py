"""the company scorecard: indicators, measurements, cause-and-effect links, pilot links

Revision ID: 0008
Revises: 0007

Four new tables and no change to existing ones: a pilot names the indicators it
is meant to move by key, so pilot_indicator refers to no indicator row.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('indicator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('perspective', sa.Enum('financial', 'customer', 'internal', 'learning', name='indicator_perspective', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('direction', sa.Enum('increase', 'decrease', name='indicator_direction', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('unit', sa.String(length=80), nullable=False),
    sa.Column('target', sa.Float(), nullable=True),
    sa.Column('cadence', sa.Enum('monthly', 'quarterly', name='indicator_cadence', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('baseline_period', sa.String(length=7), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_indicator_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator')),
    sa.UniqueConstraint('key', name=op.f('uq_indicator_key'))
    )
    op.create_table('indicator_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('leading_id', sa.Integer(), nullable=False),
    sa.Column('lagging_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['lagging_id'], ['indicator.id'], name=op.f('fk_indicator_link_lagging_id_indicator'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['leading_id'], ['indicator.id'], name=op.f('fk_indicator_link_leading_id_indicator'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_link')),
    sa.UniqueConstraint('leading_id', 'lagging_id', name=op.f('uq_indicator_link_leading_id'))
    )
    op.create_table('measurement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=True),
    sa.Column('sd', sa.Float(), nullable=True),
    sa.Column('source', sa.Enum('web', 'file', 'api', name='measurement_source', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_measurement_department_id_department')),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], name=op.f('fk_measurement_indicator_id_indicator'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measurement')),
    sa.UniqueConstraint('indicator_id', 'department_id', 'period', name=op.f('uq_measurement_indicator_id'))
    )
    op.create_table('pilot_indicator',
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('indicator_key', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilot.id'], name=op.f('fk_pilot_indicator_pilot_id_pilot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pilot_id', 'indicator_key', name=op.f('pk_pilot_indicator'))
    )


def downgrade():
    op.drop_table('pilot_indicator')
    op.drop_table('measurement')
    op.drop_table('indicator_link')
    op.drop_table('indicator')
