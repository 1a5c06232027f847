"""the cost of poor service, and pilots' claims on it

Revision ID: 0010
Revises: 0008

The company's cost of poor service per partner segment (customers lost,
rework, complaints: a yearly volume × a unit cost with finance's stated
ranges), and each pilot's claim to remove part of a line through a
measured effect. Both tables are new; nothing existing moves.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('poor_service_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('segment', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.Enum('lost_customers', 'rework', 'complaints', name='poor_service_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('volume', sa.Float(), nullable=False),
    sa.Column('volume_low', sa.Float(), nullable=True),
    sa.Column('volume_high', sa.Float(), nullable=True),
    sa.Column('unit_cost', sa.Float(), nullable=False),
    sa.Column('unit_cost_low', sa.Float(), nullable=True),
    sa.Column('unit_cost_high', sa.Float(), nullable=True),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('period', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poor_service_line')),
    sa.UniqueConstraint('key', name=op.f('uq_poor_service_line_key'))
    )
    op.create_table('poor_service_claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('metric_id', sa.Integer(), nullable=False),
    sa.Column('share', sa.Float(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['line_id'], ['poor_service_line.id'], name=op.f('fk_poor_service_claim_line_id_poor_service_line')),
    sa.ForeignKeyConstraint(['metric_id'], ['metric.id'], name=op.f('fk_poor_service_claim_metric_id_metric'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilot.id'], name=op.f('fk_poor_service_claim_pilot_id_pilot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poor_service_claim'))
    )
    with op.batch_alter_table('poor_service_claim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poor_service_claim_line_id'), ['line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_poor_service_claim_pilot_id'), ['pilot_id'], unique=False)



def downgrade():
    with op.batch_alter_table('poor_service_claim', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poor_service_claim_pilot_id'))
        batch_op.drop_index(batch_op.f('ix_poor_service_claim_line_id'))

    op.drop_table('poor_service_claim')
    op.drop_table('poor_service_line')
