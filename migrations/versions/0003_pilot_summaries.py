"""computed results kept per pilot version

Revision ID: 0003
Revises: 0002

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pilot_summary',
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=100), nullable=False),
    sa.Column('pilot_version', sa.Integer(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilot.id'], name=op.f('fk_pilot_summary_pilot_id_pilot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pilot_id', 'kind', 'pilot_version', name=op.f('pk_pilot_summary'))
    )


def downgrade():
    op.drop_table('pilot_summary')
